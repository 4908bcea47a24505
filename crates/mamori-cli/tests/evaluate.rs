//! `mamori evaluate` and `mamori rules` end to end, through the real binary: the bundled
//! example organization, every output format, exit codes, and bad input of every kind (each
//! must exit 2 with a message naming the file, line or field, and leave no report behind).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mamori() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    // These tests are about reports; the findings history has its own (tests/history.rs),
    // and nothing may be written to the user's data directory.
    command.env("MAMORI_NO_STORE", "1");
    command
}

fn demo_org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org")
}

fn run(command: &mut Command) -> Output {
    command.output().expect("mamori runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn evaluate_json(inputs: &[&Path], extra: &[&str]) -> Value {
    let output = run(mamori().arg("evaluate").args(inputs).args(["--format", "json"]).args(extra));
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

const BUCKET: &str = r#"{"resourceType":"AWS::S3::Bucket","resourceId":"b1","arn":"arn:aws:s3:::b1","accountId":"111122223333","awsRegion":"us-east-1","configuration":{"name":"b1"},"supplementaryConfiguration":{"BucketVersioningConfiguration":{"status":"Off"}}}"#;

#[test]
fn demo_organization_json_report_is_complete_and_consistent() {
    let report = evaluate_json(&[&demo_org()], &[]);
    let findings = report["findings"].as_array().unwrap();
    let summary = &report["summary"];
    let checks = &summary["checks"];
    let total = ["pass", "fail", "error", "muted"].iter().map(|k| checks[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total, findings.len() as u64);
    assert!(checks["fail"].as_u64().unwrap() > 0 && checks["pass"].as_u64().unwrap() > 0);
    assert_eq!(summary["accounts"], 6);
    assert_eq!(summary["regions"], 3);
    assert!(summary["notCovered"]["AWS::SNS::Topic"].as_u64().unwrap() > 0, "SNS topics are counted as not covered");
    let mut ids = std::collections::HashSet::new();
    for finding in findings {
        for field in
            ["id", "ruleId", "status", "severity", "accountId", "region", "resourceType", "resourceId", "message"]
        {
            assert!(finding[field].is_string(), "finding lacks {field}: {finding}");
        }
        assert!(ids.insert(finding["id"].as_str().unwrap().to_owned()), "duplicate finding id {finding}");
    }
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let one = evaluate_json(&[&demo_org()], &["--threads", "1"]);
    let four = evaluate_json(&[&demo_org()], &["--threads", "4"]);
    assert_eq!(one, four);
    // The table view is aggregated inside the workers: its examples must not depend on them.
    let table = |threads: &str| run(mamori().arg("evaluate").arg(demo_org()).args(["--threads", threads])).stdout;
    assert_eq!(table("1"), table("3"));
}

#[test]
fn table_view_and_exit_codes() {
    let output = run(mamori().arg("evaluate").arg(demo_org()));
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("Checks evaluated"), "{table}");
    assert!(table.contains("Failing rules"), "{table}");
    assert!(table.contains("Accounts (least compliant first)"), "{table}");

    let failing = run(mamori().arg("evaluate").arg(demo_org()).args(["--fail-on", "low"]));
    assert_eq!(failing.status.code(), Some(1));
    let only_versioning = run(mamori().arg("evaluate").arg(demo_org()).args([
        "--rules",
        "s3-bucket-versioning-enabled",
        "--fail-on",
        "critical",
    ]));
    assert_eq!(only_versioning.status.code(), Some(0), "a low-severity rule does not trip --fail-on critical");
}

#[test]
fn csv_ocsf_and_asff_exports() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "ocsf", "asff"] {
        let path = dir.path().join(format!("report.{format}"));
        let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--format", format, "--output"]).arg(&path));
        assert!(output.status.success(), "{format}: {}", stderr(&output));
        let text = std::fs::read_to_string(&path).unwrap();
        match format {
            "csv" => {
                assert!(text.starts_with("id,ruleId,status,severity,accountId,region"));
                assert!(text.lines().count() > 100);
            }
            "ocsf" => {
                let findings: Vec<Value> = serde_json::from_str(&text).unwrap();
                assert!(findings.iter().all(|f| f["class_uid"] == 2003 && f["cloud"]["provider"] == "AWS"));
            }
            _ => {
                let findings: Vec<Value> = serde_json::from_str(&text).unwrap();
                assert!(findings
                    .iter()
                    .all(|f| f["SchemaVersion"] == "2018-10-08" && f["Compliance"]["Status"].is_string()));
            }
        }
    }
}

#[test]
fn snapshot_files_and_api_shapes_give_the_same_findings_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("items.jsonl");
    std::fs::write(&lines, format!("{BUCKET}\n")).unwrap();
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(
        &snapshot,
        format!("{{\n  \"fileVersion\": \"1.0\",\n  \"configSnapshotId\": \"abc\",\n  \"configurationItems\": [\n    {BUCKET}\n  ]\n}}\n"),
    )
    .unwrap();
    let api = dir.path().join("batch-get.json");
    let encoded = r#"{"baseConfigurationItems":[{"version":"1.3","accountId":"111122223333","arn":"arn:aws:s3:::b1","resourceType":"AWS::S3::Bucket","resourceId":"b1","awsRegion":"us-east-1","configuration":"{\"name\":\"b1\"}","supplementaryConfiguration":{"BucketVersioningConfiguration":"{\"status\":\"Off\"}"}}]}"#;
    std::fs::write(&api, encoded).unwrap();
    let rules = ["--rules", "s3-bucket-versioning-enabled"];
    let from_lines = evaluate_json(&[&lines], &rules)["findings"].clone();
    assert_eq!(from_lines.as_array().unwrap().len(), 1);
    assert_eq!(from_lines[0]["status"], "FAIL");
    assert_eq!(evaluate_json(&[&snapshot], &rules)["findings"], from_lines);
    assert_eq!(evaluate_json(&[&api], &rules)["findings"], from_lines);
}

#[test]
fn a_collection_error_makes_the_rules_that_need_it_report_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    let failure = r#"{"resourceType":"Mamori::Collection::Error","resourceId":"AWS::S3::Bucket/ListBuckets","accountId":"444455556666","awsRegion":"global","configuration":{"resourceType":"AWS::S3::Bucket","operation":"ListBuckets","errorCode":"AccessDenied","message":"not authorized"}}"#;
    std::fs::write(&path, format!("{BUCKET}\n{failure}\n")).unwrap();
    let report = evaluate_json(&[&path], &["--rules", "s3-bucket-versioning-enabled", "restricted-ssh"]);
    let findings = report["findings"].as_array().unwrap();
    let errors: Vec<&Value> = findings.iter().filter(|f| f["status"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "only the S3 rule reads buckets: {findings:#?}");
    assert_eq!(errors[0]["accountId"], "444455556666");
    assert_eq!(errors[0]["ruleId"], "s3-bucket-versioning-enabled");
    assert!(errors[0]["message"].as_str().unwrap().contains("AccessDenied"));
    assert_eq!(report["summary"]["collectionErrors"], 1);
}

/// Bad input: exit code 2, a message naming where, and no report file.
fn assert_refused(args: &[&std::ffi::OsStr], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = run(mamori().args(args).args(["--format", "json", "--output"]).arg(&report));
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    for fragment in expected {
        assert!(message.contains(fragment), "`{fragment}` not in: {message}");
    }
    assert!(!message.contains("panicked"), "{message}");
    assert!(!report.exists(), "no partial report may be left behind");
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn malformed_input_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let many_good_lines = format!("{BUCKET}\n").repeat(3);
    let bad_json = write(
        dir.path(),
        "bad.jsonl",
        format!("{many_good_lines}{{\"resourceType\": \"AWS::S3::Bucket\",\n").as_bytes(),
    );
    assert_refused(&["evaluate".as_ref(), bad_json.as_os_str()], &["bad.jsonl", "line 4", "invalid JSON"]);

    let missing = write(
        dir.path(),
        "missing.jsonl",
        format!(
            "{BUCKET}\n{{\"resourceType\":\"AWS::S3::Bucket\",\"resourceId\":\"x\",\"awsRegion\":\"us-east-1\"}}\n"
        )
        .as_bytes(),
    );
    assert_refused(&["evaluate".as_ref(), missing.as_os_str()], &["missing.jsonl", "line 2", "`accountId`"]);

    let encoded = write(
        dir.path(),
        "encoded.jsonl",
        br#"{"resourceType":"AWS::S3::Bucket","resourceId":"x","awsRegion":"us-east-1","accountId":"1","configuration":"{oops"}"#,
    );
    assert_refused(&["evaluate".as_ref(), encoded.as_os_str()], &["encoded.jsonl", "line 1", "`configuration`"]);

    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..500 {
        writeln!(gzip, "{BUCKET}").unwrap();
    }
    let bytes = gzip.finish().unwrap();
    let truncated = write(dir.path(), "truncated.jsonl.gz", &bytes[..bytes.len() - 20]);
    assert_refused(&["evaluate".as_ref(), truncated.as_os_str()], &["truncated.jsonl.gz", "cannot read"]);

    let missing_file = dir.path().join("nope.jsonl");
    assert_refused(&["evaluate".as_ref(), missing_file.as_os_str()], &["nope.jsonl"]);

    let snapshot = write(
        dir.path(),
        "snap.json",
        b"{\n \"fileVersion\": \"1.0\",\n \"configurationItems\": [\n {\"resourceType\": 1}\n ]\n}\n",
    );
    assert_refused(&["evaluate".as_ref(), snapshot.as_os_str()], &["snap.json", "line 4"]);
}

#[test]
fn bad_rules_parameters_and_config_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "items.jsonl", format!("{BUCKET}\n").as_bytes());
    let input = input.as_os_str();
    assert_refused(
        &["evaluate".as_ref(), input, "--rules".as_ref(), "no-such-rule".as_ref()],
        &["unknown rule `no-such-rule`"],
    );
    assert_refused(
        &["evaluate".as_ref(), input, "--param".as_ref(), "s3-bucket-versioning-enabled.bogus=1".as_ref()],
        &["has no parameter `bogus`"],
    );
    assert_refused(&["evaluate".as_ref(), input, "--param".as_ref(), "restricted-ssh".as_ref()], &["RULE.NAME=VALUE"]);
    let config = write(
        dir.path(),
        "mamori.toml",
        b"[evaluate]\nrules = [\"*\"]\n\n[rule.s3-bucket-versioning-enabled]\nseverity = \"urgent\"\n",
    );
    assert_refused(
        &["evaluate".as_ref(), input, "--config".as_ref(), config.as_os_str()],
        &["mamori.toml", "[rule.s3-bucket-versioning-enabled] severity", "urgent"],
    );
    let broken = write(dir.path(), "broken.toml", b"[evaluate]\nrules = [\"*\"\n");
    assert_refused(&["evaluate".as_ref(), input, "--config".as_ref(), broken.as_os_str()], &["broken.toml", "line"]);
    let empty = write(dir.path(), "empty.jsonl", b"\n");
    assert_refused(&["evaluate".as_ref(), empty.as_os_str()], &["inventory is empty"]);
}

#[test]
fn rules_list_and_show() {
    let output = run(mamori().args(["rules", "list", "--format", "json"]));
    assert!(output.status.success());
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(rules.iter().any(|r| r["id"] == "restricted-ssh" && r["cisAwsFoundations3.0.0"].as_array().is_some()));
    let shown = run(mamori().args(["rules", "show", "s3-bucket-versioning-enabled"]));
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("isMfaDeleteEnabled") && text.contains("Enable versioning"), "{text}");
    assert!(text.contains("mamori remediate: enables versioning (undo: suspends it) (reversible;"), "{text}");
    let unfixed = run(mamori().args(["rules", "show", "s3-bucket-logging-enabled"]));
    assert!(!String::from_utf8_lossy(&unfixed.stdout).contains("mamori remediate"));
    let unknown = run(mamori().args(["rules", "show", "nope"]));
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown rule `nope`"));
}

/// The reports of the bundled example are the same bytes from one version to the next unless a
/// change means them to differ: their SHA-256 digests, at a fixed `SOURCE_DATE_EPOCH`, are kept
/// in `tests/fixtures/demo-org-reports.sha256` (made by the release before the workflow crate,
/// under `faketime` at the same instant). A change that alters a report on purpose (a new
/// rule, a new field) updates the file and says why in its commit.
#[test]
fn demo_organization_reports_are_byte_identical_to_the_recorded_digests() {
    use sha2::{Digest, Sha256};
    let recorded =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo-org-reports.sha256"))
            .unwrap();
    let mut compared = 0;
    for line in recorded.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty()) {
        let (format, digest) = line.split_once(' ').expect("`FORMAT DIGEST` lines");
        let output = run(mamori().env("SOURCE_DATE_EPOCH", "1764547200").arg("evaluate").arg(demo_org()).args([
            "--format",
            format,
            "--threads",
            "3",
        ]));
        assert!(output.status.success(), "{}", stderr(&output));
        let actual: String = Sha256::digest(&output.stdout).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(actual, digest.trim(), "the {format} report of examples/demo-org changed");
        compared += 1;
    }
    assert_eq!(compared, 4, "json, csv, ocsf and asff are recorded");
}

#[test]
fn a_bad_source_date_epoch_is_refused_by_name() {
    let output =
        run(mamori().env("SOURCE_DATE_EPOCH", "yesterday").arg("evaluate").arg(demo_org()).args(["--format", "json"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("SOURCE_DATE_EPOCH `yesterday`"), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}

/// `iam-policy` refuses what cannot work or would be silently ignored.
#[test]
fn iam_policy_refuses_a_bad_principal_and_options_it_would_ignore() {
    let output =
        run(mamori().args(["iam-policy", "--format", "cloudformation", "--trusted-principal", "not-an-account"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`not-an-account` is not a principal a role can trust"), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    for flags in [&["--external-id"][..], &["--trusted-principal", "111122223333"][..]] {
        let output = run(mamori().arg("iam-policy").args(flags));
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        assert!(stderr(&output).contains("applies to `--format cloudformation`"), "{}", stderr(&output));
    }
    let output = run(mamori().args([
        "iam-policy",
        "--format",
        "cloudformation",
        "--trusted-principal",
        "111122223333",
        "--external-id",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// `--threads` is bounded: a huge count is refused by name instead of aborting the process
/// (it used to try to allocate that many threads).
#[test]
fn an_absurd_thread_count_is_refused() {
    for threads in ["100000", "99999999999", "0"] {
        let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--threads", threads]));
        assert_eq!(output.status.code(), Some(2), "--threads {threads}");
        assert!(stderr(&output).contains("--threads"), "{}", stderr(&output));
    }
    let output = run(mamori().arg("inventory").arg(demo_org()).args(["--threads", "1024"]));
    assert!(output.status.success(), "{}", stderr(&output));
}
