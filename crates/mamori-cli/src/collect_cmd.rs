//! `mamori collect` and `mamori audit`: options, progress and statistics around
//! `mamori_aws::collect`.

use std::io::IsTerminal;
use std::num::{IntErrorKind, NonZeroU32, NonZeroU64, NonZeroUsize, ParseIntError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::{self, AccountStatus, CollectOptions, DirectorySink, Event, Observer, RunSummary};
use mamori_aws::limits::Limits;
use mamori_aws::regions::RegionChoice;
use mamori_aws::session::{RoleSpec, RoleTarget};
use mamori_aws::stats::Stats;
use mamori_aws::SdkOptions;

/// Options shared by `collect` and `audit`.
#[derive(Args, Debug)]
pub struct CollectArgs {
    /// `organizations` (ListAccounts), an accounts CSV file, or `current`.
    #[arg(long, default_value = "current", value_name = "organizations|FILE.csv|current")]
    accounts: String,
    #[command(flatten)]
    pub session: SessionArgs,
    /// `all` (every region enabled for the account) or a comma-separated list.
    #[arg(long, default_value = "all")]
    regions: String,
    /// Only these collectors (e.g. `iam,s3`). Without it, `collect` runs every collector and
    /// `audit` those whose resources the selected rules read.
    #[arg(long, value_delimiter = ',')]
    pub(crate) collectors: Option<Vec<String>>,
    /// Plain log lines even on a terminal.
    #[arg(long)]
    no_progress: bool,
}

/// How accounts are reached: the role to read through, the endpoint, the credentials'
/// profile and home region, and the limits on calls. Shared by `collect`, `audit` and
/// `remediate`.
#[derive(Args, Debug)]
pub struct SessionArgs {
    /// Role to assume in every account, by name.
    #[arg(long, value_name = "NAME", conflicts_with = "role_arn_template")]
    role_name: Option<String>,
    /// Role to assume, as an ARN with `{account_id}`.
    #[arg(long, value_name = "TEMPLATE")]
    role_arn_template: Option<String>,
    /// External id presented when assuming the role (never printed).
    #[arg(long, value_name = "ID", env = "MAMORI_EXTERNAL_ID", hide_env_values = true)]
    external_id: Option<String>,
    /// Session name, visible in the accounts' CloudTrail.
    #[arg(long, default_value = RoleSpec::DEFAULT_SESSION_NAME)]
    session_name: String,
    /// Session duration in seconds (900..43200).
    #[arg(long, default_value_t = 3600)]
    session_duration: u64,
    /// Send every call to this endpoint (an emulator); overrides AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Named profile of the AWS configuration files.
    #[arg(long)]
    profile: Option<String>,
    /// Home region: where global settings are recorded and calls without a region go.
    #[arg(long)]
    region: Option<String>,
    /// Calls in flight across the run.
    #[arg(long, default_value_t = Limits::default().global, value_parser = at_least_one::<NonZeroUsize>)]
    max_calls: NonZeroUsize,
    /// Calls in flight per account.
    #[arg(long, default_value_t = Limits::default().per_account, value_parser = at_least_one::<NonZeroUsize>)]
    max_calls_per_account: NonZeroUsize,
    /// Calls in flight per service within an account.
    #[arg(long, default_value_t = Limits::default().per_service, value_parser = at_least_one::<NonZeroUsize>)]
    max_calls_per_service: NonZeroUsize,
    /// Account-regions collected at the same time.
    #[arg(long, default_value_t = Limits::default().account_regions, value_parser = at_least_one::<NonZeroUsize>)]
    max_account_regions: NonZeroUsize,
    /// Deadline of one call, retries included, in seconds.
    #[arg(
        long,
        default_value_t = NonZeroU64::new(Limits::default().call_timeout.as_secs()).expect("a default timeout of seconds"),
        value_parser = at_least_one::<NonZeroU64>
    )]
    call_timeout: NonZeroU64,
    /// Attempts per call (adaptive retry with backoff on throttling and 5xx).
    #[arg(long, default_value_t = Limits::default().max_attempts, value_parser = at_least_one::<NonZeroU32>)]
    max_attempts: NonZeroU32,
    /// Base of the exponential backoff between attempts, in milliseconds.
    #[arg(long, default_value_t = Limits::default().initial_backoff.as_millis() as u64)]
    retry_backoff_ms: u64,
}

impl SessionArgs {
    /// The role to enter accounts with, when one is given.
    pub fn role(&self) -> anyhow::Result<Option<RoleSpec>> {
        let target = match (&self.role_name, &self.role_arn_template) {
            (Some(name), None) => Some(RoleTarget::Name(name.clone())),
            (None, Some(template)) => Some(RoleTarget::ArnTemplate(template.clone())),
            _ => None,
        };
        if target.is_none() && self.external_id.is_some() {
            anyhow::bail!("--external-id needs --role-name or --role-arn-template");
        }
        Ok(target.map(|target| self.role_spec(target)))
    }

    /// A role of `target` with this session's external id, name and duration.
    pub fn role_spec(&self, target: RoleTarget) -> RoleSpec {
        RoleSpec {
            target,
            external_id: self.external_id.clone(),
            session_name: self.session_name.clone(),
            duration: Duration::from_secs(self.session_duration),
        }
    }

    pub fn limits(&self) -> Limits {
        let defaults = Limits::default();
        Limits {
            global: self.max_calls,
            per_account: self.max_calls_per_account,
            per_service: self.max_calls_per_service,
            account_regions: self.max_account_regions,
            call_timeout: Duration::from_secs(self.call_timeout.get()),
            attempt_timeout: defaults.attempt_timeout.min(Duration::from_secs(self.call_timeout.get())),
            max_attempts: self.max_attempts,
            initial_backoff: Duration::from_millis(self.retry_backoff_ms),
        }
    }

    pub fn sdk(&self) -> SdkOptions {
        SdkOptions {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

impl CollectArgs {
    /// What an audit covers, for the findings history's "same scope" comparisons: the
    /// accounts source, regions, collectors and profile; not the endpoint or the role, which
    /// say how the same accounts are reached.
    pub fn scope(&self) -> serde_json::Value {
        let accounts = match AccountSource::parse(&self.accounts) {
            AccountSource::Csv(path) => std::fs::canonicalize(&path).unwrap_or(path).display().to_string(),
            _ => self.accounts.clone(),
        };
        serde_json::json!({
            "accounts": accounts,
            "regions": self.regions,
            "collectors": self.collectors,
            "profile": self.session.profile,
        })
    }

    fn options(&self) -> anyhow::Result<(SdkOptions, CollectOptions)> {
        let regions = RegionChoice::parse(&self.regions).map_err(|e| anyhow::anyhow!("--regions: {e}"))?;
        let options = CollectOptions {
            accounts: AccountSource::parse(&self.accounts),
            role: self.session.role()?,
            regions,
            limits: self.session.limits(),
            collectors: self.collectors.clone(),
        };
        Ok((self.session.sdk(), options))
    }
}

/// Runs a collection into `dir` and prints the statistics on standard error.
pub fn collect_into(args: &CollectArgs, dir: &Path) -> anyhow::Result<RunSummary> {
    let (sdk, options) = args.options()?;
    let runtime = mamori_aws::runtime()?;
    let sink = Arc::new(DirectorySink::create(dir)?);
    let progress = Arc::new(Progress::new(!args.no_progress && std::io::stderr().is_terminal()));
    let summary = runtime.block_on(async {
        let config = mamori_aws::sdk::load(&sdk).await?;
        anyhow::Ok(collect::collect(&config, &options, sink, Arc::clone(&progress) as Arc<dyn Observer>).await?)
    })?;
    progress.finish();
    let manifest = dir.join(".mamori-run.json");
    std::fs::write(&manifest, serde_json::to_vec_pretty(&summary)?)
        .with_context(|| format!("cannot write `{}`", manifest.display()))?;
    print_statistics(&summary);
    Ok(summary)
}

/// `mamori collect`.
pub fn collect(args: CollectArgs, output: PathBuf) -> anyhow::Result<ExitCode> {
    collect_into(&args, &output)?;
    eprintln!("inventory written to {}", output.display());
    Ok(ExitCode::SUCCESS)
}

/// A count flag (`--max-calls`, `--max-attempts`, ...): zero would stall or skip every call,
/// so it is refused while parsing, with a message saying why.
fn at_least_one<T: FromStr<Err = ParseIntError>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|err: ParseIntError| match err.kind() {
        IntErrorKind::Zero => "must be at least 1".to_owned(),
        _ => format!("`{text}` is not a positive whole number"),
    })
}

fn print_statistics(summary: &RunSummary) {
    let count = |status: AccountStatus| summary.accounts.iter().filter(|a| a.status == status).count();
    eprintln!(
        "collected {} accounts ({} could not be entered, {} skipped), {} account-regions, {} items, {} collection errors in {:.1}s",
        count(AccountStatus::Collected),
        count(AccountStatus::Failed),
        count(AccountStatus::Skipped),
        summary.account_regions,
        summary.items,
        summary.collection_errors,
        summary.wall_seconds
    );
    for account in summary.accounts.iter().filter(|a| a.status != AccountStatus::Collected) {
        eprintln!("  {} {}: {}", account.status, account.account.id, account.reason.as_deref().unwrap_or(""));
    }
    eprintln!("  {:<24} {:>8} {:>8} {:>8} {:>14}", "service", "calls", "retries", "errors", "not configured");
    for (service, stats) in &summary.services {
        eprintln!(
            "  {:<24} {:>8} {:>8} {:>8} {:>14}",
            service,
            stats.calls,
            stats.retries(),
            stats.errors,
            stats.absent
        );
    }
}

/// A progress bar on a terminal, log lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(terminal: bool) -> Progress {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} account-regions {msg}",
            )
            .expect("valid template");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar }
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: Event<'_>, stats: &Stats) {
        match event {
            Event::AccountPlanned { parts, .. } => {
                if let Some(bar) = &self.bar {
                    bar.inc_length(parts as u64);
                }
            }
            Event::AccountSkipped(skipped) => self.say(format!("skipped {}: {}", skipped.id, skipped.reason)),
            Event::AccountFailed { account_id, operation, error } => {
                self.say(format!("error {account_id}: {operation}: {error}"))
            }
            Event::PartDone { account_id, part, items, errors } => match &self.bar {
                Some(bar) => {
                    let total = stats.total();
                    bar.inc(1);
                    bar.set_message(format!(
                        "{} calls, {} retries, {} errors",
                        total.calls,
                        total.retries(),
                        total.errors
                    ));
                }
                None => eprintln!("collected {account_id} {part}: {items} items, {errors} collection errors"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Command {
        #[command(flatten)]
        collect: CollectArgs,
    }

    fn parse(args: &[&str]) -> Result<CollectArgs, String> {
        let argv = std::iter::once("mamori").chain(args.iter().copied());
        Command::try_parse_from(argv).map(|command| command.collect).map_err(|err| err.to_string())
    }

    #[test]
    fn zero_counts_are_refused_by_the_parser() {
        for flag in [
            "--max-calls",
            "--max-calls-per-account",
            "--max-calls-per-service",
            "--max-account-regions",
            "--max-attempts",
            "--call-timeout",
        ] {
            let err = parse(&[flag, "0"]).unwrap_err();
            assert!(
                err.contains(&format!("invalid value '0' for '{flag}")) && err.contains("must be at least 1"),
                "{err}"
            );
        }
        let err = parse(&["--max-calls", "many"]).unwrap_err();
        assert!(err.contains("is not a positive whole number"), "{err}");
    }

    #[test]
    fn counts_reach_the_limits() {
        let (_, options) =
            parse(&["--max-calls", "7", "--max-attempts", "2", "--call-timeout", "5"]).unwrap().options().unwrap();
        assert_eq!(options.limits.global.get(), 7);
        assert_eq!(options.limits.max_attempts.get(), 2);
        assert_eq!(options.limits.call_timeout, Duration::from_secs(5));
        assert_eq!(options.limits.attempt_timeout, Duration::from_secs(5));
        let (_, defaults) = parse(&[]).unwrap().options().unwrap();
        assert_eq!(defaults.limits, Limits::default());
    }
}
