//! A fault-injecting HTTP proxy to put between the AWS SDK and the emulator.
//!
//! moto answers every request at once and never throttles, so a test against it
//! alone never takes the paths mamori depends on against real AWS: retries after
//! `Throttling`, `RequestLimitExceeded` or `SlowDown`, retries after 5xx, slow
//! answers, and a single API that a role is not allowed to call. Issue 3 asks that
//! an audit through such faults finds exactly what a clean run finds, and that a
//! permanently failing API turns into ERROR for exactly the rules that need it.
//!
//! [`FaultProxy`] listens on a free port of 127.0.0.1 and relays HTTP/1.1 to the
//! emulator (keep-alive towards the client, `Content-Length` or chunked bodies both
//! ways). For each request it decides, in this order:
//!
//! 1. A [`FaultRule`] matches (service, operation, optional substring, region or
//!    predicate): the proxy answers with the rule's error, every time.
//! 2. A draw from a seeded SplitMix64 sequence falls into the throttling, server
//!    error or slow share: the proxy answers with a throttling error, with a 500
//!    or 503, or waits before relaying.
//! 3. Otherwise a [`StandIn`] for the request's service answers it, when one was added
//!    and knows the operation (see [`crate::standin`]: operations the emulator lacks).
//! 4. Otherwise it relays the request and returns the emulator's answer, corrected by the
//!    [`rewrite_response`](FaultProxyBuilder::rewrite_response) rules that match it.
//!
//! Errors are written in the wire form of the request's protocol (query XML, EC2
//! XML, S3 XML, REST-XML, JSON), so it is the SDK's own error parsing and retry
//! classification that the tests exercise. The service is the one the request was
//! signed for (the SigV4 credential scope, `Credential=AKID/date/region/iam/aws4_request`),
//! the operation its `Action=` parameter or the suffix of its `X-Amz-Target`.
//!
//! A fault replaces the emulator's call rather than following it: moto never sees
//! a faulted request, so a retried `CreateUser` does not create twice. Requests to
//! moto's own `/moto-api/` are always relayed. The proxy only ever connects to a
//! loopback upstream.
//!
//! Reproducibility: the n-th request that reaches the random draw gets the n-th
//! number of the seeded sequence. With one request in flight at a time the pattern
//! is exactly reproducible; with concurrent requests which request gets which number
//! depends on their arrival order, but the sequence of decisions, hence the shares,
//! does not.

use crate::standin::{Answer, Caller, StandIn};
use crate::MotoServer;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest request or response head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// moto answers on loopback at once; a connect that takes longer is a dead upstream.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Some moto calls (large EC2 describes) take seconds; none takes minutes.
const UPSTREAM_IO_TIMEOUT: Duration = Duration::from_secs(120);
/// SplitMix64's increment (the golden ratio in 64 bits).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Why a proxy could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// A share of requests to fault is not a number within [0, 1].
    #[error("fault share `{name}` is `{value}`, not within [0, 1]")]
    Share {
        /// Which share (`throttling`, `server_errors`, `slow`).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The shares together exceed every request.
    #[error("fault shares add up to `{sum}`, more than 1")]
    SharesOverOne {
        /// Sum of the throttling, server error and slow shares.
        sum: f64,
    },
    /// The upstream is not on 127.0.0.0/8 (tests never leave the machine).
    #[error("upstream `{0}` is not a loopback address")]
    NotLoopback(SocketAddr),
    /// No port could be opened on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[source] io::Error),
    /// The accepting thread could not be started.
    #[error("cannot start the proxy thread: {0}")]
    Spawn(#[source] io::Error),
}

/// The status, AWS error code and message a [`FaultRule`] answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    code: String,
    message: String,
}

/// What a [`FaultRule`] matches besides service, region and substrings.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// Every request of the service.
    Any,
    /// `Action=<name>` or `X-Amz-Target: <Prefix>.<name>`.
    Operation(String),
    /// A REST operation: method and a substring of the path.
    Rest { method: String, path: String },
}

type Predicate = Arc<dyn Fn(&RequestInfo) -> bool + Send + Sync>;

/// A permanent failure: every request it matches is answered with an error and
/// never reaches the emulator.
///
/// ```no_run
/// # use mamori_testkit::proxy::FaultRule;
/// // IAM ListUsers always denied.
/// FaultRule::operation("iam", "ListUsers");
/// // sts:AssumeRole denied for one role only (the substring is looked for in the
/// // path, the body and their URL-decoded forms).
/// FaultRule::operation("sts", "AssumeRole").containing("arn:aws:iam::111111111111:role/audit");
/// // GuardDuty ListDetectors (REST-JSON) answering 500 in eu-west-1.
/// FaultRule::rest("guardduty", "GET", "/detector")
///     .in_region("eu-west-1")
///     .respond(500, "InternalServerErrorException", "internal failure");
/// ```
///
/// Without [`respond`](FaultRule::respond) the answer is the service's access
/// denied error: HTTP 403 with `AccessDenied` (query, REST-XML and S3 protocols),
/// `UnauthorizedOperation` (EC2) or `AccessDeniedException` (JSON protocols).
#[derive(Clone)]
pub struct FaultRule {
    service: String,
    target: Target,
    region: Option<String>,
    needles: Vec<String>,
    predicate: Option<Predicate>,
    reply: Option<Reply>,
}

impl fmt::Debug for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultRule")
            .field("service", &self.service)
            .field("target", &self.target)
            .field("region", &self.region)
            .field("needles", &self.needles)
            .field("predicate", &self.predicate.as_ref().map(|_| "<fn>"))
            .field("reply", &self.reply)
            .finish()
    }
}

impl FaultRule {
    fn new(service: &str, target: Target) -> FaultRule {
        FaultRule {
            service: service.to_string(),
            target,
            region: None,
            needles: Vec::new(),
            predicate: None,
            reply: None,
        }
    }

    /// Every request signed for `service`, the SigV4 signing name (`iam`, `sts`,
    /// `ec2`, `s3` (also S3 Control), `elasticloadbalancing`, `access-analyzer`, ...).
    pub fn service(service: &str) -> FaultRule {
        FaultRule::new(service, Target::Any)
    }

    /// The operation `operation` of `service`: a query request with
    /// `Action=<operation>` (IAM, STS, EC2, RDS, ELBv2, ...) or a JSON request with
    /// `X-Amz-Target: <Prefix>.<operation>` (KMS, Organizations, Config, CloudTrail, ...).
    pub fn operation(service: &str, operation: &str) -> FaultRule {
        FaultRule::new(service, Target::Operation(operation.to_string()))
    }

    /// A REST operation of `service` (S3, CloudFront, GuardDuty, Lambda, ...): the
    /// HTTP method (any case) and a substring of the request path.
    pub fn rest(service: &str, method: &str, path_contains: &str) -> FaultRule {
        FaultRule::new(service, Target::Rest { method: method.to_ascii_uppercase(), path: path_contains.to_string() })
    }

    /// Only requests containing `needle` in the path, the query, the body or their
    /// URL-decoded forms (a role ARN in an `AssumeRole` form body is encoded).
    /// Several calls must all match.
    pub fn containing(mut self, needle: &str) -> FaultRule {
        self.needles.push(needle.to_string());
        self
    }

    /// Only requests signed for `region`.
    pub fn in_region(mut self, region: &str) -> FaultRule {
        self.region = Some(region.to_string());
        self
    }

    /// Only requests for which `predicate` holds (for instance one access key, that
    /// is one account's assumed-role credentials).
    pub fn when(mut self, predicate: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static) -> FaultRule {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Answers with HTTP `status`, AWS error code `code` and `message` instead of
    /// the service's access denied error.
    pub fn respond(mut self, status: u16, code: &str, message: &str) -> FaultRule {
        self.reply = Some(Reply { status, code: code.to_string(), message: message.to_string() });
        self
    }

    fn matches(&self, req: &RequestInfo) -> bool {
        if req.service() != Some(self.service.as_str()) {
            return false;
        }
        let target = match &self.target {
            Target::Any => true,
            Target::Operation(op) => req.operation() == Some(op.as_str()),
            Target::Rest { method, path } => {
                req.method().eq_ignore_ascii_case(method)
                    && (req.path().contains(path.as_str()) || percent_decode(req.path(), false).contains(path.as_str()))
            }
        };
        target
            && self.region.as_deref().is_none_or(|r| req.region() == Some(r))
            && self.needles.iter().all(|n| req.contains(n))
            && self.predicate.as_ref().is_none_or(|p| p(req))
    }

    fn reply(&self, req: &RequestInfo, protocol: &Protocol) -> Reply {
        if let Some(reply) = &self.reply {
            return reply.clone();
        }
        let action = match (req.service(), req.operation()) {
            (Some(s), Some(op)) => format!("{s}:{op}"),
            (Some(s), None) => format!("{s}:{} {}", req.method(), req.path()),
            (None, _) => format!("{} {}", req.method(), req.path()),
        };
        let message = format!("User is not authorized to perform: {action}");
        let code = match protocol {
            Protocol::Ec2 => "UnauthorizedOperation",
            Protocol::Json(_) => "AccessDeniedException",
            Protocol::Query | Protocol::RestXml | Protocol::S3 => "AccessDenied",
        };
        Reply { status: 403, code: code.to_string(), message }
    }
}

/// A request as the proxy read it, given to [`FaultRule::when`] predicates.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The body came with `Content-Length` or chunked (so it is relayed with a length).
    framed: bool,
    service: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    operation: Option<String>,
    /// URL-decoded target and form body, for substring matching.
    decoded: String,
}

impl RequestInfo {
    /// The HTTP method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(p, _)| p)
    }

    /// The request target as sent: path and query.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body (chunked bodies already joined).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The signing service of the SigV4 credential scope.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The signing region of the SigV4 credential scope.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The access key id of the SigV4 credential scope.
    pub fn access_key_id(&self) -> Option<&str> {
        self.access_key_id.as_deref()
    }

    /// `Action=` of a query request, or the operation of `X-Amz-Target`.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// Whether `needle` is in the target, the body, or their URL-decoded forms.
    pub fn contains(&self, needle: &str) -> bool {
        self.target.contains(needle)
            || self.decoded.contains(needle)
            || String::from_utf8_lossy(&self.body).contains(needle)
    }

    fn is_form(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
    }

    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.version.eq_ignore_ascii_case("HTTP/1.0") {
            connection.contains("keep-alive")
        } else {
            !connection.contains("close")
        }
    }

    /// Fills in what is derived from the raw request: credential scope, operation
    /// and the decoded text for substring matching.
    fn derive(&mut self) {
        let credential = self
            .header("authorization")
            .and_then(|auth| auth.split_once("Credential="))
            .map(|(_, rest)| rest.split([',', ' ']).next().unwrap_or("").to_string())
            .or_else(|| query_param(&self.target, "X-Amz-Credential"));
        if let Some(credential) = credential {
            // AKID/date/region/service/aws4_request
            let parts: Vec<&str> = credential.split('/').collect();
            if parts.len() == 5 {
                self.access_key_id = Some(parts[0].to_string());
                self.region = Some(parts[2].to_string());
                self.service = Some(parts[3].to_string());
            }
        }
        let form_body = if self.is_form() { String::from_utf8_lossy(&self.body).into_owned() } else { String::new() };
        self.operation = self
            .header("x-amz-target")
            .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
            .or_else(|| form_param(&form_body, "Action"))
            .or_else(|| query_param(&self.target, "Action"));
        self.decoded = format!("{}\n{}", percent_decode(&self.target, true), percent_decode(&form_body, true));
    }
}

/// The wire form of errors of the service a request is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Protocol {
    /// awsQuery: `<ErrorResponse><Error>..</Error></ErrorResponse>`.
    Query,
    /// ec2Query: `<Response><Errors><Error>..</Error></Errors></Response>`.
    Ec2,
    /// restXml with wrapped errors (CloudFront, Route 53, S3 Control).
    RestXml,
    /// S3's unwrapped `<Error>..</Error>`.
    S3,
    /// awsJson 1.0/1.1 and restJson: `__type` and `x-amzn-ErrorType`, with this content type.
    Json(String),
}

impl Protocol {
    fn of(req: &RequestInfo) -> Protocol {
        let content_type = req.header("content-type").unwrap_or("").to_ascii_lowercase();
        if content_type.starts_with("application/x-amz-json") {
            return Protocol::Json(content_type);
        }
        if req.header("x-amz-target").is_some() {
            return Protocol::Json("application/x-amz-json-1.1".to_string());
        }
        match req.service() {
            Some("ec2") => Protocol::Ec2,
            // S3 Control is signed as `s3` too, under its own path prefix.
            Some("s3") if !req.path().starts_with("/v20180820/") => Protocol::S3,
            Some("s3" | "cloudfront" | "route53") => Protocol::RestXml,
            _ if req.operation().is_some() => Protocol::Query,
            _ => Protocol::Json("application/json".to_string()),
        }
    }
}

/// Counters of what the proxy did, from [`FaultProxy::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests read from clients.
    pub requests: u64,
    /// Requests relayed to the upstream and answered by it (slow ones included).
    pub forwarded: u64,
    /// Answered with a throttling error.
    pub throttled: u64,
    /// Answered with a random 500 or 503.
    pub server_errors: u64,
    /// Delayed before being relayed.
    pub slow: u64,
    /// Answered by a [`FaultRule`].
    pub permanent: u64,
    /// Requests whose relay failed (answered 502).
    pub upstream_errors: u64,
    /// Requests answered by each rule, in the order the rules were added.
    pub rule_hits: Vec<u64>,
    /// Requests answered by a [`StandIn`] (faults injected in front of it not counted).
    pub stood_in: u64,
}

impl ProxyStats {
    /// Faults injected of every kind: throttled, server errors, slow and permanent.
    pub fn faults(&self) -> u64 {
        self.throttled + self.server_errors + self.slow + self.permanent
    }
}

/// Configures and starts a [`FaultProxy`]. All shares default to 0 and the seed
/// to 0: without settings the proxy relays everything unchanged.
#[derive(Clone, Debug)]
pub struct FaultProxyBuilder {
    upstream: SocketAddr,
    seed: u64,
    throttling: f64,
    server_errors: f64,
    slow: f64,
    slow_delay: Duration,
    rules: Vec<FaultRule>,
    rewrites: Vec<ResponseRewrite>,
    stand_ins: StandIns,
}

/// The stand-ins of a proxy, by service.
#[derive(Clone, Default)]
struct StandIns(Vec<Arc<dyn StandIn>>);

impl fmt::Debug for StandIns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|s| s.service())).finish()
    }
}

/// Replaces text in the emulator's answers to matching requests: for emulator answers the
/// AWS SDK for Rust cannot parse although AWS's own would parse (see
/// [`FaultProxyBuilder::rewrite_response`]). Never used to change what a resource is.
#[derive(Clone)]
pub struct ResponseRewrite {
    matches: Arc<dyn Fn(&RequestInfo) -> bool + Send + Sync>,
    from: String,
    to: String,
}

impl fmt::Debug for ResponseRewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseRewrite").field("from", &self.from).field("to", &self.to).finish()
    }
}

impl FaultProxyBuilder {
    /// A proxy in front of `upstream`, which must be a loopback address.
    pub fn new(upstream: SocketAddr) -> FaultProxyBuilder {
        FaultProxyBuilder {
            upstream,
            seed: 0,
            throttling: 0.0,
            server_errors: 0.0,
            slow: 0.0,
            slow_delay: Duration::ZERO,
            rules: Vec::new(),
            rewrites: Vec::new(),
            stand_ins: StandIns::default(),
        }
    }

    /// Answers the requests of `stand_in`'s service that it knows, instead of the emulator
    /// (for operations the emulator lacks; see [`crate::standin`]). A later stand-in for the
    /// same service comes after the earlier ones.
    pub fn stand_in(mut self, stand_in: Arc<dyn StandIn>) -> FaultProxyBuilder {
        self.stand_ins.0.push(stand_in);
        self
    }

    /// In answers to requests `matches` accepts, replaces `from` by `to`. For emulator answers
    /// whose shape differs from AWS's, e.g. moto 5.2.5 answering S3 GetBucketVersioning with a
    /// `GetBucketVersioningResponse` root element where AWS (and the SDK) use
    /// `VersioningConfiguration`.
    pub fn rewrite_response(
        mut self,
        matches: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
        from: &str,
        to: &str,
    ) -> FaultProxyBuilder {
        self.rewrites.push(ResponseRewrite { matches: Arc::new(matches), from: from.into(), to: to.into() });
        self
    }

    /// Seed of the random fault sequence.
    pub fn seed(mut self, seed: u64) -> FaultProxyBuilder {
        self.seed = seed;
        self
    }

    /// Share of requests answered with the protocol's throttling error: HTTP 400
    /// `Throttling` (query, REST-XML), 400 `ThrottlingException` (JSON), 503
    /// `RequestLimitExceeded` (EC2) or 503 `SlowDown` (S3), as those services do.
    pub fn throttling(mut self, share: f64) -> FaultProxyBuilder {
        self.throttling = share;
        self
    }

    /// Share of requests answered with HTTP 500 `InternalError` or 503
    /// `ServiceUnavailable` (about half each).
    pub fn server_errors(mut self, share: f64) -> FaultProxyBuilder {
        self.server_errors = share;
        self
    }

    /// Share of requests held for `delay` before being relayed.
    pub fn slow(mut self, share: f64, delay: Duration) -> FaultProxyBuilder {
        self.slow = share;
        self.slow_delay = delay;
        self
    }

    /// Adds a permanent failure. Rules are tried in the order added, before any
    /// random fault; the first that matches answers.
    pub fn rule(mut self, rule: FaultRule) -> FaultProxyBuilder {
        self.rules.push(rule);
        self
    }

    /// Opens a free port on 127.0.0.1 and starts serving.
    pub fn start(self) -> Result<FaultProxy, ProxyError> {
        if !self.upstream.ip().is_loopback() {
            return Err(ProxyError::NotLoopback(self.upstream));
        }
        for (name, value) in
            [("throttling", self.throttling), ("server_errors", self.server_errors), ("slow", self.slow)]
        {
            if !(0.0..=1.0).contains(&value) {
                return Err(ProxyError::Share { name, value });
            }
        }
        let sum = self.throttling + self.server_errors + self.slow;
        if sum > 1.0 + 1e-9 {
            return Err(ProxyError::SharesOverOne { sum });
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(ProxyError::Bind)?;
        let addr = listener.local_addr().map_err(ProxyError::Bind)?;
        let rule_hits = self.rules.iter().map(|_| AtomicU64::new(0)).collect();
        let shared = Arc::new(Shared {
            config: self,
            draws: AtomicU64::new(0),
            fault_ids: AtomicU64::new(0),
            counters: Counters { rule_hits, ..Counters::default() },
            registry: Mutex::new(Registry::default()),
            wake: Condvar::new(),
            accounts: Mutex::new(HashMap::new()),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("fault-proxy-accept".into())
                .spawn(move || accept_loop(&shared, listener))
                .map_err(ProxyError::Spawn)?
        };
        Ok(FaultProxy { addr, shared, acceptor: Some(acceptor) })
    }
}

/// A running fault-injecting proxy; stops (closing every connection) on drop.
///
/// ```no_run
/// # use mamori_testkit::{MotoServer, proxy::{FaultProxy, FaultRule}};
/// # use std::time::Duration;
/// let moto = MotoServer::start().unwrap();
/// let proxy = FaultProxy::in_front_of(&moto)
///     .seed(7)
///     .throttling(0.1)
///     .server_errors(0.1)
///     .slow(0.05, Duration::from_millis(200))
///     .rule(FaultRule::operation("iam", "GetAccountPasswordPolicy"))
///     .start()
///     .unwrap();
/// // Point the SDK at proxy.endpoint_url(), then read proxy.stats().
/// ```
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy").field("addr", &self.addr).field("upstream", &self.shared.config.upstream).finish()
    }
}

impl FaultProxy {
    /// A builder for a proxy in front of `upstream` (a loopback address).
    pub fn builder(upstream: SocketAddr) -> FaultProxyBuilder {
        FaultProxyBuilder::new(upstream)
    }

    /// A builder for a proxy in front of `moto`.
    pub fn in_front_of(moto: &MotoServer) -> FaultProxyBuilder {
        FaultProxyBuilder::new(SocketAddr::from((Ipv4Addr::LOCALHOST, moto.port())))
    }

    /// The proxy's address on 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`: the endpoint URL to give the SDK.
    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// A minimal HTTP/1.1 request through the proxy, e.g. to moto's `/moto-api/reset`
    /// (which also empties the stand-ins' state): status and body.
    pub fn request(&self, method: &str, path: &str, body: &str) -> io::Result<(u16, String)> {
        crate::loopback_request(self.addr.port(), method, path, body)
    }

    /// The counters so far.
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        ProxyStats {
            requests: get(&c.requests),
            forwarded: get(&c.forwarded),
            throttled: get(&c.throttled),
            server_errors: get(&c.server_errors),
            slow: get(&c.slow),
            permanent: get(&c.permanent),
            upstream_errors: get(&c.upstream_errors),
            rule_hits: c.rule_hits.iter().map(get).collect(),
            stood_in: get(&c.stood_in),
        }
    }

    /// An SDK configuration pointing at the proxy, with the test credentials and
    /// region us-east-1 (as [`MotoServer::sdk_config`]). Tune retries with
    /// `into_builder().retry_config(..)`.
    #[cfg(feature = "sdk")]
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        crate::test_sdk_config(&self.endpoint_url()).await
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let threads = {
            let mut registry = self.shared.lock_registry();
            registry.stopped = true;
            // Unblocks every thread reading from or writing to a client or the upstream.
            for stream in registry.streams.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            std::mem::take(&mut registry.threads)
        };
        self.shared.wake.notify_all();
        // The acceptor is blocked in accept(): a connection wakes it to see `stopped`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for thread in threads {
            let _ = thread.join();
        }
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    forwarded: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    slow: AtomicU64,
    permanent: AtomicU64,
    upstream_errors: AtomicU64,
    rule_hits: Vec<AtomicU64>,
    stood_in: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// Open streams and connection threads, so that drop can close and join them.
#[derive(Default)]
struct Registry {
    stopped: bool,
    next_id: u64,
    streams: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared {
    config: FaultProxyBuilder,
    /// Number of random draws so far: the SplitMix64 state is `seed + draws * gamma`.
    draws: AtomicU64,
    /// Numbers the request ids of injected errors.
    fault_ids: AtomicU64,
    counters: Counters,
    registry: Mutex<Registry>,
    /// Notified on stop, to end slow-response waits early.
    wake: Condvar,
    /// The account of each access key seen by a stand-in, as the emulator told it.
    accounts: Mutex<HashMap<String, String>>,
}

/// What to do with one request.
enum Decision {
    Rule(usize),
    Throttle,
    ServerError(u16),
    Slow,
    Relay,
}

/// Removes a stream from the registry when its user is done with it.
struct Registration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.lock_registry().streams.remove(&self.id);
    }
}

impl Shared {
    fn lock_registry(&self) -> MutexGuard<'_, Registry> {
        // A panicking connection thread must not wedge the others or drop.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a clone of `stream`; `None` once the proxy is stopping.
    fn register(&self, stream: &TcpStream) -> Option<Registration<'_>> {
        let clone = stream.try_clone().ok()?;
        let mut registry = self.lock_registry();
        if registry.stopped {
            return None;
        }
        let id = registry.next_id;
        registry.next_id += 1;
        registry.streams.insert(id, clone);
        Some(Registration { shared: self, id })
    }

    fn stopped(&self) -> bool {
        self.lock_registry().stopped
    }

    /// The next number of the seeded SplitMix64 sequence.
    fn next_random(&self) -> u64 {
        let n = self.draws.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        let mut z = self.config.seed.wrapping_add(n.wrapping_mul(GOLDEN_GAMMA));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn decide(&self, req: &RequestInfo) -> Decision {
        // moto's own control API is test plumbing, not AWS.
        if req.path().starts_with("/moto-api") {
            return Decision::Relay;
        }
        if let Some(i) = self.config.rules.iter().position(|r| r.matches(req)) {
            return Decision::Rule(i);
        }
        let c = &self.config;
        if c.throttling + c.server_errors + c.slow == 0.0 {
            return Decision::Relay;
        }
        let x = self.next_random();
        // The top 53 bits as a uniform number in [0, 1).
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        if u < c.throttling {
            Decision::Throttle
        } else if u < c.throttling + c.server_errors {
            // The low bit is independent of the top bits: 500 or 503 about half each.
            Decision::ServerError(if x & 1 == 0 { 500 } else { 503 })
        } else if u < c.throttling + c.server_errors + c.slow {
            Decision::Slow
        } else {
            Decision::Relay
        }
    }

    /// The response to `req`, or `None` when the proxy stopped meanwhile.
    fn answer(&self, req: &RequestInfo) -> Option<Response> {
        let c = &self.counters;
        match self.decide(req) {
            Decision::Rule(i) => {
                bump(&c.rule_hits[i]);
                bump(&c.permanent);
                let protocol = Protocol::of(req);
                let reply = self.config.rules[i].reply(req, &protocol);
                Some(self.error_response(&protocol, &reply))
            }
            Decision::Throttle => {
                bump(&c.throttled);
                let protocol = Protocol::of(req);
                let (status, code, message) = match protocol {
                    Protocol::Ec2 => (503, "RequestLimitExceeded", "Request limit exceeded."),
                    Protocol::S3 => (503, "SlowDown", "Please reduce your request rate."),
                    Protocol::Json(_) => (400, "ThrottlingException", "Rate exceeded"),
                    Protocol::Query | Protocol::RestXml => (400, "Throttling", "Rate exceeded"),
                };
                let reply = Reply { status, code: code.into(), message: message.into() };
                Some(self.error_response(&protocol, &reply))
            }
            Decision::ServerError(status) => {
                bump(&c.server_errors);
                let (code, message) = if status == 500 {
                    ("InternalError", "We encountered an internal error. Please try again.")
                } else {
                    ("ServiceUnavailable", "Service is unable to handle request.")
                };
                let reply = Reply { status, code: code.into(), message: message.into() };
                Some(self.error_response(&Protocol::of(req), &reply))
            }
            Decision::Slow => {
                bump(&c.slow);
                if !self.pause(self.config.slow_delay) {
                    return None;
                }
                self.relay(req)
            }
            Decision::Relay => self.relay(req),
        }
    }

    /// Waits `delay`; false when the proxy stopped meanwhile.
    fn pause(&self, delay: Duration) -> bool {
        let registry = self.lock_registry();
        let (registry, _) =
            self.wake.wait_timeout_while(registry, delay, |r| !r.stopped).unwrap_or_else(|e| e.into_inner());
        !registry.stopped
    }

    fn relay(&self, req: &RequestInfo) -> Option<Response> {
        if let Some(answer) = self.stand_in(req) {
            bump(&self.counters.stood_in);
            return Some(Response {
                status: answer.status,
                reason: reason_phrase(answer.status).to_string(),
                headers: answer.headers,
                body: answer.body,
                length_as_is: false,
            });
        }
        match self.forward(req) {
            Ok(mut response) => {
                bump(&self.counters.forwarded);
                // moto forgot everything: so do the stand-ins, which are part of the emulator.
                if req.path() == "/moto-api/reset"
                    && req.method().eq_ignore_ascii_case("POST")
                    && response.status == 200
                {
                    self.config.stand_ins.0.iter().for_each(|s| s.reset());
                    self.accounts.lock().unwrap_or_else(|e| e.into_inner()).clear();
                }
                for rewrite in self.config.rewrites.iter().filter(|r| (r.matches)(req)) {
                    if let Ok(text) = std::str::from_utf8(&response.body) {
                        response.body = text.replace(&rewrite.from, &rewrite.to).into_bytes();
                    }
                }
                Some(response)
            }
            Err(_) if self.stopped() => None,
            Err(e) => {
                bump(&self.counters.upstream_errors);
                let body = format!("mamori fault proxy: relay to `{}` failed: {e}\n", self.config.upstream);
                Some(Response {
                    status: 502,
                    reason: "Bad Gateway".into(),
                    headers: vec![("Content-Type".into(), "text/plain".into())],
                    body: body.into_bytes(),
                    length_as_is: false,
                })
            }
        }
    }

    /// The answer of the first stand-in of the request's service that knows the operation.
    fn stand_in(&self, req: &RequestInfo) -> Option<Answer> {
        let service = req.service()?;
        let mut stand_ins = self.config.stand_ins.0.iter().filter(|s| s.service() == service).peekable();
        stand_ins.peek()?;
        let caller = match self.caller(req) {
            Ok(caller) => caller,
            Err(answer) => return Some(answer),
        };
        stand_ins.find_map(|s| s.answer(req, &caller))
    }

    /// Who sent `req`: the region of its SigV4 scope and the account the emulator ties its
    /// access key to. moto knows the account of every key it issued (assumed roles, IAM users)
    /// and gives any other key its default account; STS GetCallerIdentity says which, and the
    /// answer is kept per key. Without authentication moto does not check the signature, so
    /// the question needs no secret; with authentication on it is refused and the stand-in
    /// answers `UnrecognizedClientException`.
    fn caller(&self, req: &RequestInfo) -> Result<Caller, Answer> {
        let unknown = |why: String| Answer::error(403, "UnrecognizedClientException", &why);
        let (Some(key), Some(region)) = (req.access_key_id(), req.region()) else {
            return Err(unknown("the request is not signed with SigV4".into()));
        };
        if let Some(account) = self.accounts.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
            return Ok(Caller { account: account.clone(), region: region.to_owned() });
        }
        let body = "Action=GetCallerIdentity&Version=2011-06-15";
        let question = RequestInfo {
            method: "POST".into(),
            target: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![
                ("Host".into(), self.config.upstream.to_string()),
                ("Content-Type".into(), "application/x-www-form-urlencoded".into()),
                (
                    "Authorization".into(),
                    format!(
                        "AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0"
                    ),
                ),
            ],
            body: body.as_bytes().to_vec(),
            framed: true,
            service: None,
            region: None,
            access_key_id: None,
            operation: None,
            decoded: String::new(),
        };
        let answer = self
            .forward(&question)
            .map_err(|e| unknown(format!("cannot ask the emulator for the account of the access key: {e}")))?;
        let text = String::from_utf8_lossy(&answer.body);
        let account = text
            .split_once("<Account>")
            .and_then(|(_, rest)| rest.split_once("</Account>"))
            .map(|(account, _)| account.trim().to_owned())
            .filter(|account| {
                answer.status == 200 && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            })
            .ok_or_else(|| {
                unknown(format!("the emulator did not tell the account of the access key (HTTP {})", answer.status))
            })?;
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).insert(key.to_owned(), account.clone());
        Ok(Caller { account, region: region.to_owned() })
    }

    /// Sends `req` to the upstream on a fresh connection and reads its response.
    fn forward(&self, req: &RequestInfo) -> io::Result<Response> {
        let stream = TcpStream::connect_timeout(&self.config.upstream, UPSTREAM_CONNECT_TIMEOUT)?;
        stream.set_read_timeout(Some(UPSTREAM_IO_TIMEOUT))?;
        stream.set_write_timeout(Some(UPSTREAM_IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let _registration = self.register(&stream).ok_or_else(|| io::Error::other("proxy stopped"))?;
        let mut out = Vec::with_capacity(1024 + req.body.len());
        write!(out, "{} {} HTTP/1.1\r\n", req.method, req.target)?;
        for (name, value) in &req.headers {
            // Framing and connection handling are per hop; everything else, signed
            // headers included, goes through unchanged.
            if is_hop_by_hop(name) || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            write!(out, "{name}: {value}\r\n")?;
        }
        if req.framed {
            write!(out, "Content-Length: {}\r\n", req.body.len())?;
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&req.body);
        (&stream).write_all(&out)?;
        (&stream).flush()?;
        read_response(&mut BufReader::new(&stream), req.method.eq_ignore_ascii_case("HEAD"))
    }

    /// An AWS error in the wire form of `protocol`.
    fn error_response(&self, protocol: &Protocol, reply: &Reply) -> Response {
        let n = self.fault_ids.fetch_add(1, Ordering::SeqCst) + 1;
        let request_id = format!("00000000-0000-4000-8000-{n:012x}");
        let kind = if reply.status < 500 { "Sender" } else { "Receiver" };
        let (code, message) = (xml_escape(&reply.code), xml_escape(&reply.message));
        let mut headers = Vec::new();
        let body = match protocol {
            Protocol::Query | Protocol::RestXml => {
                headers.push(("Content-Type".to_string(), "text/xml".to_string()));
                headers.push(("x-amzn-RequestId".to_string(), request_id.clone()));
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>{kind}</Type>\
                     <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
                )
            }
            Protocol::Ec2 => {
                headers.push(("Content-Type".to_string(), "text/xml;charset=UTF-8".to_string()));
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                     <Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
                )
            }
            Protocol::S3 => {
                headers.push(("Content-Type".to_string(), "application/xml".to_string()));
                headers.push(("x-amz-request-id".to_string(), request_id.clone()));
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
                     <RequestId>{request_id}</RequestId></Error>"
                )
            }
            Protocol::Json(content_type) => {
                headers.push(("Content-Type".to_string(), content_type.clone()));
                headers.push(("x-amzn-RequestId".to_string(), request_id));
                headers.push(("x-amzn-ErrorType".to_string(), reply.code.clone()));
                format!(
                    "{{\"__type\":\"{}\",\"message\":\"{}\"}}",
                    json_escape(&reply.code),
                    json_escape(&reply.message)
                )
            }
        };
        Response {
            status: reply.status,
            reason: reason_phrase(reply.status).to_string(),
            headers,
            body: body.into_bytes(),
            length_as_is: false,
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: TcpListener) {
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(stream) => stream,
            Err(_) if shared.stopped() => return,
            Err(_) => {
                // Out of descriptors and the like: let connections finish rather than spin.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(clone) = stream.try_clone() else { continue };
        let mut registry = shared.lock_registry();
        if registry.stopped {
            return;
        }
        let id = registry.next_id;
        registry.next_id += 1;
        registry.streams.insert(id, clone);
        registry.threads.retain(|t| !t.is_finished());
        let conn_shared = Arc::clone(shared);
        let spawned = std::thread::Builder::new().name("fault-proxy-conn".into()).spawn(move || {
            let _registration = Registration { shared: &conn_shared, id };
            serve(&conn_shared, stream);
        });
        match spawned {
            Ok(thread) => registry.threads.push(thread),
            Err(_) => {
                registry.streams.remove(&id);
            }
        }
    }
}

/// Serves one client connection: requests in turn until the client closes,
/// asks to close, or the proxy stops.
fn serve(shared: &Shared, client: TcpStream) {
    let Ok(mut writer) = client.try_clone() else { return };
    let mut reader = BufReader::new(client);
    loop {
        let req = match read_request(&mut reader, &mut writer) {
            Ok(Some(req)) => req,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let response = Response {
                        status: 400,
                        reason: "Bad Request".into(),
                        headers: vec![("Content-Type".into(), "text/plain".into())],
                        body: format!("mamori fault proxy: {e}\n").into_bytes(),
                        length_as_is: false,
                    };
                    let _ = writer.write_all(&response.encode(false, false));
                }
                return;
            }
        };
        bump(&shared.counters.requests);
        let keep_alive = req.keep_alive();
        let Some(response) = shared.answer(&req) else { return };
        let head_only = req.method.eq_ignore_ascii_case("HEAD");
        if writer.write_all(&response.encode(head_only, keep_alive)).and_then(|()| writer.flush()).is_err() {
            return;
        }
        if !keep_alive {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// A response to send to the client.
struct Response {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// A response without a body (to HEAD, 204, 304) keeps the upstream's
    /// `Content-Length`, which describes the body it would have had.
    length_as_is: bool,
}

impl Response {
    fn encode(&self, head_only: bool, keep_alive: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", self.status, self.reason).as_bytes());
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if !self.length_as_is {
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if !keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !head_only && !self.length_as_is {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads one line ending in LF (CR stripped); an error at end of input.
fn read_line(r: &mut impl BufRead, limit: usize) -> io::Result<String> {
    let mut buf = Vec::new();
    r.by_ref().take(limit as u64 + 1).read_until(b'\n', &mut buf)?;
    if buf.len() > limit {
        return Err(invalid(format!("line longer than {limit} bytes")));
    }
    if buf.pop() != Some(b'\n') {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed within a line"));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf).map_err(|_| invalid("line is not UTF-8".into()))
}

/// A message head: the start line and the headers in order.
type Head = (String, Vec<(String, String)>);

/// Reads a head: the start line and the headers. `None` when the peer closed the
/// connection before sending anything.
fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut start = None;
    let mut headers = Vec::new();
    let mut total = 0;
    loop {
        if start.is_none() && r.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let line = read_line(r, MAX_HEAD)?;
        total += line.len() + 2;
        if total > MAX_HEAD {
            return Err(invalid(format!("head longer than {MAX_HEAD} bytes")));
        }
        if start.is_none() {
            // Empty lines before a request line are allowed (RFC 9112 2.2).
            if !line.is_empty() {
                start = Some(line);
            }
            continue;
        }
        if line.is_empty() {
            return Ok(start.map(|s| (s, headers)));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid(format!("bad header line `{line}`")))?;
        if name.is_empty() || name.ends_with([' ', '\t']) || line.starts_with([' ', '\t']) {
            return Err(invalid(format!("bad header line `{line}`")));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// How a message's body is delimited.
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// The framing of a message with these headers (RFC 9112 6.3); `until_close`
/// is what a response without length uses, a request has no body then.
fn framing(headers: &[(String, String)], until_close: Framing) -> io::Result<Framing> {
    if let Some(te) = header(headers, "transfer-encoding") {
        let last = te.rsplit(',').next().unwrap_or("").trim();
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked);
        }
        return Err(invalid(format!("unsupported transfer coding `{te}`")));
    }
    let lengths: Vec<&str> =
        headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.as_str()).collect();
    match lengths.first() {
        None => Ok(until_close),
        Some(first) => {
            if lengths.iter().any(|l| l != first) {
                return Err(invalid(format!("conflicting Content-Length values `{}`", lengths.join(", "))));
            }
            first.parse().map(Framing::Length).map_err(|_| invalid(format!("bad Content-Length `{first}`")))
        }
    }
}

fn read_body(r: &mut impl BufRead, framing: Framing) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    match framing {
        Framing::None => {}
        Framing::Length(n) => read_exactly(r, n, &mut body)?,
        Framing::UntilClose => {
            r.read_to_end(&mut body)?;
        }
        Framing::Chunked => loop {
            let line = read_line(r, 4096)?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| invalid(format!("bad chunk size `{line}`")))?;
            if size == 0 {
                // Trailers, then an empty line; trailers are dropped like other hop metadata.
                while !read_line(r, MAX_HEAD)?.is_empty() {}
                break;
            }
            read_exactly(r, size, &mut body)?;
            if !read_line(r, 2)?.is_empty() {
                return Err(invalid("chunk not followed by CRLF".into()));
            }
        },
    }
    Ok(body)
}

fn read_exactly(r: &mut impl BufRead, n: u64, body: &mut Vec<u8>) -> io::Result<()> {
    let got = r.by_ref().take(n).read_to_end(body)?;
    if (got as u64) < n {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed within a body"));
    }
    Ok(())
}

/// Reads a request from a client; `None` when the client closed the connection.
fn read_request(r: &mut impl BufRead, w: &mut impl Write) -> io::Result<Option<RequestInfo>> {
    let Some((start, headers)) = read_head(r)? else { return Ok(None) };
    let mut parts = start.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(format!("bad request line `{start}`")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("unsupported protocol `{version}`")));
    }
    let framing = framing(&headers, Framing::None)?;
    let framed = !matches!(framing, Framing::None);
    // A client waiting for 100 Continue (S3 uploads may) would otherwise stall.
    if framed && header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        w.flush()?;
    }
    let body = read_body(r, framing)?;
    let mut req = RequestInfo {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        body,
        framed,
        service: None,
        region: None,
        access_key_id: None,
        operation: None,
        decoded: String::new(),
    };
    req.derive();
    Ok(Some(req))
}

/// A request read from `raw` (for the tests of this crate).
#[cfg(test)]
pub(crate) fn parse_request(raw: &str) -> RequestInfo {
    read_request(&mut raw.as_bytes(), &mut Vec::new()).expect("a valid request").expect("a request")
}

/// Reads the upstream's response, skipping interim 1xx responses.
fn read_response(r: &mut impl BufRead, to_head: bool) -> io::Result<Response> {
    loop {
        let (start, headers) = read_head(r)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "upstream closed without answering"))?;
        let mut parts = start.splitn(3, ' ');
        let (Some(version), Some(status)) = (parts.next(), parts.next()) else {
            return Err(invalid(format!("bad status line `{start}`")));
        };
        let reason = parts.next().unwrap_or("").to_string();
        if !version.starts_with("HTTP/1.") {
            return Err(invalid(format!("bad status line `{start}`")));
        }
        let status: u16 = status.parse().map_err(|_| invalid(format!("bad status line `{start}`")))?;
        if (100..200).contains(&status) {
            continue;
        }
        let bodyless = to_head || status == 204 || status == 304;
        let body = if bodyless { Vec::new() } else { read_body(r, framing(&headers, Framing::UntilClose)?)? };
        let headers = headers
            .into_iter()
            .filter(|(n, _)| !is_hop_by_hop(n) && (bodyless || !n.eq_ignore_ascii_case("content-length")))
            .collect();
        return Ok(Response { status, reason, headers, body, length_as_is: bodyless });
    }
}

/// Decodes `%XX` escapes, and `+` as a space when `plus_is_space` (forms).
fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The decoded value of `name` in a form-encoded string.
fn form_param(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k, true) == name).then(|| percent_decode(v, true))
    })
}

/// The decoded value of `name` in the query of a request target.
pub(crate) fn query_param(target: &str, name: &str) -> Option<String> {
    form_param(target.split_once('?')?.1, name)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(raw: &str) -> RequestInfo {
        read_request(&mut raw.as_bytes(), &mut Vec::new()).unwrap().unwrap()
    }

    #[test]
    fn derives_scope_operation_and_protocol() {
        let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa+b";
        let req = request(&format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/sts/aws4_request, \
             SignedHeaders=host, Signature=abc\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
        assert_eq!(req.service(), Some("sts"));
        assert_eq!(req.region(), Some("eu-west-1"));
        assert_eq!(req.access_key_id(), Some("AKIDEXAMPLE"));
        assert_eq!(req.operation(), Some("AssumeRole"));
        assert!(req.contains("arn:aws:iam::1:role/a b"));
        assert!(!req.contains("role/c"));
        assert_eq!(Protocol::of(&req), Protocol::Query);

        let json = request(
            "POST / HTTP/1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Type: application/x-amz-json-1.1\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=x\r\n\
             Content-Length: 2\r\n\r\n{}",
        );
        assert_eq!(json.operation(), Some("ListKeys"));
        assert_eq!(Protocol::of(&json), Protocol::Json("application/x-amz-json-1.1".into()));

        let rest = request(
            "GET /detector?maxResults=50 HTTP/1.1\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/guardduty/aws4_request, SignedHeaders=host, Signature=x\r\n\r\n",
        );
        assert_eq!(rest.operation(), None);
        assert_eq!(Protocol::of(&rest), Protocol::Json("application/json".into()));
        assert!(FaultRule::rest("guardduty", "get", "/detector").matches(&rest));
        assert!(!FaultRule::rest("guardduty", "POST", "/detector").matches(&rest));
        assert!(!FaultRule::rest("securityhub", "GET", "/detector").matches(&rest));

        let s3 = request("GET /bucket?acl HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x\r\n\r\n");
        assert_eq!(Protocol::of(&s3), Protocol::S3);
        let s3control = request("GET /v20180820/configuration/publicAccessBlock HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x\r\n\r\n");
        assert_eq!(Protocol::of(&s3control), Protocol::RestXml);
    }

    #[test]
    fn decodes_chunked_request_bodies() {
        let req = request("PUT /b/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
        assert_eq!(req.body(), b"hello world");
        assert!(req.framed);
    }

    #[test]
    fn rejects_malformed_requests() {
        for raw in [
            "GET / HTTP/2\r\n\r\n",
            "GET /\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
        ] {
            let err = read_request(&mut raw.as_bytes(), &mut Vec::new()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{raw:?}: {err}");
        }
        let truncated = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        let err = read_request(&mut truncated.as_bytes(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn splitmix_is_seeded_and_matches_the_reference() {
        // Reference SplitMix64 (Vigna) from state 0: first output.
        let shared = |seed| Shared {
            config: FaultProxyBuilder::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 1))).seed(seed),
            draws: AtomicU64::new(0),
            fault_ids: AtomicU64::new(0),
            counters: Counters::default(),
            registry: Mutex::new(Registry::default()),
            wake: Condvar::new(),
            accounts: Mutex::new(HashMap::new()),
        };
        let a = shared(0);
        assert_eq!(a.next_random(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(a.next_random(), 0x6E78_9E6A_A1B9_65F4);
        let (b, c) = (shared(42), shared(42));
        let xs: Vec<u64> = (0..8).map(|_| b.next_random()).collect();
        let ys: Vec<u64> = (0..8).map(|_| c.next_random()).collect();
        assert_eq!(xs, ys);
        let d = shared(43);
        assert_ne!(xs, (0..8).map(|_| d.next_random()).collect::<Vec<_>>());
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%2Fb+c%zz%4", true), "a/b c%zz%4");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(form_param("A=1&Action=List%55sers", "Action").as_deref(), Some("ListUsers"));
        assert_eq!(query_param("/x?Action=Y", "Action").as_deref(), Some("Y"));
    }
}
