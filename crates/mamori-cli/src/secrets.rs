//! `mamori secrets ...`: find leaked AWS credentials in git, block them at commit,
//! and check whether a found key is live. The work is in `mamori-secrets` (and
//! `mamori-aws` for `--verify`); this module only parses arguments and prints.

use anyhow::Context as _;
use mamori_secrets::hook::{self, HookCommand, Installed};
use mamori_secrets::scan::DEFAULT_MAX_FILE_SIZE;
use mamori_secrets::{output, Allowlist, Format, Report, ScanOptions, Scanner, Verification};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `mamori secrets`.
#[derive(clap::Args, Debug)]
pub struct SecretsArgs {
    #[command(subcommand)]
    command: SecretsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum SecretsCommand {
    /// Scan a work tree, the staged changes, or every commit (--history) for AWS credentials.
    ///
    /// Exit code: 0 when nothing unallowed is found, 1 when a secret is found, 2 on error.
    Scan(ScanArgs),
    /// Install pre-commit and commit-msg hooks that block commits adding AWS credentials.
    ///
    /// An existing hook is kept (renamed <hook>.local) and run first; re-running is safe.
    InstallHook(InstallHookArgs),
    /// Entry points of the installed hooks.
    #[command(hide = true)]
    Hook {
        #[command(subcommand)]
        kind: HookKindArg,
    },
}

#[derive(clap::Subcommand, Debug)]
enum HookKindArg {
    /// Scan the staged changes.
    PreCommit,
    /// Scan the commit message.
    CommitMsg {
        /// The message file git passes to the hook.
        file: PathBuf,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Directory or file to scan (a repository for --history and --staged).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Scan every blob reachable from any ref (each once) instead of the work tree.
    #[arg(long, conflicts_with = "staged")]
    history: bool,
    /// Scan only the changes staged for commit.
    #[arg(long)]
    staged: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Allowlist file (default: .mamori-secrets.toml at the scanned root, if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also report 12-digit AWS account ids in AWS contexts.
    #[arg(long)]
    account_ids: bool,
    /// Skip (and count) files and blobs larger than this; accepts K, M, G suffixes.
    #[arg(long, value_parser = parse_size, default_value_t = DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Ask STS GetCallerIdentity whether each access key id + secret pair found is live.
    #[arg(long)]
    verify: bool,
    /// Endpoint for --verify (default: AWS_ENDPOINT_URL, else AWS's).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Region for --verify (default: the standard chain, else us-east-1).
    #[arg(long)]
    region: Option<String>,
    /// Profile for --verify's configuration (default: the standard chain).
    #[arg(long)]
    profile: Option<String>,
}

#[derive(clap::Args, Debug)]
struct InstallHookArgs {
    /// Repository to install the hooks in.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 1u64 << 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 1 << 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n.saturating_mul(mult))
        .map_err(|_| format!("invalid size `{s}`: expected a number of bytes, optionally with K, M or G"))
}

/// Runs `mamori secrets ...`. Errors are printed here and give exit code 2, except a failed
/// write to standard output, which `main` handles as for every command.
pub fn run(args: SecretsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let result = match args.command {
        SecretsCommand::Scan(a) => scan(a, out),
        SecretsCommand::InstallHook(a) => install_hook(&a.repo, out),
        SecretsCommand::Hook { kind } => run_hook(kind),
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) if crate::output::is_stdout_error(&e) => Err(e),
        Err(e) => {
            eprintln!("mamori: error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn scan(a: ScanArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions { account_ids: a.account_ids, max_file_size: a.max_file_size };
    let allow_root = if a.history || a.staged {
        mamori_secrets::git::toplevel(&a.path).unwrap_or_else(|_| a.path.clone())
    } else {
        a.path.clone()
    };
    let allow = Allowlist::discover(&allow_root, a.config.as_deref())?;
    let scanner = Scanner::new(opts, allow);
    let mut report = if a.history {
        scanner.scan_history(&a.path)?
    } else if a.staged {
        scanner.scan_staged(&a.path)?
    } else {
        scanner.scan_path(&a.path)?
    };
    if a.verify {
        verify(&mut report, &a)?;
    }
    let format = match a.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
    };
    let rendered = output::render(&report, format);
    // The text report carries its warnings; a machine-readable one (or a report written to a
    // file) holds them where a person may not look, so they are said on standard error too.
    if !matches!(format, Format::Text) || a.output.is_some() {
        for warning in &report.warnings {
            eprintln!("mamori: warning: {warning}");
        }
    }
    match &a.output {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("cannot write `{}`", path.display()))?,
        None => out.write_all(rendered.as_bytes())?,
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn verify(report: &mut Report, a: &ScanArgs) -> anyhow::Result<()> {
    let pairs = report.credential_pairs();
    if pairs.is_empty() {
        eprintln!("mamori: --verify: no access key id found next to its secret; nothing to verify");
        return Ok(());
    }
    let verifier = mamori_aws::Verifier::new(&mamori_aws::SdkOptions {
        endpoint_url: a.endpoint_url.clone(),
        region: a.region.clone(),
        profile: a.profile.clone(),
    })?;
    for pair in pairs {
        let status = verifier.verify_access_key(
            pair.key_id.expose(),
            pair.secret.expose(),
            pair.session_token.as_ref().map(|t| t.expose()),
        );
        let v = match status {
            mamori_aws::KeyStatus::Live { account, arn } => Verification::Live { account, arn },
            mamori_aws::KeyStatus::Invalid { code } => Verification::Invalid { code },
            mamori_aws::KeyStatus::Error { message } => Verification::Error { message },
        };
        report.set_verification(&pair, v);
    }
    Ok(())
}

fn install_hook(repo: &Path, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find the path of the running mamori binary")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let cmd = HookCommand { program: exe, args: vec!["secrets".into()], fallback: "mamori".into() };
    for done in hook::install(repo, &cmd)? {
        match done {
            Installed::New(p) => writeln!(out, "installed {}", p.display())?,
            Installed::Updated(p) => writeln!(out, "updated {}", p.display())?,
            Installed::Chained(p, kept) => writeln!(
                out,
                "installed {} (the existing hook is kept as {} and runs first)",
                p.display(),
                kept.display()
            )?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_hook(kind: HookKindArg) -> anyhow::Result<ExitCode> {
    let opts = ScanOptions::default();
    let outcome = match kind {
        HookKindArg::PreCommit => hook::run_pre_commit(Path::new("."), &opts)?,
        HookKindArg::CommitMsg { file } => hook::run_commit_msg(Path::new("."), &file, &opts)?,
    };
    eprint!("{}", outcome.message);
    Ok(ExitCode::from(u8::from(outcome.blocked)))
}
