//! Unit tests for policies: example inputs and expected verdicts in files beside each policy.
//!
//! `<name>.rego` is tested by `<name>.tests.json`:
//!
//! ```json
//! {"cases": [
//!   {"name": "untagged instance fails",
//!    "items": [ {AWS Config item}, ... ],
//!    "expect": [{"resourceId": "i-0abc", "status": "FAIL", "messageContains": "owner"}]}
//! ]}
//! ```
//! A case runs its items through the same evaluator as `mamori evaluate`, with the policy as
//! the only rule, and passes when the findings are exactly the expected ones (one per
//! resource id, same status, message containing the given text).

use std::path::{Path, PathBuf};

use mamori_model::{ConfigItem, Finding};
use mamori_rules::{ActiveRule, Evaluator, RuleSet};
use serde::Deserialize;

use crate::{Policy, PolicyError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    items: Vec<serde_json::Value>,
    expect: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expected {
    resource_id: String,
    status: String,
    #[serde(default)]
    message_contains: Option<String>,
}

/// The outcome of one test case.
#[derive(Debug)]
pub struct CaseResult {
    pub policy_id: String,
    pub name: String,
    /// Empty when the case passed; otherwise what differed.
    pub problems: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The test file of a policy file.
pub fn test_file_of(policy: &Path) -> PathBuf {
    policy.with_extension("tests.json")
}

/// Run the test cases of one policy. A policy without a test file is an error: an untested
/// policy is not allowed to pass silently.
pub fn run(policy: &'static Policy) -> Result<Vec<CaseResult>, PolicyError> {
    let path = test_file_of(&policy.path);
    let bad = |message: String| PolicyError::TestFile { path: path.clone(), message };
    let text = std::fs::read_to_string(&path).map_err(|err| bad(err.to_string()))?;
    let file: TestFile = serde_json::from_str(&text).map_err(|err| bad(err.to_string()))?;
    if file.cases.is_empty() {
        return Err(bad("no test case".to_owned()));
    }
    let set = RuleSet::new(vec![ActiveRule::with_defaults(policy)]);
    let mut results = Vec::new();
    for case in file.cases {
        let mut items = Vec::new();
        for (index, raw) in case.items.into_iter().enumerate() {
            let item = serde_json::from_value::<mamori_model::RawItem>(raw)
                .map_err(|err| err.to_string())
                .and_then(|raw| raw.normalize().map_err(|err| err.to_string()))
                .map_err(|err| bad(format!("case `{}` item {index}: {err}", case.name)))?;
            items.push(item);
        }
        let findings = evaluate(&set, &items);
        let problems = compare(&findings, &case.expect);
        results.push(CaseResult { policy_id: policy.metadata.id.clone(), name: case.name, problems });
    }
    Ok(results)
}

fn evaluate(set: &RuleSet, items: &[ConfigItem]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut evaluator = Evaluator::new(set);
    for item in items {
        evaluator.evaluate(item, &mut |finding| findings.push(finding));
    }
    evaluator.finish(&mut |finding| findings.push(finding));
    findings
}

fn compare(findings: &[Finding], expected: &[Expected]) -> Vec<String> {
    let mut problems = Vec::new();
    for want in expected {
        let found: Vec<&Finding> = findings.iter().filter(|f| *f.resource_id == *want.resource_id).collect();
        match found.as_slice() {
            [] => problems.push(format!("{}: expected {}, got no finding", want.resource_id, want.status)),
            [finding] => {
                if !finding.status.as_str().eq_ignore_ascii_case(&want.status) {
                    problems.push(format!(
                        "{}: expected {}, got {} ({})",
                        want.resource_id,
                        want.status,
                        finding.status.as_str(),
                        finding.message
                    ));
                } else if let Some(text) = &want.message_contains {
                    if !finding.message.contains(text.as_str()) {
                        problems.push(format!(
                            "{}: message `{}` does not contain `{text}`",
                            want.resource_id, finding.message
                        ));
                    }
                }
            }
            many => problems.push(format!("{}: {} findings, expected one", want.resource_id, many.len())),
        }
    }
    for finding in findings {
        if !expected.iter().any(|want| *want.resource_id == *finding.resource_id) {
            problems.push(format!(
                "{}: unexpected {} finding ({})",
                finding.resource_id,
                finding.status.as_str(),
                finding.message
            ));
        }
    }
    problems
}
