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
use mamori_engine::{Config, Destination, Format, Observer, Outcome};
use mamori_model::Finding;
use mamori_rules::RuleSet;
use mamori_store::{AccountRecord, NewRun, RuleInfo, RunId, RunRecorder, Scope, Store, StoreError};
use serde_json::{json, Value};

use crate::WorkflowError;

/// What a run covered, for "same scope" comparisons between runs.
pub enum ScopeSource<'a> {
    /// `mamori evaluate`: the inventory files and directories given, dates left out (see
    /// [`undated`]), so that dated snapshot folders of the same source compare.
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
        scope_name: Option<&str>,
        rules: &RuleSet,
        options: Value,
    ) -> Result<Option<RunRecorder<'_>>, StoreError> {
        let Some(store) = self.store.as_mut() else { return Ok(None) };
        let kind = scope.kind();
        let rule_count = rules.rules().len();
        let (description, label) = match (scope_name, scope) {
            (Some(name), _) => (json!({ "name": name }), format!("{name} ({rule_count} rules)")),
            (None, ScopeSource::Inventory(inputs)) => {
                let paths: Vec<String> = inputs
                    .iter()
                    .map(|p| undated(&std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string()))
                    .collect();
                let label = format!("evaluate {} ({rule_count} rules)", paths.join(" "));
                (json!({ "kind": kind, "inputs": paths }), label)
            }
            (None, ScopeSource::Audit(mut description)) => {
                let label = format!(
                    "audit accounts {} regions {} ({rule_count} rules)",
                    description["accounts"].as_str().unwrap_or("?"),
                    description["regions"].as_str().unwrap_or("?"),
                );
                description["kind"] = json!(kind);
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
    /// The scope's name when the user gives one (`--scope`): runs of the same name compare,
    /// whatever their inputs.
    pub scope_name: Option<&'a str>,
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
    let EvaluationRequest { inputs, rules, format, destination, threads, config, scope, scope_name, options } = request;
    let path = history.path().map(Path::to_owned);
    let Some(mut recorder) = history.begin(scope, scope_name, rules, options)? else {
        let outcome = mamori_engine::evaluate_to_report(inputs, rules, format, destination, threads)?;
        return Ok(Evaluated { outcome, recorded: None });
    };
    let mut observer = Recorder { recorder: &mut recorder, error: None };
    let result =
        mamori_engine::evaluate_to_report_observed(inputs, rules, format, destination, threads, Some(&mut observer));
    let store_error = observer.error.take();
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

/// Records the findings as they leave the pipeline. The first store error is kept for after
/// the evaluation, which cannot be interrupted from inside the observer. It can start over
/// (the store forgets the run's findings so far), so an inventory is read a second time only
/// when it holds several items of one resource.
struct Recorder<'r, 's> {
    recorder: &'r mut RunRecorder<'s>,
    error: Option<StoreError>,
}

impl Observer for Recorder<'_, '_> {
    fn observe(&mut self, finding: &Finding) {
        if self.error.is_none() {
            if let Err(err) = self.recorder.add(finding) {
                self.error = Some(err);
            }
        }
    }

    fn restartable(&self) -> bool {
        true
    }

    fn restart(&mut self) {
        if self.error.is_none() {
            if let Err(err) = self.recorder.discard_findings() {
                self.error = Some(err);
            }
        }
    }
}

/// Close the run as complete: its statistics and its accounts with their owners.
fn complete(recorder: RunRecorder<'_>, outcome: &Outcome, config: &Config) -> Result<(), WorkflowError> {
    let stats = &outcome.stats;
    let statistics = stats.counts_json();
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

/// A path with its dates left out: `snaps/2026-12-01` and `snaps/2026-12-02` are the same
/// source taken on two days, and so are AWS Config's delivery folders
/// (`…/Config/us-east-1/2026/12/1/ConfigSnapshot/…_ConfigSnapshot_20261201T000000Z_….json.gz`).
/// Each date becomes `*`: a path component that is a date (`2026-12-01`, `20261201`,
/// `2026-12-01T10:00:00Z`), a `year/month/day` run of components, and a timestamp inside a
/// file name.
pub fn undated(path: &str) -> String {
    let components: Vec<&str> = path.split('/').collect();
    let mut out: Vec<String> = Vec::with_capacity(components.len());
    let mut i = 0;
    while i < components.len() {
        let component = components[i];
        if let [year, month, day] = components.get(i..i + 3).unwrap_or_default() {
            if is_year(year) && is_number_in(month, 1, 12) && is_number_in(day, 1, 31) {
                out.extend(["*".to_owned(), "*".to_owned(), "*".to_owned()]);
                i += 3;
                continue;
            }
        }
        out.push(if is_date(component) { "*".to_owned() } else { undate_tokens(component) });
        i += 1;
    }
    out.join("/")
}

fn is_year(text: &str) -> bool {
    text.len() == 4 && is_number_in(text, 1990, 2199)
}

fn is_number_in(text: &str, low: u32, high: u32) -> bool {
    !text.is_empty()
        && text.len() <= 4
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok_and(|n| (low..=high).contains(&n))
}

/// `2026-12-01`, `20261201`, optionally followed by `T` and a time.
fn is_date(text: &str) -> bool {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    let shape_ok = match date.len() {
        10 => date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        8 => !date.contains('-'),
        _ => false,
    };
    shape_ok
        && digits.len() == 8
        && is_year(&digits[..4])
        && is_number_in(&digits[4..6], 1, 12)
        && is_number_in(&digits[6..8], 1, 31)
        && time
            .is_none_or(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z')))
}

/// Timestamps inside a file name, between `_`, `-` or `.` separators.
fn undate_tokens(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut token = String::new();
    for c in name.chars() {
        if matches!(c, '_' | '.') {
            out.push_str(if is_date(&token) { "*" } else { &token });
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    out.push_str(if is_date(&token) { "*" } else { &token });
    out
}

#[cfg(test)]
mod tests {
    use super::undated;

    #[test]
    fn dates_leave_paths() {
        assert_eq!(undated("/data/snaps/2026-12-01"), "/data/snaps/*");
        assert_eq!(undated("/data/snaps/20261202"), "/data/snaps/*");
        assert_eq!(undated("/data/snaps/2026-12-01T10:00:00Z/org"), "/data/snaps/*/org");
        assert_eq!(
            undated("/s/AWSLogs/111122223333/Config/us-east-1/2026/12/1/ConfigSnapshot/111122223333_Config_us-east-1_ConfigSnapshot_20261201T000000Z_abc.json.gz"),
            "/s/AWSLogs/111122223333/Config/us-east-1/*/*/*/ConfigSnapshot/111122223333_Config_us-east-1_ConfigSnapshot_*_abc.json.gz"
        );
    }

    #[test]
    fn what_is_not_a_date_stays() {
        for path in
            ["/data/111122223333/inventory", "/data/v2/12/1", "/data/2026-13-01", "/data/12345678", "/data/demo-org"]
        {
            assert_eq!(undated(path), path);
        }
    }
}
