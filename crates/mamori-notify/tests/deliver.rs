//! Delivery against a real HTTP server on 127.0.0.1 that records requests: exact bodies,
//! retries (429 with Retry-After, 5xx, dropped connections), permanent failures, a server that
//! never answers, ordering across a failed run and the next one, and redaction in errors.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use mamori_notify::{
    render, BlockingSender, DeliveryPolicy, Failure, JsonLimits, Message, Outcome, RenderOptions, Target,
    TargetResolver, UrlSource,
};
use support::{assert_fixture, big_digest, closed_port_url, load_digest, Recorder, Reply};

const SECRET_PATH: &str = "/services/T0AAAAAAA/B0BBBBBBB/s3cretTOKENvalue";
const SECRETS: [&str; 3] = ["T0AAAAAAA", "B0BBBBBBB", "s3cretTOKENvalue"];

fn fast_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
        request_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(1),
        deadline: Duration::from_secs(20),
        slack_min_interval: Duration::ZERO,
    }
}

fn target(reference: &str, url: &str) -> Target {
    Target::new(reference.parse().unwrap(), url, UrlSource::Env("MAMORI_WEBHOOK_TEST".into())).unwrap()
}

fn small_slack_message() -> Message {
    render(&load_digest("digest-small.json"), &RenderOptions::default()).remove(0)
}

/// A resolver reading from a map that the test can change between "runs".
fn resolver(urls: &Arc<Mutex<HashMap<String, String>>>) -> TargetResolver {
    let urls = urls.clone();
    TargetResolver::with_env(move |var| urls.lock().unwrap().get(var).cloned())
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "secret `{secret}` leaked in: {text}");
    }
}

fn undelivered(outcome: &Outcome) -> (u32, String, bool, &Failure) {
    match outcome {
        Outcome::Undelivered { attempts, error, permanent } => {
            (*attempts, error.to_string(), *permanent, &error.failure)
        }
        other => panic!("expected undelivered, got {other:?}"),
    }
}

#[test]
fn slack_post_carries_exactly_the_rendered_payload() {
    let server = Recorder::start(vec![]);
    let message = small_slack_message();
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &message);
    assert_eq!(outcome, Outcome::Delivered { attempts: 1 });
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, SECRET_PATH);
    assert_eq!(request.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(request.header("idempotency-key"), Some(message.key.as_str()));
    assert_eq!(request.body, message.body());
    assert_fixture("slack-small.json", &request.json());
}

#[test]
fn json_post_carries_exactly_the_documented_document() {
    let server = Recorder::start(vec![Reply::status(202, "")]);
    let mut digest = load_digest("digest-small.json");
    digest.target = "json:secops".parse().unwrap();
    let message = render(&digest, &RenderOptions::default()).remove(0);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("json:secops", &server.url("/hook?token=s3cretTOKENvalue")), &message);
    assert_eq!(outcome, Outcome::Delivered { attempts: 1 });
    let request = &server.requests()[0];
    assert_eq!(request.header("idempotency-key"), Some("run-0042/team-a/json:secops/1-of-1"));
    assert_eq!(request.body, message.body());
    assert_fixture("json-small.json", &request.json());
}

#[test]
fn too_many_requests_waits_for_retry_after_seconds_then_delivers_once() {
    let server = Recorder::start(vec![Reply::with_header(429, "Retry-After", "1", "rate_limited")]);
    let message = small_slack_message();
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &message);
    assert_eq!(outcome, Outcome::Delivered { attempts: 2 });
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one refused, one delivered");
    assert_eq!(requests[0].body, requests[1].body);
    let gap = requests[1].at - requests[0].at;
    // The backoff alone would wait at most 50ms: a second's gap is Retry-After's.
    assert!(gap >= Duration::from_millis(990), "waited only {gap:?}");
    assert!(gap < Duration::from_secs(3), "waited {gap:?}");
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server = Recorder::start(vec![Reply::with_header(503, "Retry-After", &when, "")]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    assert_eq!(outcome, Outcome::Delivered { attempts: 2 });
    let requests = server.requests();
    let gap = requests[1].at - requests[0].at;
    // The date has a one-second resolution: at least one second of the two remains.
    assert!(gap >= Duration::from_millis(900) && gap < Duration::from_secs(4), "waited {gap:?}");
}

#[test]
fn service_unavailable_twice_then_delivered_on_the_third_attempt() {
    let server = Recorder::start(vec![Reply::status(503, "busy"), Reply::status(503, "busy")]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let message = small_slack_message();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &message);
    assert_eq!(outcome, Outcome::Delivered { attempts: 3 });
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.body == message.body()));
}

#[test]
fn a_connection_closed_without_answer_is_retried() {
    let server = Recorder::start(vec![Reply::Close]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    assert_eq!(outcome, Outcome::Delivered { attempts: 2 });
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn bad_request_is_permanent_and_not_retried() {
    let server = Recorder::start(vec![Reply::status(400, "invalid_payload")]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    let (attempts, error, permanent, _) = undelivered(&outcome);
    assert_eq!((attempts, permanent), (1, true));
    assert_eq!(
        error,
        format!("webhook `slack:team-a` ({}): answered 400 Bad Request: invalid_payload", server.url("/services/***"))
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.requests().len(), 1, "no retry after a permanent failure");
}

#[test]
fn a_webhook_that_never_answers_times_out_with_a_clear_redacted_error_in_bounded_time() {
    let server = Recorder::start(vec![Reply::Hang, Reply::Hang, Reply::Hang]);
    let policy = DeliveryPolicy { request_timeout: Duration::from_millis(300), max_attempts: 3, ..fast_policy() };
    let sender = BlockingSender::new(policy).unwrap();
    let started = Instant::now();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    let elapsed = started.elapsed();
    let (attempts, error, permanent, failure) = undelivered(&outcome);
    assert_eq!((attempts, permanent), (3, false));
    assert_eq!(failure, &Failure::Timeout { after: Duration::from_millis(300) });
    assert!(error.starts_with("webhook `slack:team-a` (http://127.0.0.1:"), "{error}");
    assert!(error.ends_with("/services/***): no answer within 300ms"), "{error}");
    assert_no_secret(&error);
    assert_no_secret(&format!("{outcome:?}"));
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_eq!(server.requests().len(), 3, "every attempt reached the server");
}

#[test]
fn the_deadline_bounds_a_hanging_webhook_whatever_the_request_timeout() {
    let server = Recorder::start(vec![Reply::Hang, Reply::Hang]);
    let policy =
        DeliveryPolicy { request_timeout: Duration::from_secs(30), deadline: Duration::from_secs(1), ..fast_policy() };
    let sender = BlockingSender::new(policy).unwrap();
    let started = Instant::now();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    let (_, error, _, failure) = undelivered(&outcome);
    assert!(matches!(failure, Failure::DeadlineReached { last: Some(_) }), "{failure:?}");
    assert!(error.contains("no answer within") && error.contains("deadline"), "{error}");
    assert_no_secret(&error);
}

#[test]
fn an_unreachable_webhook_fails_with_a_redacted_connect_error() {
    let url = closed_port_url(SECRET_PATH);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let started = Instant::now();
    let outcome = sender.deliver(&target("slack:team-a", &url), &small_slack_message());
    let (attempts, error, permanent, failure) = undelivered(&outcome);
    assert_eq!((attempts, permanent), (4, false));
    assert!(matches!(failure, Failure::Connect { .. }), "{failure:?}");
    assert!(error.contains("cannot connect") && error.contains("/services/***"), "{error}");
    assert_no_secret(&error);
    assert_no_secret(&format!("{outcome:?}"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_response_body_echoing_the_url_is_scrubbed() {
    let echo = format!("no_service: POST {SECRET_PATH} is unknown (token s3cretTOKENvalue)");
    let server = Recorder::start(vec![Reply::status(404, &echo)]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    let (_, error, permanent, _) = undelivered(&outcome);
    assert!(permanent);
    assert!(error.contains("answered 404 Not Found: no_service: POST *** is unknown (token ***)"), "{error}");
    assert_no_secret(&error);
}

#[test]
fn retry_after_beyond_the_cap_keeps_the_message_for_the_next_run_without_waiting() {
    let server = Recorder::start(vec![Reply::with_header(429, "Retry-After", "3600", "")]);
    let sender = BlockingSender::new(fast_policy()).unwrap();
    let started = Instant::now();
    let outcome = sender.deliver(&target("slack:team-a", &server.url(SECRET_PATH)), &small_slack_message());
    assert!(started.elapsed() < Duration::from_secs(2));
    let (attempts, error, permanent, _) = undelivered(&outcome);
    assert_eq!((attempts, permanent), (1, false));
    assert!(error.contains("asked to retry after 3600s, more than the 5s allowed"), "{error}");
}

#[test]
fn posts_to_one_slack_webhook_are_paced() {
    let server = Recorder::start(vec![]);
    let urls = Arc::new(Mutex::new(HashMap::from([("MAMORI_WEBHOOK_TEAM_A".to_owned(), server.url(SECRET_PATH))])));
    let messages = render(&big_digest(300, "slack:team-a", 7), &RenderOptions::default());
    assert!(messages.len() >= 3);
    let policy = DeliveryPolicy { slack_min_interval: Duration::from_millis(200), ..fast_policy() };
    let deliveries = BlockingSender::new(policy).unwrap().deliver_all(&messages, &resolver(&urls));
    assert!(deliveries.iter().all(|d| d.outcome == Outcome::Delivered { attempts: 1 }));
    let requests = server.requests();
    assert_eq!(requests.len(), messages.len());
    for (request, message) in requests.iter().zip(&messages) {
        assert_eq!(request.body, message.body(), "parts arrive in order");
    }
    for pair in requests.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(190), "posts only {gap:?} apart");
    }
}

/// A run whose Slack webhook fails keeps every part, in order, and the next run delivers each
/// exactly once; the other owner's JSON webhook is not held up.
#[test]
fn a_failing_webhook_loses_nothing_and_the_next_run_sends_each_part_once() {
    let failing = Recorder::start(vec![Reply::status(503, "down"); 10]);
    let json_server = Recorder::start(vec![]);
    let urls = Arc::new(Mutex::new(HashMap::from([
        ("MAMORI_WEBHOOK_TEAM_A".to_owned(), failing.url(SECRET_PATH)),
        ("MAMORI_WEBHOOK_TEAM_B".to_owned(), json_server.url("/hook")),
    ])));
    let slack_parts = render(&big_digest(300, "slack:team-a", 7), &RenderOptions::default());
    let mut team_b = big_digest(30, "json:team-b", 9);
    team_b.owner = "team-b".into();
    let json_parts =
        render(&team_b, &RenderOptions { json: JsonLimits { max_changes_per_part: 20 }, ..RenderOptions::default() });
    assert!(slack_parts.len() >= 3 && json_parts.len() == 2);
    let mut run_one: Vec<Message> = slack_parts.clone();
    run_one.extend(json_parts.clone());

    let policy = DeliveryPolicy { max_attempts: 2, ..fast_policy() };
    let sender = BlockingSender::new(policy).unwrap();
    let deliveries = sender.deliver_all(&run_one, &resolver(&urls));
    assert_eq!(deliveries.len(), run_one.len());
    for (delivery, message) in deliveries.iter().zip(&run_one) {
        assert_eq!(delivery.key, message.key);
    }
    // The first Slack part was tried twice; the later parts waited, to keep the order.
    let (attempts, error, _, _) = undelivered(&deliveries[0].outcome);
    assert_eq!(attempts, 2);
    assert!(error.contains("answered 503 Service Unavailable: down"), "{error}");
    for delivery in &deliveries[1..slack_parts.len()] {
        let (attempts, error, _, failure) = undelivered(&delivery.outcome);
        assert_eq!(attempts, 0);
        assert!(matches!(failure, Failure::Skipped { .. }), "{failure:?}");
        assert_no_secret(&error);
    }
    assert!(deliveries[slack_parts.len()..].iter().all(|d| d.outcome.is_delivered()));
    assert_eq!(failing.requests().len(), 2);
    assert_eq!(json_server.requests().len(), 2);

    // What the caller keeps pending: the undelivered messages, as stored JSON.
    let pending: Vec<String> = deliveries
        .iter()
        .zip(&run_one)
        .filter(|(d, _)| !d.outcome.is_delivered())
        .map(|(_, m)| serde_json::to_string(m).unwrap())
        .collect();
    assert_eq!(pending.len(), slack_parts.len());

    // Next run: the webhook recovered.
    let recovered = Recorder::start(vec![]);
    urls.lock().unwrap().insert("MAMORI_WEBHOOK_TEAM_A".to_owned(), recovered.url(SECRET_PATH));
    let run_two: Vec<Message> = pending.iter().map(|p| serde_json::from_str(p).unwrap()).collect();
    let deliveries = sender.deliver_all(&run_two, &resolver(&urls));
    assert!(deliveries.iter().all(|d| d.outcome == Outcome::Delivered { attempts: 1 }), "{deliveries:?}");
    let received: Vec<Vec<u8>> = recovered.requests().into_iter().map(|r| r.body).collect();
    let expected: Vec<Vec<u8>> = slack_parts.iter().map(Message::body).collect();
    assert_eq!(received, expected, "every part exactly once, in order, byte for byte");
}

#[test]
fn a_payload_rejection_holds_back_only_that_message() {
    let server = Recorder::start(vec![Reply::status(400, "invalid_blocks")]);
    let urls = Arc::new(Mutex::new(HashMap::from([("MAMORI_WEBHOOK_SHARED".to_owned(), server.url(SECRET_PATH))])));
    let mut first = load_digest("digest-small.json");
    first.target = "slack:shared".parse().unwrap();
    let mut second = first.clone();
    second.owner = "team-b".into();
    let mut messages = render(&first, &RenderOptions::default());
    messages.extend(render(&second, &RenderOptions::default()));
    let deliveries = BlockingSender::new(fast_policy()).unwrap().deliver_all(&messages, &resolver(&urls));
    assert!(!deliveries[0].outcome.is_delivered());
    assert_eq!(deliveries[1].outcome, Outcome::Delivered { attempts: 1 }, "another owner's message still goes");
}

#[test]
fn a_gone_webhook_holds_back_the_rest_of_its_messages() {
    let server = Recorder::start(vec![Reply::status(404, "no_service")]);
    let urls = Arc::new(Mutex::new(HashMap::from([("MAMORI_WEBHOOK_SHARED".to_owned(), server.url(SECRET_PATH))])));
    let mut first = load_digest("digest-small.json");
    first.target = "slack:shared".parse().unwrap();
    let mut second = first.clone();
    second.owner = "team-b".into();
    let mut messages = render(&first, &RenderOptions::default());
    messages.extend(render(&second, &RenderOptions::default()));
    let deliveries = BlockingSender::new(fast_policy()).unwrap().deliver_all(&messages, &resolver(&urls));
    let (_, error, _, failure) = undelivered(&deliveries[1].outcome);
    assert!(matches!(failure, Failure::Skipped { .. }));
    assert!(error.contains("an earlier message to `slack:shared` failed in this run"), "{error}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_target_without_url_keeps_its_messages_pending_with_the_variable_named() {
    let urls = Arc::new(Mutex::new(HashMap::new()));
    let messages = render(&load_digest("digest-small.json"), &RenderOptions::default());
    let deliveries = BlockingSender::new(fast_policy()).unwrap().deliver_all(&messages, &resolver(&urls));
    let (attempts, error, permanent, _) = undelivered(&deliveries[0].outcome);
    assert_eq!((attempts, permanent), (0, false));
    assert_eq!(
        error,
        "webhook `slack:team-a`: no webhook URL for target `slack:team-a`: environment variable \
         `MAMORI_WEBHOOK_TEAM_A` is not set"
    );
}
