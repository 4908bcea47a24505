//! The registry test and the data-driven fixture test.
//!
//! Every rule in the catalog must have complete metadata, a file named after its id, and
//! fixtures beside it: at least one `pass-*.json` and one `fail-*.json` (`error-*.json` for
//! cases that must report ERROR). A fixture holds configuration items, optional parameters,
//! and the exact findings the rule must produce; adding a case means adding a file.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use mamori_model::{Finding, RawItem};
use mamori_rules::{catalog, ActiveRule, Evaluator, ParamKind, Params, Rule, RuleSet};
use serde_json::Value;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules")
}

fn fixture_dir(rule: &dyn Rule) -> PathBuf {
    let meta = rule.meta();
    rules_dir().join(meta.service).join(meta.id.replace('-', "_"))
}

fn fixtures_of(rule: &dyn Rule) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir(rule))
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    files.sort();
    files
}

#[test]
fn every_rule_has_complete_metadata_and_fixtures() {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    for rule in catalog() {
        let meta = rule.meta();
        let mut problem = |text: String| problems.push(format!("{}: {text}", meta.id));
        if !ids.insert(meta.id) {
            problem("duplicate id".into());
        }
        if !meta.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            problem("id must be lowercase words joined by hyphens".into());
        }
        let file = rules_dir().join(meta.service).join(format!("{}.rs", meta.id.replace('-', "_")));
        if !file.is_file() {
            problem(format!("no rule file {}", file.display()));
        }
        for (field, text) in [("title", meta.title), ("rationale", meta.rationale), ("remediation", meta.remediation)] {
            if text.trim().len() < 10 {
                problem(format!("{field} is missing or too short"));
            }
        }
        if meta.resource_types.is_empty() {
            problem("reads no resource type".into());
        }
        for resource_type in meta.resource_types {
            if resource_type.split("::").count() != 3 || !resource_type.starts_with("AWS::") {
                problem(format!("`{resource_type}` is not a resource type like AWS::S3::Bucket"));
            }
        }
        for cis in meta.cis {
            let valid = cis.split('.').count() >= 2 && cis.split('.').all(|part| part.parse::<u32>().is_ok());
            if !valid {
                problem(format!("CIS recommendation `{cis}` is not like 1.14"));
            }
        }
        for control in meta.fsbp {
            let valid = control
                .split_once('.')
                .is_some_and(|(service, number)| !service.is_empty() && number.parse::<u32>().is_ok());
            if !valid {
                problem(format!("FSBP control `{control}` is not like IAM.6"));
            }
        }
        if let Err(err) = Params::defaults(meta.id, meta.params) {
            problem(format!("default parameters do not parse: {err}"));
        }
        for param in meta.params {
            if param.description.trim().is_empty() {
                problem(format!("parameter `{}` has no description", param.name));
            }
            // Every integer parameter states the range AWS Config documents for it, so that a
            // value AWS would refuse is refused here too.
            if let ParamKind::Integer { min, max } = param.kind {
                match (min, max) {
                    (None, _) => problem(format!("integer parameter `{}` declares no lower bound", param.name)),
                    (Some(min), Some(max)) if min > max => {
                        problem(format!("integer parameter `{}` has an empty range {min}..{max}", param.name))
                    }
                    _ => {}
                }
            }
        }
        let fixtures = fixtures_of(*rule);
        let named =
            |prefix: &str| fixtures.iter().any(|path| path.file_name().unwrap().to_string_lossy().starts_with(prefix));
        if !named("pass-") || !named("fail-") {
            problem(format!("needs at least one pass-*.json and one fail-*.json in {}", fixture_dir(*rule).display()));
        }
        for path in &fixtures {
            let name = path.file_name().unwrap().to_string_lossy();
            if !["pass-", "fail-", "error-"].iter().any(|prefix| name.starts_with(prefix)) {
                problem(format!("fixture {name} must start with pass-, fail- or error-"));
            }
        }
    }
    assert!(problems.is_empty(), "catalog problems:\n{}", problems.join("\n"));
}

#[test]
fn no_fixture_folder_without_a_rule() {
    let known: HashSet<PathBuf> = catalog().iter().map(|rule| fixture_dir(*rule)).collect();
    let mut orphans = Vec::new();
    for service in std::fs::read_dir(rules_dir()).unwrap().filter_map(|e| e.ok()) {
        if !service.path().is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(service.path()).unwrap().filter_map(|e| e.ok()) {
            if entry.path().is_dir() && !known.contains(&entry.path()) {
                orphans.push(entry.path().display().to_string());
            }
        }
    }
    assert!(orphans.is_empty(), "fixture folders with no rule in the catalog: {orphans:?}");
}

/// Run one rule alone over a fixture's items, conclusions included.
fn run_fixture(rule: &'static dyn Rule, fixture: &Value, path: &Path) -> Vec<Finding> {
    let given: BTreeMap<String, String> = fixture
        .get("params")
        .and_then(Value::as_object)
        .map(|params| {
            params
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let meta = rule.meta();
    let params = Params::build(meta.id, meta.params, &given).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let set = RuleSet::new(vec![ActiveRule { rule, params, severity: meta.severity }]);
    let mut evaluator = Evaluator::new(&set);
    let mut findings = Vec::new();
    let items =
        fixture.get("items").and_then(Value::as_array).unwrap_or_else(|| panic!("{}: no `items`", path.display()));
    for (index, raw) in items.iter().enumerate() {
        let raw: RawItem =
            serde_json::from_value(raw.clone()).unwrap_or_else(|err| panic!("{} item {index}: {err}", path.display()));
        for item in raw.into_items().unwrap_or_else(|err| panic!("{} item {index}: {err}", path.display())) {
            evaluator.evaluate(&item, &mut |finding| findings.push(finding));
        }
    }
    evaluator.finish(&mut |finding| findings.push(finding));
    findings
}

#[test]
fn every_fixture_gives_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for rule in catalog() {
        for path in fixtures_of(*rule) {
            cases += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let fixture: Value = match serde_json::from_str(&text) {
                Ok(value) => value,
                Err(err) => {
                    failures.push(format!("{}: invalid JSON: {err}", path.display()));
                    continue;
                }
            };
            let findings = run_fixture(*rule, &fixture, &path);
            let mut actual: Vec<(String, String)> =
                findings.iter().map(|f| (f.resource_id.to_string(), f.status.to_string())).collect();
            actual.sort();
            let expect = fixture.get("expect").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut expected: Vec<(String, String)> = expect
                .iter()
                .map(|e| {
                    (
                        e["resourceId"].as_str().unwrap_or_default().to_owned(),
                        e["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            expected.sort();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if actual != expected {
                let messages: Vec<String> =
                    findings.iter().map(|f| format!("{} {} {}", f.resource_id, f.status, f.message)).collect();
                failures.push(format!(
                    "{}: expected {expected:?}\n   got {actual:?}\n   messages: {messages:#?}",
                    path.display()
                ));
                continue;
            }
            let wanted_status = ["pass-", "fail-", "error-"]
                .iter()
                .zip(["PASS", "FAIL", "ERROR"])
                .find(|(prefix, _)| name.starts_with(**prefix))
                .map(|(_, status)| status);
            if let Some(status) = wanted_status {
                if !expected.iter().any(|(_, s)| s == status) {
                    failures.push(format!("{}: a {status} fixture must expect at least one {status}", path.display()));
                }
            }
            for e in &expect {
                if let Some(fragment) = e.get("messageContains").and_then(Value::as_str) {
                    let id = e["resourceId"].as_str().unwrap_or_default();
                    let found = findings.iter().any(|f| &*f.resource_id == id && f.message.contains(fragment));
                    if !found {
                        failures.push(format!("{}: no message for {id} contains `{fragment}`", path.display()));
                    }
                }
            }
            for finding in &findings {
                if finding.message.trim().is_empty() {
                    failures.push(format!("{}: empty message for {}", path.display(), finding.resource_id));
                }
            }
        }
    }
    assert!(cases > 0, "no fixtures found");
    assert!(failures.is_empty(), "{} of {cases} fixtures failed:\n{}", failures.len(), failures.join("\n"));
}

/// Values AWS Config itself would refuse (a negative key age, a password age beyond 1095 days)
/// must not be accepted, since they silently turn verdicts around.
#[test]
fn out_of_range_integer_parameters_are_refused() {
    let build = |rule: &str, param: &str, value: &str| {
        let meta = mamori_rules::find(rule).unwrap_or_else(|| panic!("no rule {rule}")).meta();
        let given = BTreeMap::from([(param.to_owned(), value.to_owned())]);
        Params::build(meta.id, meta.params, &given).map(|_| ()).map_err(|err| err.to_string())
    };
    for (rule, param, value, range) in [
        ("access-keys-rotated", "maxAccessKeyAge", "-45", "at least 1"),
        ("access-keys-rotated", "maxAccessKeyAge", "0", "at least 1"),
        ("iam-password-policy", "MaxPasswordAge", "1096", "from 1 to 1095"),
        ("iam-password-policy", "MinimumPasswordLength", "5", "from 6 to 128"),
        ("iam-password-policy", "PasswordReusePrevention", "25", "from 1 to 24"),
        ("iam-user-unused-credentials-check", "maxCredentialUsageAge", "-1", "at least 1"),
        ("db-instance-backup-enabled", "backupRetentionMinimum", "0", "from 1 to 35"),
        ("restricted-common-ports", "blockedPort1", "70000", "from 0 to 65535"),
    ] {
        let err = build(rule, param, value).expect_err(&format!("{rule} {param}={value} was accepted"));
        for part in [format!("`{rule}`"), format!("`{param}`"), format!("`{value}`"), range.to_owned()] {
            assert!(err.contains(&part), "{rule} {param}={value}: `{err}` does not name {part}");
        }
    }
    for (rule, param, value) in [
        ("access-keys-rotated", "maxAccessKeyAge", "1"),
        ("iam-password-policy", "MaxPasswordAge", "1095"),
        ("iam-password-policy", "MinimumPasswordLength", "6"),
        ("iam-password-policy", "MinimumPasswordLength", "128"),
        ("restricted-common-ports", "blockedPort1", "0"),
    ] {
        build(rule, param, value).unwrap_or_else(|err| panic!("{rule} {param}={value} refused: {err}"));
    }
}
