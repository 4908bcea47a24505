//! The `mamori` command. Argument parsing and printing only: the work is done by the library
//! crates (`mamori-engine` for evaluation, `mamori-workflow` for recording runs and notifying
//! owners, `mamori-rules` for the catalog, `mamori-aws` for collection, `mamori-secrets` for the
//! secret scanner). Flags and `mamori.toml` are resolved in `settings`.
//!
//! Exit codes: 0 success (and nothing at or above `--fail-on`), 1 findings at or above
//! `--fail-on` (or an unallowed secret), 2 an error (bad input, unreadable inventory, bad
//! configuration, standard output not writable): the message names the file, line or field;
//! 141 the reader of standard output went away (`output`); 130 and 143 interrupted by SIGINT
//! or SIGTERM (`interrupt`).
//!
//! Nothing prints with `println!`, which panics when standard output cannot be written: every
//! command writes to the `&mut dyn Write` it is given (`output::Stdout`).

mod collect_cmd;
mod dashboard_cmd;
mod evaluate_cmd;
mod exceptions_cmd;
mod export_cmd;
mod frameworks_cmd;
mod history_cmd;
mod incidents_cmd;
mod interrupt;
mod notify_cmd;
mod output;
mod policy_cmd;
mod remediate_cmd;
mod rules_cmd;
mod secrets;
mod settings;

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Evaluate(evaluate_cmd::EvaluateArgs),
    /// Read an inventory without evaluating it: counts by resource type, account and region.
    Inventory(InventoryArgs),
    /// Find leaked AWS credentials in a working tree or git history.
    Secrets(secrets::SecretsArgs),
    /// Collect an inventory from AWS: accounts, regions, every resource the rules read.
    Collect(CollectCommand),
    /// Collect from AWS and evaluate in one go: the organization-wide view of live accounts.
    Audit(Box<evaluate_cmd::AuditArgs>),
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
    /// Fix failing checks: plan from a recorded run, apply a plan, list or roll back actions.
    Remediate {
        #[command(subcommand)]
        command: remediate_cmd::RemediateCommand,
    },
    /// The incidents `mamori watch` recorded: what happened, who did it, what was done.
    Incidents {
        #[command(subcommand)]
        command: incidents_cmd::IncidentsCommand,
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
struct IamPolicyArgs {
    /// What to print.
    #[arg(long, value_enum, default_value_t = IamPolicyFormat::Policy)]
    format: IamPolicyFormat,
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
    /// Print the remediation role's policy instead: exactly the actions of the fixers whose
    /// rules `[remediation.rule.<id>]` sets to `plan` or `auto`.
    #[arg(long, conflicts_with_all = ["discovery", "external_id", "trusted_principal"])]
    remediation: bool,
    /// Configuration file, for `--remediation` (default: ./mamori.toml when it exists).
    #[arg(long, requires = "remediation")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum IamPolicyFormat {
    /// The permissions policy (JSON).
    Policy,
    /// A CloudFormation template creating the role.
    Cloudformation,
}

#[derive(Args)]
struct InventoryArgs {
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print the counts as JSON.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: the number of cores; at most 1024).
    #[arg(long, value_parser = settings::parse_threads)]
    threads: Option<NonZeroUsize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = interrupt::handle() {
        eprintln!("warning: cannot handle Ctrl-C ({err}): an interrupted report leaves its temporary file");
    }
    let mut stdout = output::stdout();
    let out: &mut dyn Write = &mut stdout;
    let result = match cli.command {
        Command::Rules { command } => rules_cmd::run(command, out),
        Command::Policy { command } => policy_cmd::run(command, out),
        Command::Evaluate(args) => evaluate_cmd::evaluate(args, out),
        Command::Inventory(args) => inventory(args, out),
        Command::Secrets(args) => secrets::run(args, out),
        Command::Collect(args) => collect_cmd::collect(args.collect, args.output),
        Command::Audit(args) => evaluate_cmd::audit(*args, out),
        Command::IamPolicy(args) => iam_policy(args, out),
        Command::Runs { command } => history_cmd::runs(command, out),
        Command::Diff(args) => history_cmd::diff(args, out),
        Command::Export { command } => export_cmd::run(command, out),
        Command::Report(args) => dashboard_cmd::run(args, out),
        Command::Exceptions { command } => exceptions_cmd::run(command, out),
        Command::Notify { command } => notify_cmd::run(command, out),
        Command::Remediate { command } => remediate_cmd::run(command, out),
        Command::Incidents { command } => incidents_cmd::run(command, out),
    };
    // What is still buffered (a last line without its newline) fails here, not unseen at exit.
    match result.and_then(|code| Ok(out.flush().map(|()| code)?)) {
        Ok(code) => code,
        Err(err) => output::exit(&err),
    }
}

fn iam_policy(args: IamPolicyArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if args.remediation {
        if args.format != IamPolicyFormat::Policy {
            anyhow::bail!("--remediation prints the remediation role's policy: use it with `--format policy`");
        }
        let config = settings::load_config(args.config.as_deref())?;
        let section = config.remediation()?;
        let enabled: Vec<&str> = section
            .rule
            .iter()
            .filter(|(id, rule)| {
                rule.mode != mamori_model::remediation::Mode::Off && mamori_aws::fix::find(id).is_some()
            })
            .map(|(id, _)| id.as_str())
            .collect();
        if enabled.is_empty() {
            anyhow::bail!(
                "no fixer is enabled: set `mode = \"plan\"` or `\"auto\"` under [remediation.rule.<id>] in mamori.toml for the rules to fix"
            );
        }
        let document = mamori_aws::permissions::remediation_policy_document(&enabled);
        writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.format == IamPolicyFormat::Policy {
        // These shape the role of the template only: silently ignoring them would hand out a
        // policy the user believes is something else.
        for (given, flag) in
            [(args.external_id, "--external-id"), (args.trusted_principal.is_some(), "--trusted-principal")]
        {
            if given {
                anyhow::bail!("{flag} applies to `--format cloudformation` (the role's template), not to the policy");
            }
        }
    }
    let document = match args.format {
        IamPolicyFormat::Cloudformation => {
            let Some(principal) = &args.trusted_principal else {
                anyhow::bail!("--format cloudformation needs --trusted-principal ACCOUNT_ID|ARN");
            };
            mamori_aws::permissions::cloudformation_template(
                principal,
                &args.role_name,
                args.external_id,
                args.discovery,
            )?
        }
        IamPolicyFormat::Policy => mamori_aws::permissions::policy_document(args.discovery),
    };
    writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
    Ok(ExitCode::SUCCESS)
}

fn inventory(args: InventoryArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let stats = mamori_engine::read_only(&args.inputs, settings::threads(args.threads))?;
    if args.json {
        let value = stats.counts_json();
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        writeln!(
            out,
            "{} items in {} files ({} ignored): {} accounts, {} regions, {} deleted or unrecorded items skipped, \
             {} superseded by a later item of the same resource, {} collection errors",
            stats.items,
            stats.files,
            stats.files_ignored,
            stats.accounts.len(),
            stats.regions.len(),
            stats.items_skipped,
            stats.items_superseded,
            stats.collection_errors
        )?;
        for (kind, count) in &stats.items_by_type {
            writeln!(out, "  {count:>10}  {kind}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
