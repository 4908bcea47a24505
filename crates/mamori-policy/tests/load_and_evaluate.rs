//! Loading errors name the file (and line), evaluation errors stay with their resource, and a
//! runaway policy is stopped by the execution limit while the run goes on.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mamori_model::Status;
use mamori_policy::{Options, PolicyError, PolicySet};

mod common;
use common::{evaluate, item};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn load_one(text: &str) -> (tempfile::TempDir, Result<PolicySet, PolicyError>) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policy.rego", text);
    let result = PolicySet::load(&[dir.path().to_owned()], Options::default());
    (dir, result)
}

const METADATA: &str =
    r#"metadata := {"id": "org-test", "title": "test", "severity": "low", "resource_types": ["AWS::S3::Bucket"]}"#;

#[test]
fn syntax_error_names_file_and_line() {
    let (dir, result) =
        load_one(&format!("package t\n\n{METADATA}\n\ndeny contains msg if {{\n  msg := \"x\" +\n}}\n"));
    let err = result.err().expect("syntax error");
    assert!(matches!(err, PolicyError::Syntax { line: 6, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("{}:6:", dir.path().join("policy.rego").display())), "{text}");
}

#[test]
fn missing_or_bad_metadata_is_refused() {
    let (_dir, result) = load_one("package t\n\ndeny contains \"x\" if input.a\n");
    assert!(matches!(result, Err(PolicyError::MissingMetadata { .. })), "{:?}", result.err());

    let (_dir, result) = load_one(
        "package t\nmetadata := {\"id\": \"org-x\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Bucket\"]}\ndeny contains \"x\" if input.a\n",
    );
    let text = result.err().unwrap().to_string();
    assert!(text.contains("policy.rego") && text.contains("`title`: is required"), "{text}");

    let (_dir, result) = load_one(
        "package t\nmetadata := {\"id\": \"org-x\", \"title\": \"t\", \"severity\": \"urgent\", \"resource_types\": [\"AWS::S3::Bucket\"]}\ndeny contains \"x\" if input.a\n",
    );
    let text = result.err().unwrap().to_string();
    assert!(text.contains("`severity`") && text.contains("urgent"), "{text}");

    let (_dir, result) = load_one(&format!("package t\n{METADATA}\n"));
    assert!(matches!(result, Err(PolicyError::MissingDeny { .. })), "{:?}", result.err());
}

#[test]
fn unknown_resource_type_is_refused_naming_the_file() {
    let (_dir, result) = load_one(
        "package t\nmetadata := {\"id\": \"org-x\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Buckets\"]}\ndeny contains \"x\" if input.a\n",
    );
    let err = result.err().unwrap();
    let text = err.to_string();
    assert!(matches!(err, PolicyError::UnknownResourceType { .. }), "{text}");
    assert!(text.contains("policy.rego") && text.contains("`AWS::S3::Buckets`"), "{text}");
}

#[test]
fn ids_must_not_clash_with_builtin_rules_or_each_other() {
    let (_dir, result) = load_one(
        "package t\nmetadata := {\"id\": \"s3-bucket-versioning-enabled\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Bucket\"]}\ndeny contains \"x\" if input.a\n",
    );
    assert!(matches!(result, Err(PolicyError::BuiltinId { .. })), "{:?}", result.err());

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rego", &format!("package a\n{METADATA}\ndeny contains \"x\" if input.a\n"));
    write(dir.path(), "b.rego", &format!("package b\n{METADATA}\ndeny contains \"x\" if input.a\n"));
    let err = PolicySet::load(&[dir.path().to_owned()], Options::default()).err().unwrap();
    assert!(matches!(err, PolicyError::DuplicateId { .. }), "{err}");
}

#[test]
fn an_error_on_one_resource_leaves_the_others_judged() {
    let (_dir, set) = load_one(&format!(
        "package t\n{METADATA}\n\
         deny contains \"no owner tag\" if not input.tags.owner\n\
         deny contains 42 if input.tags.owner == \"broken\"\n"
    ));
    let set = set.unwrap();
    let findings = evaluate(
        &set,
        &[item("good", &[("owner", "team")]), item("untagged", &[]), item("broken", &[("owner", "broken")])],
    );
    let status = |id: &str| findings.iter().find(|f| &*f.resource_id == id).map(|f| (f.status, f.message.clone()));
    assert_eq!(status("good").unwrap().0, Status::Pass);
    assert_eq!(status("untagged").unwrap(), (Status::Fail, "no owner tag".to_owned()));
    let (broken, message) = status("broken").unwrap();
    assert_eq!(broken, Status::Error);
    assert!(message.contains("`deny` must hold strings"), "{message}");
    assert_eq!(findings.len(), 3);
}

#[test]
fn a_runaway_policy_is_stopped_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "runaway.rego",
        &format!(
            "package t\n{METADATA}\n\
             deny contains \"loops\" if {{\n\
               input.tags.mode == \"runaway\"\n\
               some i in numbers.range(1, 100000)\n\
               some j in numbers.range(1, 100000)\n\
               i * j == -1\n\
             }}\n\
             deny contains \"no owner tag\" if not input.tags.owner\n"
        ),
    );
    let options = Options { time_limit: Duration::from_millis(200) };
    let set = PolicySet::load(&[dir.path().to_owned()], options).unwrap();
    let started = Instant::now();
    let findings = evaluate(
        &set,
        &[
            item("before", &[]),
            item("spinning", &[("mode", "runaway"), ("owner", "x")]),
            item("after", &[("owner", "x")]),
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let by_id = |id: &str| findings.iter().find(|f| &*f.resource_id == id).unwrap();
    assert_eq!(by_id("before").status, Status::Fail);
    assert_eq!(by_id("after").status, Status::Pass);
    let spinning = by_id("spinning");
    assert_eq!(spinning.status, Status::Error);
    assert!(spinning.message.contains("exceeded its execution limit of 200 ms"), "{}", spinning.message);
}

#[test]
fn the_example_policies_pass_their_tests() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let set = PolicySet::load(&[examples], Options::default()).unwrap();
    assert_eq!(set.policies().len(), 3);
    for policy in set.policies() {
        for case in mamori_policy::testing::run(policy).unwrap() {
            assert!(case.passed(), "{} / {}: {:?}", case.policy_id, case.name, case.problems);
        }
    }
}
