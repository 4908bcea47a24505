//! Posting messages: retries, backoff, timeouts, and an outcome per message that tells the
//! caller what to keep.
//!
//! Every message ends [`Outcome::Delivered`] or [`Outcome::Undelivered`]; nothing is dropped.
//! The caller keeps undelivered messages pending and passes them first on the next run.
//! 429, 5xx, connection failures and timeouts are retried with exponential backoff and jitter,
//! honouring `Retry-After` (seconds or an HTTP date) up to a cap; other 4xx answers are
//! permanent for that payload. Each request has a timeout and the whole batch a deadline, so a
//! webhook that never answers costs a bounded time.
//!
//! Ordering: the parts of one message are sent in order and a part is not sent after an
//! earlier part of the same message failed; after a failure that concerns the endpoint rather
//! than the payload (unreachable, timing out, 5xx/429 past the retries, 401/403/404/410), the
//! target's remaining messages in the batch are not attempted. Skipped messages are
//! `Undelivered` with zero attempts and stay pending, in order, for the next run.
//!
//! Duplicates: a webhook call is not idempotent, so a request that timed out or lost its
//! connection after the endpoint processed it is sent again by the retry. JSON receivers can
//! drop such duplicates by the `Idempotency-Key` header (also in the body); for Slack this is
//! the one case where a part can appear twice. Everything else (resending after a crash,
//! after partial delivery of a multi-part message) is idempotent as long as the caller marks
//! each part delivered as soon as its outcome is `Delivered`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::message::Message;
use crate::target::{Target, TargetError, TargetKind, TargetRef, TargetResolver};

/// How hard to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts per message, the first included.
    pub max_attempts: u32,
    /// The first backoff; doubled after each failed attempt, up to `max_backoff`. The wait is
    /// drawn between half of it and all of it (jitter), so that many senders do not retry in step.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more gets the message next run.
    pub max_retry_after: Duration,
    /// From sending a request to receiving the response's status and headers.
    pub request_timeout: Duration,
    /// For the TCP connection (and, through `request_timeout`, the TLS handshake).
    pub connect_timeout: Duration,
    /// For one call of [`Sender::deliver_all`] (or [`Sender::deliver`]) as a whole.
    pub deadline: Duration,
    /// The least time between two posts to the same Slack webhook: Slack allows about one
    /// message per second per webhook, with short bursts.
    pub slack_min_interval: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(300),
            slack_min_interval: Duration::from_secs(1),
        }
    }
}

/// Why a message was not delivered. Texts from elsewhere (client errors, response bodies) are
/// scrubbed of the URL's secret parts before they are stored here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The endpoint answered with a status other than 2xx.
    Status { status: u16, body: String },
    /// No response within the request timeout.
    Timeout { after: Duration },
    /// The connection could not be made (refused, DNS, TLS handshake).
    Connect { detail: String },
    /// The connection failed after it was made (reset, closed before the answer).
    Transport { detail: String },
    /// HTTPS without any trusted root certificate on this system.
    NoTrustRoots,
    /// The server asked to wait longer than the policy allows.
    RetryAfterTooLong { status: u16, requested: Duration, cap: Duration },
    /// The batch deadline came before the message could be (re)tried; `last` is the failure
    /// of the last attempt, if there was one.
    DeadlineReached { last: Option<Box<Failure>> },
    /// Not attempted in this run, to keep order or spare a failing endpoint.
    Skipped { reason: String },
    /// The target's URL could not be found.
    Unresolved { error: TargetError },
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => *status == 429 || (500..600).contains(status),
            Failure::Timeout { .. } | Failure::Connect { .. } | Failure::Transport { .. } => true,
            _ => false,
        }
    }

    /// A rejection of this payload that resending the same bytes cannot fix.
    fn permanent(&self) -> bool {
        matches!(self, Failure::Status { status, .. } if (400..500).contains(status) && *status != 429)
    }

    /// Whether the failure is about this payload only (the target may take the next message).
    fn payload_only(&self) -> bool {
        matches!(self, Failure::Status { status: 400 | 413 | 422, .. })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { status, body } => {
                let reason = http::StatusCode::from_u16(*status).ok().and_then(|s| s.canonical_reason());
                write!(f, "answered {status}")?;
                if let Some(reason) = reason {
                    write!(f, " {reason}")?;
                }
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            Failure::Timeout { after } => write!(f, "no answer within {}", human(*after)),
            Failure::Connect { detail } => write!(f, "cannot connect: {detail}"),
            Failure::Transport { detail } => write!(f, "connection failed: {detail}"),
            Failure::NoTrustRoots => f.write_str(
                "no trusted root certificate found on this system for HTTPS (install the `ca-certificates` package)",
            ),
            Failure::RetryAfterTooLong { status, requested, cap } => write!(
                f,
                "answered {status} and asked to retry after {}, more than the {} allowed; kept for the next run",
                human(*requested),
                human(*cap)
            ),
            Failure::DeadlineReached { last: Some(last) } => {
                write!(f, "{last}; the delivery deadline was reached before another attempt")
            }
            Failure::DeadlineReached { last: None } => {
                f.write_str("the delivery deadline was reached before any attempt")
            }
            Failure::Skipped { reason } => write!(f, "not attempted: {reason}"),
            Failure::Unresolved { error } => write!(f, "{error}"),
        }
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// A failure with the target it concerns. Displays as
/// ``webhook `slack:team-a` (https://hooks.slack.com/services/***): answered 404 Not Found: no_service``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub target: TargetRef,
    /// The redacted URL, when the target resolved.
    pub endpoint: Option<String>,
    pub failure: Failure,
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.endpoint {
            Some(endpoint) => write!(f, "webhook `{}` ({endpoint}): {}", self.target, self.failure),
            None => write!(f, "webhook `{}`: {}", self.target, self.failure),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The endpoint answered 2xx: mark the message delivered.
    Delivered { attempts: u32 },
    /// Keep the message pending. `permanent`: the endpoint rejected this payload (4xx other
    /// than 429), so resending it unchanged will likely fail again; the caller decides how long
    /// to keep it and shows `error` each run.
    Undelivered { attempts: u32, error: DeliveryError, permanent: bool },
}

impl Outcome {
    pub fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered { .. })
    }

    pub fn attempts(&self) -> u32 {
        match self {
            Outcome::Delivered { attempts } | Outcome::Undelivered { attempts, .. } => *attempts,
        }
    }
}

/// The outcome of one message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub key: String,
    pub target: TargetRef,
    pub outcome: Outcome,
}

/// Errors setting up the sender. The cause is part of the message, not a `source()`, so that
/// printing the error with its chain (anyhow's `{:#}`) says it once.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot set up TLS for webhooks: {0}")]
    Tls(String),
    #[error("cannot start the runtime for webhook delivery: {0}")]
    Runtime(std::io::Error),
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Sends messages over HTTP(S), with the TLS stack the AWS SDK also uses (rustls with
/// aws-lc-rs, the system's root certificates).
pub struct Sender {
    client: HttpClient,
    policy: DeliveryPolicy,
    has_trust_roots: bool,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("policy", &self.policy).field("has_trust_roots", &self.has_trust_roots).finish()
    }
}

/// Response bodies are read for error messages only: a little is enough.
const MAX_BODY_READ: usize = 64 * 1024;
const MAX_BODY_SHOWN: usize = 300;

struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl Sender {
    pub fn new(policy: DeliveryPolicy) -> Result<Sender, SetupError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let (added, _unparsable) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SetupError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(policy.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Sender { client, policy, has_trust_roots: added > 0 })
    }

    pub fn policy(&self) -> &DeliveryPolicy {
        &self.policy
    }

    /// Delivers one message to `target`, retrying within the policy's deadline.
    pub async fn deliver(&self, target: &Target, message: &Message) -> Outcome {
        let deadline = Instant::now() + self.policy.deadline;
        self.deliver_until(target, message, deadline).await
    }

    /// Delivers `messages` in order (pending ones from earlier runs first, then this run's),
    /// resolving each target once through `resolver`. One outcome per message, in order.
    pub async fn deliver_all(&self, messages: &[Message], resolver: &TargetResolver) -> Vec<Delivery> {
        let deadline = Instant::now() + self.policy.deadline;
        let mut targets: HashMap<TargetRef, Result<Target, TargetError>> = HashMap::new();
        // Target → why its remaining messages are skipped.
        let mut unavailable: HashMap<TargetRef, String> = HashMap::new();
        // (run, owner, target) of messages with an undelivered part.
        let mut broken: HashSet<(String, String, TargetRef)> = HashSet::new();
        let mut last_post: HashMap<TargetRef, Instant> = HashMap::new();
        let mut deliveries = Vec::with_capacity(messages.len());

        for message in messages {
            let logical = (message.run_id.clone(), message.owner.clone(), message.target.clone());
            let target = targets.entry(message.target.clone()).or_insert_with(|| resolver.resolve(&message.target));
            let skip = |failure: Failure, endpoint: Option<String>| Outcome::Undelivered {
                attempts: 0,
                error: DeliveryError { target: message.target.clone(), endpoint, failure },
                permanent: false,
            };
            let outcome = match target {
                Err(error) => skip(Failure::Unresolved { error: error.clone() }, None),
                Ok(target) => {
                    let endpoint = Some(target.url().redacted());
                    if let Some(reason) = unavailable.get(&message.target) {
                        skip(Failure::Skipped { reason: reason.clone() }, endpoint)
                    } else if broken.contains(&logical) {
                        let reason = "an earlier part of this message was not delivered, and parts are sent in order";
                        skip(Failure::Skipped { reason: reason.to_owned() }, endpoint)
                    } else {
                        if target.reference().kind() == TargetKind::Slack {
                            if let Some(last) = last_post.get(&message.target) {
                                let ready = *last + self.policy.slack_min_interval;
                                let now = Instant::now();
                                if ready > now {
                                    tokio::time::sleep((ready - now).min(deadline.saturating_duration_since(now)))
                                        .await;
                                }
                            }
                        }
                        let outcome = self.deliver_until(target, message, deadline).await;
                        last_post.insert(message.target.clone(), Instant::now());
                        if let Outcome::Undelivered { error, .. } = &outcome {
                            if !error.failure.payload_only() {
                                unavailable.insert(
                                    message.target.clone(),
                                    format!(
                                        "an earlier message to `{}` failed in this run ({})",
                                        message.target, error.failure
                                    ),
                                );
                            }
                        }
                        outcome
                    }
                }
            };
            if !outcome.is_delivered() {
                broken.insert(logical);
            }
            deliveries.push(Delivery { key: message.key.clone(), target: message.target.clone(), outcome });
        }
        deliveries
    }

    async fn deliver_until(&self, target: &Target, message: &Message, deadline: Instant) -> Outcome {
        let url = target.url();
        let error = |failure: Failure| DeliveryError {
            target: target.reference().clone(),
            endpoint: Some(url.redacted()),
            failure,
        };
        if url.is_https() && !self.has_trust_roots {
            return Outcome::Undelivered { attempts: 0, error: error(Failure::NoTrustRoots), permanent: false };
        }
        let body = Bytes::from(message.body());
        let mut attempts = 0;
        let mut last: Option<Failure> = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                let failure = Failure::DeadlineReached { last: last.map(Box::new) };
                return Outcome::Undelivered { attempts, error: error(failure), permanent: false };
            }
            attempts += 1;
            let timeout = self.policy.request_timeout.min(deadline - now);
            let answer = self.post_once(target, message, body.clone(), timeout).await;
            let (failure, retry_after) = match answer {
                Ok(answer) if (200..300).contains(&answer.status) => return Outcome::Delivered { attempts },
                Ok(answer) => (Failure::Status { status: answer.status, body: answer.body }, answer.retry_after),
                Err(failure) => (failure, None),
            };
            if !failure.retryable() || attempts >= self.policy.max_attempts {
                let permanent = failure.permanent();
                return Outcome::Undelivered { attempts, error: error(failure), permanent };
            }
            let wait = match retry_after {
                Some(requested) if requested > self.policy.max_retry_after => {
                    let status = match failure {
                        Failure::Status { status, .. } => status,
                        _ => 0,
                    };
                    let failure = Failure::RetryAfterTooLong { status, requested, cap: self.policy.max_retry_after };
                    return Outcome::Undelivered { attempts, error: error(failure), permanent: false };
                }
                Some(requested) => requested,
                None => self.backoff(attempts),
            };
            if Instant::now() + wait >= deadline {
                let failure = Failure::DeadlineReached { last: Some(Box::new(failure)) };
                return Outcome::Undelivered { attempts, error: error(failure), permanent: false };
            }
            last = Some(failure);
            tokio::time::sleep(wait).await;
        }
    }

    /// The wait after failed attempt `attempt` (1-based): exponential, with equal jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let full = self.policy.initial_backoff.saturating_mul(1 << exponent).min(self.policy.max_backoff);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }

    async fn post_once(
        &self,
        target: &Target,
        message: &Message,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        let url = target.url();
        let mut request = http::Request::post(url.uri().clone())
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header(USER_AGENT, concat!("mamori/", env!("CARGO_PKG_VERSION")));
        if let Ok(key) = HeaderValue::from_str(&message.key) {
            request = request.header("Idempotency-Key", key);
        }
        let request =
            request.body(Full::new(body)).map_err(|e| Failure::Transport { detail: url.scrub(&e.to_string()) })?;
        let response = match tokio::time::timeout(timeout, self.client.request(request)).await {
            Err(_) => return Err(Failure::Timeout { after: timeout }),
            Ok(Err(e)) => {
                let detail = url.scrub(&error_chain(&e));
                return Err(if e.is_connect() { Failure::Connect { detail } } else { Failure::Transport { detail } });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let retry_after = parse_retry_after(response.headers(), SystemTime::now());
        // The status decides; the body only explains a failure, so it gets a short time and a
        // failure to read it is not a failure to deliver.
        let read = Limited::new(response.into_body(), MAX_BODY_READ).collect();
        let body = match tokio::time::timeout(Duration::from_secs(2).min(timeout), read).await {
            Ok(Ok(collected)) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            _ => String::new(),
        };
        Ok(Answer { status, retry_after, body: shorten(&url.scrub(body.trim())) })
    }
}

fn shorten(text: &str) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.chars().count() <= MAX_BODY_SHOWN {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_BODY_SHOWN).collect();
    cut.push('…');
    cut
}

/// The causes of a client error, joined; the client's own wrapper (`client error (Connect)`)
/// says less than its cause, so it is left out when there is one.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let first = error.source().unwrap_or(error);
    let mut parts = vec![first.to_string()];
    let mut source = first.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP date (a date in the past
/// means no wait). Unparsable values are ignored (the backoff applies).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A [`Sender`] for synchronous callers (the CLI): owns a single-threaded runtime. Do not use
/// it from inside an async runtime; use [`Sender`] there.
pub struct BlockingSender {
    runtime: tokio::runtime::Runtime,
    sender: Sender,
}

impl fmt::Debug for BlockingSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingSender").field("sender", &self.sender).finish_non_exhaustive()
    }
}

impl BlockingSender {
    pub fn new(policy: DeliveryPolicy) -> Result<BlockingSender, SetupError> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(SetupError::Runtime)?;
        Ok(BlockingSender { runtime, sender: Sender::new(policy)? })
    }

    pub fn deliver(&self, target: &Target, message: &Message) -> Outcome {
        self.runtime.block_on(self.sender.deliver(target, message))
    }

    pub fn deliver_all(&self, messages: &[Message], resolver: &TargetResolver) -> Vec<Delivery> {
        self.runtime.block_on(self.sender.deliver_all(messages, resolver))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_errors_say_their_cause_once() {
        let error = SetupError::Runtime(std::io::Error::other("too many open files"));
        // anyhow's `{:#}` appends every `source()`: the cause must be in one place only.
        assert!(std::error::Error::source(&error).is_none());
        assert_eq!(error.to_string(), "cannot start the runtime for webhook delivery: too many open files");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&earlier).unwrap());
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = DeliveryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..DeliveryPolicy::default()
        };
        let sender = Sender::new(policy).unwrap();
        for _ in 0..50 {
            let first = sender.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = sender.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400), "{third:?}");
            let tenth = sender.backoff(10);
            assert!(tenth >= Duration::from_millis(250) && tenth <= Duration::from_millis(500), "{tenth:?}");
        }
    }

    #[test]
    fn classification() {
        let status = |status| Failure::Status { status, body: String::new() };
        assert!(status(429).retryable() && !status(429).permanent());
        assert!(status(503).retryable() && !status(503).permanent());
        assert!(!status(400).retryable() && status(400).permanent() && status(400).payload_only());
        assert!(status(404).permanent() && !status(404).payload_only());
        assert!(Failure::Timeout { after: Duration::from_secs(1) }.retryable());
    }
}
