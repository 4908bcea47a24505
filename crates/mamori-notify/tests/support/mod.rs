//! Test support: a real HTTP server on 127.0.0.1 that records every request and answers from a
//! script (statuses, `Retry-After`, hanging, closing), and digest builders.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mamori_notify::{Change, ChangeKind, OwnerDigest, RunInfo, Severity};

/// How the server answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Reads the request, then keeps the connection open without answering.
    Hang,
    /// Reads the request, then closes the connection without answering.
    Close,
}

impl Reply {
    pub fn status(code: u16, body: &str) -> Reply {
        Reply::Status { code, headers: Vec::new(), body: body.to_owned() }
    }

    pub fn with_header(code: u16, name: &str, value: &str, body: &str) -> Reply {
        Reply::Status { code, headers: vec![(name.to_owned(), value.to_owned())], body: body.to_owned() }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    stop: AtomicBool,
}

/// The server; stops (and releases hanging connections) when dropped.
pub struct Recorder {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Recorder {
    /// Answers the requests with `script` in order, then `200 ok` to every further request.
    pub fn start(script: Vec<Reply>) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = shared.clone();
        let accept = thread::spawn(move || {
            while !accept_shared.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let shared = accept_shared.clone();
                        thread::spawn(move || serve(stream, &shared));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(2)),
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Recorder { addr, shared, accept: Some(accept) }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
pub fn closed_port_url(path: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}{path}")
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let Some(recorded) = read_request(&mut stream) else { return };
    shared.requests.lock().unwrap().push(recorded);
    let reply = shared.script.lock().unwrap().pop_front().unwrap_or_else(|| Reply::status(200, "ok"));
    match reply {
        Reply::Status { code, headers, body } => {
            let mut head = format!("HTTP/1.1 {code} {}\r\n", reason(code));
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str(&format!(
                "Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
            let _ = stream.flush();
        }
        Reply::Hang => {
            while !shared.stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Reply::Close => {}
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Recorded { method, path, headers, body, at })
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn load_digest(name: &str) -> OwnerDigest {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Compares `actual` with the fixture `name`; `MAMORI_BLESS=1` rewrites the fixture instead.
pub fn assert_fixture(name: &str, actual: &serde_json::Value) {
    let path = fixture(name);
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("MAMORI_BLESS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(actual, &expected, "{} differs; actual:\n{pretty}", path.display());
}

pub fn run() -> RunInfo {
    RunInfo { id: "run-0042".into(), started_at: "2025-06-01T03:00:00Z".into(), scope: "org o-abc123".into() }
}

/// A seeded digest of `n` changes of every kind and severity, some with long texts and
/// characters Slack treats specially.
pub fn big_digest(n: usize, target: &str, seed: u64) -> OwnerDigest {
    let mut rng = seed;
    let mut next = move || {
        // xorshift64*: deterministic, no dependency.
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let kinds = [
        ChangeKind::NewFailure,
        ChangeKind::NewFailure,
        ChangeKind::Resolved,
        ChangeKind::NewError,
        ChangeKind::ErrorCleared,
    ];
    let changes = (0..n)
        .map(|i| {
            let r = next();
            let kind = kinds[(r % kinds.len() as u64) as usize];
            let severity = Severity::ALL[((r >> 8) % 5) as usize];
            let long = (r >> 16) % 7 == 0;
            let message = if long {
                format!("finding {i:04}: {} <!channel> & <https://evil.example|click>", "very long detail ".repeat(150))
            } else {
                format!("finding {i:04}: bucket allows public read & write <x>")
            };
            Change {
                kind,
                finding_id: format!("f{i:04}"),
                rule_id: format!("rule-{:02}", (r >> 24) % 40),
                rule_title: format!("Rule number {} must hold", (r >> 24) % 40),
                severity,
                account_id: format!("{:012}", 100_000_000_000 + (r >> 32) % 6),
                account_name: Some(format!("account-{}", (r >> 32) % 6)),
                region: ["us-east-1", "eu-west-1", "ap-northeast-1"][((r >> 40) % 3) as usize].to_owned(),
                resource_type: "AWS::S3::Bucket".into(),
                resource_id: format!("bucket-{i:04}"),
                resource_arn: Some(format!("arn:aws:s3:::bucket-{i:04}")),
                message,
                remediation: if long { Some("Turn it off. ".repeat(80)) } else { Some("Block public access.".into()) },
            }
        })
        .collect();
    OwnerDigest { owner: "team-a".into(), target: target.parse().unwrap(), run: run(), changes, still_failing: 12 }
}

/// The finding ids a rendered payload mentions, in order of appearance (`f0001`…).
pub fn finding_ids_in(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("finding ") {
        let start = i + pos + "finding ".len();
        if bytes.len() >= start + 4 && bytes[start..start + 4].iter().all(u8::is_ascii_digit) {
            ids.push(format!("f{}", &text[start..start + 4]));
        }
        i = start;
    }
    ids
}
