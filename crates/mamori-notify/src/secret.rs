//! Webhook URLs are credentials: whoever holds a Slack incoming-webhook URL can post to the
//! channel, and a generic webhook usually carries its token in the path or the query. This
//! module makes printing one whole impossible by accident: [`WebhookUrl`] displays, debugs and
//! serializes as `scheme://host:port/` followed only by the leading path segments known to
//! name a service rather than a secret (`services` for Slack, `hooks`, `api`, `v1`) and `***`
//! for everything else, and [`WebhookUrl::scrub`] removes every secret part from text that came
//! from elsewhere (HTTP client errors, response bodies).

use std::fmt;
use std::net::IpAddr;

use http::Uri;

/// Why a URL was refused, without the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute `http(s)://host/...` URL, or no host.
    Malformed,
    /// A scheme other than `https` (or `http` to a loopback address).
    Scheme,
    /// Plain `http` to a host that is not a loopback address: the token would cross the
    /// network in clear.
    PlainHttp,
    /// A port that is not a number from 1 to 65535: the HTTP client would quietly fall back to
    /// the scheme's default port and send the message somewhere else.
    Port,
    /// Whitespace or a control character inside the URL (a value pasted with a line break, a
    /// tab between two values): never part of a real webhook URL.
    Whitespace,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlProblem::Malformed => "is not an absolute URL with a host (expected `https://host/path`)",
            UrlProblem::Scheme => "must use the `https` scheme",
            UrlProblem::PlainHttp => "uses plain `http` to a host that is not a loopback address; use `https`",
            UrlProblem::Port => "has an invalid port (expected a number from 1 to 65535)",
            UrlProblem::Whitespace => "contains whitespace or control characters",
        })
    }
}

/// Leading path segments shown in the redacted form: they name an API or a service, never a
/// credential (`hooks.slack.com/services/…`, `…/api/v1/…`, `…/hooks/…`).
fn is_known_safe_segment(segment: &str) -> bool {
    const SAFE: &[&str] = &["services", "hooks", "hook", "webhook", "webhooks", "api", "notify", "notifications"];
    SAFE.contains(&segment)
        || segment.strip_prefix('v').is_some_and(|version| {
            !version.is_empty() && version.len() <= 2 && version.bytes().all(|b| b.is_ascii_digit())
        })
}

/// A webhook URL. Never printed whole: see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    uri: Uri,
    raw: String,
}

impl WebhookUrl {
    /// Parses `text` (surrounding whitespace ignored). Only `https` is accepted, and `http` to
    /// a loopback address (a local relay, or the tests); the host must be present, the port (if
    /// any) a number from 1 to 65535, and the URL free of whitespace and control characters.
    pub fn parse(text: &str) -> Result<WebhookUrl, UrlProblem> {
        let raw = text.trim();
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlProblem::Whitespace);
        }
        let uri: Uri = raw.parse().map_err(|_| UrlProblem::Malformed)?;
        let host = uri.host().ok_or(UrlProblem::Malformed)?;
        if host.is_empty() {
            return Err(UrlProblem::Malformed);
        }
        // `http` accepts an out-of-range port and then reports none at all (`port()` is
        // `None`), so the client would connect to the default port: read the authority's text.
        if let Some(port) = uri.authority().and_then(|authority| port_text(authority.as_str())) {
            match port.parse::<u16>() {
                Ok(number) if number != 0 => {}
                _ => return Err(UrlProblem::Port),
            }
        }
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback(host) => {}
            Some("http") => return Err(UrlProblem::PlainHttp),
            Some(_) => return Err(UrlProblem::Scheme),
            None => return Err(UrlProblem::Malformed),
        }
        Ok(WebhookUrl { uri, raw: raw.to_owned() })
    }

    /// The URL itself, for the HTTP client only.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Whether requests to this URL need TLS.
    pub fn is_https(&self) -> bool {
        self.uri.scheme_str() == Some("https")
    }

    /// `https://hooks.slack.com/services/***`: scheme, host and port, the leading path segments
    /// known to hold no secret, and `***` for the rest of the path and the query. User
    /// information is never shown.
    pub fn redacted(&self) -> String {
        let scheme = self.uri.scheme_str().unwrap_or("https");
        let host = self.uri.host().unwrap_or("");
        let port = self.uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
        let mut out = format!("{scheme}://{host}{port}/");
        let mut segments = self.uri.path().split('/').filter(|s| !s.is_empty()).peekable();
        let mut shown = Vec::new();
        while let Some(segment) = segments.next_if(|segment| is_known_safe_segment(segment)) {
            shown.push(segment);
        }
        out.push_str(&shown.join("/"));
        if segments.peek().is_some() || self.uri.query().is_some() {
            if !shown.is_empty() {
                out.push('/');
            }
            out.push_str("***");
        }
        out
    }

    /// `text` with every secret part of this URL replaced by `***`: the whole URL, its path and
    /// query, the user information, each path segment not known to be safe and each query value.
    /// Used on every text that leaves the sender (client errors, response bodies).
    pub fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<String> = vec![self.raw.clone()];
        if let Some(pq) = self.uri.path_and_query() {
            if pq.as_str() != "/" {
                secrets.push(pq.as_str().to_owned());
            }
        }
        if let Some(authority) = self.uri.authority() {
            if let Some((userinfo, _)) = authority.as_str().rsplit_once('@') {
                secrets.push(userinfo.to_owned());
                if let Some((_, password)) = userinfo.split_once(':') {
                    secrets.push(password.to_owned());
                }
            }
        }
        secrets.extend(
            self.uri.path().split('/').filter(|s| !s.is_empty() && !is_known_safe_segment(s)).map(str::to_owned),
        );
        if let Some(query) = self.uri.query() {
            secrets.push(query.to_owned());
            for pair in query.split('&') {
                let value = pair.split_once('=').map_or(pair, |(_, v)| v);
                secrets.push(value.to_owned());
            }
        }
        // Short pieces (`v1`, `hooks`) are not secrets and would mangle unrelated words.
        secrets.retain(|s| s.len() >= 6);
        // Longest first, so that a segment never breaks the replacement of the whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in &secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

/// The port of an authority (`user@host:port`, `[::1]:port`) as written, if one is given.
fn port_text(authority: &str) -> Option<&str> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, rest)| rest);
    let after_host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?.1,
        None => host_port.find(':').map_or("", |colon| &host_port[colon..]),
    };
    after_host.strip_prefix(':')
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.redacted())
    }
}

impl serde::Serialize for WebhookUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T0SECRET1/B0SECRET2/XXXXsecrettokenXXXX";

    #[test]
    fn slack_url_redacts_everything_after_services() {
        let url = WebhookUrl::parse(SLACK).unwrap();
        assert_eq!(url.to_string(), "https://hooks.slack.com/services/***");
        assert_eq!(format!("{url:?}"), "WebhookUrl(https://hooks.slack.com/services/***)");
        assert_eq!(serde_json::to_string(&url).unwrap(), "\"https://hooks.slack.com/services/***\"");
    }

    #[test]
    fn single_segment_and_query_urls_hide_the_segment_and_query() {
        let url = WebhookUrl::parse("https://example.com:8443/tok3n-abcdef?key=s3cr3t-value").unwrap();
        assert_eq!(url.redacted(), "https://example.com:8443/***");
        let scrubbed = url.scrub("GET /tok3n-abcdef?key=s3cr3t-value failed; value s3cr3t-value");
        assert!(!scrubbed.contains("tok3n-abcdef") && !scrubbed.contains("s3cr3t-value"), "{scrubbed}");
    }

    #[test]
    fn only_known_safe_segments_are_shown() {
        let cases = [
            (SLACK, "https://hooks.slack.com/services/***"),
            ("https://hooks.example.com/T0KEN-abcdef", "https://hooks.example.com/***"),
            // The token first and more after it: the first segment used to be shown.
            ("http://127.0.0.1:8080/T0KEN-abcdef/notify", "http://127.0.0.1:8080/***"),
            ("https://example.com/hooks?token=s3cr3t-value", "https://example.com/hooks/***"),
            ("https://example.com/api/v1/T0KEN-abcdef?x=s3cr3t-value", "https://example.com/api/v1/***"),
            ("https://example.com/T0KEN-abcdef/services", "https://example.com/***"),
            ("https://user:p4ssw0rd-long@example.com/x", "https://example.com/***"),
            ("https://example.com/?token=s3cr3t-value", "https://example.com/***"),
            ("https://example.com/hooks", "https://example.com/hooks"),
            ("https://example.com", "https://example.com/"),
        ];
        for (url, redacted) in cases {
            let parsed = WebhookUrl::parse(url).unwrap();
            assert_eq!(parsed.redacted(), redacted, "{url}");
            for secret in ["T0KEN-abcdef", "s3cr3t-value", "p4ssw0rd-long"].into_iter().filter(|s| url.contains(s)) {
                let shown = format!("{parsed} {parsed:?} {}", serde_json::to_string(&parsed).unwrap());
                assert!(!shown.contains(secret), "{shown}");
                assert!(!parsed.scrub(&format!("failed: {url}; {secret}")).contains(secret), "{url}");
            }
        }
    }

    #[test]
    fn scrub_removes_the_url_and_its_token_segments() {
        let url = WebhookUrl::parse(SLACK).unwrap();
        let text = format!("error sending request for url ({SLACK}): B0SECRET2 XXXXsecrettokenXXXX");
        let scrubbed = url.scrub(&text);
        for secret in ["T0SECRET1", "B0SECRET2", "XXXXsecrettokenXXXX"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(scrubbed.contains("error sending request"));
    }

    #[test]
    fn refuses_plain_http_except_to_loopback() {
        assert_eq!(WebhookUrl::parse("http://hooks.example.com/x/y"), Err(UrlProblem::PlainHttp));
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/x").is_ok());
        assert!(WebhookUrl::parse("http://[::1]:8080/x").is_ok());
        assert!(WebhookUrl::parse("http://localhost/x").is_ok());
        assert_eq!(WebhookUrl::parse("ftp://example.com/x"), Err(UrlProblem::Scheme));
        assert_eq!(WebhookUrl::parse("hooks.slack.com/services/x"), Err(UrlProblem::Malformed));
        assert_eq!(WebhookUrl::parse("not a url"), Err(UrlProblem::Whitespace));
        assert_eq!(WebhookUrl::parse("not-a-url"), Err(UrlProblem::Malformed));
        assert_eq!(WebhookUrl::parse("http://127.0.0.1:83621/x"), Err(UrlProblem::Port));
        assert_eq!(WebhookUrl::parse("http://127.0.0.1:0/x"), Err(UrlProblem::Port));
        assert_eq!(WebhookUrl::parse("https://example.com/a b"), Err(UrlProblem::Whitespace));
    }

    #[test]
    fn user_information_is_never_shown() {
        let url = WebhookUrl::parse("https://bot:p4ssw0rd-long@example.com/hook/abcdefgh").unwrap();
        assert_eq!(url.redacted(), "https://example.com/hook/***");
        assert!(!url.scrub("auth bot:p4ssw0rd-long").contains("p4ssw0rd"));
    }
}
