//! `mamori export`: a recorded run leaves mamori in a standard shape.
//!
//! - `security-hub`: the run's failing, erroneous and muted findings as ASFF, imported into
//!   AWS Security Hub (BatchImportFindings). Finding ids are stable, so a later run updates
//!   the findings it imported before; findings that were not passing in the previous run of
//!   the same scope and pass now (or whose resource is gone) are sent archived, so Security
//!   Hub's active list follows mamori's.
//! - `ocsf`: every finding of the run as an OCSF Compliance Finding (class 2003), the shape
//!   Amazon Security Lake takes, in one JSON array. Each document is written as its finding is
//!   read from the store, so memory does not grow with the run (a run of 485,000 findings
//!   once took 6 GB when the array was built first).
//!
//! Both read the store, so they export exactly what was recorded, whenever they run.

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_aws::security_hub::{archive, import_findings};
use mamori_aws::SdkOptions;
use mamori_model::{time::rfc3339, Status};
use mamori_store::{RunState, RunSummary, Store, StoreError};

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
    match &args.output {
        Some(path) => {
            // write_file takes an io::Error; a store error met midway is kept aside to be
            // reported as what it is (the staged file is discarded either way).
            let mut store_error = None;
            let mut written = 0;
            let result = mamori_engine::report::write_file(path, |out| match write_ocsf(&store, &run, out) {
                Ok(count) => {
                    written = count;
                    Ok(())
                }
                Err(WriteError::Io(err)) => Err(err),
                Err(WriteError::Store(err)) => {
                    store_error = Some(err);
                    Err(io::Error::other("reading the store failed"))
                }
            });
            if let Some(err) = store_error {
                return Err(err.into());
            }
            result.with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("wrote {written} OCSF findings of run {} to {}", run.id, path.display());
        }
        None => {
            // Standard output's errors (a reader gone, a full disk) go to `main`, which turns
            // them into exit codes as for every command.
            let written = write_ocsf(&store, &run, out)
                .and_then(|_| out.write_all(b"\n").map_err(WriteError::Io))
                .and_then(|()| out.flush().map_err(WriteError::Io));
            match written {
                Ok(()) => {}
                Err(WriteError::Io(err)) => return Err(err.into()),
                Err(WriteError::Store(err)) => return Err(err.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Why an export stopped midway.
#[derive(Debug)]
enum WriteError {
    Store(StoreError),
    Io(io::Error),
}

impl From<StoreError> for WriteError {
    fn from(err: StoreError) -> Self {
        WriteError::Store(err)
    }
}

/// Write the run's findings as OCSF documents in one JSON array, each document as its finding
/// is read; returns how many. The text is exactly `serde_json::to_string_pretty` of the whole
/// array (the output of earlier releases), without holding the array.
fn write_ocsf(store: &Store, run: &RunSummary, out: &mut dyn Write) -> Result<u64, WriteError> {
    use serde::ser::{SerializeSeq, Serializer};
    let time = u128::try_from(run.finished_at.unwrap_or(run.started_at)).unwrap_or_default();
    // serde_json writes many small pieces: buffered here, they reach `out` (dynamic dispatch)
    // in large blocks.
    let mut buffered = BufWriter::with_capacity(1 << 16, out);
    let mut serializer = serde_json::Serializer::pretty(&mut buffered);
    let io = |err: serde_json::Error| WriteError::Io(err.into());
    let mut array = serializer.serialize_seq(None).map_err(io)?;
    let mut written = 0;
    store.try_for_each_finding::<WriteError>(run.id, |stored| {
        let finding = stored.into_finding();
        let document = mamori_engine::report::ocsf_finding(&finding, meta(&finding.rule_id), time);
        array.serialize_element(&document).map_err(io)?;
        written += 1;
        Ok(())
    })?;
    array.end().map_err(io)?;
    buffered.flush().map_err(WriteError::Io)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mamori_model::{Finding, Severity};
    use mamori_store::{NewRun, RuleInfo, Scope};

    use super::*;

    /// What earlier releases wrote: the whole array, pretty-printed at once.
    fn collected(store: &Store, run: &RunSummary) -> String {
        let time = u128::try_from(run.finished_at.unwrap_or(run.started_at)).unwrap_or_default();
        let mut documents = Vec::new();
        store
            .for_each_finding(run.id, |stored| {
                let finding = stored.into_finding();
                documents.push(mamori_engine::report::ocsf_finding(&finding, meta(&finding.rule_id), time));
            })
            .unwrap();
        serde_json::to_string_pretty(&documents).unwrap()
    }

    #[test]
    fn streamed_ocsf_is_byte_for_byte_the_collected_array() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("mamori.db")).unwrap();
        let new_run = NewRun {
            kind: "evaluate".into(),
            scope: Scope::new("test", &serde_json::json!({"inputs": ["x"]})),
            options: serde_json::json!({}),
            rules: vec![RuleInfo { id: "custom-rule".into(), title: "Custom".into(), severity: Severity::Low }],
        };
        let mut runs = Vec::new();
        for size in [0, 1, 3] {
            let mut recorder = store.begin_run(&new_run).unwrap();
            for n in 0..size {
                // A catalog rule (with standards and remediation) and a custom one, odd text too.
                let rule = if n % 2 == 0 { "s3-bucket-versioning-enabled" } else { "custom-rule" };
                recorder
                    .add(&Finding {
                        rule_id: Arc::from(rule),
                        status: [Status::Fail, Status::Pass, Status::Muted][n % 3],
                        severity: Severity::High,
                        account_id: Arc::from("111111111111"),
                        region: Arc::from("eu-west-1"),
                        resource_type: Arc::from("AWS::S3::Bucket"),
                        resource_id: Arc::from(format!("bucket-{n}")),
                        resource_arn: (n != 1).then(|| Arc::from(format!("arn:aws:s3:::bucket-{n}"))),
                        message: format!("bucket-{n} \"quoted\"\n\u{2028} ünïcode"),
                    })
                    .unwrap();
            }
            runs.push(recorder.complete(&serde_json::json!({}), &[]).unwrap());
        }
        for (run, size) in runs.iter().zip([0, 1, 3]) {
            let mut streamed = Vec::new();
            let written = write_ocsf(&store, run, &mut streamed).unwrap();
            assert_eq!(written as usize, size);
            assert_eq!(String::from_utf8(streamed).unwrap(), collected(&store, run), "{size} findings");
        }
    }
}
