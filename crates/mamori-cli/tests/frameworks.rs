//! `--framework` end to end on the bundled demo organization: per-control results for CIS AWS
//! Foundations Benchmark v3.0.0 and FSBP, exceptions turning a control to PASS, a custom
//! framework file, and bad frameworks (exit 2, naming the file, line and control).

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

fn run(command: &mut Command) -> Output {
    command.output().expect("mamori runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn framework_json(framework: &str, extra: &[&std::ffi::OsStr]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("framework.json");
    let output = run(mamori()
        .arg("evaluate")
        .arg(demo_org())
        .args(["--framework", framework, "--framework-output"])
        .arg(&path)
        .args(extra));
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
}

#[test]
fn cis_report_on_the_demo_organization() {
    let report = framework_json("cis-aws-3.0", &[]);
    assert_eq!(report["name"], "CIS Amazon Web Services Foundations Benchmark v3.0.0");
    assert_eq!(
        report["coverage"],
        serde_json::json!({"controls": 62, "withRules": 36, "automated": 35, "automatedWithRules": 35, "evaluated": 36, "retired": 0})
    );
    assert_eq!(
        report["totals"],
        serde_json::json!({"PASS": 10, "FAIL": 26, "ERROR": 0, "MANUAL": 26, "NOT_COVERED": 0})
    );
    assert_eq!(control(&report, "1.5")["status"], "PASS");
    assert_eq!(control(&report, "1.5")["checks"], serde_json::json!({"pass": 6, "fail": 0, "error": 0, "muted": 0}));
    assert_eq!(control(&report, "1.4")["status"], "FAIL");
    assert_eq!(control(&report, "1.4")["checks"]["fail"], 2);
    assert_eq!(control(&report, "1.1")["status"], "MANUAL");
    assert_eq!(control(&report, "1.13")["status"], "PASS", "every automated recommendation has a rule");
    assert_eq!(control(&report, "5.2")["rules"], serde_json::json!(["restricted-ssh", "restricted-common-ports"]));
}

#[test]
fn fsbp_report_on_the_demo_organization() {
    let report = framework_json("aws-fsbp", &[]);
    assert_eq!(
        report["coverage"],
        serde_json::json!({"controls": 286, "withRules": 80, "automated": 286, "automatedWithRules": 80, "evaluated": 80, "retired": 4})
    );
    assert_eq!(
        report["totals"],
        serde_json::json!({"PASS": 33, "FAIL": 47, "ERROR": 0, "MANUAL": 0, "NOT_COVERED": 206})
    );
    assert_eq!(control(&report, "S3.2")["checks"], serde_json::json!({"pass": 36, "fail": 0, "error": 0, "muted": 0}));
}

#[test]
fn muted_failures_count_as_accepted_and_unselected_rules_as_not_covered() {
    let dir = tempfile::tempdir().unwrap();
    let exceptions = dir.path().join("root-keys.yaml");
    std::fs::write(
        &exceptions,
        "exceptions:\n  - id: root-keys\n    rules: [iam-root-access-key-check]\n    reason: break-glass keys in a safe\n    expires: 2099-12-31\n",
    )
    .unwrap();
    let report = framework_json("cis-aws-3.0", &["--exceptions".as_ref(), exceptions.as_os_str()]);
    assert_eq!(control(&report, "1.4")["status"], "PASS");
    assert_eq!(control(&report, "1.4")["checks"], serde_json::json!({"pass": 4, "fail": 0, "error": 0, "muted": 2}));
    assert_eq!(report["totals"]["PASS"], 11);

    let report = framework_json("cis-aws-3.0", &["--rules".as_ref(), "s3-*".as_ref()]);
    assert_eq!(
        report["totals"],
        serde_json::json!({"PASS": 0, "FAIL": 2, "ERROR": 0, "MANUAL": 26, "NOT_COVERED": 34})
    );
    assert_eq!(report["coverage"]["evaluated"], 2);
}

#[test]
fn table_is_printed_after_the_organization_view() {
    let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--framework", "cis-aws-3.0"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let view = stdout.find("Accounts (least compliant first)").unwrap();
    let framework = stdout.find("CIS Amazon Web Services Foundations Benchmark v3.0.0 (cis-aws-3.0)").unwrap();
    assert!(view < framework, "{stdout}");
    assert!(stdout.contains("Coverage: 36 of 62 controls have rules (58.1%); 35 of 35 automatable controls (100.0%)"));
    assert!(stdout.contains("Controls: PASS 10   FAIL 26   ERROR 0   MANUAL 26   NOT_COVERED 0"), "{stdout}");
    // A JSON report on standard output stays valid JSON: the table goes to standard error.
    let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--framework", "aws-fsbp", "--format", "json"]));
    assert!(output.status.success());
    serde_json::from_slice::<Value>(&output.stdout).expect("stdout is the JSON report alone");
    assert!(text(&output.stderr).contains("AWS Foundational Security Best Practices v1.0.0 (aws-fsbp)"));
}

#[test]
fn custom_and_bad_frameworks() {
    let dir = tempfile::tempdir().unwrap();
    let custom = dir.path().join("mine.yaml");
    std::fs::write(
        &custom,
        "id: mine\nname: Our baseline\ncontrols:\n  - {id: B1, title: root keys, automated: true, rules: [iam-root-access-key-check]}\n  - {id: B2, title: a policy review, automated: false}\n",
    )
    .unwrap();
    let report = framework_json(custom.to_str().unwrap(), &[]);
    assert_eq!(report["totals"], serde_json::json!({"PASS": 0, "FAIL": 1, "ERROR": 0, "MANUAL": 1, "NOT_COVERED": 0}));

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "id: bad\nname: Bad\ncontrols:\n  - id: \"1\"\n    title: t\n    automated: true\n    rules: [no-such-rule]\n",
    )
    .unwrap();
    for (framework, expected) in [
        (bad.to_str().unwrap(), vec!["bad.yaml:7: control `1`: unknown rule `no-such-rule`"]),
        ("cis-aws-9", vec!["unknown framework `cis-aws-9`"]),
    ] {
        let output = run(mamori().arg("evaluate").arg(demo_org()).args(["--framework", framework]));
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty());
        let stderr = text(&output.stderr);
        for part in expected {
            assert!(stderr.contains(part), "expected `{part}` in:\n{stderr}");
        }
    }
}

/// A custom policy's framework mappings put it under those controls: a CIS control no built-in
/// rule covers (a manual one: every automated recommendation has a rule) becomes evaluated; a
/// mapping to a control the framework lacks is refused.
#[test]
fn custom_policies_join_the_controls_they_map_to() {
    let dir = tempfile::tempdir().unwrap();
    let policy = |cis: &str| {
        format!(
            "package test.one_key\n\
             metadata := {{\"id\": \"org-one-active-access-key\", \"title\": \"One active access key per user\",\n\
             \"severity\": \"medium\", \"resource_types\": [\"AWS::IAM::User\"], \"cis\": [\"{cis}\"]}}\n\
             active_keys := [key | some key in input.supplementaryConfiguration.AccessKeys; key.status == \"Active\"]\n\
             deny contains \"more than one active access key\" if count(active_keys) > 1\n"
        )
    };
    std::fs::write(dir.path().join("one_key.rego"), policy("1.11")).unwrap();
    let baseline = framework_json("cis-aws-3.0", &[]);
    assert_eq!(control(&baseline, "1.11")["status"], "MANUAL");
    let report = framework_json("cis-aws-3.0", &["--policies".as_ref(), dir.path().as_os_str()]);
    let mapped = control(&report, "1.11");
    assert_eq!(mapped["rules"], serde_json::json!(["org-one-active-access-key"]));
    assert_eq!(mapped["status"], "PASS", "{mapped}");
    let users = mapped["checks"]["pass"].as_u64().unwrap();
    assert!(users > 0, "{mapped}");
    assert_eq!(report["coverage"]["withRules"], 37, "one control more than the built-in rules cover");

    std::fs::write(dir.path().join("one_key.rego"), policy("9.9")).unwrap();
    let output = run(mamori()
        .arg("evaluate")
        .arg(demo_org())
        .args(["--framework", "cis-aws-3.0", "--policies"])
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains(
            "rule `org-one-active-access-key` maps to control `9.9`, which framework `cis-aws-3.0` does not have"
        ),
        "{}",
        text(&output.stderr)
    );
}
