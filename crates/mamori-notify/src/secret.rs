//! Webhook URLs are credentials: whoever holds a Slack incoming-webhook URL can post to the
//! channel, and a generic webhook usually carries its token in the path or the query. This
//! module makes printing one whole impossible by accident: [`WebhookUrl`] displays, debugs and
//! serializes as `scheme://host/first-segment/***`, and [`WebhookUrl::scrub`] removes every
//! secret part from text that came from elsewhere (HTTP client errors, response bodies).

use std::fmt;
use std::net::IpAddr;

use http::Uri;

/// Why a URL was refused, without the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute `http(s)://host/...` URL.
    Malformed,
    /// A scheme other than `https` (or `http` to a loopback address).
    Scheme,
    /// Plain `http` to a host that is not a loopback address: the token would cross the
    /// network in clear.
    PlainHttp,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlProblem::Malformed => "is not an absolute URL (expected `https://host/path`)",
            UrlProblem::Scheme => "must use the `https` scheme",
            UrlProblem::PlainHttp => "uses plain `http` to a host that is not a loopback address; use `https`",
        })
    }
}

/// A webhook URL. Never printed whole: see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    uri: Uri,
    raw: String,
}

impl WebhookUrl {
    /// Parses `text` (surrounding whitespace ignored). Only `https` is accepted, and `http` to
    /// a loopback address (a local relay, or the tests).
    pub fn parse(text: &str) -> Result<WebhookUrl, UrlProblem> {
        let raw = text.trim();
        let uri: Uri = raw.parse().map_err(|_| UrlProblem::Malformed)?;
        let host = uri.host().ok_or(UrlProblem::Malformed)?;
        if host.is_empty() {
            return Err(UrlProblem::Malformed);
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

    /// `https://hooks.slack.com/services/***`: scheme, host, port and the first path segment,
    /// which name the service but hold no secret; everything after is masked.
    pub fn redacted(&self) -> String {
        let scheme = self.uri.scheme_str().unwrap_or("https");
        let host = self.uri.host().unwrap_or("");
        let port = self.uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
        let first_segment = self.uri.path().split('/').find(|s| !s.is_empty());
        match first_segment {
            Some(segment) if self.has_more_than_one_segment_or_query() => {
                format!("{scheme}://{host}{port}/{segment}/***")
            }
            _ => format!("{scheme}://{host}{port}/***"),
        }
    }

    fn has_more_than_one_segment_or_query(&self) -> bool {
        self.uri.path().split('/').filter(|s| !s.is_empty()).count() > 1
    }

    /// `text` with every secret part of this URL replaced by `***`: the whole URL, its path and
    /// query, the user information, and each path segment after the first and each query value.
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
            }
        }
        secrets.extend(self.uri.path().split('/').filter(|s| !s.is_empty()).skip(1).map(str::to_owned));
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
        assert_eq!(WebhookUrl::parse("not a url"), Err(UrlProblem::Malformed));
    }

    #[test]
    fn user_information_is_never_shown() {
        let url = WebhookUrl::parse("https://bot:p4ssw0rd-long@example.com/hook/abcdefgh").unwrap();
        assert_eq!(url.redacted(), "https://example.com/hook/***");
        assert!(!url.scrub("auth bot:p4ssw0rd-long").contains("p4ssw0rd"));
    }
}
