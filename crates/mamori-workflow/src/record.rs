//! Recording an evaluation in the findings history.
//!
//! The store is opened before any work ([`History::open`]), so that a locked, read-only or
//! newer store stops the command before minutes of collection or evaluation. Findings are
//! recorded as they leave the pipeline; the run is closed as complete, with its statistics and
//! its accounts and owners, only once the whole inventory was evaluated and the report
//! written. A run whose evaluation fails is marked failed; one the store refuses at the end
//! keeps the report and reports the store's error.

use std::path::{Path, PathBuf};

use mamori_engine::owners::{self, ResolvedAccount};
use mamori_engine::{Config, Destination, Format, Outcome};
use mamori_model::Finding;
use mamori_rules::RuleSet;
use mamori_store::{AccountRecord, NewRun, RuleInfo, RunId, RunRecorder, Scope, Store, StoreError};
use serde_json::{json, Value};

use crate::WorkflowError;

/// What a run covered, for "same scope" comparisons between runs.
pub enum ScopeSource<'a> {
    /// `mamori evaluate`: the inventory files and directories given.
    Inventory(&'a [PathBuf]),
    /// `mamori audit`: the collection's description (accounts source, regions, collectors).
    Audit(Value),
}

impl ScopeSource<'_> {
    /// The run kind recorded with the scope.
    fn kind(&self) -> &'static str {
        match self {
            ScopeSource::Inventory(_) => "evaluate",
            ScopeSource::Audit(_) => "audit",
        }
    }
}

/// The findings history a run is recorded in, or none (`--no-store`).
pub struct History {
    store: Option<Store>,
}

impl History {
    /// Runs are not recorded.
    pub fn off() -> History {
        History { store: None }
    }

    /// Open the store at `path` for recording, after checking `[owners]` (closing the run
    /// needs them): both problems surface before any work is done.
    pub fn open(path: &Path, config: &Config) -> Result<History, WorkflowError> {
        config.owners()?;
        Ok(History { store: Some(Store::open(path)?) })
    }

    /// Where runs are recorded, if they are.
    pub fn path(&self) -> Option<&Path> {
        self.store.as_ref().map(Store::path)
    }

    fn begin(
        &mut self,
        scope: ScopeSource<'_>,
        rules: &RuleSet,
        options: Value,
    ) -> Result<Option<RunRecorder<'_>>, StoreError> {
        let Some(store) = self.store.as_mut() else { return Ok(None) };
        let kind = scope.kind();
        let rule_ids: Vec<&str> = rules.rules().iter().map(|r| r.rule.meta().id).collect();
        let (description, label) = match scope {
            ScopeSource::Inventory(inputs) => {
                let paths: Vec<String> = inputs
                    .iter()
                    .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string())
                    .collect();
                let label = format!("evaluate {} ({} rules)", paths.join(" "), rule_ids.len());
                (json!({ "kind": kind, "inputs": paths, "rules": rule_ids }), label)
            }
            ScopeSource::Audit(mut description) => {
                let label = format!(
                    "audit accounts {} regions {} ({} rules)",
                    description["accounts"].as_str().unwrap_or("?"),
                    description["regions"].as_str().unwrap_or("?"),
                    rule_ids.len()
                );
                description["kind"] = json!(kind);
                description["rules"] = json!(rule_ids);
                (description, label)
            }
        };
        let run = NewRun {
            kind: kind.to_owned(),
            scope: Scope::new(label, &description),
            options,
            rules: rules
                .rules()
                .iter()
                .map(|r| RuleInfo {
                    id: r.rule.meta().id.to_owned(),
                    title: r.rule.meta().title.to_owned(),
                    severity: r.severity,
                })
                .collect(),
        };
        store.begin_run(&run).map(Some)
    }
}

/// One evaluation to run and record.
pub struct EvaluationRequest<'a> {
    pub inputs: &'a [PathBuf],
    pub rules: &'a RuleSet,
    pub format: Format,
    pub destination: &'a Destination,
    pub threads: usize,
    /// For the owners of the run's accounts.
    pub config: &'a Config,
    pub scope: ScopeSource<'a>,
    /// Options that do not change the scope (parameters, format, severities), kept with the run.
    pub options: Value,
}

/// A complete evaluation, and where it was recorded.
pub struct Evaluated {
    pub outcome: Outcome,
    /// `None` when the history is off.
    pub recorded: Option<RecordedRun>,
}

/// A run recorded complete: the notifier compares it with the one before.
#[derive(Debug, Clone)]
pub struct RecordedRun {
    pub path: PathBuf,
    pub id: RunId,
}

/// Evaluate and write the report as `mamori_engine::evaluate_to_report` does, recording the
/// run in `history`. The report of a complete evaluation is written even when the store then
/// refuses the run ([`WorkflowError::NotRecorded`]).
pub fn evaluate_recorded(history: &mut History, request: EvaluationRequest<'_>) -> Result<Evaluated, WorkflowError> {
    let EvaluationRequest { inputs, rules, format, destination, threads, config, scope, options } = request;
    let path = history.path().map(Path::to_owned);
    let Some(mut recorder) = history.begin(scope, rules, options)? else {
        let outcome = mamori_engine::evaluate_to_report(inputs, rules, format, destination, threads)?;
        return Ok(Evaluated { outcome, recorded: None });
    };
    // The first store error is kept for after the evaluation, which cannot be interrupted
    // from inside the observer.
    let mut store_error: Option<StoreError> = None;
    let mut observe = |finding: &Finding| {
        if store_error.is_none() {
            if let Err(err) = recorder.add(finding) {
                store_error = Some(err);
            }
        }
    };
    let result =
        mamori_engine::evaluate_to_report_observed(inputs, rules, format, destination, threads, Some(&mut observe));
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => {
            // The evaluation's error is the one to report; the run is marked failed if the
            // store lets us, and otherwise stays `running`, which no comparison uses.
            let _ = recorder.fail(&err.to_string());
            return Err(err.into());
        }
    };
    if let Some(err) = store_error {
        return Err(WorkflowError::NotRecorded(err));
    }
    let id = recorder.id();
    complete(recorder, &outcome, config)?;
    let path = path.expect("a run is recorded only in an open store");
    Ok(Evaluated { outcome, recorded: Some(RecordedRun { path, id }) })
}

/// Close the run as complete: its statistics and its accounts with their owners.
fn complete(recorder: RunRecorder<'_>, outcome: &Outcome, config: &Config) -> Result<(), WorkflowError> {
    let stats = &outcome.stats;
    let statistics = json!({
        "files": stats.files,
        "items": stats.items,
        "itemsSkipped": stats.items_skipped,
        "collectionErrors": stats.collection_errors,
        "accounts": stats.accounts.len(),
        "regions": stats.regions,
        "itemsByType": stats.items_by_type,
    });
    let mut known = stats.account_details.clone();
    for id in &stats.accounts {
        known.entry(id.clone()).or_default();
    }
    let accounts: Vec<AccountRecord> = owners::resolve(config.owners()?, &known).into_iter().map(record).collect();
    recorder.complete(&statistics, &accounts).map_err(WorkflowError::NotRecorded)?;
    Ok(())
}

fn record(account: ResolvedAccount) -> AccountRecord {
    AccountRecord {
        id: account.id,
        name: account.name,
        owner_source: account.owner.as_ref().map(|(_, s)| s.as_str().to_owned()),
        owner: account.owner.map(|(o, _)| o),
        target_source: account.target.as_ref().map(|(_, s)| s.as_str().to_owned()),
        target: account.target.map(|(t, _)| t),
        tags: account.tags,
    }
}
