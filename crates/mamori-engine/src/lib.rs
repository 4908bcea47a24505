//! Runs an evaluation: configuration, the parallel pipeline, the summary and the reports.
//!
//! This is the layer between the command line and the rules: it turns `mamori.toml` and flags
//! into a rule set, streams an inventory through the evaluator on all cores, aggregates the
//! organization-wide view, and writes the report in the format asked for. Like the rules, it
//! never calls AWS.

pub mod config;
pub mod notify;
pub mod owners;
pub mod pipeline;
pub mod report;
mod resolve;
pub mod summary;

use std::path::PathBuf;

use mamori_model::{Finding, InventoryError, Severity};
use mamori_rules::RuleSet;

pub use config::{Config, ConfigError};
pub use pipeline::InventoryStats;
pub use report::{Destination, Format, ReportWriter};
pub use summary::{Summary, SummaryBuilder};

/// Why an evaluation did not complete. Causes are part of the message and not also returned
/// as `source()`, so that `error: {err:#}` says each of them once.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
    #[error("cannot write the report to `{path}`: {cause}")]
    Write { path: PathBuf, cause: std::io::Error },
    #[error("the inventory is empty: no configuration item in {0}")]
    Empty(String),
}

impl From<std::io::Error> for EvaluateError {
    fn from(err: std::io::Error) -> Self {
        EvaluateError::Output(err)
    }
}

/// An error without the ` at path "…"` that `tempfile` appends naming its staging file: the
/// user named the report's path, which the message gives already, and the staging file's
/// random name only confuses. `tempfile` keeps the operating system's error only as text.
fn without_staging_path(err: std::io::Error) -> std::io::Error {
    let text = err.to_string();
    match text.rfind(" at path \"") {
        Some(end) if err.get_ref().is_some() => std::io::Error::new(err.kind(), &text[..end]),
        _ => err,
    }
}

/// The outcome of a complete evaluation.
pub struct Outcome {
    pub summary: Summary,
    pub stats: InventoryStats,
}

impl Outcome {
    /// Whether some check at or above `threshold` failed or could not be evaluated.
    pub fn has_findings_at_or_above(&self, threshold: Severity) -> bool {
        self.summary
            .by_rule
            .values()
            .any(|rule| rule.severity >= threshold && (rule.checks.fail + rule.checks.error) > 0)
    }
}

/// Evaluate `inputs` and write the report; the report appears only if everything was read.
pub fn evaluate_to_report(
    inputs: &[PathBuf],
    rules: &RuleSet,
    format: Format,
    destination: &Destination,
    threads: usize,
) -> Result<Outcome, EvaluateError> {
    evaluate_to_report_observed(inputs, rules, format, destination, threads, None)
}

/// Sees every finding of an evaluation, in input order: the findings history records them.
/// A plain `FnMut(&Finding)` is an observer that cannot forget what it saw.
pub trait Observer {
    fn observe(&mut self, finding: &Finding);

    /// Whether [`restart`](Self::restart) makes the observer forget every finding it saw (a
    /// store that deletes the run's findings so far). Then the evaluation is optimistic and
    /// starts over only for an inventory that holds several items of one resource; otherwise
    /// every inventory is pre-scanned for such items first (see [`pipeline`]).
    fn restartable(&self) -> bool {
        false
    }

    /// Forget every finding seen: the evaluation starts over.
    fn restart(&mut self) {}
}

impl<F: FnMut(&Finding)> Observer for F {
    fn observe(&mut self, finding: &Finding) {
        self(finding)
    }
}

/// The report being written and the observer, as the pipeline's sink.
struct ReportSink<'a> {
    writer: ReportWriter,
    observer: Option<&'a mut dyn Observer>,
    table: bool,
    error: Option<std::io::Error>,
}

impl pipeline::Sink for ReportSink<'_> {
    fn finding(&mut self, finding: Finding) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.observe(&finding);
        }
        if self.error.is_none() && !self.table {
            if let Err(err) = self.writer.write(&finding) {
                self.error = Some(err);
            }
        }
    }

    fn restartable(&self) -> bool {
        self.observer.as_deref().is_none_or(Observer::restartable)
    }

    fn restart(&mut self) {
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.restart();
        }
        self.error = self.writer.restart().err();
    }
}

/// [`evaluate_to_report`], also showing every finding, in input order, to `observer` (the
/// findings history records them). The observer sees findings of a run that may still fail:
/// it must keep them provisional until this returns `Ok`.
pub fn evaluate_to_report_observed(
    inputs: &[PathBuf],
    rules: &RuleSet,
    format: Format,
    destination: &Destination,
    threads: usize,
    observer: Option<&mut dyn Observer>,
) -> Result<Outcome, EvaluateError> {
    let writer = ReportWriter::new(format, rules)?;
    let table = format == Format::Table;
    // The table view needs only the summary: unless observed, the findings need not leave
    // the workers.
    let needs_findings = !table || observer.is_some();
    let mut sink = ReportSink { writer, observer, table, error: None };
    let (stats, builder) =
        pipeline::evaluate(inputs, rules, threads, if needs_findings { Some(&mut sink) } else { None })?;
    let ReportSink { writer, error, .. } = sink;
    if let Some(err) = error {
        return Err(err.into());
    }
    if stats.items == 0 {
        let inputs: Vec<String> = inputs.iter().map(|path| format!("`{}`", path.display())).collect();
        return Err(EvaluateError::Empty(inputs.join(", ")));
    }
    let summary = builder.finish(&stats);
    writer.finish(&summary, destination).map_err(|err| match destination {
        Destination::File(path) => EvaluateError::Write { path: path.clone(), cause: without_staging_path(err) },
        Destination::Stdout => EvaluateError::Output(err),
    })?;
    Ok(Outcome { summary, stats })
}

/// Read an inventory without evaluating it (the parse-only baseline of the benchmark, and
/// `mamori inventory`).
pub fn read_only(inputs: &[PathBuf], threads: usize) -> Result<InventoryStats, InventoryError> {
    let empty = RuleSet::new(Vec::new());
    pipeline::evaluate(inputs, &empty, threads, None).map(|(stats, _)| stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An observer that can forget, as a store could by deleting a run's findings.
    #[derive(Default)]
    struct Forgetful {
        seen: Vec<(String, String)>,
        restarts: usize,
    }

    impl Observer for Forgetful {
        fn observe(&mut self, finding: &Finding) {
            self.seen.push((finding.resource_id.to_string(), finding.status.to_string()));
        }
        fn restartable(&self) -> bool {
            true
        }
        fn restart(&mut self) {
            self.seen.clear();
            self.restarts += 1;
        }
    }

    /// Observers see the standing state of each resource only, whether they can forget (the
    /// evaluation is optimistic, then starts over) or not (the inventory is pre-scanned).
    #[test]
    fn observers_see_each_resource_once() {
        let history = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/duplicates/history-fail-then-pass.json");
        let rules = RuleSet::new(vec![mamori_rules::ActiveRule::with_defaults(
            mamori_rules::find("s3-bucket-versioning-enabled").unwrap(),
        )]);
        let expected = vec![("logs".to_owned(), "PASS".to_owned()), ("other".to_owned(), "PASS".to_owned())];
        for format in [Format::Table, Format::Json] {
            let dir = tempfile::tempdir().unwrap();
            let destination = Destination::File(dir.path().join("report"));
            let mut forgetful = Forgetful::default();
            let inputs = std::slice::from_ref(&history);
            evaluate_to_report_observed(inputs, &rules, format, &destination, 2, Some(&mut forgetful)).unwrap();
            forgetful.seen.sort();
            assert_eq!((forgetful.seen, forgetful.restarts), (expected.clone(), 1));

            let mut seen = Vec::new();
            let mut record =
                |finding: &Finding| seen.push((finding.resource_id.to_string(), finding.status.to_string()));
            evaluate_to_report_observed(inputs, &rules, format, &destination, 2, Some(&mut record)).unwrap();
            seen.sort();
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn error_chains_say_each_thing_once() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("items.jsonl");
        std::fs::write(
            &inventory,
            r#"{"resourceType":"AWS::S3::Bucket","resourceId":"b","accountId":"111122223333","awsRegion":"us-east-1"}"#,
        )
        .unwrap();
        let rules = Config::default().rule_set().unwrap();
        let destination = Destination::File(dir.path().join("no-such-directory/report.json"));
        let err = evaluate_to_report(&[inventory], &rules, Format::Json, &destination, 1).err().unwrap();
        let text = mamori_model::error_chain(&err);
        let Destination::File(path) = &destination else { unreachable!() };
        assert_eq!(
            text,
            format!(
                "cannot write the report to `{}`: directory `{}` does not exist",
                path.display(),
                path.parent().unwrap().display()
            )
        );

        let missing = dir.path().join("missing.jsonl");
        let err = evaluate_to_report(std::slice::from_ref(&missing), &rules, Format::Json, &Destination::Stdout, 1)
            .err()
            .unwrap();
        assert_eq!(
            mamori_model::error_chain(&err),
            format!("`{}` is neither a file nor a directory", missing.display())
        );
    }
}
