//! `mamori export`: a recorded run leaves mamori in a standard shape.
//!
//! - `security-hub`: the run's failing, erroneous and muted findings as ASFF, imported into
//!   AWS Security Hub (BatchImportFindings). Finding ids are stable, so a later run updates
//!   the findings it imported before; findings that were not passing in the previous run of
//!   the same scope and pass now (or whose resource is gone) are sent archived, so Security
//!   Hub's active list follows mamori's.
//! - `ocsf`: every finding of the run as an OCSF Compliance Finding (class 2003), the shape
//!   Amazon Security Lake takes, in one JSON array.
//!
//! Both read the store, so they export exactly what was recorded, whenever they run.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_aws::security_hub::{archive, import_findings};
use mamori_aws::SdkOptions;
use mamori_model::{time::rfc3339, Status};
use mamori_store::{RunState, RunSummary, Store};
use serde_json::Value;

use crate::settings::StoreLocation;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Import a run's findings into AWS Security Hub (ASFF, BatchImportFindings), updating
    /// the findings earlier runs imported and archiving the resolved ones.
    SecurityHub(SecurityHubArgs),
    /// Write a run's findings as OCSF Compliance Findings (JSON array).
    Ocsf(OcsfArgs),
}

#[derive(Args)]
pub struct SecurityHubArgs {
    /// The run to export (default: the latest complete run).
    #[arg(value_name = "RUN")]
    run: Option<String>,
    #[command(flatten)]
    store: StoreLocation,
    /// Send every call to this endpoint (an emulator); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Named profile of the AWS configuration files.
    #[arg(long)]
    profile: Option<String>,
}

#[derive(Args)]
pub struct OcsfArgs {
    /// The run to export (default: the latest complete run).
    #[arg(value_name = "RUN")]
    run: Option<String>,
    #[command(flatten)]
    store: StoreLocation,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn run(command: ExportCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        ExportCommand::SecurityHub(args) => security_hub(args),
        ExportCommand::Ocsf(args) => ocsf(args, out),
    }
}

/// The named run, or the latest complete one; an incomplete run is not exported.
pub(crate) fn chosen_run(store: &Store, name: Option<&str>) -> anyhow::Result<RunSummary> {
    let run = match name {
        Some(name) => store.run_by_name(name)?,
        None => store
            .latest_complete_run(None, None)?
            .with_context(|| format!("`{}` holds no complete run", store.path().display()))?,
    };
    if run.state != RunState::Complete {
        anyhow::bail!("run {} is {}, not complete: only complete runs are exported", run.id, run.state.as_str());
    }
    Ok(run)
}

fn meta(rule_id: &str) -> Option<&'static mamori_rules::RuleMeta> {
    mamori_rules::find(rule_id).map(|rule| rule.meta())
}

fn security_hub(args: SecurityHubArgs) -> anyhow::Result<ExitCode> {
    let store = args.store.open_read_only()?;
    let run = chosen_run(&store, args.run.as_deref())?;
    let previous = store.latest_complete_run(Some(&run.scope), Some(run.id))?;
    let now = rfc3339(run.finished_at.unwrap_or(run.started_at).div_euclid(1000));

    let mut documents = Vec::new();
    let mut reported = HashSet::new();
    store.for_each_finding(run.id, |stored| {
        if stored.status != Status::Pass {
            reported.insert(stored.finding_id.clone());
            let finding = stored.into_finding();
            documents.push(mamori_engine::report::asff_finding(&finding, meta(&finding.rule_id), &now));
        }
    })?;
    let active = documents.len();
    if let Some(previous) = &previous {
        store.for_each_finding(previous.id, |stored| {
            if stored.status != Status::Pass && !reported.contains(&stored.finding_id) {
                let finding = stored.into_finding();
                let document = mamori_engine::report::asff_finding(&finding, meta(&finding.rule_id), &now);
                documents.push(archive(&document, &now));
            }
        })?;
    }
    let archived = documents.len() - active;

    let sdk = SdkOptions { endpoint_url: args.endpoint_url, region: None, profile: args.profile };
    let runtime = mamori_aws::runtime()?;
    let outcome = runtime.block_on(async {
        let config = mamori_aws::sdk::load(&sdk).await?;
        anyhow::Ok(import_findings(&config, &documents).await?)
    })?;
    eprintln!(
        "run {}: {} findings sent to Security Hub ({active} active, {archived} archived{}) in {} calls",
        run.id,
        outcome.imported,
        match &previous {
            Some(previous) => format!(" against run {}", previous.id),
            None => String::new(),
        },
        outcome.calls
    );
    if outcome.is_complete() {
        return Ok(ExitCode::SUCCESS);
    }
    // Every finding that did not get in is named: nothing is dropped without a word.
    for rejected in &outcome.rejected {
        eprintln!("not imported: {} ({}): {}: {}", rejected.id, rejected.region, rejected.code, rejected.message);
    }
    anyhow::bail!("{} of {} findings were not imported into Security Hub", outcome.rejected.len(), documents.len())
}

fn ocsf(args: OcsfArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = args.store.open_read_only()?;
    let run = chosen_run(&store, args.run.as_deref())?;
    let time = u128::try_from(run.finished_at.unwrap_or(run.started_at)).unwrap_or_default();
    let mut findings: Vec<Value> = Vec::new();
    store.for_each_finding(run.id, |stored| {
        let finding = stored.into_finding();
        findings.push(mamori_engine::report::ocsf_finding(&finding, meta(&finding.rule_id), time));
    })?;
    let text = serde_json::to_string_pretty(&findings)?;
    match &args.output {
        Some(path) => {
            mamori_engine::report::write_file(path, |out| out.write_all(text.as_bytes()))
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("wrote {} OCSF findings of run {} to {}", findings.len(), run.id, path.display());
        }
        None => writeln!(out, "{text}")?,
    }
    Ok(ExitCode::SUCCESS)
}
