//! `mamori report [RUN]`: a recorded run as the self-contained HTML dashboard.
//!
//! The store has what the page shows: the run's findings, its accounts with their owners,
//! and the earlier runs of the same scope for the trend. `mamori-dashboard` does the
//! aggregation and the page; this module only reads the store into it.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use mamori_dashboard::{DashboardBuilder, TrendPoint};
use mamori_model::{time::rfc3339, StatusCounts};
use mamori_store::{RunState, RunSummary};

use crate::export_cmd::chosen_run;
use crate::settings::StoreLocation;

#[derive(Args)]
pub struct DashboardArgs {
    /// The run to show (default: the latest complete run).
    #[arg(value_name = "RUN")]
    run: Option<String>,
    #[command(flatten)]
    store: StoreLocation,
    /// Where the HTML file is written.
    #[arg(long, short, default_value = "mamori-report.html")]
    output: PathBuf,
    /// The name shown at the top of the page.
    #[arg(long, default_value = "AWS organization")]
    title: String,
    /// Earlier runs of the same scope shown in the trend.
    #[arg(long, default_value_t = 30)]
    trend: usize,
    /// Also print the run's per-control results for a compliance framework (`cis-aws-3.0`,
    /// `aws-fsbp`, or a framework file).
    #[arg(long, value_name = "ID|FILE")]
    framework: Option<String>,
    /// Write the framework report as JSON to this file instead of printing it.
    #[arg(long, value_name = "FILE", requires = "framework")]
    framework_output: Option<PathBuf>,
}

fn time(ms: i64) -> String {
    rfc3339(ms.div_euclid(1000))
}

fn trend_point(run: &RunSummary) -> TrendPoint {
    TrendPoint::new(
        run.id.to_string(),
        time(run.finished_at.unwrap_or(run.started_at)),
        run.counts,
        run.fail_by_severity,
    )
}

/// The per-control results of a stored run: each rule's checks counted from its findings; a
/// rule the run evaluated without finding anything to judge counts as run with no checks.
fn framework_report(
    name: &str,
    output: Option<&std::path::Path>,
    store: &mamori_store::Store,
    run: &RunSummary,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let run_rules = store.rules(run.id)?;
    let mut known: Vec<&str> = mamori_rules::catalog().iter().map(|rule| rule.meta().id).collect();
    known.extend(run_rules.iter().map(|rule| rule.id.as_str()));
    let framework = mamori_compliance::frameworks::Framework::resolve(name, &known)?;
    let mut counts: HashMap<String, StatusCounts> =
        run_rules.iter().map(|rule| (rule.id.clone(), Default::default())).collect();
    store.for_each_finding(run.id, |finding| counts.entry(finding.rule_id).or_default().add(finding.status))?;
    let report = framework.evaluate(|rule| counts.get(rule).copied());
    match output {
        Some(path) => crate::frameworks_cmd::write_json(&report, path),
        None => crate::frameworks_cmd::render(&report, out),
    }
}

pub fn run(args: DashboardArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = args.store.open_read_only()?;
    let run = chosen_run(&store, args.run.as_deref())?;
    let mut builder = DashboardBuilder::new(args.title, run.id.to_string());
    builder.run_times(Some(time(run.started_at)), run.finished_at.map(time)).scope(run.scope_label.clone());
    let earlier: Vec<RunSummary> = store
        .runs()?
        .into_iter()
        .filter(|other| other.scope == run.scope && other.id < run.id && other.state == RunState::Complete)
        .collect();
    for other in earlier.iter().skip(earlier.len().saturating_sub(args.trend)) {
        builder.earlier_run(trend_point(other));
    }
    if let Some(statistics) = &run.statistics {
        let accounts = statistics["accounts"].as_u64();
        let regions = statistics["regions"].as_array().map(|regions| regions.len() as u64);
        if let (Some(accounts), Some(regions)) = (accounts, regions) {
            builder.inventory_counts(accounts, regions);
        }
    }
    for account in store.accounts(run.id)? {
        builder.account(&account.id, account.name, account.owner);
    }
    store.for_each_finding(run.id, |stored| builder.add(&stored.into_finding()))?;
    let data = builder.finish();
    if let Some(name) = &args.framework {
        framework_report(name, args.framework_output.as_deref(), &store, &run, out)?;
    }
    let html = mamori_dashboard::render(&data);
    mamori_engine::report::write_file(&args.output, |out| out.write_all(html.as_bytes()))
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    eprintln!(
        "wrote the dashboard of run {} ({} checks, score {}) to {}",
        run.id,
        data.run.checks.total(),
        data.run.score_text,
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
