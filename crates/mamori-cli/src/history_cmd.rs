//! The findings history on the command line: `mamori runs list`, `mamori runs prune` and
//! `mamori diff`. Runs are recorded by `mamori-workflow` (see `evaluate_cmd`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use mamori_store::{Diff, PrunePolicy, PruneReport, RunState, Store, StoreError};
use serde_json::{json, Value};

use crate::settings::{ListFormat, StoreLocation};

#[derive(Subcommand)]
pub enum RunsCommand {
    /// List the recorded runs: id, state, scope, start, duration, checks by status.
    List {
        #[command(flatten)]
        store: StoreLocation,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete interrupted and failed runs, and complete runs beyond a retention, with their
    /// findings. The latest complete run of each scope, runs still being recorded and runs
    /// with notifications not delivered yet are always kept.
    Prune(PruneArgs),
}

#[derive(Args)]
pub struct PruneArgs {
    /// Keep this many complete runs of each scope (default: `[store] keep_last`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    keep_last: Option<u32>,
    /// Delete complete runs started more than DAYS ago (default: `[store] older_than_days`).
    /// With a --keep-last too, a run goes only when neither keeps it; with neither, complete
    /// runs are kept.
    #[arg(long, value_name = "DAYS")]
    older_than: Option<u32>,
    /// List what would be deleted and the space it would free; delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Then rebuild the database file (VACUUM) so that it shrinks; without it, the freed space
    /// stays inside the file for later runs.
    #[arg(long, conflicts_with = "dry_run")]
    vacuum: bool,
    #[command(flatten)]
    store: StoreLocation,
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
    store: StoreLocation,
    /// `table` (grouped by owner and account) or `json`.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
    /// Leave STILL_FAILING out of the table (they are counted).
    #[arg(long)]
    changes_only: bool,
}

pub fn runs(command: RunsCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        RunsCommand::List { store, json } => list(&store, json, out),
        RunsCommand::Prune(args) => prune(args, out),
    }
}

fn list(store: &StoreLocation, json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = store.open_read_only()?;
    let runs = store.runs()?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&runs)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        writeln!(out, "no runs recorded in {}", store.path().display())?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:>5}  {:<11}  {:<20}  {:>9}  {:>8} {:>8} {:>8} {:>8}  scope",
        "id", "state", "started (UTC)", "duration", "pass", "fail", "error", "muted"
    )?;
    for run in runs.iter().rev() {
        let duration = run.duration_ms().map_or_else(|| "-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let counts = &run.counts;
        let (pass, fail, error, muted) = if run.state == RunState::Complete {
            (counts.pass.to_string(), counts.fail.to_string(), counts.error.to_string(), counts.muted.to_string())
        } else {
            ("-".into(), "-".into(), "-".into(), "-".into())
        };
        writeln!(
            out,
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
        )?;
        if let Some(error) = &run.error {
            writeln!(out, "       {error}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn prune(args: PruneArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (config, path) = args.store.resolve()?;
    // Opening for writing would create an empty store where there is none.
    if !path.exists() {
        return Err(StoreError::Missing { path }.into());
    }
    let section = &config.file.store;
    let policy = PrunePolicy {
        keep_last: args.keep_last.or(section.keep_last.map(|n| n.get())).map(|n| n as usize),
        older_than: args
            .older_than
            .or(section.older_than_days)
            .map(|days| Duration::from_secs(u64::from(days) * 86_400)),
        dry_run: args.dry_run,
        vacuum: args.vacuum,
    };
    let mut store = Store::open(&path)?;
    let report = store.prune(&policy)?;
    print_prune(&report, &store, out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_prune(report: &PruneReport, store: &Store, out: &mut dyn Write) -> std::io::Result<()> {
    let path = store.path().display();
    if report.runs.is_empty() {
        writeln!(out, "no run to prune in {path}")?;
    } else {
        writeln!(
            out,
            "{} {} run{} ({} findings) from {path}:",
            if report.dry_run { "would delete" } else { "deleted" },
            report.runs.len(),
            if report.runs.len() == 1 { "" } else { "s" },
            report.findings
        )?;
        writeln!(out, "{:>5}  {:<16}  {:<20}  {:>9}  scope", "id", "why", "started (UTC)", "findings")?;
        for run in &report.runs {
            writeln!(
                out,
                "{:>5}  {:<16}  {:<20}  {:>9}  {}",
                run.id,
                run.reason.as_str(),
                timestamp(run.started_at),
                run.findings,
                run.scope_label
            )?;
        }
    }
    for held in &report.held {
        writeln!(out, "kept run {}: {}", held.id, held.reason.as_str())?;
    }
    let freed = if report.dry_run { "would free" } else { "freed" };
    match report.vacuum {
        Some((before, after)) => {
            writeln!(out, "{freed} {} inside the file; vacuumed: {} -> {}", size(report.freed_bytes), size(before), size(after))
        }
        None => writeln!(
            out,
            "{freed} {} inside the file; {} free in all, which `mamori runs prune --vacuum` gives back to the file system",
            size(report.freed_bytes),
            size(report.reclaimable_bytes)
        ),
    }
}

/// Bytes for people, with the exact count.
fn size(bytes: u64) -> String {
    let mib = bytes as f64 / 1_048_576.0;
    if mib >= 1.0 {
        format!("{mib:.1} MiB ({bytes} bytes)")
    } else {
        format!("{bytes} bytes")
    }
}

fn timestamp(ms: i64) -> String {
    let text = mamori_model::time::rfc3339(ms.div_euclid(1000));
    text.trim_end_matches('Z').replace('T', " ")
}

pub fn diff(args: DiffArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = args.store.open_read_only()?;
    let (previous, current) = store.diff_runs(args.previous.as_deref(), args.current.as_deref())?;
    let diff = store.diff(previous.id, current.id)?;
    if args.format == ListFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&diff_json(&diff))?)?;
    } else {
        print_diff(out, &diff, args.changes_only)?;
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

fn print_diff(out: &mut dyn Write, diff: &Diff, changes_only: bool) -> std::io::Result<()> {
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
