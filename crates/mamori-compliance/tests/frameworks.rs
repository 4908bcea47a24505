//! The built-in frameworks: they load, agree with the rules' own CIS and FSBP metadata in both
//! directions, and their coverage is the figure the README states. Invalid framework files in
//! `fixtures/frameworks-invalid/` name the errors they must produce in `# expect:` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mamori_compliance::frameworks::BUILTIN;
use mamori_compliance::{ControlStatus, Framework};
use mamori_model::StatusCounts;
use mamori_rules::{catalog, RuleMeta};

fn known_rules() -> Vec<&'static str> {
    catalog().iter().map(|rule| rule.meta().id).collect()
}

fn builtin(id: &str) -> Framework {
    Framework::resolve(id, &known_rules()).unwrap()
}

/// Both directions: every (rule, control) pair in the rules' metadata is in the file, and every
/// pair in the file is in the metadata.
fn check_consistency(id: &str, mapping: fn(&RuleMeta) -> &'static [&'static str]) {
    let framework = builtin(id);
    let mut from_rules: BTreeSet<(String, String)> = BTreeSet::new();
    for rule in catalog() {
        for control in mapping(rule.meta()) {
            if framework.not_in_standard.iter().any(|other| other == control) {
                continue;
            }
            from_rules.insert((control.to_string(), rule.meta().id.to_owned()));
        }
    }
    let from_file: BTreeSet<(String, String)> = framework
        .controls
        .iter()
        .flat_map(|control| control.rules.iter().map(|rule| (control.id.clone(), rule.clone())))
        .collect();
    let missing: Vec<_> = from_rules.difference(&from_file).collect();
    let extra: Vec<_> = from_file.difference(&from_rules).collect();
    assert!(missing.is_empty(), "{id}: mapped by rules but not in the file: {missing:?}");
    assert!(extra.is_empty(), "{id}: in the file but not in the rules' metadata: {extra:?}");
    for other in &framework.not_in_standard {
        assert!(
            !framework.controls.iter().any(|control| &control.id == other),
            "{id}: `{other}` is listed as outside the standard but is a control of it"
        );
        assert!(
            catalog().iter().any(|rule| mapping(rule.meta()).contains(&other.as_str())),
            "{id}: `{other}` is mapped by no rule"
        );
    }
}

#[test]
fn cis_agrees_with_the_rules() {
    check_consistency("cis-aws-3.0", |meta| meta.cis);
}

#[test]
fn fsbp_agrees_with_the_rules() {
    check_consistency("aws-fsbp", |meta| meta.fsbp);
}

#[test]
fn coverage_is_as_stated() {
    let cis = builtin("cis-aws-3.0").evaluate(|_| None).coverage;
    assert_eq!((cis.controls, cis.with_rules, cis.automated, cis.automated_with_rules), (62, 30, 35, 29));
    let fsbp = builtin("aws-fsbp").evaluate(|_| None).coverage;
    assert_eq!((fsbp.controls, fsbp.with_rules, fsbp.automated, fsbp.automated_with_rules), (205, 42, 205, 42));
    // The CIS sections as published: 22 + 9 + 9 + 16 + 6 recommendations.
    let mut sections: BTreeMap<char, usize> = BTreeMap::new();
    for control in builtin("cis-aws-3.0").controls {
        *sections.entry(control.id.chars().next().unwrap()).or_default() += 1;
    }
    assert_eq!(sections.into_values().collect::<Vec<_>>(), vec![22, 9, 9, 16, 6]);
}

#[test]
fn control_results_follow_the_rules_counts() {
    let framework = builtin("cis-aws-3.0");
    let counts = |rule: &str| -> Option<StatusCounts> {
        match rule {
            "restricted-ssh" => Some(StatusCounts { pass: 5, fail: 1, error: 0, muted: 0 }),
            "restricted-common-ports" => Some(StatusCounts { pass: 5, fail: 0, error: 2, muted: 0 }),
            "nacl-no-unrestricted-ssh-rdp" => Some(StatusCounts { pass: 3, fail: 0, error: 1, muted: 0 }),
            "vpc-default-security-group-closed" => Some(StatusCounts { pass: 2, fail: 0, error: 0, muted: 4 }),
            "ec2-imdsv2-check" => Some(StatusCounts::default()),
            _ => None,
        }
    };
    let report = framework.evaluate(counts);
    let status = |id: &str| report.controls.iter().find(|control| control.id == id).unwrap().status;
    assert_eq!(status("5.2"), ControlStatus::Fail);
    assert_eq!(status("5.1"), ControlStatus::Error);
    assert_eq!(status("5.4"), ControlStatus::Pass, "muted failures count as accepted");
    assert_eq!(status("5.6"), ControlStatus::Pass, "rules that saw nothing pass with 0 checks");
    assert_eq!(status("5.5"), ControlStatus::Manual);
    assert_eq!(status("1.13"), ControlStatus::NotCovered, "automated, no rule");
    assert_eq!(status("1.4"), ControlStatus::NotCovered, "its rule was not in the run");
    let control = report.controls.iter().find(|control| control.id == "5.2").unwrap();
    assert_eq!(control.checks, StatusCounts { pass: 10, fail: 1, error: 2, muted: 0 });
}

#[test]
fn builtins_are_compiled_in() {
    for (id, file, _) in BUILTIN {
        assert_eq!(builtin(id).id, *id);
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(file).is_file(), "{file}");
    }
    let err = Framework::resolve("cis-aws-9", &known_rules()).unwrap_err().to_string();
    assert!(err.contains("unknown framework `cis-aws-9`") && err.contains("cis-aws-3.0, aws-fsbp"), "{err}");
}

#[test]
fn invalid_framework_files_name_file_line_and_control() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/frameworks-invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let err = Framework::resolve(file.to_str().unwrap(), &known_rules()).unwrap_err().to_string();
        for expected in text.lines().filter_map(|line| line.strip_prefix("# expect: ")) {
            assert!(err.contains(expected), "{}: expected `{expected}` in:\n{err}", file.display());
        }
    }
}
