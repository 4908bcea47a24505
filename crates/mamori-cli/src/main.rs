//! The `mamori` command. Argument parsing and printing only: the work is done by the library
//! crates (`mamori-engine` for evaluation, `mamori-rules` for the catalog, `mamori-secrets` for
//! the secret scanner).
//!
//! Exit codes: 0 success (and nothing at or above `--fail-on`), 1 findings at or above
//! `--fail-on` (or an unallowed secret), 2 an error (bad input, unreadable inventory, bad
//! configuration): the message names the file, line or field.

mod collect_cmd;
mod dashboard_cmd;
mod exceptions_cmd;
mod export_cmd;
mod frameworks_cmd;
mod history_cmd;
mod notify_cmd;
mod policy_cmd;
mod rules_cmd;
mod secrets;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mamori_engine::{config::parse_param_flag, Config, Destination, Format};
use mamori_model::Severity;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "mamori", version, about = "Audit a whole AWS organization against security rules.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List or show the built-in rules.
    Rules {
        #[command(subcommand)]
        command: rules_cmd::RulesCommand,
    },
    /// Custom Rego policies: run their tests.
    Policy {
        #[command(subcommand)]
        command: policy_cmd::PolicyCommand,
    },
    /// Evaluate an inventory (AWS Config items, snapshots, API results; JSON Lines, .gz,
    /// directories) and print the organization-wide view or a report.
    Evaluate(EvaluateArgs),
    /// Read an inventory without evaluating it: counts by resource type, account and region.
    Inventory(InventoryArgs),
    /// Find leaked AWS credentials in a working tree or git history.
    Secrets(secrets::SecretsArgs),
    /// Collect an inventory from AWS: accounts, regions, every resource the rules read.
    Collect(CollectCommand),
    /// Collect from AWS and evaluate in one go: the organization-wide view of live accounts.
    Audit(Box<AuditArgs>),
    /// Print the least-privilege read-only IAM policy of the audit role, or a CloudFormation
    /// template creating the role.
    IamPolicy(IamPolicyArgs),
    /// The runs recorded in the findings history.
    Runs {
        #[command(subcommand)]
        command: history_cmd::RunsCommand,
    },
    /// What changed between two runs of the same scope, by owner and account.
    Diff(history_cmd::DiffArgs),
    /// Write a recorded run as a self-contained HTML dashboard (score, trend, heatmap,
    /// failing checks with search and drill-down).
    Report(dashboard_cmd::DashboardArgs),
    /// Export a recorded run: to AWS Security Hub (ASFF) or as OCSF findings.
    Export {
        #[command(subcommand)]
        command: export_cmd::ExportCommand,
    },
    /// Owner notifications: list the pending ones, or send them now.
    Notify {
        #[command(subcommand)]
        command: notify_cmd::NotifyCommand,
    },
    /// Check exceptions files.
    Exceptions {
        #[command(subcommand)]
        command: exceptions_cmd::ExceptionsCommand,
    },
}

#[derive(Args)]
struct CollectCommand {
    #[command(flatten)]
    collect: collect_cmd::CollectArgs,
    /// Directory the inventory is written to (`<account>/<part>.jsonl`).
    #[arg(long, short)]
    output: PathBuf,
}

#[derive(Args)]
struct AuditArgs {
    #[command(flatten)]
    collect: collect_cmd::CollectArgs,
    #[command(flatten)]
    report: ReportArgs,
    /// Keep the collected inventory in this directory (default: a temporary one).
    #[arg(long, value_name = "DIR")]
    inventory: Option<PathBuf>,
}

#[derive(Args)]
struct IamPolicyArgs {
    /// `policy` (the permissions policy, JSON) or `cloudformation` (a template of the role).
    #[arg(long, default_value = "policy", value_parser = ["policy", "cloudformation"])]
    format: String,
    /// Who may assume the role (account id or IAM ARN); needed for `cloudformation`.
    #[arg(long, value_name = "ACCOUNT_ID|ARN")]
    trusted_principal: Option<String>,
    /// Name of the role in the template.
    #[arg(long, default_value = "mamori-audit")]
    role_name: String,
    /// Require an external id (a NoEcho stack parameter) in the trust policy.
    #[arg(long)]
    external_id: bool,
    /// Add the Organizations actions that listing accounts needs (management account).
    #[arg(long)]
    discovery: bool,
}

#[derive(Args)]
struct EvaluateArgs {
    /// Inventory files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

/// What to evaluate and how to report it: shared by `evaluate` and `audit`.
#[derive(Args)]
struct ReportArgs {
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
    /// table (organization view), json, csv, ocsf (Security Lake), asff (Security Hub).
    #[arg(long, default_value = "table", value_parser = Format::NAMES)]
    format: String,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit 1 when a check of this severity or above fails or cannot be evaluated.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    store: history_cmd::StoreArgs,
    #[command(flatten)]
    notify: notify_cmd::NotifyArgs,
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

#[derive(Args)]
struct InventoryArgs {
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print the counts as JSON.
    #[arg(long)]
    json: bool,
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Rules { command } => rules_cmd::run(command),
        Command::Policy { command } => policy_cmd::run(command),
        Command::Evaluate(args) => evaluate(args),
        Command::Inventory(args) => inventory(args),
        Command::Secrets(args) => secrets::run(args),
        Command::Collect(args) => collect_cmd::collect(args.collect, args.output),
        Command::Audit(args) => audit(*args),
        Command::IamPolicy(args) => iam_policy(args),
        Command::Runs { command } => history_cmd::runs(command),
        Command::Diff(args) => history_cmd::diff(args),
        Command::Export { command } => export_cmd::run(command),
        Command::Report(args) => dashboard_cmd::run(args),
        Command::Exceptions { command } => exceptions_cmd::run(command),
        Command::Notify { command } => notify_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn threads(requested: Option<usize>) -> usize {
    requested.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
}

fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    match explicit {
        Some(path) => Ok(Config::load(path)?),
        None if Path::new("mamori.toml").is_file() => Ok(Config::load(Path::new("mamori.toml"))?),
        None => Ok(Config::default()),
    }
}

fn evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    report(&args.inputs, history_cmd::ScopeSource::Inventory(&args.inputs), args.report)
}

fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    // Check the evaluation options before spending minutes collecting.
    let mut config = load_config(args.report.config.as_deref())?;
    config.select = args.report.rules.clone();
    config.exclude = args.report.exclude_rules.clone();
    config.policy_dirs = args.report.policies.clone();
    let mut rules = config.rule_set()?;
    exceptions_cmd::attach(args.report.exceptions.as_deref(), &config, &mut rules)?;
    if let Some(name) = &args.report.framework {
        frameworks_cmd::resolve(name, &rules)?;
    }
    notify_cmd::Notifier::prepare(&config, &args.report.notify.delivery)?;
    let temporary;
    let dir = match &args.inventory {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new().prefix("mamori-audit-").tempdir()?;
            temporary.path().to_owned()
        }
    };
    collect_cmd::collect_into(&args.collect, &dir)?;
    report(&[dir], history_cmd::ScopeSource::Audit(args.collect.scope()), args.report)
}

fn iam_policy(args: IamPolicyArgs) -> anyhow::Result<ExitCode> {
    let document = match args.format.as_str() {
        "cloudformation" => {
            let Some(principal) = &args.trusted_principal else {
                anyhow::bail!("--format cloudformation needs --trusted-principal ACCOUNT_ID|ARN");
            };
            mamori_aws::permissions::cloudformation_template(
                principal,
                &args.role_name,
                args.external_id,
                args.discovery,
            )
        }
        _ => mamori_aws::permissions::policy_document(args.discovery),
    };
    println!("{}", serde_json::to_string_pretty(&document)?);
    Ok(ExitCode::SUCCESS)
}

fn report(inputs: &[PathBuf], scope: history_cmd::ScopeSource<'_>, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut config = load_config(args.config.as_deref())?;
    config.select = args.rules;
    config.exclude = args.exclude_rules;
    config.policy_dirs = args.policies;
    for flag in &args.params {
        config.params.push(parse_param_flag(flag).map_err(|err| anyhow::anyhow!("--param {err}"))?);
    }
    let fail_on = match &args.fail_on {
        Some(text) => Some(text.parse::<Severity>().context("--fail-on")?),
        None => config.fail_on()?,
    };
    let mut rules = config.rule_set()?;
    let exceptions = exceptions_cmd::attach(args.exceptions.as_deref(), &config, &mut rules)?;
    let framework = args.framework.as_deref().map(|name| frameworks_cmd::resolve(name, &rules)).transpose()?;
    let format = Format::parse(&args.format).expect("clap restricts --format");
    let destination = match args.output {
        Some(path) => Destination::File(path),
        None => Destination::Stdout,
    };
    let options =
        serde_json::json!({ "params": args.params, "format": args.format, "failOn": fail_on.map(|s| s.as_str()) });
    let threads = threads(args.threads);
    let notifier = notify_cmd::Notifier::prepare(&config, &args.notify.delivery)?;
    let (outcome, recorded) = history_cmd::evaluate_recorded(
        &args.store,
        &config,
        scope,
        inputs,
        &rules,
        format,
        &destination,
        threads,
        options,
    )?;
    if let Destination::File(path) = &destination {
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
    let mut extra: Box<dyn std::io::Write> = match (&destination, format) {
        (Destination::Stdout, Format::Table) | (Destination::File(_), _) => Box::new(std::io::stdout()),
        _ => Box::new(std::io::stderr()),
    };
    if let Some(exceptions) = &exceptions {
        exceptions_cmd::warn(exceptions, &rules);
        if format == Format::Table {
            exceptions_cmd::render(exceptions, &rules, &mut extra)?;
        }
    }
    if let Some(framework) = &framework {
        let report = frameworks_cmd::evaluate(framework, &outcome.summary);
        match &args.framework_output {
            Some(path) => frameworks_cmd::write_json(&report, path)?,
            None => frameworks_cmd::render(&report, &mut extra)?,
        }
    }
    notifier.after_run(recorded.as_ref(), &rules, &args.notify, &mut extra)?;
    let failing = fail_on.is_some_and(|threshold| outcome.has_findings_at_or_above(threshold));
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn inventory(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let stats = mamori_engine::read_only(&args.inputs, threads(args.threads))?;
    if args.json {
        let value = serde_json::json!({
            "files": stats.files,
            "filesIgnored": stats.files_ignored,
            "items": stats.items,
            "itemsSkipped": stats.items_skipped,
            "collectionErrors": stats.collection_errors,
            "accounts": stats.accounts.len(),
            "regions": stats.regions,
            "itemsByType": stats.items_by_type,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "{} items in {} files ({} ignored): {} accounts, {} regions, {} deleted or unrecorded items skipped, {} collection errors",
            stats.items,
            stats.files,
            stats.files_ignored,
            stats.accounts.len(),
            stats.regions.len(),
            stats.items_skipped,
            stats.collection_errors
        );
        for (kind, count) in &stats.items_by_type {
            println!("  {count:>10}  {kind}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
