//! Test support: digest builders and fixtures; the recording HTTP server is
//! `mamori_testkit::webhook`.
#![allow(dead_code, reason = "each test binary uses a part of the support module")]

use std::path::PathBuf;

use mamori_notify::{Change, ChangeKind, OwnerDigest, RunInfo, Severity};
#[allow(unused_imports, reason = "re-exported for the test binaries that use it")]
pub use mamori_testkit::webhook::{closed_port_url, Recorder, Reply};

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
