//! The fault proxy in front of a real moto server, driven by the real AWS SDK:
//! random throttling, 5xx and slow answers are retried by the SDK until the
//! result is exactly that of a clean run; permanent failures reach the caller with
//! their AWS error code and hit only what they match. The HTTP framing cases the
//! SDK does not produce (chunked bodies both ways, HEAD, close-delimited
//! responses) are checked against a scripted upstream.

use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::Client as Iam;
use aws_sdk_kms::Client as Kms;
use aws_sdk_sts::Client as Sts;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer, ProxyError, ProxyStats};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Standard retries with `attempts` attempts and millisecond backoff, so that a
/// test with many retries stays fast.
fn retries(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
}

async fn config_via(proxy: &FaultProxy, attempts: u32) -> aws_config::SdkConfig {
    proxy.sdk_config().await.into_builder().retry_config(retries(attempts)).build()
}

async fn user_names(iam: &Iam) -> Vec<String> {
    let users: Vec<_> = iam.list_users().into_paginator().items().send().collect().await;
    let mut names: Vec<String> = users.into_iter().map(|u| u.unwrap().user_name().to_string()).collect();
    names.sort();
    names
}

#[test]
fn random_faults_are_retried_to_the_clean_result() {
    let Some(moto) = MotoServer::start() else { return };
    let proxy = FaultProxy::in_front_of(&moto)
        .seed(2024)
        .throttling(0.15)
        .server_errors(0.15)
        .slow(0.05, Duration::from_millis(50))
        .start()
        .unwrap();
    let expected: Vec<String> = (0..30).map(|i| format!("user-{i:02}")).collect();
    let rt = runtime();
    let (via_proxy, direct) = rt.block_on(async {
        let iam = Iam::new(&config_via(&proxy, 10).await);
        for name in &expected {
            iam.create_user().user_name(name).send().await.unwrap();
        }
        let direct = Iam::new(&moto.sdk_config().await);
        (user_names(&iam).await, user_names(&direct).await)
    });
    assert_eq!(via_proxy, expected);
    // A faulted CreateUser never reached moto, so its retry created the user once.
    assert_eq!(direct, expected);

    let stats = proxy.stats();
    assert!(stats.throttled > 0 && stats.server_errors > 0 && stats.slow > 0, "{stats:?}");
    assert_eq!((stats.permanent, stats.upstream_errors), (0, 0), "{stats:?}");
    // 30 creates and one listing (moto does not page users) succeeded, each
    // forwarded once; every other request was a fault.
    assert_eq!(stats.forwarded, 31, "{stats:?}");
    assert_eq!(stats.requests, stats.forwarded + stats.throttled + stats.server_errors, "{stats:?}");
    let share = (stats.throttled + stats.server_errors) as f64 / stats.requests as f64;
    assert!((0.1..0.5).contains(&share), "fault share {share} far from 0.3: {stats:?}");
}

#[test]
fn same_seed_same_fault_pattern() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = runtime();
    let run = |seed: u64| -> ProxyStats {
        let proxy = FaultProxy::in_front_of(&moto).seed(seed).throttling(0.2).server_errors(0.2).start().unwrap();
        rt.block_on(async {
            let iam = Iam::new(&config_via(&proxy, 10).await);
            for _ in 0..15 {
                iam.list_roles().send().await.unwrap();
            }
        });
        proxy.stats()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a, b);
    assert!(a.throttled + a.server_errors > 0, "{a:?}");
    // Another seed gives another pattern (for these two seeds; checked once, fixed).
    assert_ne!(run(8), a);
}

#[test]
fn sdk_classifies_injected_faults_as_retryable_and_rules_as_final() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = runtime();
    // Every request faulted: the SDK makes all 3 attempts only if it deems the error retryable.
    let base = || FaultProxy::in_front_of(&moto).seed(1);
    let cases = [
        ("throttling", base().throttling(1.0), &["Throttling"][..], 3),
        ("server errors", base().server_errors(1.0), &["InternalError", "ServiceUnavailable"], 3),
        ("access denied rule", base().rule(FaultRule::service("iam")), &["AccessDenied"], 1),
    ];
    for (what, builder, codes, attempts) in cases {
        let proxy = builder.start().unwrap();
        let err = rt.block_on(async {
            let iam = Iam::new(&config_via(&proxy, 3).await);
            iam.list_users().send().await.unwrap_err()
        });
        let code = err.code().unwrap_or_else(|| panic!("{what}: no error code in {err:?}"));
        assert!(codes.contains(&code), "{what}: code `{code}`, expected one of {codes:?}");
        assert_eq!(proxy.stats().requests, attempts, "{what}: {:?}", proxy.stats());
    }

    // STS speaks the same query protocol; its throttling is retried too.
    let proxy = FaultProxy::in_front_of(&moto).throttling(1.0).start().unwrap();
    let err =
        rt.block_on(async { Sts::new(&config_via(&proxy, 2).await).get_caller_identity().send().await.unwrap_err() });
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(proxy.stats().requests, 2);
}

#[test]
fn json_protocol_faults_are_parsed_and_retried() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = runtime();
    // KMS speaks awsJson 1.1 (`X-Amz-Target`): errors go as `__type` and `x-amzn-ErrorType`.
    let proxy = FaultProxy::in_front_of(&moto).throttling(1.0).start().unwrap();
    let err = rt.block_on(async { Kms::new(&config_via(&proxy, 3).await).list_keys().send().await.unwrap_err() });
    assert_eq!((err.code(), err.message()), (Some("ThrottlingException"), Some("Rate exceeded")));
    assert_eq!(proxy.stats().requests, 3, "throttling not retried: {:?}", proxy.stats());

    let proxy = FaultProxy::in_front_of(&moto).server_errors(1.0).start().unwrap();
    let err = rt.block_on(async { Kms::new(&config_via(&proxy, 3).await).list_keys().send().await.unwrap_err() });
    assert!(matches!(err.code(), Some("InternalError" | "ServiceUnavailable")), "{err:?}");
    assert_eq!(proxy.stats().requests, 3, "5xx not retried: {:?}", proxy.stats());

    let proxy = FaultProxy::in_front_of(&moto)
        .seed(99)
        .throttling(0.15)
        .server_errors(0.15)
        .rule(FaultRule::operation("kms", "GetKeyRotationStatus"))
        .start()
        .unwrap();
    rt.block_on(async {
        let kms = Kms::new(&config_via(&proxy, 10).await);
        let mut created = Vec::new();
        for _ in 0..8 {
            created.push(kms.create_key().send().await.unwrap().key_metadata().unwrap().key_id().to_string());
        }
        let mut listed: Vec<String> = kms
            .list_keys()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.key_id().unwrap().to_string())
            .collect();
        created.sort();
        listed.sort();
        assert_eq!(listed, created);
        let err = kms.get_key_rotation_status().key_id(&created[0]).send().await.unwrap_err();
        assert_eq!(err.code(), Some("AccessDeniedException"));
        assert_eq!(err.message(), Some("User is not authorized to perform: kms:GetKeyRotationStatus"));
    });
    let stats = proxy.stats();
    assert!(stats.throttled + stats.server_errors > 0, "{stats:?}");
    assert_eq!(stats.rule_hits, [1], "the denied call was retried: {stats:?}");
}

#[test]
fn permanent_access_denied_on_one_operation() {
    let Some(moto) = MotoServer::start() else { return };
    let proxy = FaultProxy::in_front_of(&moto).rule(FaultRule::operation("iam", "ListUsers")).start().unwrap();
    let rt = runtime();
    rt.block_on(async {
        let iam = Iam::new(&config_via(&proxy, 3).await);
        iam.create_user().user_name("alice").send().await.unwrap();
        let err = iam.list_users().send().await.unwrap_err();
        assert_eq!(err.code(), Some("AccessDenied"));
        assert_eq!(err.message(), Some("User is not authorized to perform: iam:ListUsers"));
        // Everything else goes through.
        iam.get_user().user_name("alice").send().await.unwrap();
        iam.list_roles().send().await.unwrap();
        // And the denied call is really there behind the proxy.
        let direct = Iam::new(&moto.sdk_config().await);
        assert_eq!(user_names(&direct).await, ["alice"]);
    });
    let stats = proxy.stats();
    assert_eq!((stats.permanent, stats.rule_hits.clone(), stats.forwarded), (1, vec![1], 3), "{stats:?}");
}

#[test]
fn rule_with_custom_reply_and_region() {
    let Some(moto) = MotoServer::start() else { return };
    let proxy = FaultProxy::in_front_of(&moto)
        .rule(FaultRule::operation("sts", "GetCallerIdentity").in_region("eu-west-1").respond(
            400,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ))
        .start()
        .unwrap();
    let rt = runtime();
    rt.block_on(async {
        let config = config_via(&proxy, 3).await;
        Sts::new(&config).get_caller_identity().send().await.unwrap();
        let eu = config.into_builder().region(aws_config::Region::new("eu-west-1")).build();
        let err = Sts::new(&eu).get_caller_identity().send().await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidClientTokenId"));
        assert_eq!(err.message(), Some("The security token included in the request is invalid."));
    });
    assert_eq!(proxy.stats().rule_hits, [1]);
}

#[test]
fn assume_role_denied_for_one_role_only() {
    let Some(moto) = MotoServer::start() else { return };
    let denied = "arn:aws:iam::111111111111:role/audit";
    let proxy = FaultProxy::in_front_of(&moto)
        .rule(FaultRule::operation("sts", "AssumeRole").containing(denied))
        .start()
        .unwrap();
    let rt = runtime();
    rt.block_on(async {
        let config = config_via(&proxy, 3).await;
        let sts = Sts::new(&config);
        let err = sts.assume_role().role_arn(denied).role_session_name("mamori").send().await.unwrap_err();
        assert_eq!(err.code(), Some("AccessDenied"));
        for allowed in ["arn:aws:iam::222222222222:role/audit", "arn:aws:iam::111111111111:role/other"] {
            let out = sts.assume_role().role_arn(allowed).role_session_name("mamori").send().await.unwrap();
            // The credentials work through the proxy and act in the role's account.
            let c = out.credentials().unwrap();
            let creds = Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "assumed",
            );
            let assumed = config
                .clone()
                .into_builder()
                .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds));
            let who = Sts::new(&assumed.build()).get_caller_identity().send().await.unwrap();
            assert_eq!(who.account(), allowed.split(':').nth(4));
        }
    });
    assert_eq!(proxy.stats().rule_hits, [1]);
}

#[test]
fn signatures_survive_the_relay() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = runtime();
    let (id, secret) = rt.block_on(async {
        let iam = Iam::new(&moto.sdk_config().await);
        iam.create_user().user_name("signer").send().await.unwrap();
        let key = iam.create_access_key().user_name("signer").send().await.unwrap();
        let key = key.access_key().unwrap();
        (key.access_key_id().to_string(), key.secret_access_key().to_string())
    });
    // From here on moto rejects any request whose signature does not match.
    moto.enable_authentication();
    let proxy = FaultProxy::in_front_of(&moto).start().unwrap();
    rt.block_on(async {
        let config = proxy
            .sdk_config()
            .await
            .into_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                &id, &secret, None, None, "signer",
            )))
            .build();
        let who = Sts::new(&config).get_caller_identity().send().await.unwrap();
        assert!(who.arn().unwrap().ends_with(":user/signer"), "{who:?}");
        // A wrong secret is still refused: moto really checks through the proxy.
        let forged = config
            .into_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                &id,
                "not-the-secret",
                None,
                None,
                "forged",
            )))
            .build();
        let err = Sts::new(&forged).get_caller_identity().send().await.unwrap_err();
        // moto nests this error as `<Errors><Error>`, which the SDK does not parse: read the body.
        let raw = err.raw_response().expect("an HTTP answer");
        assert_eq!(raw.status().as_u16(), 403);
        let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
        assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    });
}

#[test]
fn rejects_bad_configurations() {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 9));
    let err = FaultProxy::builder(loopback).throttling(1.5).start().unwrap_err();
    assert!(matches!(err, ProxyError::Share { name: "throttling", .. }), "{err}");
    let err = FaultProxy::builder(loopback).slow(f64::NAN, Duration::ZERO).start().unwrap_err();
    assert!(matches!(err, ProxyError::Share { name: "slow", .. }), "{err}");
    let err = FaultProxy::builder(loopback).throttling(0.6).server_errors(0.6).start().unwrap_err();
    assert!(matches!(err, ProxyError::SharesOverOne { .. }), "{err}");
    let err = FaultProxy::builder(SocketAddr::from(([10, 0, 0, 1], 80))).start().unwrap_err();
    assert_eq!(err.to_string(), "upstream `10.0.0.1:80` is not a loopback address");
}

/// What the scripted upstream received: request line, headers, body.
type Seen = Arc<Mutex<Vec<(String, Vec<String>, Vec<u8>)>>>;

/// An upstream that reads `Content-Length` requests and answers by path:
/// `/chunked` with a chunked body, `/close` with a body ended by closing, HEAD with
/// a length and no body.
fn scripted_upstream() -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut start = String::new();
            reader.read_line(&mut start).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                headers.push(line.trim_end().to_string());
            }
            let length = headers
                .iter()
                .find_map(|h| h.strip_prefix("Content-Length: "))
                .map_or(0, |l| l.parse::<usize>().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let start = start.trim_end().to_string();
            log.lock().unwrap().push((start.clone(), headers, body));
            let reply: &[u8] = if start.starts_with("HEAD") {
                b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Up: head\r\n\r\n"
            } else if start.contains("/chunked") {
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-Up: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\nX-Up: close\r\n\r\nuntil the end"
            };
            conn.write_all(reply).unwrap();
            // Connection: close was asked for; closing also ends the `/close` body.
        }
    });
    (addr, seen)
}

/// Reads one response: status line, headers, and a `Content-Length` body (none for HEAD).
fn read_response(reader: &mut impl BufRead, head: bool) -> (String, Vec<String>, Vec<u8>) {
    let mut start = String::new();
    reader.read_line(&mut start).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        headers.push(line.trim_end().to_string());
    }
    let length = headers.iter().find_map(|h| h.strip_prefix("Content-Length: ")).map(|l| l.parse().unwrap());
    let mut body = vec![0; if head { 0 } else { length.expect("a Content-Length") }];
    reader.read_exact(&mut body).unwrap();
    (start.trim_end().to_string(), headers, body)
}

#[test]
fn relays_chunked_head_and_close_delimited_messages_on_one_connection() {
    let (upstream, seen) = scripted_upstream();
    let proxy = FaultProxy::builder(upstream).start().unwrap();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());

    client
        .write_all(b"POST /chunked?a=1 HTTP/1.1\r\nHost: h\r\nX-Signed: v\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        .unwrap();
    let (status, headers, body) = read_response(&mut reader, false);
    assert_eq!(status, "HTTP/1.1 201 Created");
    assert_eq!(body, b"hello world");
    assert!(headers.contains(&"X-Up: chunked".to_string()), "{headers:?}");
    assert!(!headers.iter().any(|h| h.starts_with("Transfer-Encoding")), "{headers:?}");

    client.write_all(b"HEAD /object HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let (status, headers, body) = read_response(&mut reader, true);
    assert_eq!((status.as_str(), body.len()), ("HTTP/1.1 200 OK", 0));
    assert!(headers.contains(&"Content-Length: 11".to_string()), "{headers:?}");

    client.write_all(b"GET /close HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").unwrap();
    let (status, headers, body) = read_response(&mut reader, false);
    assert_eq!((status.as_str(), body.as_slice()), ("HTTP/1.1 200 OK", &b"until the end"[..]));
    assert!(headers.contains(&"Connection: close".to_string()), "{headers:?}");
    // The client asked to close: the proxy does.
    assert_eq!(reader.read(&mut [0; 1]).unwrap(), 0);

    let seen = seen.lock().unwrap();
    let (start, headers, body) = &seen[0];
    assert_eq!(start, "POST /chunked?a=1 HTTP/1.1");
    assert_eq!(body, b"abcdefg");
    // Headers pass unchanged; the chunked body is relayed with its length.
    assert!(headers.contains(&"Host: h".to_string()) && headers.contains(&"X-Signed: v".to_string()), "{headers:?}");
    assert!(headers.contains(&"Content-Length: 7".to_string()), "{headers:?}");
    assert!(!headers.iter().any(|h| h.starts_with("Transfer-Encoding")), "{headers:?}");
    assert_eq!(seen[1].0, "HEAD /object HTTP/1.1");
    assert_eq!(seen[2].0, "GET /close HTTP/1.1");
    assert_eq!(proxy.stats().forwarded, 3);
}

#[test]
fn slow_answers_wait_and_drop_ends_waits_and_connections() {
    let (upstream, _seen) = scripted_upstream();
    let proxy = FaultProxy::builder(upstream).slow(1.0, Duration::from_millis(300)).start().unwrap();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let started = Instant::now();
    client.write_all(b"GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let (_, _, body) = read_response(&mut reader, false);
    assert_eq!(body, b"hello world");
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!((proxy.stats().slow, proxy.stats().forwarded), (1, 1));

    // A request waiting out a long delay, and an idle keep-alive connection: drop
    // returns at once and both connections are closed.
    let slow = FaultProxy::builder(upstream).slow(1.0, Duration::from_secs(600)).start().unwrap();
    let mut waiting = TcpStream::connect(slow.addr()).unwrap();
    waiting.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    waiting.write_all(b"GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let mut idle = TcpStream::connect(slow.addr()).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.stats().slow == 0 {
        assert!(Instant::now() < deadline, "the request never reached the proxy");
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    let addr = slow.addr();
    drop(slow);
    assert!(started.elapsed() < Duration::from_secs(5), "drop took {:?}", started.elapsed());
    assert_eq!(waiting.read(&mut [0; 64]).unwrap_or(0), 0);
    assert_eq!(idle.read(&mut [0; 64]).unwrap_or(0), 0);
    assert!(TcpStream::connect(addr).is_err(), "still listening after drop");
}

#[test]
fn unreachable_upstream_is_a_bad_gateway() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = FaultProxy::builder(SocketAddr::from(([127, 0, 0, 1], port))).start().unwrap();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    client.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut BufReader::new(client), false);
    assert_eq!(status, "HTTP/1.1 502 Bad Gateway");
    assert!(String::from_utf8_lossy(&body).contains(&format!("127.0.0.1:{port}")));
    assert_eq!(proxy.stats().upstream_errors, 1);
}
