//! The JSON report's summary, text for text, against counts taken from the report's own
//! findings with plain maps: the summary's counters are shared types now, and readers of the
//! report (dashboards, scripts, the previous release's users) must not see the change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mamori_engine::{Config, Destination, Format};
use mamori_model::{Severity, Status};
use serde_json::Value;

/// pass, fail, error, muted: the order the report has always written.
#[derive(Default)]
struct Tally([u64; 4]);

impl Tally {
    fn add(&mut self, status: Status) {
        let index = match status {
            Status::Pass => 0,
            Status::Fail => 1,
            Status::Error => 2,
            Status::Muted => 3,
        };
        self.0[index] += 1;
    }

    fn json(&self) -> String {
        let [pass, fail, error, muted] = self.0;
        format!(r#"{{"pass":{pass},"fail":{fail},"error":{error},"muted":{muted}}}"#)
    }

    /// The formula the report used before the score moved to mamori-model.
    fn compliance_json(&self) -> String {
        let [pass, fail, _, muted] = self.0;
        let decided = pass + fail + muted;
        let percent = (decided > 0).then(|| 100.0 * (pass + muted) as f64 / decided as f64);
        serde_json::to_string(&percent).unwrap()
    }
}

#[derive(Default)]
struct Expected {
    checks: Tally,
    /// Filled only on failure, as the summary used to be.
    failing: BTreeMap<Severity, u64>,
}

impl Expected {
    fn add(&mut self, status: Status, severity: Severity) {
        self.checks.add(status);
        if status == Status::Fail {
            *self.failing.entry(severity).or_default() += 1;
        }
    }

    fn failing_json(&self) -> String {
        serde_json::to_string(&self.failing).unwrap()
    }
}

fn demo_org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org")
}

#[test]
fn the_json_summary_keeps_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let rules = Config::default().rule_set().unwrap();
    let outcome =
        mamori_engine::evaluate_to_report(&[demo_org()], &rules, Format::Json, &Destination::File(path.clone()), 2)
            .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();

    let mut organization = Expected::default();
    let mut accounts: BTreeMap<String, Expected> = BTreeMap::new();
    let mut rules_checks: BTreeMap<String, (Severity, Tally)> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let status: Status = serde_json::from_value(finding["status"].clone()).unwrap();
        let severity: Severity = serde_json::from_value(finding["severity"].clone()).unwrap();
        organization.add(status, severity);
        accounts.entry(finding["accountId"].as_str().unwrap().to_owned()).or_default().add(status, severity);
        let rule =
            rules_checks.entry(finding["ruleId"].as_str().unwrap().to_owned()).or_insert((severity, Tally::default()));
        rule.1.add(status);
    }
    // The demo organization fails at several severities but never at all of them, so the
    // omission of zero severities is exercised.
    assert!(organization.failing.len() > 1 && organization.failing.len() < Severity::ALL.len());
    assert_eq!(organization.checks.0.iter().sum::<u64>(), outcome.summary.checks.total());

    let head = format!(
        r#"{{"summary":{{"checks":{},"compliancePercent":{},"failingBySeverity":{},"rulesEvaluated":"#,
        organization.checks.json(),
        organization.checks.compliance_json(),
        organization.failing_json()
    );
    assert!(
        text.starts_with(&head),
        "expected the report to start with {head}\n{}",
        &text[..head.len().min(text.len())]
    );

    assert_eq!(accounts.len(), 6);
    for (id, expected) in &accounts {
        let name = serde_json::to_string(&report["summary"]["byAccount"][id]["name"]).unwrap();
        let account = format!(
            r#""{id}":{{"name":{name},"checks":{},"failingBySeverity":{}}}"#,
            expected.checks.json(),
            expected.failing_json()
        );
        assert!(text.contains(&account), "expected {account} in the report");
    }
    for (id, (severity, checks)) in &rules_checks {
        let rule = format!(r#""{id}":{{"severity":"{severity}","checks":{},"accountsFailing":"#, checks.json());
        assert!(text.contains(&rule), "expected {rule} in the report");
    }
}
