//! `mamori evaluate` and `mamori audit`: one setup (configuration, rules, exceptions,
//! framework, notifier, history, report), checked before any work, then the evaluation
//! recorded and notified by `mamori-workflow`, then the sections printed after the report.

use std::io::{self, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use mamori_compliance::{Exceptions, Framework};
use mamori_engine::{config::parse_param_flag, Config, Destination, EvaluateError, Format};
use mamori_model::Severity;
use mamori_rules::RuleSet;
use mamori_workflow::{
    evaluate_recorded, EvaluationRequest, History, Notifier, NotifyMode, ScopeSource, WorkflowError,
};

use crate::settings::{self, HistoryArgs, NotifyArgs};
use crate::{collect_cmd, exceptions_cmd, frameworks_cmd, notify_cmd, output, remediate_cmd};

#[derive(Args)]
pub struct EvaluateArgs {
    /// Inventory files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    collect: collect_cmd::CollectArgs,
    #[command(flatten)]
    report: ReportArgs,
    /// Keep the collected inventory in this directory (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    inventory: Option<PathBuf>,
    /// After evaluating and recording, fix the failures of the rules whose
    /// `[remediation.rule.<id>] mode` is `auto` (within the safety belts), before notifying.
    #[arg(long)]
    remediate: bool,
    #[command(flatten)]
    remediation_role: remediate_cmd::RemediationRole,
}

/// What to evaluate and how to report it: shared by `evaluate` and `audit`.
#[derive(Args)]
pub struct ReportArgs {
    /// Only rules matching these ids or globs (e.g. `s3-*`); replaces `[evaluate] rules`.
    #[arg(long = "rules", num_args = 1.., value_name = "GLOB")]
    rules: Vec<String>,
    /// Leave out rules matching these ids or globs.
    #[arg(long = "exclude-rules", num_args = 1.., value_name = "GLOB")]
    exclude_rules: Vec<String>,
    /// Set a rule parameter, e.g. `access-keys-rotated.maxAccessKeyAge=45`.
    #[arg(long = "param", value_name = "RULE.NAME=VALUE")]
    params: Vec<String>,
    /// Configuration file (default: ./mamori.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of custom Rego policies, evaluated with the built-in rules; added to
    /// `[policies] dirs`.
    #[arg(long = "policies", value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// The report's format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a check of this severity or above fails or cannot be evaluated.
    #[arg(long, value_enum, ignore_case = true, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Worker threads (default: the number of cores; at most 1024).
    #[arg(long, value_parser = settings::parse_threads)]
    threads: Option<NonZeroUsize>,
    #[command(flatten)]
    history: HistoryArgs,
    /// Name the run's scope: runs of the same name are compared, whatever their inputs
    /// (default: `evaluate` compares runs of the same inputs, dates in paths left out, and
    /// `audit` runs of the same accounts source, regions and collectors).
    #[arg(long, value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    scope: Option<String>,
    #[command(flatten)]
    notify: NotifyArgs,
    /// Exceptions file (YAML): matching failures become MUTED; replaces `[exceptions] file`.
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// Also give the per-control result of a framework: cis-aws-3.0, aws-fsbp, or a file.
    #[arg(long, value_name = "ID|FILE")]
    framework: Option<String>,
    /// Write the framework's per-control result as JSON to this file.
    #[arg(long, value_name = "FILE", requires = "framework")]
    framework_output: Option<PathBuf>,
}

/// Everything an evaluation needs, resolved and checked before any work.
struct Evaluation {
    config: Config,
    rules: RuleSet,
    exceptions: Option<Arc<Exceptions>>,
    framework: Option<Framework>,
    notifier: Notifier,
    history: History,
    fail_on: Option<Severity>,
    destination: Destination,
    options: serde_json::Value,
    args: ReportArgs,
    /// `audit --remediate`: what fixes the `auto` rules after the run is recorded.
    remediation: Option<(mamori_aws::fix::run::Remediator, mamori_model::remediation::RemediationSection)>,
}

impl ReportArgs {
    /// Resolve the flags and `mamori.toml` into an evaluation: a bad configuration, rule
    /// selection, parameter, exceptions file, framework, `[notify]` section or store stops the
    /// command here, before minutes of collection or evaluation.
    fn prepare(self) -> anyhow::Result<Evaluation> {
        let mut config = settings::load_config(self.config.as_deref())?;
        config.select = self.rules.clone();
        config.exclude = self.exclude_rules.clone();
        config.policy_dirs = self.policies.clone();
        for flag in &self.params {
            config.params.push(parse_param_flag(flag).map_err(|err| anyhow::anyhow!("--param {err}"))?);
        }
        let fail_on = match self.fail_on {
            Some(severity) => Some(severity),
            None => config.fail_on()?,
        };
        let mut rules = config.rule_set()?;
        let exceptions = exceptions_cmd::attach(self.exceptions.as_deref(), &config, &mut rules)?;
        let framework = self.framework.as_deref().map(|name| frameworks_cmd::resolve(name, &rules)).transpose()?;
        let notifier = self.notify.delivery.notifier(&config)?;
        let history = self.history.open(&config)?;
        let destination = match &self.output {
            Some(path) => Destination::File(path.clone()),
            None => Destination::Stdout,
        };
        let options = serde_json::json!({
            "params": self.params,
            "format": self.format.as_str(),
            "failOn": fail_on.map(|s| s.as_str()),
        });
        Ok(Evaluation {
            config,
            rules,
            exceptions,
            framework,
            notifier,
            history,
            fail_on,
            destination,
            options,
            args: self,
            remediation: None,
        })
    }
}

pub fn evaluate(args: EvaluateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let evaluation = args.report.prepare()?;
    evaluation.run(&args.inputs, ScopeSource::Inventory(&args.inputs), out)
}

pub fn audit(mut args: AuditArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut evaluation = args.report.prepare()?;
    if !args.remediate && args.remediation_role.given() {
        anyhow::bail!("--remediation-role-name is the role of --remediate's changes: add --remediate, or leave it out");
    }
    if args.remediate {
        // Checked before collecting: a bad section or role stops the audit at once.
        let section = evaluation.config.remediation()?.clone();
        if evaluation.history.path().is_none() {
            anyhow::bail!(
                "--remediate records every action in the findings history: it cannot be used with --no-store"
            );
        }
        let write_role = args.remediation_role.role(&args.collect.session)?;
        let remediator = remediate_cmd::remediator(&args.collect.session, write_role)?;
        evaluation.remediation = Some((remediator, section));
    }
    // The scope is what the user asked for; the rule selection narrows only what is collected.
    let scope = args.collect.scope();
    if args.collect.collectors.is_none() {
        args.collect.collectors = Some(collectors_for(&evaluation.rules));
    }
    let temporary;
    let dir = match &args.inventory {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new().prefix("mamori-audit-").tempdir()?;
            temporary.path().to_owned()
        }
    };
    collect_cmd::collect_into(&args.collect, &dir)?;
    evaluation.run(&[dir], ScopeSource::Audit(scope), out)
}

/// The collectors an audit runs when `--collectors` is not given: those writing a resource type
/// one of the selected rules (or custom policies) reads, and, when a rule reads the
/// `AWS::::Account` record, every collector that writes account fields (a rule's metadata names
/// the record, not the fields it reads). With every rule selected, that is every collector.
fn collectors_for(rules: &RuleSet) -> Vec<String> {
    use mamori_aws::collect::COLLECTORS;
    let read: std::collections::BTreeSet<&str> =
        rules.rules().iter().flat_map(|active| active.rule.meta().resource_types.iter().copied()).collect();
    let account = read.contains(mamori_model::ACCOUNT_TYPE) || read.contains("*");
    COLLECTORS
        .iter()
        .filter(|collector| {
            read.contains("*")
                || collector.resource_types.iter().any(|kind| read.contains(kind))
                || (account && !collector.account_fields.is_empty())
        })
        .map(|collector| collector.name.to_owned())
        .collect()
}

impl Evaluation {
    fn run(mut self, inputs: &[PathBuf], scope: ScopeSource<'_>, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
        let format = self.args.format;
        let request = EvaluationRequest {
            inputs,
            rules: &self.rules,
            format,
            destination: &self.destination,
            threads: settings::threads(self.args.threads),
            config: &self.config,
            scope,
            scope_name: self.args.scope.as_deref(),
            options: self.options,
        };
        let evaluated =
            evaluate_recorded(&mut self.history, request).map_err(|err| report_error(err, &self.destination))?;
        if let Some(run) = &evaluated.recorded {
            // A dry run's run is compared and then removed (the dry run's own output says so):
            // "recorded" would promise a run that `runs list` will not show.
            if self.args.notify.mode() != NotifyMode::DryRun {
                eprintln!("recorded run {} in {}", run.id, run.path.display());
            }
        }
        let outcome = &evaluated.outcome;
        if let Destination::File(path) = &self.destination {
            let checks = &outcome.summary.checks;
            eprintln!(
                "wrote {} checks ({} FAIL, {} ERROR) to {}",
                checks.total(),
                checks.fail,
                checks.error,
                path.display()
            );
        }
        // The extra sections go after the report, and never into a machine-readable report on
        // standard output.
        let mut stderr = io::stderr();
        let extra: &mut dyn Write = match (&self.destination, format) {
            (Destination::Stdout, Format::Table) | (Destination::File(_), _) => out,
            _ => &mut stderr,
        };
        if let Some(exceptions) = &self.exceptions {
            exceptions_cmd::warn(exceptions, &self.rules);
            if format == Format::Table {
                exceptions_cmd::render(exceptions, &self.rules, extra)?;
            }
        }
        if let Some(framework) = &self.framework {
            let report = frameworks_cmd::evaluate(framework, &outcome.summary);
            match &self.args.framework_output {
                Some(path) => frameworks_cmd::write_json(&report, path)?,
                None => frameworks_cmd::render(&report, extra)?,
            }
        }
        let mut remediated = Vec::new();
        if let (Some((remediator, section)), Some(run)) = (&self.remediation, &evaluated.recorded) {
            remediated = remediate_cmd::after_audit(remediator, section, run, &self.rules, extra)?;
        }
        let notified = self.notifier.after_run_remediated(
            evaluated.recorded.as_ref(),
            &self.rules,
            self.args.notify.mode(),
            &remediated,
        )?;
        notify_cmd::print_report(&notified, extra)?;
        let failing = self.fail_on.is_some_and(|threshold| outcome.has_findings_at_or_above(threshold));
        Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
    }
}

/// The evaluation's error as the user should read it. A report that could not be written names
/// its destination and says its cause once (`EvaluateError::Output` has it in its message and
/// as its source); a reader that closed standard output ends the command quietly, as it does
/// for every command (`output`).
fn report_error(err: WorkflowError, destination: &Destination) -> anyhow::Error {
    let WorkflowError::Evaluate(EvaluateError::Output(cause)) = err else {
        return err.into();
    };
    match destination {
        // Only standard output is a pipe: the findings spilled meanwhile go to a file.
        Destination::Stdout if cause.kind() == io::ErrorKind::BrokenPipe => output::mark(cause).into(),
        Destination::Stdout => anyhow::anyhow!("cannot write the report: {cause}"),
        Destination::File(path) => anyhow::anyhow!("cannot write the report to `{}`: {cause}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use mamori_rules::{catalog, ActiveRule, RuleSet};

    use super::collectors_for;

    fn selected(ids: &[&str]) -> RuleSet {
        let rules =
            catalog().iter().filter(|rule| ids.contains(&rule.meta().id)).map(|rule| ActiveRule::with_defaults(*rule));
        RuleSet::new(rules.collect())
    }

    #[test]
    fn an_audit_collects_what_its_rules_read() {
        assert_eq!(collectors_for(&selected(&["s3-bucket-versioning-enabled"])), ["s3"]);
        assert_eq!(collectors_for(&selected(&["restricted-ssh", "lambda-inside-vpc"])), ["ec2", "lambda"]);
        // The account record is written from the account fields of several collectors.
        let account = collectors_for(&selected(&["iam-password-policy"]));
        assert!(account.contains(&"iam".to_owned()) && account.contains(&"ec2".to_owned()), "{account:?}");
        let every =
            mamori_aws::collect::COLLECTORS.iter().map(|collector| collector.name.to_owned()).collect::<Vec<_>>();
        let all: Vec<&str> = catalog().iter().map(|rule| rule.meta().id).collect();
        assert_eq!(collectors_for(&selected(&all)), every, "the whole catalog reads every collector's output");
    }
}
