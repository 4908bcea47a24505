//! Exception matching, driven by fixture folders: `fixtures/exceptions/<case>/exceptions.yaml`
//! with `cases.json` (today, findings with the resource's tags and the expected status and
//! exception, and each exception's outcome); and invalid files in
//! `fixtures/exceptions-invalid/`, each naming the errors it must produce in `# expect:` lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mamori_compliance::{Date, Exceptions};
use mamori_model::{Finding, Status};
use mamori_rules::{catalog, FindingHook};
use serde_json::Value;

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

fn known_rules() -> Vec<&'static str> {
    catalog().iter().map(|rule| rule.meta().id).collect()
}

fn finding(value: &Value) -> Finding {
    let mut value = value.clone();
    let object = value.as_object_mut().unwrap();
    object.entry("severity").or_insert("high".into());
    object.entry("message").or_insert("original message".into());
    serde_json::from_value(value).unwrap()
}

#[test]
fn matching_cases() {
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(fixtures("exceptions")).unwrap().map(|entry| entry.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 2);
    for case in cases {
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(case.join("cases.json")).unwrap()).unwrap();
        let today = Date::parse(spec["today"].as_str().unwrap()).unwrap();
        let exceptions = Exceptions::load(&case.join("exceptions.yaml"), &known_rules(), today)
            .unwrap_or_else(|err| panic!("{}: {err}", case.display()));
        for entry in spec["findings"].as_array().unwrap() {
            let note = entry["note"].as_str().unwrap();
            let mut finding = finding(&entry["finding"]);
            let original = finding.clone();
            let tags: Option<BTreeMap<String, String>> =
                entry.get("tags").map(|tags| serde_json::from_value(tags.clone()).unwrap());
            exceptions.adjust(&mut finding, tags.as_ref());
            let expected = entry["expect"].as_str().unwrap();
            assert_eq!(finding.status.as_str(), expected, "{}: {note}", case.display());
            match entry["exception"].as_str() {
                Some(label) => {
                    assert_eq!(finding.status, Status::Muted);
                    let exception = exceptions.list().iter().find(|e| e.label == label).unwrap();
                    assert_eq!(
                        finding.message,
                        format!(
                            "muted until {} by exception `{label}`: {} — original: original message",
                            exception.expires, exception.reason
                        ),
                        "{note}"
                    );
                }
                None => assert_eq!(finding, original, "{}: {note}: an unmuted finding is unchanged", case.display()),
            }
        }
        let evaluated: Vec<&str> = match spec.get("evaluated") {
            Some(list) => list.as_array().unwrap().iter().map(|id| id.as_str().unwrap()).collect(),
            None => known_rules(),
        };
        let outcomes = exceptions.outcomes(&evaluated);
        let expected = spec["outcomes"].as_object().unwrap();
        assert_eq!(outcomes.len(), expected.len(), "{}", case.display());
        for outcome in outcomes {
            let want = &expected[&outcome.label];
            let got = (outcome.state.as_str(), outcome.muted, outcome.would_have_muted);
            let wanted = (
                want["state"].as_str().unwrap(),
                want["muted"].as_u64().unwrap(),
                want["wouldHaveMuted"].as_u64().unwrap(),
            );
            assert_eq!(got, wanted, "{}: exception `{}`", case.display(), outcome.label);
        }
    }
}

#[test]
fn tags_are_remembered_only_when_an_exception_could_use_them() {
    let dir = fixtures("exceptions").join("matching");
    let exceptions =
        Exceptions::load(&dir.join("exceptions.yaml"), &known_rules(), Date::parse("2026-06-01").unwrap()).unwrap();
    let tags = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert!(exceptions.remember_tags(&tags(&[("environment", "dev"), ("owner", "x")])));
    assert!(!exceptions.remember_tags(&tags(&[("environment", "prod"), ("owner", "x")])));
    assert!(!exceptions.remember_tags(&tags(&[("Name", "web")])));
}

#[test]
fn invalid_files_name_file_line_and_field() {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(fixtures("exceptions-invalid")).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 6);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let err = Exceptions::load(&file, &known_rules(), Date::parse("2026-06-01").unwrap())
            .expect_err(&format!("{} must be refused", file.display()))
            .to_string();
        let expectations: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("# expect: ")).collect();
        assert!(!expectations.is_empty(), "{} has no `# expect:` line", file.display());
        for expected in expectations {
            assert!(err.contains(expected), "{}: expected `{expected}` in:\n{err}", file.display());
        }
    }
}
