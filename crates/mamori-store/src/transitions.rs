//! What changed between two complete runs of the same scope, finding by finding.
//!
//! | previous \ current | PASS          | FAIL          | ERROR     | MUTED         | absent |
//! |--------------------|---------------|---------------|-----------|---------------|--------|
//! | absent             | –             | NEW_FAILURE   | NEW_ERROR | –             |        |
//! | PASS               | –             | NEW_FAILURE   | NEW_ERROR | –             | –      |
//! | FAIL               | RESOLVED      | STILL_FAILING | NEW_ERROR | MUTED         | RESOLVED (resource gone) |
//! | ERROR              | ERROR_CLEARED | NEW_FAILURE   | –         | ERROR_CLEARED | ERROR_CLEARED (resource gone) |
//! | MUTED              | –             | NEW_FAILURE   | NEW_ERROR | –             | –      |
//!
//! Choices: a failure nobody was told about in the previous run is new (after ERROR, after an
//! expired exception); a failure that became muted is its own kind, not a resolution; and a
//! failing resource that is absent now counts as resolved ("resource gone") only when the
//! rule was evaluated in that account and region: if the current run has an ERROR of the same
//! rule there, nothing is claimed for it (that ERROR is itself reported as NEW_ERROR).

use std::collections::{BTreeMap, HashMap, HashSet};

use mamori_model::{Severity, Status};
use serde::Serialize;

use crate::{AccountRecord, Result, RunId, RunState, RunSummary, Store, StoreError, StoredFinding};

/// The kind of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransitionKind {
    NewFailure,
    NewError,
    StillFailing,
    Muted,
    ErrorCleared,
    Resolved,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 6] = [
        TransitionKind::NewFailure,
        TransitionKind::NewError,
        TransitionKind::StillFailing,
        TransitionKind::Muted,
        TransitionKind::ErrorCleared,
        TransitionKind::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::NewFailure => "NEW_FAILURE",
            TransitionKind::NewError => "NEW_ERROR",
            TransitionKind::StillFailing => "STILL_FAILING",
            TransitionKind::Muted => "MUTED",
            TransitionKind::ErrorCleared => "ERROR_CLEARED",
            TransitionKind::Resolved => "RESOLVED",
        }
    }
}

impl std::fmt::Display for TransitionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The transition of one finding from `previous` to `current` (`None` = absent), if any.
pub fn classify(previous: Option<Status>, current: Option<Status>) -> Option<TransitionKind> {
    use Status::*;
    use TransitionKind as K;
    match (previous, current) {
        (Some(Fail), Some(Fail)) => Some(K::StillFailing),
        (_, Some(Fail)) => Some(K::NewFailure),
        (Some(Error), Some(Error)) => None,
        (_, Some(Error)) => Some(K::NewError),
        (Some(Fail), Some(Pass) | None) => Some(K::Resolved),
        (Some(Fail), Some(Muted)) => Some(K::Muted),
        (Some(Error), Some(Pass | Muted) | None) => Some(K::ErrorCleared),
        _ => None,
    }
}

/// One finding's change, with what a notifier or a dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub kind: TransitionKind,
    pub finding_id: String,
    pub rule_id: String,
    pub rule_title: Option<String>,
    pub severity: Severity,
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_arn: Option<String>,
    /// The current message, or the previous one when the finding is gone.
    pub message: String,
    pub previous: Option<Status>,
    pub current: Option<Status>,
    pub owner: Option<String>,
    /// The notification target's name (never a URL).
    pub target: Option<String>,
    /// Why, when the kind alone does not say (`resource gone`).
    pub note: Option<String>,
}

/// The changes from `previous` to `current`.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub previous: RunSummary,
    pub current: RunSummary,
    /// Ordered by owner, account, kind, severity (highest first), rule and resource.
    pub transitions: Vec<Transition>,
    pub counts: BTreeMap<TransitionKind, u64>,
    /// Failing resources absent now whose rule reported ERROR in their account and region:
    /// neither resolved nor failing as far as anyone can tell.
    pub unverified: u64,
    /// Accounts of the current run (or of the previous one when gone), with owners.
    pub accounts: Vec<AccountRecord>,
}

impl Diff {
    /// Transitions grouped by owner (`None` = no owner known), then account.
    pub fn by_owner(&self) -> BTreeMap<Option<&str>, BTreeMap<&str, Vec<&Transition>>> {
        let mut groups: BTreeMap<Option<&str>, BTreeMap<&str, Vec<&Transition>>> = BTreeMap::new();
        for transition in &self.transitions {
            groups
                .entry(transition.owner.as_deref())
                .or_default()
                .entry(transition.account_id.as_str())
                .or_default()
                .push(transition);
        }
        groups
    }

    /// Transitions grouped by notification target name (`None` = no target).
    pub fn by_target(&self) -> BTreeMap<Option<&str>, Vec<&Transition>> {
        let mut groups: BTreeMap<Option<&str>, Vec<&Transition>> = BTreeMap::new();
        for transition in &self.transitions {
            groups.entry(transition.target.as_deref()).or_default().push(transition);
        }
        groups
    }
}

impl Store {
    /// The two runs `mamori diff` compares: `previous` and `current` as named, or by default
    /// the latest complete run and the latest complete run of its scope before it; with only
    /// `previous` named, the latest complete run of its scope after it.
    pub fn diff_runs(&self, previous: Option<&str>, current: Option<&str>) -> Result<(RunSummary, RunSummary)> {
        let not_enough = |message: String| StoreError::NotEnoughRuns { path: self.path.clone(), message };
        let (previous, current) = match (previous, current) {
            (Some(previous), Some(current)) => (self.run_by_name(previous)?, self.run_by_name(current)?),
            (Some(previous), None) => {
                let previous = self.run_by_name(previous)?;
                let current = self
                    .latest_complete_run(Some(&previous.scope), None)?
                    .filter(|run| run.id != previous.id)
                    .ok_or_else(|| {
                        not_enough(format!("no complete run of the scope of run {} came after it", previous.id))
                    })?;
                (previous, current)
            }
            (None, current) => {
                let current = match current {
                    Some(name) => self.run_by_name(name)?,
                    None => self
                        .latest_complete_run(None, None)?
                        .ok_or_else(|| not_enough("no complete run yet: nothing to compare".into()))?,
                };
                let previous = self.latest_complete_run(Some(&current.scope), Some(current.id))?.ok_or_else(|| {
                    not_enough(format!(
                        "run {} is the only complete run of its scope (`{}`): nothing to compare it with",
                        current.id, current.scope_label
                    ))
                })?;
                (previous, current)
            }
        };
        for run in [&previous, &current] {
            if run.state != RunState::Complete {
                return Err(StoreError::IncompleteRun {
                    path: self.path.clone(),
                    id: run.id,
                    state: run.state.as_str().to_owned(),
                });
            }
        }
        if previous.scope != current.scope {
            return Err(StoreError::ScopeMismatch {
                path: self.path.clone(),
                previous: previous.id,
                current: current.id,
                previous_scope: previous.scope_label.clone(),
                current_scope: current.scope_label.clone(),
            });
        }
        Ok((previous, current))
    }

    /// The transitions from run `previous` to run `current`; both must be complete and of
    /// the same scope.
    pub fn diff(&self, previous: RunId, current: RunId) -> Result<Diff> {
        let (previous, current) = self.diff_runs(Some(&previous.to_string()), Some(&current.to_string()))?;
        let mut before: HashMap<String, StoredFinding> = HashMap::new();
        self.for_each_finding(previous.id, |finding| {
            before.insert(finding.finding_id.clone(), finding);
        })?;
        let mut accounts: BTreeMap<String, AccountRecord> =
            self.accounts(previous.id)?.into_iter().map(|a| (a.id.clone(), a)).collect();
        accounts.extend(self.accounts(current.id)?.into_iter().map(|a| (a.id.clone(), a)));

        let mut transitions = Vec::new();
        let mut erroring_scopes: HashSet<(String, String, String)> = HashSet::new();
        self.for_each_finding(current.id, |finding| {
            let old = before.remove(&finding.finding_id);
            if finding.status == Status::Error {
                erroring_scopes.insert((finding.rule_id.clone(), finding.account_id.clone(), finding.region.clone()));
            }
            if let Some(kind) = classify(old.as_ref().map(|f| f.status), Some(finding.status)) {
                transitions.push(transition(kind, finding, old.map(|f| f.status), true, None, &accounts));
            }
        })?;
        // Findings of a rule the later run no longer evaluates are neither resolved nor gone:
        // the rule was deselected. (Runs recorded without their rule list are compared whole.)
        let current_rules: HashSet<String> = self.rules(current.id)?.into_iter().map(|rule| rule.id).collect();
        let mut unverified = 0;
        for (_, finding) in before {
            if !current_rules.is_empty() && !current_rules.contains(&finding.rule_id) {
                continue;
            }
            let Some(kind) = classify(Some(finding.status), None) else { continue };
            let scope = (finding.rule_id.clone(), finding.account_id.clone(), finding.region.clone());
            if kind == TransitionKind::Resolved && erroring_scopes.contains(&scope) {
                unverified += 1;
                continue;
            }
            let status = finding.status;
            transitions.push(transition(kind, finding, Some(status), false, Some("resource gone"), &accounts));
        }
        transitions.sort_by(|a, b| {
            (&a.owner, &a.account_id, a.kind, std::cmp::Reverse(a.severity), &a.rule_id, &a.resource_id, &a.region).cmp(
                &(
                    &b.owner,
                    &b.account_id,
                    b.kind,
                    std::cmp::Reverse(b.severity),
                    &b.rule_id,
                    &b.resource_id,
                    &b.region,
                ),
            )
        });
        let mut counts: BTreeMap<TransitionKind, u64> = TransitionKind::ALL.iter().map(|k| (*k, 0)).collect();
        for transition in &transitions {
            *counts.entry(transition.kind).or_default() += 1;
        }
        Ok(Diff { previous, current, transitions, counts, unverified, accounts: accounts.into_values().collect() })
    }
}

fn transition(
    kind: TransitionKind,
    finding: StoredFinding,
    previous: Option<Status>,
    present: bool,
    note: Option<&str>,
    accounts: &BTreeMap<String, AccountRecord>,
) -> Transition {
    let account = accounts.get(&finding.account_id);
    Transition {
        kind,
        previous,
        current: if present { Some(finding.status) } else { None },
        owner: account.and_then(|a| a.owner.clone()),
        target: account.and_then(|a| a.target.clone()),
        account_name: account.and_then(|a| a.name.clone()),
        note: note.map(str::to_owned),
        finding_id: finding.finding_id,
        rule_id: finding.rule_id,
        rule_title: finding.rule_title,
        severity: finding.severity,
        account_id: finding.account_id,
        region: finding.region,
        resource_type: finding.resource_type,
        resource_id: finding.resource_id,
        resource_arn: finding.resource_arn,
        message: finding.message,
    }
}
