//! A policy must fail alone: recursion, runaway work while loading, and builtins that outlast
//! the time limit end as a load error naming the policy or as ERROR for the item, never as a
//! crashed or hung process. Each case is one fixture under `fixtures/hostile/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mamori_model::{Finding, Status};
use mamori_policy::{Options, PolicyError, PolicySet};

mod common;
use common::{evaluate, item};

/// A directory holding only the fixture `name`, as `mamori --policies DIR` would load it.
fn fixture_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile").join(name);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(&source, &path).unwrap();
    (dir, path)
}

fn load(name: &str, time_limit: Duration) -> (tempfile::TempDir, PathBuf, Result<PolicySet, PolicyError>) {
    let (dir, path) = fixture_dir(name);
    let result = PolicySet::load(&[dir.path().to_owned()], Options { time_limit });
    (dir, path, result)
}

fn finding<'a>(findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| &*f.resource_id == id).unwrap_or_else(|| panic!("no finding for {id}: {findings:?}"))
}

#[test]
fn a_recursive_function_is_refused_when_loading_naming_the_file_and_function() {
    let (_dir, path, result) = load("recursive_function.rego", Duration::from_secs(1));
    let err = result.err().expect("a recursive function is refused");
    let text = err.to_string();
    assert!(matches!(err, PolicyError::Recursion { line: 6, .. }), "{text}");
    assert!(text.starts_with(&format!("{}:6:", path.display())), "{text}");
    assert!(text.contains("function `depth` calls itself (`depth` -> `depth`)"), "{text}");

    // Mutual recursion, one call spelled with the package's full path.
    let (_dir, path, result) = load("mutual_recursion.rego", Duration::from_secs(1));
    let text = result.err().expect("mutual recursion is refused").to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("`ping` -> `pong` -> `ping`") || text.contains("`pong` -> `ping` -> `pong`"), "{text}");
}

#[test]
fn a_cycle_through_a_rule_is_an_error_for_the_item_with_its_reason() {
    let (_dir, _path, set) = load("rule_cycle.rego", Duration::from_secs(1));
    let set = set.expect("regorus stops a cycle through a rule itself");
    let findings = evaluate(&set, &[item("cycling", &[("mode", "cycle"), ("owner", "x")]), item("plain", &[])]);
    let cycling = finding(&findings, "cycling");
    assert_eq!(cycling.status, Status::Error);
    assert!(cycling.message.contains("policy `org-rule-cycle` failed"), "{}", cycling.message);
    assert!(cycling.message.contains("recursion detected"), "the reason is kept: {}", cycling.message);
    assert_eq!(finding(&findings, "plain").status, Status::Fail);
}

#[test]
fn a_long_chain_of_calls_is_refused_before_it_can_exhaust_the_stack() {
    // 200 functions each calling the next: not recursive, but deep enough to overflow the
    // 2 MiB stack of this test's thread (and of the evaluator's workers).
    let mut text = String::from(
        "package chain\nmetadata := {\"id\": \"org-chain\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Bucket\"]}\n",
    );
    for i in 0..200 {
        text.push_str(&format!("f{i}(x) := f{}(x)\n", i + 1));
    }
    text.push_str("f200(x) := x\ndeny contains \"deep\" if f0(input.configuration.size) == 3\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chain.rego"), text).unwrap();
    let err = PolicySet::load(&[dir.path().to_owned()], Options::default()).err().expect("refused");
    let text = err.to_string();
    assert!(matches!(err, PolicyError::TooDeep { .. }), "{text}");
    assert!(text.contains("chain.rego") && text.contains("evaluating `deny`") && text.contains("`f0`"), "{text}");

    // A short chain is fine, and is evaluated.
    let mut text = String::from(
        "package chain\nmetadata := {\"id\": \"org-chain\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Bucket\"]}\n",
    );
    for i in 0..20 {
        text.push_str(&format!("f{i}(x) := f{}(x)\n", i + 1));
    }
    text.push_str("f20(x) := x\ndeny contains \"size three\" if f0(input.configuration.size) == 3\n");
    std::fs::write(dir.path().join("chain.rego"), text).unwrap();
    let set = PolicySet::load(&[dir.path().to_owned()], Options::default()).unwrap();
    assert_eq!(evaluate(&set, &[item("b", &[])])[0].status, Status::Fail);
}

#[test]
fn deeply_nested_blocks_are_refused_before_the_parser_recurses_into_them() {
    let mut text = String::from(
        "package nested\nmetadata := {\"id\": \"org-nested\", \"title\": \"t\", \"severity\": \"low\", \"resource_types\": [\"AWS::S3::Bucket\"]}\n\
         deny contains \"x\" if {\n",
    );
    for i in 0..5000 {
        text.push_str(&format!("every x{i} in [1] {{\n"));
    }
    text.push_str(&"}\n".repeat(5001));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nested.rego"), text).unwrap();
    let err = PolicySet::load(&[dir.path().to_owned()], Options::default()).err().expect("refused");
    assert!(matches!(err, PolicyError::Nesting { line: 67, .. }), "{err}");
    assert!(err.to_string().contains("nested.rego:67: brackets nest more than 64 levels deep"), "{err}");
}

#[test]
fn a_slow_rule_that_ignores_the_input_is_a_load_error_within_the_limit() {
    let limit = Duration::from_millis(200);
    let started = Instant::now();
    let (_dir, path, result) = load("slow_load.rego", limit);
    let elapsed = started.elapsed();
    let err = result.err().expect("the load stops at the time limit");
    let text = err.to_string();
    assert!(matches!(err, PolicyError::LoadTimeLimit { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()) && text.contains("`deny`"), "{text}");
    assert!(text.contains("time limit of 200 ms"), "{text}");
    assert!(elapsed < limit * 25, "loading took {elapsed:?}");
}

#[test]
fn one_builtin_call_cannot_outlast_the_limit_unnoticed() {
    let limit = Duration::from_millis(100);
    let (_dir, _path, set) = load("slow_item.rego", limit);
    let set = set.unwrap();

    // Fifty million numbers in one call: refused by the bounded `numbers.range`, at once.
    let started = Instant::now();
    let findings = evaluate(&set, &[item("huge", &[("mode", "huge-range"), ("owner", "x")]), item("after", &[])]);
    let elapsed = started.elapsed();
    assert!(elapsed < limit * 20, "took {elapsed:?}");
    let huge = finding(&findings, "huge");
    assert_eq!(huge.status, Status::Error, "{}", huge.message);
    assert!(huge.message.contains("`numbers.range` would produce 50000000 numbers"), "{}", huge.message);
    assert_eq!(finding(&findings, "after").status, Status::Fail, "the next item is judged");

    // A step of zero would make regorus divide by zero (a panic): an error for that item.
    let findings = evaluate(&set, &[item("zero", &[("mode", "zero-step"), ("owner", "x")])]);
    let zero = finding(&findings, "zero");
    assert_eq!(zero.status, Status::Error);
    assert!(zero.message.contains("step must be a positive integer"), "{}", zero.message);

    // An allowed range still takes a few milliseconds in one step; past a 1 ms limit its
    // verdict came too late to count, whether or not the interpreter looked at its clock.
    let (_dir, _path, set) = load("slow_item.rego", Duration::from_millis(1));
    let set = set.unwrap();
    let findings = evaluate(&set, &[item("large", &[("mode", "large-range"), ("owner", "x")])]);
    let large = finding(&findings, "large");
    assert_eq!(large.status, Status::Error, "{}", large.message);
    assert!(large.message.contains("exceeded its execution limit of 1 ms"), "{}", large.message);
}

#[test]
fn a_runtime_error_keeps_its_reason_and_location() {
    let (_dir, _path, set) = load("runtime_error.rego", Duration::from_secs(1));
    let set = set.unwrap();
    let findings = evaluate(&set, &[item("bad", &[("size", "many")]), item("good", &[("size", "3")])]);
    let bad = finding(&findings, "bad");
    assert_eq!(bad.status, Status::Error);
    assert!(bad.message.starts_with("policy `org-runtime-error` failed: line 6, column"), "{}", bad.message);
    assert!(bad.message.contains("could not parse string as number"), "{}", bad.message);
    assert_eq!(finding(&findings, "good").status, Status::Pass);
}

#[test]
fn an_unreadable_directory_is_described_once_in_the_error_chain() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = PolicySet::load(std::slice::from_ref(&missing), Options::default()).err().unwrap();
    let chain = format!("{:#}", anyhow::Error::new(err));
    assert!(chain.contains(&format!("`{}`", missing.display())), "{chain}");
    assert_eq!(chain.matches("os error 2").count(), 1, "{chain}");
}
