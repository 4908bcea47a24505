//! The lifecycle every fixer test walks, in one place: audit (FAIL), plan, apply (verified by
//! the driver re-collecting and re-running the rule), audit (PASS), a second apply making no
//! change call, and for reversible fixes rollback and audit (FAIL again).

#![allow(dead_code, reason = "each test module uses a part of the lifecycle module")]

use aws_config::SdkConfig;
use mamori_model::remediation::{Plan, PlannedAction, RemediationSection};
use mamori_model::{Finding, Status};
use mamori_store::{ActionKind, ActionOutcome};

use crate::collect_common;
use crate::common::{self, Emulator};

/// What one lifecycle test is about.
pub struct Case<'a> {
    pub rule: &'a str,
    /// The finding's resource id (an account id for account-level rules).
    pub resource: &'a str,
    /// Audit with these collectors, in these regions.
    pub collectors: &'a [&'a str],
    pub regions: &'a [&'a str],
    /// The finding's region, when several regions are audited.
    pub region: Option<&'a str>,
    /// Judge the inventory as if captured at this time (rules counting days), not now.
    pub capture_time: Option<&'a str>,
    /// Plan, apply and roll back with these credentials rather than the emulator's defaults.
    pub credentials: Option<&'a SdkConfig>,
}

impl Case<'_> {
    fn finding<'f>(&self, findings: &'f [(String, Finding)]) -> Vec<&'f (String, Finding)> {
        findings
            .iter()
            .filter(|(_, f)| {
                &*f.rule_id == self.rule
                    && &*f.resource_id == self.resource
                    && self.region.is_none_or(|region| &*f.region == region)
            })
            .collect()
    }

    async fn config(&self, emulator: &Emulator) -> SdkConfig {
        match self.credentials {
            Some(config) => config.clone(),
            None => emulator.config().await,
        }
    }

    /// Every finding of the catalog after collecting now (judged at `capture_time` if set).
    pub async fn audit(&self, config: &SdkConfig) -> Vec<(String, Finding)> {
        let Some(time) = self.capture_time else { return common::audit(config, self.collectors, self.regions).await };
        let mut collected = collect_common::collect_current(config, self.collectors, self.regions).await;
        for item in &mut collected.items {
            item.configuration_item_capture_time = Some(time.to_owned());
        }
        collect_common::evaluate(&collected.items).into_iter().map(|f| (f.id(), f)).collect()
    }

    /// The rule's status on the resource after an audit now.
    pub async fn status(&self, config: &SdkConfig) -> Status {
        let findings = self.audit(config).await;
        let found = self.finding(&findings);
        assert_eq!(found.len(), 1, "one finding of {} on {}: {findings:#?}", self.rule, self.resource);
        found[0].1.status
    }

    /// Audits (FAIL expected) and plans the finding alone under `section`.
    pub async fn plan(&self, config: &SdkConfig, section: &RemediationSection) -> Plan {
        let findings = self.audit(config).await;
        let found: Vec<(String, Finding)> = self.finding(&findings).into_iter().cloned().collect();
        assert_eq!(found.len(), 1, "one finding of {} on {}: {findings:#?}", self.rule, self.resource);
        assert_eq!(found[0].1.status, Status::Fail, "{:#?}", found[0].1);
        common::plan(&common::remediator(config), &found, section, &[self.rule]).await
    }

    /// The whole lifecycle from a seeded failing resource; returns the planned action.
    pub async fn run(&self, emulator: &Emulator, section: &RemediationSection) -> PlannedAction {
        let config = self.config(emulator).await;
        let plan = self.plan(&config, section).await;
        assert_eq!(plan.actions.len(), 1, "{plan:#?}");
        self.apply_and_roll_back(emulator, &plan).await;
        plan.actions[0].clone()
    }

    /// Apply (verified, exactly the planned calls), PASS, a second apply without change
    /// calls, and rollback (FAIL again) when the action is reversible.
    pub async fn apply_and_roll_back(&self, emulator: &Emulator, plan: &Plan) {
        let config = self.config(emulator).await;
        let action = &plan.actions[0];
        let section = common::section(&[self.rule]);
        let remediator = common::remediator(&config);
        let (_dir, mut store) = common::store();
        let before = emulator.changes();
        let report = remediator.apply(plan, &mut store, &section, &common::rules(), None).await.unwrap();
        assert_eq!(report.actions.len(), 1);
        assert_eq!(report.actions[0].outcome, ActionOutcome::Verified, "{:#?}", report.actions[0]);
        assert_eq!(emulator.changes() - before, action.calls.len(), "exactly the planned calls");
        assert_eq!(self.status(&config).await, Status::Pass);

        let before = emulator.changes();
        let (_other, mut fresh) = common::store();
        let again = remediator.apply(plan, &mut fresh, &section, &common::rules(), None).await.unwrap();
        assert_eq!(again.actions[0].outcome, ActionOutcome::AlreadyApplied, "{:#?}", again.actions[0]);
        assert_eq!(emulator.changes(), before, "no change call on an applied plan");

        let fix = store.actions().unwrap().into_iter().find(|a| a.kind == ActionKind::Fix).unwrap();
        if action.reversible {
            let rollback = remediator.rollback(fix.id, &mut store).await.unwrap();
            assert_eq!(
                (rollback.kind, rollback.outcome),
                (ActionKind::Rollback, ActionOutcome::Verified),
                "{rollback:#?}"
            );
            assert_eq!(self.status(&config).await, Status::Fail);
        } else {
            let err = remediator.rollback(fix.id, &mut store).await.unwrap_err().to_string();
            assert!(err.contains("not reversible"), "{err}");
        }
    }
}

/// `[remediation]` with `rule` in mode `plan` and `settings`.
pub fn section_with(rule: &str, settings: serde_json::Value) -> RemediationSection {
    let mut section = common::section(&[rule]);
    if let serde_json::Value::Object(settings) = settings {
        section.settings = settings.into_iter().collect();
    }
    section
}
