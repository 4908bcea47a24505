//! Exceptions end to end, through the real binary on the bundled demo organization: which
//! failures become MUTED (checked against the inventory's own tags, not only against counts),
//! expired and stale exceptions, `mamori exceptions check`, and bad files (exit 2, file:line).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mamori() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command.env("MAMORI_NO_STORE", "1");
    command
}

fn demo_org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org")
}

fn exceptions_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo-org-exceptions.yaml")
}

fn run(command: &mut Command) -> Output {
    command.output().expect("mamori runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn evaluate_json(extra: &[&std::ffi::OsStr]) -> (Value, String) {
    let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--format", "json"]).args(extra));
    assert!(output.status.success(), "{}", text(&output.stderr));
    (serde_json::from_slice(&output.stdout).expect("JSON report"), text(&output.stderr))
}

/// Tags of every resource of the demo inventory: (account, region, type, id) -> tags.
fn inventory_tags() -> HashMap<(String, String, String, String), BTreeMap<String, String>> {
    let mut tags = HashMap::new();
    for entry in std::fs::read_dir(demo_org()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        for line in std::io::BufReader::new(std::fs::File::open(&path).unwrap()).lines() {
            let item: Value = serde_json::from_str(&line.unwrap()).unwrap();
            let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
            let item_tags: BTreeMap<String, String> = serde_json::from_value(item["tags"].clone()).unwrap_or_default();
            tags.insert((text("accountId"), text("awsRegion"), text("resourceType"), text("resourceId")), item_tags);
        }
    }
    tags
}

#[test]
fn failures_matching_an_exception_become_muted_and_nothing_else_changes() {
    let (base, _) = evaluate_json(&[]);
    let (muted, warnings) = evaluate_json(&["--exceptions".as_ref(), exceptions_file().as_os_str()]);
    let tags = inventory_tags();
    let base_findings: HashMap<&str, &Value> =
        base["findings"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap(), f)).collect();

    // What each exception must mute, worked out here from the inventory and the plain run.
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for finding in base_findings.values().filter(|f| f["status"] == "FAIL") {
        let field = |key: &str| finding[key].as_str().unwrap_or_default().to_owned();
        let resource_tags =
            tags.get(&(field("accountId"), field("region"), field("resourceType"), field("resourceId")));
        let dev = resource_tags.and_then(|t| t.get("environment")).is_some_and(|env| env == "dev");
        let rule = field("ruleId");
        let label = if rule == "ec2-imdsv2-check" && dev {
            "dev-imds"
        } else if rule == "restricted-ssh" && dev {
            "dev-ssh"
        } else if rule.starts_with("s3-bucket-")
            && field("accountId") == "100000000000"
            && field("region") == "us-east-1"
            && field("resourceArn").starts_with("arn:aws:s3:::payments-")
        {
            "payments-buckets"
        } else {
            continue;
        };
        *expected.entry(label).or_default() += 1;
    }
    assert_eq!(expected, BTreeMap::from([("dev-imds", 5), ("dev-ssh", 6), ("payments-buckets", 6)]));

    let mut got: BTreeMap<&str, u64> = BTreeMap::new();
    for finding in muted["findings"].as_array().unwrap() {
        let before = base_findings[finding["id"].as_str().unwrap()];
        if finding["status"] == "MUTED" {
            assert_eq!(before["status"], "FAIL", "only failures are muted: {finding}");
            let message = finding["message"].as_str().unwrap();
            let label = message.split('`').nth(1).unwrap();
            assert!(message.starts_with(&format!("muted until 2099-12-31 by exception `{label}`: ")), "{message}");
            assert!(message.ends_with(&format!(" — original: {}", before["message"].as_str().unwrap())), "{message}");
            *got.entry(["dev-imds", "dev-ssh", "payments-buckets"].into_iter().find(|l| *l == label).unwrap())
                .or_default() += 1;
        } else {
            assert_eq!(finding, before, "a finding no exception matched is unchanged");
        }
    }
    assert_eq!(got, expected);
    let (base_checks, checks) = (&base["summary"]["checks"], &muted["summary"]["checks"]);
    assert_eq!(checks["muted"], 17);
    assert_eq!(checks["fail"].as_u64().unwrap(), base_checks["fail"].as_u64().unwrap() - 17);
    assert_eq!(checks["pass"], base_checks["pass"]);
    assert_eq!(muted["summary"]["byRule"]["restricted-ssh"]["checks"]["muted"], 6);

    assert!(
        warnings.contains("warning: exception `old-waiver` (")
            && warnings.contains(
                "demo-org-exceptions.yaml:23) expired on 2020-01-01: its 6 failing checks are reported as FAIL"
            ),
        "{warnings}"
    );
    assert!(warnings.contains("exception `root-mfa` (") && warnings.contains(":27) is stale"), "{warnings}");
    // The expired exception mutes nothing: restricted-common-ports keeps its failures.
    assert_eq!(muted["summary"]["byRule"]["restricted-common-ports"]["checks"]["fail"], 6);
}

#[test]
fn table_view_lists_the_exceptions_and_the_config_file_can_name_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(exceptions_file(), dir.path().join("accepted.yaml")).unwrap();
    std::fs::write(dir.path().join("mamori.toml"), "[exceptions]\nfile = \"accepted.yaml\"\n").unwrap();
    let output = run(mamori().arg("evaluate").arg(demo_org()).arg("--config").arg(dir.path().join("mamori.toml")));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("MUTED 17"), "{stdout}");
    assert!(stdout.contains("3 active muting 17 checks, 1 expired, 1 stale, 0 not evaluated"), "{stdout}");
    for row in [
        "dev-imds                     active         2099-12-31       5        0  dev instances",
        "old-waiver                   expired        2020-01-01       0        6  the waiver",
        "root-mfa                     stale          2099-12-31       0        0  kept after",
    ] {
        assert!(stdout.contains(row), "missing `{row}` in:\n{stdout}");
    }
    // Rules left out of the run make an exception "not evaluated", not stale.
    let output =
        run(mamori().arg("evaluate").arg(demo_org()).args(["--rules", "s3-*", "--exceptions"]).arg(exceptions_file()));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("1 active muting 6 checks, 1 expired, 0 stale, 3 not evaluated"), "{stdout}");
}

#[test]
fn exceptions_check_summarises_a_valid_file() {
    let output = run(mamori().args(["exceptions", "check"]).arg(exceptions_file()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains(": 5 exceptions, valid: 4 in force, 0 expiring within 30 days, 1 expired"), "{stdout}");
    assert!(stdout.contains("expired 2020-01-01: `old-waiver`"), "{stdout}");
}

fn refused(args: &[&std::ffi::OsStr], expected: &[&str]) {
    let output = run(mamori().args(args));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    for part in expected {
        assert!(stderr.contains(part), "expected `{part}` in:\n{stderr}");
    }
    assert!(output.stdout.is_empty(), "no report on refusal: {}", text(&output.stdout));
}

#[test]
fn bad_exceptions_files_exit_2_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "no-reason.yaml",
            "exceptions:\n  - id: x\n    rules: [restricted-ssh]\n    expires: 2027-01-31\n",
            &["no-reason.yaml:2: exception `x`: missing `reason`"],
        ),
        (
            "no-expiry.yaml",
            "exceptions:\n  - id: x\n    rules: [restricted-ssh]\n    reason: r\n",
            &["no-expiry.yaml:2: exception `x`: missing `expires`"],
        ),
        (
            "bad-date.yaml",
            "exceptions:\n  - id: x\n    rules: [restricted-ssh]\n    reason: r\n    expires: 31/01/2027\n",
            &["bad-date.yaml:5: exception `x`: `expires` is `31/01/2027`, not a date YYYY-MM-DD"],
        ),
        (
            "unknown-rule.yaml",
            "exceptions:\n  - id: x\n    rules: [no-such-rule]\n    reason: r\n    expires: 2027-01-31\n",
            &["unknown-rule.yaml:3: exception `x`: unknown rule `no-such-rule`"],
        ),
        (
            "syntax.yaml",
            "exceptions:\n  - id: x\n    rules: [restricted-ssh\n    reason: r: s\n",
            &["syntax.yaml:4:", "invalid YAML in exceptions file"],
        ),
    ];
    for (name, contents, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        refused(&["exceptions".as_ref(), "check".as_ref(), path.as_os_str()], expected);
        refused(&["evaluate".as_ref(), demo_org().as_os_str(), "--exceptions".as_ref(), path.as_os_str()], expected);
    }
    let missing = dir.path().join("missing.yaml");
    refused(
        &["evaluate".as_ref(), demo_org().as_os_str(), "--exceptions".as_ref(), missing.as_os_str()],
        &["cannot read exceptions file", "missing.yaml"],
    );
}

#[test]
fn muting_is_the_same_whatever_the_thread_count() {
    let file = exceptions_file();
    let (one, _) = evaluate_json(&["--threads".as_ref(), "1".as_ref(), "--exceptions".as_ref(), file.as_os_str()]);
    let (four, _) = evaluate_json(&["--threads".as_ref(), "4".as_ref(), "--exceptions".as_ref(), file.as_os_str()]);
    assert_eq!(one["findings"], four["findings"]);
    assert_eq!(one["summary"]["checks"], four["summary"]["checks"]);
}

/// `exceptions check` knows the custom policies `evaluate` knows: from `--policies` or
/// `[policies] dirs` (it used to refuse any exception naming one).
#[test]
fn exceptions_check_accepts_exceptions_naming_custom_policies() {
    let dir = tempfile::tempdir().unwrap();
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let file = dir.path().join("exceptions.yaml");
    std::fs::write(
        &file,
        "exceptions:\n  - id: tags-later\n    rules: [org-required-tags]\n    accounts: [\"100000000000\"]\n    reason: tagging starts next quarter\n    expires: 2099-01-01\n",
    )
    .unwrap();
    let output = run(mamori().args(["exceptions", "check"]).arg(&file));
    assert_eq!(output.status.code(), Some(2), "without the policies the rule is unknown");
    let output = run(mamori().args(["exceptions", "check"]).arg(&file).arg("--policies").arg(&policies));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let config = dir.path().join("mamori.toml");
    std::fs::write(&config, format!("[policies]\ndirs = [\"{}\"]\n", policies.display())).unwrap();
    let output = run(mamori().args(["exceptions", "check"]).arg(&file).arg("--config").arg(&config));
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A missing exceptions or framework file is named once, its cause said once.
#[test]
fn unreadable_exceptions_and_framework_files_say_their_cause_once() {
    let missing = Path::new("/nonexistent/mamori-exceptions.yaml");
    let output = run(mamori().args(["exceptions", "check"]).arg(missing));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
    let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--framework", "/nonexistent/framework.yaml"]));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
}
