//! The findings history on the command line: recording `evaluate` and `audit` runs in the
//! store (`--db`, `--no-store`), `mamori runs list` and `mamori diff`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_engine::owners::{self, ResolvedAccount};
use mamori_engine::{Config, Outcome};
use mamori_model::Finding;
use mamori_rules::RuleSet;
use mamori_store::{AccountRecord, Diff, NewRun, RuleInfo, RunRecorder, RunState, Scope, Store, StoreError};
use serde_json::{json, Value};

/// Where runs are recorded: shared by `evaluate` and `audit`.
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// The findings history database (default: `[store] path` of mamori.toml, else the
    /// platform's data directory, e.g. ~/.local/share/mamori/mamori.db).
    #[arg(long, value_name = "PATH", env = "MAMORI_DB")]
    db: Option<PathBuf>,
    /// Do not record this run in the findings history.
    #[arg(long, env = "MAMORI_NO_STORE", conflicts_with = "db", value_parser = clap::builder::BoolishValueParser::new())]
    no_store: bool,
}

/// `--db` of the commands that only read the history.
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// The findings history database (default: as for `mamori evaluate`).
    #[arg(long, value_name = "PATH", env = "MAMORI_DB")]
    db: Option<PathBuf>,
    /// Configuration file, for `[store] path` (default: ./mamori.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum RunsCommand {
    /// List the recorded runs: id, state, scope, start, duration, checks by status.
    List {
        #[command(flatten)]
        store: ReadArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct DiffArgs {
    /// The earlier run (default: the complete run of the same scope before RUN_B).
    #[arg(value_name = "RUN_A")]
    previous: Option<String>,
    /// The later run (default: the latest complete run).
    #[arg(value_name = "RUN_B")]
    current: Option<String>,
    #[command(flatten)]
    store: ReadArgs,
    /// `table` (grouped by owner and account) or `json`.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Leave STILL_FAILING out of the table (they are counted).
    #[arg(long)]
    changes_only: bool,
}

/// What a run covered, for "same scope" comparisons.
pub enum ScopeSource<'a> {
    Inventory(&'a [PathBuf]),
    Audit(Value),
}

fn resolve_path(explicit: Option<&Path>, config: &Config) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = config.store_path() {
        return Ok(path);
    }
    mamori_store::default_path()
        .context("no home directory to keep the findings history in: pass --db PATH or --no-store")
}

/// A run being recorded, or nothing with `--no-store`.
pub struct Recording {
    store: Option<Store>,
}

impl Recording {
    fn path(&self) -> &Path {
        self.store.as_ref().map_or(Path::new("-"), |s| s.path())
    }

    /// Open the store before the evaluation, so that a locked, read-only or newer store is
    /// reported before any work is done.
    pub fn open(args: &StoreArgs, config: &Config) -> anyhow::Result<Recording> {
        if args.no_store {
            return Ok(Recording { store: None });
        }
        config.owners()?;
        let path = resolve_path(args.db.as_deref(), config)?;
        Ok(Recording { store: Some(Store::open(&path)?) })
    }

    pub fn begin(
        &mut self,
        kind: &str,
        scope: ScopeSource<'_>,
        rules: &RuleSet,
        options: Value,
    ) -> anyhow::Result<Option<RunRecorder<'_>>> {
        let Some(store) = self.store.as_mut() else { return Ok(None) };
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
        Ok(Some(store.begin_run(&run)?))
    }
}

/// Feeds findings to the recorder, keeping the first error for after the evaluation.
pub struct Observer<'r, 's> {
    recorder: &'r mut RunRecorder<'s>,
    error: Option<StoreError>,
}

impl<'r, 's> Observer<'r, 's> {
    pub fn new(recorder: &'r mut RunRecorder<'s>) -> Self {
        Observer { recorder, error: None }
    }

    pub fn observe(&mut self, finding: &Finding) {
        if self.error.is_none() {
            if let Err(err) = self.recorder.add(finding) {
                self.error = Some(err);
            }
        }
    }

    pub fn finish(self) -> Result<(), StoreError> {
        self.error.map_or(Ok(()), Err)
    }
}

/// Close the run as complete: its statistics and its accounts with their owners.
pub fn complete(recorder: RunRecorder<'_>, outcome: &Outcome, config: &Config) -> anyhow::Result<()> {
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
    recorder.complete(&statistics, &accounts)?;
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

pub fn open_for_reading(args: &ReadArgs) -> anyhow::Result<Store> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None if Path::new("mamori.toml").is_file() => Config::load(Path::new("mamori.toml"))?,
        None => Config::default(),
    };
    let path = resolve_path(args.db.as_deref(), &config)?;
    Ok(Store::open_read_only(&path)?)
}

pub fn runs(command: RunsCommand) -> anyhow::Result<ExitCode> {
    let RunsCommand::List { store, json } = command;
    let store = open_for_reading(&store)?;
    let runs = store.runs()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("no runs recorded in {}", store.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>5}  {:<11}  {:<20}  {:>9}  {:>8} {:>8} {:>8} {:>8}  scope",
        "id", "state", "started (UTC)", "duration", "pass", "fail", "error", "muted"
    );
    for run in runs.iter().rev() {
        let duration = run.duration_ms().map_or_else(|| "-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let counts = &run.counts;
        let (pass, fail, error, muted) = if run.state == RunState::Complete {
            (counts.pass.to_string(), counts.fail.to_string(), counts.error.to_string(), counts.muted.to_string())
        } else {
            ("-".into(), "-".into(), "-".into(), "-".into())
        };
        println!(
            "{:>5}  {:<11}  {:<20}  {:>9}  {:>8} {:>8} {:>8} {:>8}  {}",
            run.id,
            run.state.as_str(),
            timestamp(run.started_at),
            duration,
            pass,
            fail,
            error,
            muted,
            run.scope_label
        );
        if let Some(error) = &run.error {
            println!("       {error}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn timestamp(ms: i64) -> String {
    let text = mamori_model::time::rfc3339(ms.div_euclid(1000));
    text.trim_end_matches('Z').replace('T', " ")
}

pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let store = open_for_reading(&args.store)?;
    let (previous, current) = store.diff_runs(args.previous.as_deref(), args.current.as_deref())?;
    let diff = store.diff(previous.id, current.id)?;
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&diff_json(&diff))?);
    } else {
        let mut out = std::io::stdout().lock();
        match print_diff(&mut out, &diff, args.changes_only) {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => return Err(err.into()),
            _ => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn diff_json(diff: &Diff) -> Value {
    let counts: serde_json::Map<String, Value> =
        diff.counts.iter().map(|(kind, count)| (kind.as_str().to_owned(), json!(count))).collect();
    json!({
        "previous": { "id": diff.previous.id, "startedAt": diff.previous.started_at },
        "current": { "id": diff.current.id, "startedAt": diff.current.started_at },
        "scope": diff.current.scope_label,
        "counts": counts,
        "unverified": diff.unverified,
        "accounts": diff.accounts,
        "transitions": diff.transitions,
    })
}

fn print_diff(out: &mut impl Write, diff: &Diff, changes_only: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "run {} ({}) -> run {} ({}): {}",
        diff.previous.id,
        timestamp(diff.previous.started_at),
        diff.current.id,
        timestamp(diff.current.started_at),
        diff.current.scope_label
    )?;
    let counts: Vec<String> = diff.counts.iter().map(|(kind, count)| format!("{count} {kind}")).collect();
    writeln!(out, "{}", counts.join(", "))?;
    if diff.unverified > 0 {
        writeln!(
            out,
            "{} failing resources are absent now where their rule reported ERROR: neither resolved nor failing",
            diff.unverified
        )?;
    }
    for (owner, accounts) in diff.by_owner() {
        writeln!(out)?;
        writeln!(out, "owner: {}", owner.unwrap_or("(none)"))?;
        for (account_id, transitions) in accounts {
            let shown: Vec<_> = transitions
                .iter()
                .filter(|t| !(changes_only && t.kind == mamori_store::TransitionKind::StillFailing))
                .collect();
            if shown.is_empty() {
                continue;
            }
            let first = transitions[0];
            let name = first.account_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            let target = first.target.as_deref().map(|t| format!(", notify {t}")).unwrap_or_default();
            writeln!(out, "  account {account_id}{name}{target}")?;
            for transition in shown {
                let note = transition.note.as_deref().map(|n| format!(" [{n}]")).unwrap_or_default();
                writeln!(
                    out,
                    "    {:<13} {:<13} {} {} {}/{}: {}{}",
                    transition.kind.as_str(),
                    transition.severity.as_str(),
                    transition.rule_id,
                    transition.region,
                    transition.resource_type,
                    transition.resource_id,
                    transition.message,
                    note
                )?;
            }
        }
    }
    Ok(())
}

/// Evaluate and write the report as `mamori_engine::evaluate_to_report` does, recording the
/// run in the findings history unless `--no-store`. The store is opened first, so that a
/// locked, read-only or newer store stops the command before any work; a run that fails is
/// recorded as failed, and the report of a complete evaluation is written even when the
/// store then refuses it (the error follows, exit 2).
#[allow(clippy::too_many_arguments)]
pub fn evaluate_recorded(
    store: &StoreArgs,
    config: &Config,
    scope: ScopeSource<'_>,
    inputs: &[PathBuf],
    rules: &RuleSet,
    format: mamori_engine::Format,
    destination: &mamori_engine::Destination,
    threads: usize,
    options: Value,
) -> anyhow::Result<(Outcome, Option<RecordedRun>)> {
    let kind = match scope {
        ScopeSource::Inventory(_) => "evaluate",
        ScopeSource::Audit(_) => "audit",
    };
    let mut history = Recording::open(store, config)?;
    let Some(mut recorder) = history.begin(kind, scope, rules, options)? else {
        return Ok((mamori_engine::evaluate_to_report(inputs, rules, format, destination, threads)?, None));
    };
    let mut observer = Observer::new(&mut recorder);
    let mut observe = |finding: &Finding| observer.observe(finding);
    let result =
        mamori_engine::evaluate_to_report_observed(inputs, rules, format, destination, threads, Some(&mut observe));
    let recorded = observer.finish();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => {
            // The evaluation's error is the one to report; the run is marked failed if the
            // store lets us, and otherwise stays `running`, which no comparison uses.
            let _ = recorder.fail(&err.to_string());
            return Err(err.into());
        }
    };
    if let Err(err) = recorded {
        return Err(anyhow::Error::new(err).context("the report was written but the run could not be recorded"));
    }
    let id = recorder.id();
    complete(recorder, &outcome, config).context("the report was written but the run could not be recorded")?;
    eprintln!("recorded run {id} in {}", history.path().display());
    Ok((outcome, Some(RecordedRun { path: history.path().to_owned(), id })))
}

/// A run recorded complete: the notifier compares it with the one before.
pub struct RecordedRun {
    pub path: PathBuf,
    pub id: mamori_store::RunId,
}
