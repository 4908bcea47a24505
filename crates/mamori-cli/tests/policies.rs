//! Custom Rego policies through the real binary: `mamori evaluate --policies` and
//! `[policies] dirs` on inventories in the collectors' shape, `mamori policy test`, and bad
//! policy directories (exit 2, message naming the file and line).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mamori() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command.env("MAMORI_NO_STORE", "true");
    command
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> PathBuf {
    root().join("examples/policies")
}

fn run(command: &mut Command) -> Output {
    command.output().expect("mamori runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn evaluate_json(inputs: &[&Path], extra: &[&str]) -> Vec<Value> {
    let output = run(mamori().arg("evaluate").args(inputs).args(["--format", "json"]).args(extra));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    report["findings"].as_array().expect("findings").clone()
}

/// rule id -> resource id -> (status, message)
fn by_rule(findings: &[Value]) -> BTreeMap<String, BTreeMap<String, (String, String)>> {
    let mut out: BTreeMap<String, BTreeMap<String, (String, String)>> = BTreeMap::new();
    for finding in findings {
        let field = |name: &str| finding[name].as_str().unwrap_or_default().to_owned();
        let previous =
            out.entry(field("ruleId")).or_default().insert(field("resourceId"), (field("status"), field("message")));
        assert!(previous.is_none(), "two findings for one resource: {finding}");
    }
    out
}

#[test]
fn example_policies_judge_every_item_of_the_test_files_as_expected() {
    // One inventory holding every item of the three policies' test cases, each case in its own
    // account so that the cross-resource IAM policy sees exactly its case's users and groups.
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.jsonl");
    let mut file = std::fs::File::create(&inventory).unwrap();
    let mut expected: Vec<(String, String, String, Option<String>)> = Vec::new();
    let mut account = 200000000000u64;
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".tests.json") {
            continue;
        }
        let tests: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in tests["cases"].as_array().unwrap() {
            account += 1;
            for item in case["items"].as_array().unwrap() {
                let mut item = item.clone();
                item["accountId"] = Value::from(account.to_string());
                writeln!(file, "{item}").unwrap();
            }
            for want in case["expect"].as_array().unwrap() {
                expected.push((
                    account.to_string(),
                    want["resourceId"].as_str().unwrap().to_owned(),
                    want["status"].as_str().unwrap().to_owned(),
                    want["messageContains"].as_str().map(str::to_owned),
                ));
            }
        }
    }
    drop(file);
    let findings = evaluate_json(&[&inventory], &["--policies", examples().to_str().unwrap(), "--rules", "org-*"]);
    assert_eq!(findings.len(), expected.len(), "{findings:#?}");
    for (account, resource, status, contains) in expected {
        let finding = findings
            .iter()
            .find(|f| f["accountId"] == account.as_str() && f["resourceId"] == resource.as_str())
            .unwrap_or_else(|| panic!("no finding for {resource} in {account}"));
        assert_eq!(finding["status"], status.as_str(), "{finding}");
        if let Some(contains) = contains {
            assert!(finding["message"].as_str().unwrap().contains(&contains), "{finding}");
        }
    }
}

#[test]
fn example_policies_on_the_demo_organization_agree_with_the_inventory_and_builtin_rules() {
    let demo = root().join("examples/demo-org");
    let findings = evaluate_json(
        &[&demo],
        &[
            "--policies",
            examples().to_str().unwrap(),
            "--rules",
            "org-*",
            "mamori-iam-user-access-key-ip-restricted",
            "restricted-ssh",
        ],
    );
    let rules = by_rule(&findings);

    // The Rego IAM policy reaches the built-in rule's verdict on every user: groups, managed
    // policies and URL-encoded documents are read the same way.
    let rego = &rules["org-iam-access-key-source-ip"];
    let builtin = &rules["mamori-iam-user-access-key-ip-restricted"];
    assert!(!rego.is_empty());
    let statuses = |rule: &BTreeMap<String, (String, String)>| -> BTreeMap<String, String> {
        rule.iter().map(|(id, (status, _))| (id.clone(), status.clone())).collect()
    };
    assert_eq!(statuses(rego), statuses(builtin));
    assert!(rego.values().any(|(status, _)| status == "FAIL") && rego.values().any(|(status, _)| status == "PASS"));

    // Every world-open exposure of the demo organization includes SSH (port 22 alone, a range
    // over it, or all traffic): the security groups the Rego policy fails are exactly those
    // `restricted-ssh` fails.
    let failing = |rule: &str| -> BTreeSet<String> {
        rules[rule].iter().filter(|(_, (status, _))| status == "FAIL").map(|(id, _)| id.clone()).collect()
    };
    let open = failing("org-sg-open-ingress-authorized-ports");
    assert!(!open.is_empty());
    assert_eq!(open, failing("restricted-ssh"));
    assert!(rules["org-sg-open-ingress-authorized-ports"]
        .values()
        .filter(|(status, _)| status == "FAIL")
        .all(|(_, message)| ["on tcp 22,", "on tcp 0-65535,", "on all ports,"].iter().any(|m| message.contains(m))));

    // The tag policy fails exactly the instances, buckets and databases the inventory shows
    // without a non-empty owner or environment tag.
    let mut untagged = BTreeSet::new();
    let mut judged = BTreeSet::new();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let file = std::fs::File::open(entry.unwrap().path()).unwrap();
        for line in std::io::BufReader::new(file).lines() {
            let item: Value = serde_json::from_str(&line.unwrap()).unwrap();
            let kind = item["resourceType"].as_str().unwrap();
            if !["AWS::EC2::Instance", "AWS::S3::Bucket", "AWS::RDS::DBInstance"].contains(&kind) {
                continue;
            }
            let id = item["resourceId"].as_str().unwrap().to_owned();
            let tagged = |key: &str| item["tags"][key].as_str().is_some_and(|value| !value.trim().is_empty());
            if !(tagged("owner") && tagged("environment")) {
                untagged.insert(id.clone());
            }
            judged.insert(id);
        }
    }
    let tags = &rules["org-required-tags"];
    assert_eq!(tags.keys().cloned().collect::<BTreeSet<_>>(), judged);
    assert!(!untagged.is_empty());
    assert_eq!(failing("org-required-tags"), untagged);
}

#[test]
fn policies_from_the_config_file_appear_in_every_report_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mamori.toml");
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::copy(examples().join("tag_policy.rego"), policies.join("tag_policy.rego")).unwrap();
    std::fs::write(&config, "[evaluate]\nrules = [\"org-*\", \"s3-bucket-versioning-enabled\"]\n[policies]\ndirs = [\"policies\"]\n[rule.org-required-tags]\nseverity = \"critical\"\n").unwrap();
    let demo = root().join("examples/demo-org");
    for format in ["table", "csv", "ocsf", "asff", "json"] {
        let output =
            run(mamori().arg("evaluate").arg(&demo).args(["--config", config.to_str().unwrap(), "--format", format]));
        assert!(output.status.success(), "{format}: {}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(stdout.contains("org-required-tags"), "{format}: {stdout}");
        if format == "json" {
            let report: Value = serde_json::from_str(&stdout).unwrap();
            let finding =
                report["findings"].as_array().unwrap().iter().find(|f| f["ruleId"] == "org-required-tags").unwrap();
            assert_eq!(finding["severity"], "critical");
        }
    }
}

#[test]
fn policy_test_reports_each_case_and_fails_on_a_broken_expectation() {
    let output = run(mamori().args(["policy", "test"]).arg(examples()));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("13 passed, 0 failed"), "{stdout}");
    assert!(stdout.contains("ok    the explicit exemption tag exempts"), "{stdout}");

    // The same policy with SSH authorized: its test cases must catch it.
    let dir = tempfile::tempdir().unwrap();
    let policy = std::fs::read_to_string(examples().join("sg_open_ingress_authorized.rego")).unwrap();
    std::fs::write(
        dir.path().join("sg_open_ingress_authorized.rego"),
        policy.replace("authorized_tcp_ports := {80, 443}", "authorized_tcp_ports := {22, 80, 443}"),
    )
    .unwrap();
    std::fs::copy(
        examples().join("sg_open_ingress_authorized.tests.json"),
        dir.path().join("sg_open_ingress_authorized.tests.json"),
    )
    .unwrap();
    let output = run(mamori().args(["policy", "test"]).arg(dir.path()));
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  ssh open to 0.0.0.0/0 fails"), "{stdout}");
    assert!(stdout.contains("sg-0ssh: expected FAIL, got PASS"), "{stdout}");
}

fn bad_policy(name: &str, rego: &str) -> (tempfile::TempDir, Output, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), rego).unwrap();
    let demo = root().join("examples/demo-org");
    let evaluate = run(mamori().arg("evaluate").arg(&demo).arg("--policies").arg(dir.path()));
    let test = run(mamori().args(["policy", "test"]).arg(dir.path()));
    (dir, evaluate, test)
}

#[test]
fn bad_policies_exit_2_naming_the_file_and_line() {
    let metadata =
        r#"metadata := {"id": "org-bad", "title": "t", "severity": "low", "resource_types": ["AWS::S3::Bucket"]}"#;
    let cases = [
        ("syntax.rego", format!("package bad\n\n{metadata}\n\ndeny contains msg if {{\n  msg := \n}}\n"), "syntax.rego:6:"),
        ("nometa.rego", "package bad\n\ndeny contains \"x\" if input.a\n".to_owned(), "has no `metadata` object"),
        (
            "badtype.rego",
            "package bad\nmetadata := {\"id\": \"org-bad\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::EC2::Nope\"]}\ndeny contains \"x\" if input.a\n".to_owned(),
            "unknown resource type `AWS::EC2::Nope`",
        ),
    ];
    for (name, rego, message) in cases {
        let (_dir, evaluate, test) = bad_policy(name, &rego);
        for output in [evaluate, test] {
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains(message) && stderr.contains(name), "{name}: {stderr}");
            assert!(output.stdout.is_empty() || !text(&output.stdout).contains("\"findings\""), "{name}");
        }
    }
}

#[test]
fn rules_list_and_show_include_custom_policies() {
    let listed = run(mamori().args(["rules", "list", "--format", "json", "--policies"]).arg(examples()));
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let rules: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let custom: BTreeSet<&str> =
        rules.iter().filter(|r| r["custom"] == true).map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        custom,
        BTreeSet::from(["org-iam-access-key-source-ip", "org-required-tags", "org-sg-open-ingress-authorized-ports"])
    );
    assert_eq!(rules.len(), mamori_rules::catalog().len() + 3);
    assert!(rules
        .iter()
        .filter(|r| r["custom"] == false)
        .all(|r| mamori_rules::find(r["id"].as_str().unwrap()).is_some()));

    let table = run(mamori().args(["rules", "list", "--policies"]).arg(examples()));
    assert!(text(&table.stdout).contains("(108 built in, 3 custom)"), "{}", text(&table.stdout));
    let shown = run(mamori().args(["rules", "show", "org-required-tags", "--policies"]).arg(examples()));
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(text(&shown.stdout).contains("custom policy"), "{}", text(&shown.stdout));
    let without = run(mamori().args(["rules", "show", "org-required-tags"]));
    assert_eq!(without.status.code(), Some(2));
}

/// A policy without its `.tests.json` is reported, and the other policies are still tested
/// (the run used to stop at the first one).
#[test]
fn policy_test_reports_a_policy_without_tests_and_runs_the_others() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["iam_access_key_source_ip", "sg_open_ingress_authorized", "tag_policy"] {
        std::fs::copy(examples().join(format!("{name}.rego")), dir.path().join(format!("{name}.rego"))).unwrap();
        if name != "iam_access_key_source_ip" {
            std::fs::copy(examples().join(format!("{name}.tests.json")), dir.path().join(format!("{name}.tests.json")))
                .unwrap();
        }
    }
    let output = run(mamori().args(["policy", "test"]).arg(dir.path()));
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("iam_access_key_source_ip.tests.json"), "the missing file is named: {stdout}");
    assert!(stdout.contains("ok    the explicit exemption tag exempts"), "the others still run: {stdout}");
    assert!(stdout.contains(", 1 policies without usable tests"), "{stdout}");
}
