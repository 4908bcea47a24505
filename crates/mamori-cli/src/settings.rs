//! Settings: the flags and `mamori.toml`, resolved once and in one place.
//!
//! Every command that reads the configuration, the findings history or the notification
//! settings goes through here, so that `--config`, `--db`, `MAMORI_DB`, `--no-store`,
//! `[store] path` and the `[notify]` timeouts mean the same thing in every command and are
//! checked before any work is done.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use mamori_engine::Config;
use mamori_notify::DeliveryPolicy;
use mamori_store::Store;
use mamori_workflow::{History, Notifier, NotifyMode};

/// The configuration file: the one named, else `./mamori.toml` when it exists, else none.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    const DEFAULT: &str = "mamori.toml";
    match explicit {
        Some(path) => Ok(Config::load(path)?),
        None if Path::new(DEFAULT).is_file() => Ok(Config::load(Path::new(DEFAULT))?),
        None => Ok(Config::default()),
    }
}

/// Where the findings history is: `--db` (or `MAMORI_DB`), else `[store] path`, else the
/// platform's data directory.
fn store_path(explicit: Option<&Path>, config: &Config) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = config.store_path() {
        return Ok(path);
    }
    mamori_store::default_path()
        .context("no home directory to keep the findings history in: pass --db PATH or --no-store")
}

/// `--db` and `--config` of the commands that work on the findings history after the fact.
#[derive(Args, Debug)]
pub struct StoreLocation {
    /// The findings history database (default: `[store] path` of mamori.toml, else the
    /// platform's data directory, e.g. ~/.local/share/mamori/mamori.db).
    #[arg(long, value_name = "PATH", env = "MAMORI_DB")]
    db: Option<PathBuf>,
    /// Configuration file, for `[store] path` and `[notify]` (default: ./mamori.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl StoreLocation {
    /// The configuration and the store's path.
    pub fn resolve(&self) -> anyhow::Result<(Config, PathBuf)> {
        let config = load_config(self.config.as_deref())?;
        let path = store_path(self.db.as_deref(), &config)?;
        Ok((config, path))
    }

    pub fn open_read_only(&self) -> anyhow::Result<Store> {
        let (_, path) = self.resolve()?;
        Ok(Store::open_read_only(&path)?)
    }
}

/// Where the runs of `evaluate` and `audit` are recorded.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// The findings history database (default: `[store] path` of mamori.toml, else the
    /// platform's data directory, e.g. ~/.local/share/mamori/mamori.db).
    #[arg(long, value_name = "PATH", env = "MAMORI_DB")]
    db: Option<PathBuf>,
    /// Do not record this run in the findings history (wins over `--db` and `MAMORI_DB`).
    #[arg(long, env = "MAMORI_NO_STORE", value_parser = clap::builder::BoolishValueParser::new())]
    no_store: bool,
}

impl HistoryArgs {
    /// Open the history for recording, before any work.
    pub fn open(&self, config: &Config) -> anyhow::Result<History> {
        if self.no_store {
            return Ok(History::off());
        }
        Ok(History::open(&store_path(self.db.as_deref(), config)?, config)?)
    }
}

/// Notification flags of `evaluate` and `audit`.
#[derive(Args, Debug, Clone)]
pub struct NotifyArgs {
    /// Do not notify owners of this run's changes (they are not queued either: the next run is
    /// compared with this one); messages pending from earlier runs stay pending.
    #[arg(long, env = "MAMORI_NO_NOTIFY", value_parser = clap::builder::BoolishValueParser::new())]
    no_notify: bool,
    /// Print the notifications this run would send (targets by name with the source of their
    /// URL, and the payloads) and send and queue nothing.
    #[arg(long, conflicts_with = "no_notify")]
    notify_dry_run: bool,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

impl NotifyArgs {
    pub fn mode(&self) -> NotifyMode {
        if self.notify_dry_run {
            NotifyMode::DryRun
        } else if self.no_notify {
            NotifyMode::Off
        } else {
            NotifyMode::Send
        }
    }
}

/// How long webhook deliveries may take.
#[derive(Args, Debug, Clone)]
pub struct DeliveryArgs {
    /// Timeout of one webhook request, in seconds (default: `[notify] timeout_secs`, else 15).
    #[arg(long, value_name = "SECONDS", env = "MAMORI_NOTIFY_TIMEOUT")]
    notify_timeout: Option<f64>,
    /// Time allowed for all webhook deliveries of the command, retries included, in seconds
    /// (default: `[notify] deadline_secs`, else 300).
    #[arg(long, value_name = "SECONDS", env = "MAMORI_NOTIFY_DEADLINE")]
    notify_deadline: Option<f64>,
}

impl DeliveryArgs {
    /// The notifier of `[notify]` and `[owners]`, with these flags over the file's timeouts.
    pub fn notifier(&self, config: &Config) -> anyhow::Result<Notifier> {
        Ok(Notifier::new(config, self.policy(config)?)?)
    }

    fn policy(&self, config: &Config) -> anyhow::Result<DeliveryPolicy> {
        let section = &config.file.notify;
        let seconds = |flag: Option<f64>, file: Option<f64>, what: &str, default: u64| -> anyhow::Result<Duration> {
            match flag.or(file) {
                None => Ok(Duration::from_secs(default)),
                Some(s) if s.is_finite() && s > 0.0 && s < 86_400.0 => Ok(Duration::from_secs_f64(s)),
                Some(s) => anyhow::bail!("{what}: `{s}` is not a number of seconds above 0 and below 86400"),
            }
        };
        let request_timeout =
            seconds(self.notify_timeout, section.timeout_secs, "--notify-timeout / [notify] timeout_secs", 15)?;
        let deadline =
            seconds(self.notify_deadline, section.deadline_secs, "--notify-deadline / [notify] deadline_secs", 300)?;
        Ok(DeliveryPolicy {
            request_timeout,
            connect_timeout: request_timeout.min(Duration::from_secs(10)),
            deadline,
            ..DeliveryPolicy::default()
        })
    }
}

/// The most worker threads `--threads` takes: far above any machine's cores, far below what
/// would exhaust memory or the process's thread limit.
pub const MAX_THREADS: usize = 1024;

/// `--threads N`: 1 to [`MAX_THREADS`].
pub fn parse_threads(text: &str) -> Result<NonZeroUsize, String> {
    let n: usize = text.parse().map_err(|_| format!("`{text}` is not a whole number"))?;
    match NonZeroUsize::new(n) {
        Some(n) if n.get() <= MAX_THREADS => Ok(n),
        _ => Err(format!("`{text}` is out of range: between 1 and {MAX_THREADS} threads")),
    }
}

/// Worker threads: as asked, else one per core.
pub fn threads(requested: Option<NonZeroUsize>) -> usize {
    requested.map(NonZeroUsize::get).unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// `--policies` and `--config` of the commands that need the custom policies' ids (`rules`,
/// `exceptions check`).
#[derive(Args, Debug)]
pub struct CustomPolicies {
    /// Directories of custom Rego policies (added to `[policies] dirs`).
    #[arg(long = "policies", num_args = 1.., value_name = "DIR")]
    policies: Vec<PathBuf>,
    /// Configuration file, for `[policies]` (default: ./mamori.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl CustomPolicies {
    /// The built-in rules, then the custom policies.
    pub fn rules(&self) -> anyhow::Result<Vec<&'static dyn mamori_rules::Rule>> {
        let mut config = load_config(self.config.as_deref())?;
        config.policy_dirs = self.policies.clone();
        let mut rules: Vec<&'static dyn mamori_rules::Rule> = mamori_rules::catalog().to_vec();
        rules.extend(config.policies()?);
        Ok(rules)
    }
}

/// `--format` of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns, for people.
    Table,
    /// JSON, for programs.
    Json,
}
