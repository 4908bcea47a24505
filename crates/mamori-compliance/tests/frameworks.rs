//! The built-in frameworks: they load, agree with the rules' own CIS and FSBP metadata in both
//! directions, and their coverage is the figure the README states. Invalid framework files in
//! `fixtures/frameworks-invalid/` name the errors they must produce in `# expect:` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mamori_compliance::coverage;
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
fn control_lists_are_the_published_ones() {
    let cis = builtin("cis-aws-3.0").evaluate(|_| None).coverage;
    assert_eq!((cis.controls, cis.automated, cis.retired), (62, 35, 0));
    // FSBP as of August 2026: 286 controls, plus 4 of the 2023 list no longer in the standard.
    let fsbp = builtin("aws-fsbp");
    let coverage = fsbp.evaluate(|_| None).coverage;
    assert_eq!((coverage.controls, coverage.automated, coverage.retired), (286, 286, 4));
    for control in &fsbp.controls {
        assert_eq!(
            control.severity.is_some(),
            !control.retired,
            "{}: severity given exactly for current controls",
            control.id
        );
        assert!(
            control.section.as_deref().is_some_and(|section| control.id.starts_with(&format!("{section}."))),
            "{}",
            control.id
        );
    }
    // The CIS sections as published: 22 + 9 + 9 + 16 + 6 recommendations.
    let mut sections: BTreeMap<char, usize> = BTreeMap::new();
    for control in builtin("cis-aws-3.0").controls {
        *sections.entry(control.id.chars().next().unwrap()).or_default() += 1;
    }
    assert_eq!(sections.into_values().collect::<Vec<_>>(), vec![22, 9, 9, 16, 6]);
}

/// The README's coverage tables are generated from the framework files: this test fails when
/// they are out of date, and `MAMORI_BLESS=1` rewrites them.
#[test]
fn readme_coverage_tables_are_generated_from_the_data() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (cis, fsbp) = (builtin("cis-aws-3.0"), builtin("aws-fsbp"));
    let tables = coverage::markdown(&[&cis, &fsbp]);
    let expected = coverage::splice(&readme, &tables)
        .unwrap_or_else(|| panic!("README.md lacks the coverage markers:\n{}\n{}", coverage::BEGIN, coverage::END));
    if expected != readme {
        if std::env::var_os("MAMORI_BLESS").is_some() {
            std::fs::write(&path, expected).unwrap();
        } else {
            panic!("README.md's coverage tables are out of date: run `MAMORI_BLESS=1 cargo test -p mamori-compliance --test frameworks`");
        }
    }
}

#[test]
fn retired_controls_take_no_rules_and_no_part() {
    let text = "id: t\nname: T\ncontrols:\n  - {id: \"A.1\", automated: true, retired: true, rules: [restricted-ssh], title: x}\n  - {id: \"A.2\", automated: true, severity: severe, rules: [], title: y}\n";
    let err = Framework::parse(text, "t.yaml", &known_rules()).unwrap_err().to_string();
    assert!(err.contains("t.yaml:4: control `A.1` is retired: it cannot have rules"), "{err}");
    assert!(err.contains("t.yaml:5: control `A.2`: `severity` must be one of critical, high, medium, low, informational, found `severe`"), "{err}");
    let mut fsbp = builtin("aws-fsbp");
    assert!(
        fsbp.evaluate(|_| None).controls.iter().all(|control| control.id != "S3.4"),
        "retired controls have no result"
    );
    let err = fsbp.map_rule("org-policy", &["S3.4"]).unwrap_err().to_string();
    assert!(err.contains("control `S3.4`, which framework `aws-fsbp` does not have"), "{err}");
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
