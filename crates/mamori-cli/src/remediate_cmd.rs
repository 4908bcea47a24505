//! `mamori remediate plan | apply | log | rollback`, and the remediation step of
//! `mamori audit --remediate`: options and printing around `mamori_aws::fix::run`.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_aws::fix::run::{AccountContext, ApplyReport, PlanRequest, RemediateOptions, Remediator};
use mamori_aws::session::{RoleSpec, RoleTarget};
use mamori_engine::Config;
use mamori_model::remediation::{LeftOutReason, Mode, Plan, RemediationSection};
use mamori_model::{Finding, Status};
use mamori_rules::RuleSet;
use mamori_store::{ActionOutcome, ActionRecord, RunId, Store};

use crate::collect_cmd::SessionArgs;
use crate::settings::StoreLocation;

#[derive(Subcommand)]
pub enum RemediateCommand {
    /// Plan fixes for a recorded run's FAIL findings: for each, the fixer, the resource's state
    /// read now, the exact calls and the expected state; for each finding left out, why.
    Plan(PlanArgs),
    /// Make exactly the calls of a plan, re-checking each resource right before its change,
    /// then verify by reading it again and re-running the rule; every action is recorded.
    Apply(ApplyArgs),
    /// List the recorded remediation actions.
    Log(LogArgs),
    /// Restore the state recorded before a reversible action (recorded as an action too).
    Rollback(RollbackArgs),
}

#[derive(Args)]
pub struct PlanArgs {
    /// The recorded run whose findings to plan (default: the latest complete run).
    #[arg(value_name = "RUN")]
    run: Option<String>,
    /// Only findings of rules matching these ids or globs.
    #[arg(long = "rules", num_args = 1.., value_name = "GLOB")]
    rules: Vec<String>,
    /// Only findings of these accounts.
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNT_ID,...")]
    accounts: Vec<String>,
    /// Only findings of these regions (`global` for global resources).
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    regions: Vec<String>,
    /// Write the plan document (JSON) to this file, for `remediate apply`.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the plan document on standard output instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    session: SessionArgs,
    #[command(flatten)]
    store: StoreLocation,
}

/// `--remediation-role-name`: the role every change goes through.
#[derive(Args, Debug)]
pub struct RemediationRole {
    /// Role to assume for changes, by name (never the read-only audit role of --role-name).
    #[arg(long, value_name = "NAME")]
    remediation_role_name: Option<String>,
}

impl RemediationRole {
    /// Whether `--remediation-role-name` was given.
    pub fn given(&self) -> bool {
        self.remediation_role_name.is_some()
    }

    /// The write role; refused when only the read role is given, since writing through the
    /// audit role is what the separate role exists to prevent.
    pub fn role(&self, session: &SessionArgs) -> anyhow::Result<Option<RoleSpec>> {
        match (&self.remediation_role_name, session.role()?) {
            (Some(name), _) => {
                let mut spec = session.role_spec(RoleTarget::Name(name.clone()));
                // Changes show up in the accounts' CloudTrail under their own session name
                // unless one was chosen.
                if spec.session_name == RoleSpec::DEFAULT_SESSION_NAME {
                    spec.session_name = "mamori-remediation".to_owned();
                }
                spec.validate().map_err(|e| anyhow::anyhow!("--remediation-role-name: {e}"))?;
                Ok(Some(spec))
            }
            (None, Some(_)) => anyhow::bail!(
                "changes go through the remediation role, never the audit role: pass --remediation-role-name NAME"
            ),
            (None, None) => Ok(None),
        }
    }
}

#[derive(Args)]
pub struct ApplyArgs {
    /// The plan document written by `remediate plan --output`.
    #[arg(value_name = "PLAN")]
    plan: PathBuf,
    /// Apply without asking.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    role: RemediationRole,
    #[command(flatten)]
    session: SessionArgs,
    #[command(flatten)]
    store: StoreLocation,
}

#[derive(Args)]
pub struct LogArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreLocation,
}

#[derive(Args)]
pub struct RollbackArgs {
    /// The action to undo (see `mamori remediate log`).
    #[arg(value_name = "ACTION_ID")]
    action: i64,
    #[command(flatten)]
    role: RemediationRole,
    #[command(flatten)]
    session: SessionArgs,
    #[command(flatten)]
    store: StoreLocation,
}

pub fn run(command: RemediateCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        RemediateCommand::Plan(args) => plan(args, out),
        RemediateCommand::Apply(args) => apply(args, out),
        RemediateCommand::Log(args) => log(args, out),
        RemediateCommand::Rollback(args) => rollback(args, out),
    }
}

/// The configuration's rules for planning and verification: every rule of the catalog (a
/// fixer's rule is verified even when `[evaluate]` leaves it out), with the configured
/// parameters.
fn verification_rules(config: &mut Config) -> anyhow::Result<RuleSet> {
    config.select = vec!["*".to_owned()];
    Ok(config.rule_set()?)
}

pub fn remediator(session: &SessionArgs, write_role: Option<RoleSpec>) -> anyhow::Result<Remediator> {
    let options = RemediateOptions { read_role: session.role()?, write_role, limits: session.limits() };
    let runtime = mamori_aws::runtime()?;
    let base = runtime.block_on(mamori_aws::sdk::load(&session.sdk()))?;
    Ok(Remediator::new(&base, options)?)
}

/// What of a run to plan.
pub struct Narrow<'a> {
    pub rules: &'a [String],
    pub accounts: &'a [String],
    pub regions: &'a [String],
}

/// The plan of run `run`'s findings narrowed by `narrow`, under `section`, for `modes`.
pub fn plan_run(
    remediator: &Remediator,
    store: &Store,
    run: RunId,
    section: &RemediationSection,
    modes: &[Mode],
    rules: &RuleSet,
    narrow: &Narrow<'_>,
) -> anyhow::Result<Plan> {
    let mut globs = globset::GlobSetBuilder::new();
    for pattern in narrow.rules {
        globs.add(globset::Glob::new(pattern).with_context(|| format!("--rules `{pattern}`"))?);
    }
    let globs = globs.build()?;
    let mut failing_by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    for stored in store.findings(run)? {
        if stored.status == Status::Fail {
            *failing_by_rule.entry(stored.rule_id.clone()).or_default() += 1;
        }
        let wanted = (narrow.rules.is_empty() || globs.is_match(&stored.rule_id))
            && (narrow.accounts.is_empty() || narrow.accounts.contains(&stored.account_id))
            && (narrow.regions.is_empty() || narrow.regions.contains(&stored.region));
        // Only FAIL findings are remediated; PASS ones need no word in the plan, while ERROR
        // and MUTED ones are listed as left out, so the plan says why they were not touched.
        if wanted && stored.status != Status::Pass {
            findings.push((stored.finding_id.clone(), stored.into_finding()));
        }
    }
    let uses_ous = std::iter::once(&section.filters)
        .chain(section.rule.values().map(|r| &r.filters))
        .any(|f| !f.include_ous.is_empty() || !f.exclude_ous.is_empty());
    let runtime = mamori_aws::runtime()?;
    let mut accounts = BTreeMap::new();
    for account in store.accounts(run)? {
        let ous = if uses_ous {
            runtime
                .block_on(remediator.account_ous(&account.id))
                .map_err(|e| anyhow::anyhow!("the OU filters need the account's OUs: {}: {e}", account.id))?
        } else {
            Vec::new()
        };
        accounts.insert(account.id.clone(), AccountContext { ous, tags: account.tags.clone() });
    }
    let request =
        PlanRequest { run_id: run, findings: &findings, failing_by_rule, section, modes, rules, accounts: &accounts };
    Ok(runtime.block_on(remediator.plan(&request)))
}

fn plan(args: PlanArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (mut config, path) = args.store.resolve()?;
    let section = config.remediation()?.clone();
    let rules = verification_rules(&mut config)?;
    let store = Store::open_read_only(&path)?;
    let run = match &args.run {
        Some(name) => store.run_by_name(name)?,
        None => store
            .latest_complete_run(None, None)?
            .ok_or_else(|| anyhow::anyhow!("no complete run in `{}` to plan from", path.display()))?,
    };
    if run.state != mamori_store::RunState::Complete {
        anyhow::bail!("run {} is {}, not complete: its findings are partial", run.id, run.state.as_str());
    }
    let remediator = remediator(&args.session, None)?;
    let narrow = Narrow { rules: &args.rules, accounts: &args.accounts, regions: &args.regions };
    let plan = plan_run(&remediator, &store, run.id, &section, &[Mode::Plan, Mode::Auto], &rules, &narrow)?;
    let document = serde_json::to_string_pretty(&plan)?;
    if let Some(path) = &args.output {
        write_atomically(path, document.as_bytes())?;
        eprintln!("plan {} written to {} ({} actions)", plan.plan_id, path.display(), plan.actions.len());
    }
    if args.json {
        writeln!(out, "{document}")?;
    } else {
        print_plan(&plan, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
    file.persist(path).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// The plan as a table: the actions, then what was left out and why.
pub fn print_plan(plan: &Plan, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "plan {} from run {}: {} actions, {} left out",
        plan.plan_id,
        plan.run_id,
        plan.actions.len(),
        plan.left_out.len()
    )?;
    if !plan.actions.is_empty() {
        writeln!(
            out,
            "\n{:<38} {:<14} {:<14} {:<32} {:<10} calls",
            "rule", "account", "region", "resource", "reversible"
        )?;
        for action in &plan.actions {
            let f = &action.finding;
            let calls: Vec<String> = action.calls.iter().map(|c| c.action()).collect();
            writeln!(
                out,
                "{:<38} {:<14} {:<14} {:<32} {:<10} {}",
                f.rule_id,
                f.account_id,
                f.region,
                f.resource_id,
                if action.reversible { "yes" } else { "no" },
                calls.join(", ")
            )?;
        }
    }
    // Findings that no fixer takes, whose rule is off, or that do not fail are counted per rule
    // (the JSON document lists each); the others are listed one by one with their reason.
    let mut counted: BTreeMap<(&str, LeftOutReason), usize> = BTreeMap::new();
    let mut listed = Vec::new();
    for left in &plan.left_out {
        match left.reason {
            LeftOutReason::NoFixer | LeftOutReason::ModeOff | LeftOutReason::NotFailing => {
                *counted.entry((left.finding.rule_id.as_str(), left.reason)).or_default() += 1
            }
            _ => listed.push(left),
        }
    }
    if !listed.is_empty() {
        writeln!(out, "\nleft out:")?;
        writeln!(out, "{:<38} {:<14} {:<14} {:<32} {:<17} detail", "rule", "account", "region", "resource", "reason")?;
        for left in listed {
            let f = &left.finding;
            writeln!(
                out,
                "{:<38} {:<14} {:<14} {:<32} {:<17} {}",
                f.rule_id,
                f.account_id,
                f.region,
                f.resource_id,
                left.reason.as_str(),
                mamori_model::escape_controls(&left.detail)
            )?;
        }
    }
    if !counted.is_empty() {
        writeln!(out, "\nleft out, by rule:")?;
        for ((rule, reason), count) in counted {
            writeln!(out, "{count:>6}  {rule:<46} {}", reason.as_str())?;
        }
    }
    Ok(())
}

fn confirm(plan: &Plan) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("standard input is not a terminal: pass --yes to apply plan {} without asking", plan.plan_id);
    }
    eprint!("apply {} changes of plan {}? type `yes` to go on: ", plan.actions.len(), plan.plan_id);
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

fn apply(args: ApplyArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.plan).with_context(|| format!("cannot read `{}`", args.plan.display()))?;
    let plan = Plan::from_json(&args.plan.display().to_string(), &text)?;
    let (mut config, path) = args.store.resolve()?;
    let section = config.remediation()?.clone();
    let rules = verification_rules(&mut config)?;
    let write_role = args.role.role(&args.session)?;
    let mut store = Store::open(&path)?;
    // The belts first, so that a refused plan is refused before anyone is asked.
    Remediator::check_belts(&plan, &store, &section)?;
    print_plan(&plan, out)?;
    out.flush()?;
    if plan.actions.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirm(&plan)? {
        eprintln!("nothing applied");
        return Ok(ExitCode::SUCCESS);
    }
    let remediator = remediator(&args.session, write_role)?;
    let runtime = mamori_aws::runtime()?;
    let report = runtime.block_on(remediator.apply(&plan, &mut store, &section, &rules, None))?;
    print_report(&report, out)?;
    Ok(exit_code(&report))
}

/// 0 when every action is in place or was skipped on purpose; 1 when one failed or could not
/// be verified.
pub fn exit_code(report: &ApplyReport) -> ExitCode {
    let bad = report.actions.iter().any(|a| matches!(a.outcome, ActionOutcome::Failed | ActionOutcome::Unverified));
    if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn print_report(report: &ApplyReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "\n{:<8} {:<16} {:<38} {:<14} {:<32} detail", "action", "outcome", "rule", "account", "resource")?;
    for action in &report.actions {
        let f = &action.finding;
        writeln!(
            out,
            "{:<8} {:<16} {:<38} {:<14} {:<32} {}",
            action.action_id.map_or("-".to_owned(), |id| id.to_string()),
            action.outcome.as_str(),
            f.rule_id,
            f.account_id,
            f.resource_id,
            mamori_model::escape_controls(&action.detail)
        )?;
    }
    let count = |outcome: ActionOutcome| report.actions.iter().filter(|a| a.outcome == outcome).count();
    writeln!(
        out,
        "\n{} verified, {} unverified, {} already applied, {} skipped, {} failed",
        count(ActionOutcome::Verified),
        count(ActionOutcome::Unverified),
        count(ActionOutcome::AlreadyApplied),
        count(ActionOutcome::Skipped),
        count(ActionOutcome::Failed)
    )?;
    Ok(())
}

/// `audit --remediate`: plans the run's failures of the `auto` rules, applies them within the
/// belts (a refusal is said, and the audit goes on to notify), prints what happened, and
/// returns the verified fixes for the owners' messages.
pub fn after_audit(
    remediator: &Remediator,
    section: &RemediationSection,
    run: &mamori_workflow::RecordedRun,
    rules: &RuleSet,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<mamori_workflow::Remediated>> {
    let mut store = Store::open(&run.path)?;
    let narrow = Narrow { rules: &[], accounts: &[], regions: &[] };
    let plan = plan_run(remediator, &store, run.id, section, &[Mode::Auto], rules, &narrow)?;
    // What is left out only because its mode is not `auto` is not news here.
    let mut shown = plan.clone();
    shown
        .left_out
        .retain(|l| !matches!(l.reason, LeftOutReason::ModeOff | LeftOutReason::NoFixer | LeftOutReason::NotFailing));
    writeln!(out, "\nremediation (rules in mode auto):")?;
    print_plan(&shown, out)?;
    if plan.actions.is_empty() {
        return Ok(Vec::new());
    }
    let runtime = mamori_aws::runtime()?;
    let report = match runtime.block_on(remediator.apply(&plan, &mut store, section, rules, None)) {
        Ok(report) => report,
        Err(err @ mamori_aws::fix::run::RemediateError::Belt(_)) => {
            eprintln!("warning: remediation refused: {err}");
            return Ok(Vec::new());
        }
        Err(err) => return Err(err.into()),
    };
    print_report(&report, out)?;
    let planned: BTreeMap<&str, &mamori_model::remediation::PlannedAction> =
        plan.actions.iter().map(|a| (a.finding.finding_id.as_str(), a)).collect();
    Ok(report
        .actions
        .iter()
        .filter(|a| a.outcome == ActionOutcome::Verified)
        .map(|a| {
            let calls: Vec<String> = planned
                .get(a.finding.finding_id.as_str())
                .map(|p| p.calls.iter().map(|c| c.action()).collect())
                .unwrap_or_default();
            mamori_workflow::Remediated {
                finding_id: a.finding.finding_id.clone(),
                summary: format!(
                    "fixed by mamori (action {}, verified): {}",
                    a.action_id.map_or("-".to_owned(), |id| id.to_string()),
                    calls.join(", ")
                ),
            }
        })
        .collect())
}

fn log(args: LogArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = args.store.open_read_only()?;
    let actions = store.actions()?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&actions)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<6} {:<20} {:<8} {:<16} {:<38} {:<14} {:<14} {:<32} caller",
        "id", "started", "kind", "outcome", "rule", "account", "region", "resource"
    )?;
    for action in &actions {
        print_action(action, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_action(action: &ActionRecord, out: &mut dyn Write) -> anyhow::Result<()> {
    let kind = match action.rolls_back {
        Some(id) => format!("undo {id}"),
        None => action.kind.as_str().to_owned(),
    };
    writeln!(
        out,
        "{:<6} {:<20} {:<8} {:<16} {:<38} {:<14} {:<14} {:<32} {}",
        action.id,
        mamori_model::time::rfc3339(action.started_at / 1000),
        kind,
        action.outcome.as_str(),
        action.rule_id,
        action.account_id,
        action.region,
        action.resource_id,
        action.caller_arn
    )?;
    Ok(())
}

fn rollback(args: RollbackArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (_, path) = args.store.resolve()?;
    let write_role = args.role.role(&args.session)?;
    let mut store = Store::open(&path)?;
    let remediator = remediator(&args.session, write_role)?;
    let runtime = mamori_aws::runtime()?;
    let record = runtime.block_on(remediator.rollback(args.action, &mut store))?;
    print_action(&record, out)?;
    writeln!(out, "{}", mamori_model::escape_controls(&record.detail))?;
    Ok(if record.outcome == ActionOutcome::Verified { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
