//! The driver of remediation: plan from a run's findings, apply a plan, roll an action back.
//!
//! Reads for planning and verification go through the read-only audit session (`--role-name`);
//! every change, and the re-check right before it, goes through the remediation session
//! (`--remediation-role-name`), whose caller ARN is recorded with each action. Actions are
//! made one after another: a mass remediation is paced by the same gates and adaptive retry
//! as collection instead of throttling itself, and the record of each action is committed
//! before the next begins, so a killed apply resumes where it stopped.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use mamori_model::remediation::{
    FilterSubject, FindingRef, LeftOut, LeftOutReason, Mode, Plan, PlannedAction, RemediationSection,
    PLAN_FORMAT_VERSION,
};
use mamori_model::{Finding, Status, GLOBAL_REGION};
use mamori_rules::{Evaluator, Params, RuleSet};
use mamori_store::{ActionKind, ActionOutcome, ActionRecord, NewAction, Store, StoreError};
use serde_json::Value;
use tokio::sync::Mutex;

use super::{registry, FixCx, Fixer, PlanInput, Settings, UndoInput};
use crate::collect::{self, ApiError};
use crate::limits::{Gates, Limits};
use crate::session::{self, RoleSpec};
use crate::stats::Stats;

/// The percent belt judges rules with at least this many failing resources; below it a share
/// says little (one of one is 100%) and `max_changes` alone holds.
pub const PERCENT_BELT_MIN_FAILING: usize = 10;

/// Why remediation could not run at all (failures of single actions are outcomes instead).
#[derive(Debug, thiserror::Error)]
pub enum RemediateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("safety belt: {0}; nothing was changed")]
    Belt(String),
    #[error("{0}")]
    Options(String),
    #[error("action {id} cannot be rolled back: {reason}")]
    Rollback { id: i64, reason: String },
}

/// How to reach accounts.
#[derive(Clone, Debug)]
pub struct RemediateOptions {
    /// The read-only audit role (`--role-name`): planning and verification read through it.
    pub read_role: Option<RoleSpec>,
    /// The remediation role (`--remediation-role-name`): every change goes through it.
    pub write_role: Option<RoleSpec>,
    pub limits: Limits,
}

/// Who a finding's account is, for the filters.
#[derive(Clone, Debug, Default)]
pub struct AccountContext {
    pub ous: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// What to plan.
pub struct PlanRequest<'a> {
    pub run_id: i64,
    /// The run's findings (with their stable ids), already narrowed to the requested rules,
    /// accounts and regions.
    pub findings: &'a [(String, Finding)],
    /// FAIL findings per rule in the whole run (the percent belt's base).
    pub failing_by_rule: BTreeMap<String, usize>,
    pub section: &'a RemediationSection,
    /// Which modes count as on: `plan` and `auto` for `remediate plan`, `auto` for
    /// `audit --remediate`.
    pub modes: &'a [Mode],
    /// The configured rules (their parameters are what a fix aims at).
    pub rules: &'a RuleSet,
    pub accounts: &'a BTreeMap<String, AccountContext>,
}

/// What became of one planned action.
#[derive(Clone, Debug)]
pub struct ActionReport {
    pub finding: FindingRef,
    /// The action recorded (or the earlier one that already did it).
    pub action_id: Option<i64>,
    pub outcome: ActionOutcome,
    pub detail: String,
}

/// The outcomes of an apply, in plan order.
#[derive(Clone, Debug, Default)]
pub struct ApplyReport {
    pub actions: Vec<ActionReport>,
    /// True when `stop_after` ended the apply before the plan's end.
    pub stopped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    Read,
    Write,
}

/// Plans, applies and rolls back, with sessions cached per account.
pub struct Remediator {
    base: SdkConfig,
    options: RemediateOptions,
    home: String,
    gates: Arc<Gates>,
    stats: Arc<Stats>,
    sessions: Mutex<BTreeMap<(String, Access), Result<SdkConfig, ApiError>>>,
    callers: Mutex<BTreeMap<String, Result<String, ApiError>>>,
}

impl Remediator {
    /// `base`: the credentials mamori runs with (they enter the roles); retries and timeouts
    /// of `options.limits` are applied to it as collection applies them.
    pub fn new(base: &SdkConfig, options: RemediateOptions) -> Result<Remediator, RemediateError> {
        options.limits.validate().map_err(RemediateError::Options)?;
        for role in options.read_role.iter().chain(&options.write_role) {
            role.validate().map_err(RemediateError::Options)?;
        }
        let limits = &options.limits;
        let base = base
            .to_builder()
            .retry_config(
                RetryConfig::adaptive()
                    .with_max_attempts(limits.max_attempts.get())
                    .with_initial_backoff(limits.initial_backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(limits.call_timeout)
                    .operation_attempt_timeout(limits.attempt_timeout)
                    .build(),
            )
            .build();
        let home = base.region().map(|r| r.to_string()).unwrap_or_else(|| crate::sdk::DEFAULT_REGION.into());
        Ok(Remediator {
            base,
            home,
            gates: Arc::new(Gates::new(options.limits.clone())),
            stats: Arc::new(Stats::default()),
            options,
            sessions: Mutex::default(),
            callers: Mutex::default(),
        })
    }

    /// Calls made so far, by service.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    async fn session(&self, account: &str, access: Access) -> Result<SdkConfig, ApiError> {
        let mut sessions = self.sessions.lock().await;
        if let Some(found) = sessions.get(&(account.to_owned(), access)) {
            return found.clone();
        }
        let role = match access {
            Access::Read => &self.options.read_role,
            Access::Write => &self.options.write_role,
        };
        let entered = match role {
            Some(spec) => session::enter(&self.base, account, spec).await,
            None => Ok(self.base.clone()),
        };
        sessions.insert((account.to_owned(), access), entered.clone());
        entered
    }

    /// The ARN the remediation session acts as in `account` (recorded with every action).
    async fn caller(&self, account: &str) -> Result<String, ApiError> {
        if let Some(found) = self.callers.lock().await.get(account) {
            return found.clone();
        }
        let session = self.session(account, Access::Write).await?;
        let sts = aws_sdk_sts::Client::new(&session);
        let _permit = self.gates.enter(account, "sts").await;
        let result = sts.get_caller_identity().send().await.map_err(|e| ApiError::from_sdk(&e));
        self.stats.call("sts", result.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
        let arn = result.map(|out| out.arn().unwrap_or_default().to_owned());
        self.callers.lock().await.insert(account.to_owned(), arn.clone());
        arn
    }

    /// The organizational units above `account`, innermost first, then the root (for the OU
    /// filters): Organizations ListParents through the base credentials (the management or
    /// delegated administrator account).
    pub async fn account_ous(&self, account: &str) -> Result<Vec<String>, ApiError> {
        let organizations = aws_sdk_organizations::Client::new(&self.base);
        let mut parents = Vec::new();
        let mut child = account.to_owned();
        // An organization is at most five OUs deep; the bound stops a malformed answer looping.
        for _ in 0..8 {
            let _permit = self.gates.enter(account, "organizations").await;
            let result = organizations.list_parents().child_id(&child).send().await.map_err(|e| ApiError::from_sdk(&e));
            self.stats.call("organizations", result.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
            let Some(parent) = result?.parents.unwrap_or_default().into_iter().next() else { break };
            let Some(id) = parent.id else { break };
            let root = id.starts_with("r-");
            parents.push(id.clone());
            if root {
                break;
            }
            child = id;
        }
        Ok(parents)
    }

    /// The region a fix of `finding` calls: its own, or the home region for global resources.
    fn region_of<'a>(&'a self, finding: &'a FindingRef) -> &'a str {
        if finding.region == GLOBAL_REGION {
            &self.home
        } else {
            &finding.region
        }
    }

    async fn cx(&self, finding: &FindingRef, access: Access) -> Result<FixCx, ApiError> {
        let session = self.session(&finding.account_id, access).await?;
        Ok(FixCx::new(
            &finding.account_id,
            self.region_of(finding),
            &session,
            Arc::clone(&self.gates),
            Arc::clone(&self.stats),
        ))
    }

    /// The plan for `request`'s findings: every FAIL finding either gets an action (state read
    /// now, exact calls, expected state) or is left out with its reason.
    pub async fn plan(&self, request: &PlanRequest<'_>) -> Plan {
        let section = request.section;
        let settings = Settings(section.settings.clone());
        let mut actions = Vec::new();
        let mut left_out = Vec::new();
        let no_tags = BTreeMap::new();
        for (finding_id, finding) in request.findings {
            let finding_ref = finding_ref(finding_id, finding);
            let mut leave = |reason: LeftOutReason, detail: String| {
                left_out.push(LeftOut { finding: finding_ref.clone(), reason, detail });
            };
            if finding.status != Status::Fail {
                leave(LeftOutReason::NotFailing, format!("the finding is {}", finding.status));
                continue;
            }
            let Some(fixer) = registry::find(&finding.rule_id) else {
                leave(LeftOutReason::NoFixer, format!("no fixer for {}", finding.rule_id));
                continue;
            };
            let mode = section.mode(&finding.rule_id);
            if !request.modes.contains(&mode) {
                leave(LeftOutReason::ModeOff, format!("[remediation.rule.{}] mode is {mode:?}", finding.rule_id));
                continue;
            }
            let account = request.accounts.get(&*finding.account_id);
            let subject = FilterSubject {
                account_id: &finding.account_id,
                ous: account.map_or(&[][..], |a| &a.ous[..]),
                tags: account.map_or(&no_tags, |a| &a.tags),
            };
            let rule_filters = section.rule.get(&*finding.rule_id).map(|r| &r.filters);
            if let Some(why) =
                section.filters.excludes(&subject).or_else(|| rule_filters.and_then(|f| f.excludes(&subject)))
            {
                leave(LeftOutReason::Excluded, why);
                continue;
            }
            if !fixer.meta().resource_types.contains(&&*finding.resource_type) {
                leave(LeftOutReason::NotFixable, format!("the fixer does not take {}", finding.resource_type));
                continue;
            }
            let state = match self.cx(&finding_ref, Access::Read).await {
                Ok(cx) => fixer.read(&cx, &finding_ref).await,
                Err(err) => Err(err),
            };
            let state = match state {
                Ok(Some(state)) => state,
                Ok(None) => {
                    leave(LeftOutReason::ResourceGone, format!("{} no longer exists", finding.resource_id));
                    continue;
                }
                Err(err) => {
                    leave(LeftOutReason::ReadFailed, format!("cannot read {}: {err}", finding.resource_id));
                    continue;
                }
            };
            let params = rule_params(request.rules, &finding.rule_id);
            let input = PlanInput { finding: &finding_ref, state: &state, params: &params, settings: &settings };
            match fixer.plan(&input) {
                Ok(change) => actions.push(PlannedAction {
                    finding: finding_ref,
                    fixer: fixer.meta().rule_id.to_owned(),
                    state_before: state,
                    calls: change.calls,
                    expected_after: change.after,
                    reversible: change.reversible,
                }),
                Err(not) => leave(not.reason, not.detail),
            }
        }
        let created = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            plan_id: format!("plan-{}-{:x}", request.run_id, created.as_nanos()),
            created_at: mamori_model::time::rfc3339(created.as_secs() as i64),
            run_id: request.run_id,
            actions,
            left_out,
            failing_by_rule: request.failing_by_rule.clone(),
        }
    }

    /// Checks the safety belts against what `plan` still has to do: over either, the whole
    /// apply is refused before any change.
    pub fn check_belts(plan: &Plan, store: &Store, section: &RemediationSection) -> Result<(), RemediateError> {
        let mut pending_by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let mut pending = 0;
        for action in &plan.actions {
            if done(store, &plan.plan_id, &action.finding.finding_id)?.is_none() {
                pending += 1;
                *pending_by_rule.entry(&action.finding.rule_id).or_default() += 1;
            }
        }
        let max_changes = section.max_changes();
        if pending > max_changes {
            return Err(RemediateError::Belt(format!(
                "the plan makes {pending} changes, more than [remediation] max_changes = {max_changes}"
            )));
        }
        let max_percent = section.max_percent();
        for (rule, count) in pending_by_rule {
            let failing = plan.failing_by_rule.get(rule).copied().unwrap_or(count).max(count);
            if failing >= PERCENT_BELT_MIN_FAILING && (count as f64) * 100.0 > max_percent * failing as f64 {
                return Err(RemediateError::Belt(format!(
                    "the plan changes {count} of the {failing} resources failing {rule}, more than \
                     [remediation] max_percent = {max_percent}%"
                )));
            }
        }
        Ok(())
    }

    /// Applies `plan`: the belts first, then each action (see the module documentation),
    /// recorded in `store`. `stop_after` ends the apply after that many actions that changed
    /// something (a stand-in for an interrupted apply, and a way to go step by step).
    pub async fn apply(
        &self,
        plan: &Plan,
        store: &mut Store,
        section: &RemediationSection,
        rules: &RuleSet,
        stop_after: Option<usize>,
    ) -> Result<ApplyReport, RemediateError> {
        Self::check_belts(plan, store, section)?;
        let mut report = ApplyReport::default();
        let mut changed = 0;
        for action in &plan.actions {
            if stop_after.is_some_and(|limit| changed >= limit) {
                report.stopped = true;
                break;
            }
            let outcome = self.apply_one(plan, action, store, rules).await?;
            if outcome.action_id.is_some()
                && matches!(outcome.outcome, ActionOutcome::Verified | ActionOutcome::Unverified)
            {
                changed += 1;
            }
            report.actions.push(outcome);
        }
        Ok(report)
    }

    async fn apply_one(
        &self,
        plan: &Plan,
        action: &PlannedAction,
        store: &mut Store,
        rules: &RuleSet,
    ) -> Result<ActionReport, RemediateError> {
        let finding = &action.finding;
        let report =
            |action_id, outcome, detail: String| ActionReport { finding: finding.clone(), action_id, outcome, detail };
        if let Some(earlier) = done(store, &plan.plan_id, &finding.finding_id)? {
            return Ok(report(
                Some(earlier.id),
                ActionOutcome::AlreadyApplied,
                format!("done by action {} ({})", earlier.id, earlier.outcome),
            ));
        }
        let Some(fixer) = registry::find(&action.fixer) else {
            return Ok(report(None, ActionOutcome::Skipped, format!("this mamori has no fixer `{}`", action.fixer)));
        };
        let caller = self.caller(&finding.account_id).await;
        let calls = serde_json::to_value(&action.calls).unwrap_or_default();
        let record = |store: &mut Store, state_before: &Value, caller: &str| {
            store.begin_action(&NewAction {
                kind: ActionKind::Fix,
                plan_id: &plan.plan_id,
                finding_id: &finding.finding_id,
                rule_id: &finding.rule_id,
                account_id: &finding.account_id,
                region: &finding.region,
                resource_type: &finding.resource_type,
                resource_id: &finding.resource_id,
                fixer: &action.fixer,
                reversible: action.reversible,
                rolls_back: None,
                planned_calls: &calls,
                state_before,
                caller_arn: caller,
            })
        };
        let (caller, cx) = match (caller, self.cx(finding, Access::Write).await) {
            (Ok(caller), Ok(cx)) => (caller, cx),
            (Err(err), _) | (_, Err(err)) => {
                let id = record(store, &action.state_before, "")?;
                let detail = format!("cannot act in account {}: {err}", finding.account_id);
                store.finish_action(id, ActionOutcome::Failed, &Value::Array(vec![]), None, &detail)?;
                return Ok(report(Some(id), ActionOutcome::Failed, detail));
            }
        };
        // The precondition, read right before the change through the session that makes it.
        let now = match fixer.read(&cx, finding).await {
            Ok(now) => now,
            Err(err) => {
                let id = record(store, &action.state_before, &caller)?;
                let detail = format!("cannot read {} before the change: {err}", finding.resource_id);
                store.finish_action(id, ActionOutcome::Failed, &Value::Array(vec![]), None, &detail)?;
                return Ok(report(Some(id), ActionOutcome::Failed, detail));
            }
        };
        let Some(now) = now else {
            let id = record(store, &action.state_before, &caller)?;
            let detail = format!("{} no longer exists", finding.resource_id);
            store.finish_action(id, ActionOutcome::Skipped, &Value::Array(vec![]), None, &detail)?;
            return Ok(report(Some(id), ActionOutcome::Skipped, detail));
        };
        if now == action.expected_after {
            let id = record(store, &now, &caller)?;
            let detail = "already in the planned state: no call made".to_owned();
            store.finish_action(id, ActionOutcome::AlreadyApplied, &Value::Array(vec![]), Some(&now), &detail)?;
            return Ok(report(Some(id), ActionOutcome::AlreadyApplied, detail));
        }
        if now != action.state_before {
            let id = record(store, &now, &caller)?;
            let detail = format!("changed since the plan: planned from {}, now {now}", action.state_before);
            store.finish_action(id, ActionOutcome::Skipped, &Value::Array(vec![]), Some(&now), &detail)?;
            return Ok(report(Some(id), ActionOutcome::Skipped, detail));
        }
        let id = record(store, &now, &caller)?;
        let (made, failure) = make_calls(fixer, &cx, &action.calls).await;
        let made_json = serde_json::to_value(&made).unwrap_or_default();
        if let Some(failure) = failure {
            let after = fixer.read(&cx, finding).await.ok().flatten();
            store.finish_action(id, ActionOutcome::Failed, &made_json, after.as_ref(), &failure)?;
            return Ok(report(Some(id), ActionOutcome::Failed, failure));
        }
        let after = fixer.read(&cx, finding).await;
        let (outcome, detail, after) = match after {
            Ok(Some(after)) if after == action.expected_after => match self.verify(finding, fixer, rules).await {
                Ok(detail) => (ActionOutcome::Verified, detail, Some(after)),
                Err(detail) => (ActionOutcome::Unverified, detail, Some(after)),
            },
            Ok(Some(after)) => {
                let detail = format!("reads back as {after}, not the expected {}", action.expected_after);
                (ActionOutcome::Unverified, detail, Some(after))
            }
            Ok(None) => (ActionOutcome::Unverified, format!("{} is gone after the change", finding.resource_id), None),
            Err(err) => (ActionOutcome::Unverified, format!("cannot read back: {err}"), None),
        };
        store.finish_action(id, outcome, &made_json, after.as_ref(), &detail)?;
        Ok(report(Some(id), outcome, detail))
    }

    /// Re-collects the resource through the read session and re-runs the configured rules:
    /// `Ok` only when the finding now passes.
    async fn verify(&self, finding: &FindingRef, fixer: &dyn Fixer, rules: &RuleSet) -> Result<String, String> {
        let session =
            self.session(&finding.account_id, Access::Read).await.map_err(|e| format!("cannot verify: {e}"))?;
        let items = collect::recollect(
            &session,
            &finding.account_id,
            self.region_of(finding),
            &self.home,
            fixer.meta().collector,
            Arc::clone(&self.gates),
            Arc::clone(&self.stats),
        )
        .await
        .map_err(|e| format!("cannot verify: {e}"))?;
        let mut evaluator = Evaluator::new(rules);
        let mut verdict = None;
        let mut sink = |f: Finding| {
            if f.id() == finding.finding_id {
                verdict = Some((f.status, f.message));
            }
        };
        for item in &items {
            evaluator.evaluate(item, &mut sink);
        }
        evaluator.finish(&mut sink);
        match verdict {
            Some((Status::Pass, message)) => Ok(format!("{} passes: {message}", finding.rule_id)),
            Some((status, message)) => Err(format!("{} is still {status}: {message}", finding.rule_id)),
            None => Err(format!("{} gave no verdict on {} when read again", finding.rule_id, finding.resource_id)),
        }
    }

    /// Restores the state recorded before action `id` (a reversible fix whose change was
    /// made), and records the rollback as an action of its own.
    pub async fn rollback(&self, id: i64, store: &mut Store) -> Result<ActionRecord, RemediateError> {
        let fix = store.action(id)?;
        let refuse = |reason: String| RemediateError::Rollback { id, reason };
        if fix.kind != ActionKind::Fix {
            return Err(refuse("it is itself a rollback".into()));
        }
        if !matches!(fix.outcome, ActionOutcome::Verified | ActionOutcome::Unverified) {
            return Err(refuse(format!("it made no change (outcome {})", fix.outcome)));
        }
        if !fix.reversible {
            return Err(refuse(format!("the fix of {} is not reversible", fix.rule_id)));
        }
        if let Some(done) = store.rollbacks_of(id)?.into_iter().find(|r| r.outcome == ActionOutcome::Verified) {
            return Err(refuse(format!("action {} already rolled it back", done.id)));
        }
        let Some(fixer) = registry::find(&fix.fixer) else {
            return Err(refuse(format!("this mamori has no fixer `{}`", fix.fixer)));
        };
        let finding = FindingRef {
            finding_id: fix.finding_id.clone(),
            rule_id: fix.rule_id.clone(),
            account_id: fix.account_id.clone(),
            region: fix.region.clone(),
            resource_type: fix.resource_type.clone(),
            resource_id: fix.resource_id.clone(),
            resource_arn: None,
        };
        let caller = self.caller(&finding.account_id).await.map_err(|e| refuse(format!("cannot act: {e}")))?;
        let cx = self.cx(&finding, Access::Write).await.map_err(|e| refuse(format!("cannot act: {e}")))?;
        let now = fixer
            .read(&cx, &finding)
            .await
            .map_err(|e| refuse(format!("cannot read {}: {e}", finding.resource_id)))?
            .ok_or_else(|| refuse(format!("{} no longer exists", finding.resource_id)))?;
        if fix.state_after.as_ref() != Some(&now) {
            return Err(refuse(format!(
                "{} changed since the fix: it left {}, now {now}",
                finding.resource_id,
                fix.state_after.as_ref().map_or("nothing readable".to_owned(), Value::to_string)
            )));
        }
        let change = fixer
            .undo(&UndoInput { finding: &finding, before: &fix.state_before, now: &now })
            .map_err(|not| refuse(not.detail))?;
        let planned = serde_json::to_value(&change.calls).unwrap_or_default();
        let rollback_id = store.begin_action(&NewAction {
            kind: ActionKind::Rollback,
            plan_id: &fix.plan_id,
            finding_id: &fix.finding_id,
            rule_id: &fix.rule_id,
            account_id: &fix.account_id,
            region: &fix.region,
            resource_type: &fix.resource_type,
            resource_id: &fix.resource_id,
            fixer: &fix.fixer,
            reversible: change.reversible,
            rolls_back: Some(id),
            planned_calls: &planned,
            state_before: &now,
            caller_arn: &caller,
        })?;
        let (made, failure) = make_calls(fixer, &cx, &change.calls).await;
        let made = serde_json::to_value(&made).unwrap_or_default();
        let after = fixer.read(&cx, &finding).await.ok().flatten();
        let (outcome, detail) = match failure {
            Some(failure) => (ActionOutcome::Failed, failure),
            None if after.as_ref() == Some(&change.after) => {
                (ActionOutcome::Verified, format!("restored: {}", change.after))
            }
            None => (ActionOutcome::Unverified, format!("expected {}, read back {after:?}", change.after)),
        };
        store.finish_action(rollback_id, outcome, &made, after.as_ref(), &detail)?;
        Ok(store.action(rollback_id)?)
    }
}

/// Makes `calls` in order; stops at the first failure, which it describes.
async fn make_calls<'a>(
    fixer: &dyn Fixer,
    cx: &FixCx,
    calls: &'a [mamori_model::remediation::ApiCall],
) -> (Vec<&'a mamori_model::remediation::ApiCall>, Option<String>) {
    let mut made = Vec::new();
    for call in calls {
        match fixer.call(cx, call).await {
            Ok(()) => made.push(call),
            Err(err) => return (made, Some(format!("{} failed: {err}", call.action()))),
        }
    }
    (made, None)
}

/// The earlier action of `plan_id` that already put the finding's fix in place.
fn done(store: &Store, plan_id: &str, finding_id: &str) -> Result<Option<ActionRecord>, StoreError> {
    Ok(store.actions_of(plan_id, finding_id, ActionKind::Fix)?.into_iter().find(|a| a.outcome.is_done()))
}

/// The rule's configured parameters, or its defaults when the run's rule set lacks it.
fn rule_params(rules: &RuleSet, rule_id: &str) -> Params {
    if let Some(active) = rules.rules().iter().find(|a| a.rule.meta().id == rule_id) {
        return active.params.clone();
    }
    mamori_rules::find(rule_id).and_then(|rule| Params::defaults(rule_id, rule.meta().params).ok()).unwrap_or_default()
}

fn finding_ref(finding_id: &str, finding: &Finding) -> FindingRef {
    FindingRef {
        finding_id: finding_id.to_owned(),
        rule_id: finding.rule_id.to_string(),
        account_id: finding.account_id.to_string(),
        region: finding.region.to_string(),
        resource_type: finding.resource_type.to_string(),
        resource_id: finding.resource_id.to_string(),
        resource_arn: finding.resource_arn.as_deref().map(str::to_owned),
    }
}
