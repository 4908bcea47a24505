//! One collection run: accounts → sessions → regions → collectors → items written by account.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use mamori_model::suggest::DidYouMean;
use mamori_model::{ConfigItem, COLLECTION_ERROR_TYPE, GLOBAL_REGION};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::registry::{Placement, COLLECTORS};
use super::{account, AccountFields, ApiError, Cx};
use crate::accounts::{self, Account, AccountSource, AccountsError, SkippedAccount};
use crate::limits::{Gates, Limits};
use crate::regions::{self, RegionChoice};
use crate::session::{self, RoleSpec};
use crate::stats::{ServiceStats, Stats};

/// What to collect and how.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    pub accounts: AccountSource,
    /// Role to assume in every account; `None` uses the given credentials as they are.
    pub role: Option<RoleSpec>,
    pub regions: RegionChoice,
    pub limits: Limits,
    /// Only these collectors (by name); `None` runs all.
    pub collectors: Option<Vec<String>>,
}

/// Why a run could not produce an inventory at all. Failures inside accounts are not
/// errors of the run: they are written into the inventory.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error("{0}")]
    Options(String),
    #[error("unknown collector `{name}`{did_you_mean} (known: {known})")]
    UnknownCollector { name: String, did_you_mean: DidYouMean, known: String },
    #[error("cannot write the inventory to `{path}`: {source}")]
    Output { path: PathBuf, source: std::io::Error },
    #[error("nothing to collect: the account list is empty")]
    NoAccounts,
}

/// Where the items of a run go, one part (an account's global services, or one region) at a
/// time.
pub trait ItemSink: Send + Sync {
    fn write(&self, account_id: &str, part: &str, items: &[ConfigItem]) -> Result<(), CollectError>;
}

/// Writes `<dir>/<account>/<part>.jsonl`, each file atomically (written aside, then renamed),
/// so a killed run leaves whole files only.
#[derive(Debug, Clone)]
pub struct DirectorySink {
    dir: PathBuf,
}

impl DirectorySink {
    pub fn create(dir: &Path) -> Result<DirectorySink, CollectError> {
        std::fs::create_dir_all(dir).map_err(|source| CollectError::Output { path: dir.into(), source })?;
        Ok(DirectorySink { dir: dir.into() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl ItemSink for DirectorySink {
    fn write(&self, account_id: &str, part: &str, items: &[ConfigItem]) -> Result<(), CollectError> {
        let dir = self.dir.join(account_id);
        let path = dir.join(format!("{part}.jsonl"));
        let output_error = |source| CollectError::Output { path: path.clone(), source };
        std::fs::create_dir_all(&dir).map_err(output_error)?;
        let aside = dir.join(format!(".{part}.jsonl.partial"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&aside).map_err(output_error)?);
        for item in items {
            serde_json::to_writer(&mut out, item).map_err(|e| output_error(e.into()))?;
            out.write_all(b"\n").map_err(output_error)?;
        }
        out.into_inner().map_err(|e| output_error(e.into_error()))?.sync_all().map_err(output_error)?;
        std::fs::rename(&aside, &path).map_err(output_error)
    }
}

/// Progress of a run, for a progress bar or log lines.
#[derive(Debug)]
pub enum Event<'a> {
    /// The account's parts (global + regions) are known.
    AccountPlanned {
        account_id: &'a str,
        parts: usize,
    },
    AccountSkipped(&'a SkippedAccount),
    AccountFailed {
        account_id: &'a str,
        operation: &'a str,
        error: &'a ApiError,
    },
    PartDone {
        account_id: &'a str,
        part: &'a str,
        items: usize,
        errors: usize,
    },
}

/// Receives [`Event`]s; the statistics are readable at any time.
pub trait Observer: Send + Sync {
    fn event(&self, event: Event<'_>, stats: &Stats);
}

/// What became of one account; `.mamori-run.json` spells it in lowercase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Entered and read; what failed inside is in the inventory as collection errors.
    Collected,
    /// Could not be entered, its regions not listed, or it has no region to read: one
    /// collection-error record of type `*` stands for the whole account.
    Failed,
    /// Not entered on purpose (suspended or closed in Organizations).
    Skipped,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Collected => "collected",
            AccountStatus::Failed => "failed",
            AccountStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one account went.
#[derive(Clone, Debug, Serialize)]
pub struct AccountOutcome {
    #[serde(flatten)]
    pub account: Account,
    pub status: AccountStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub regions: Vec<String>,
    pub items: usize,
    pub collection_errors: usize,
}

/// Statistics of a run (written beside the inventory as `.mamori-run.json`).
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
    pub accounts: Vec<AccountOutcome>,
    pub account_regions: usize,
    pub items: usize,
    pub collection_errors: usize,
    pub services: BTreeMap<String, ServiceStats>,
}

struct Run {
    base: SdkConfig,
    options: CollectOptions,
    capture_time: String,
    gates: Arc<Gates>,
    stats: Arc<Stats>,
    parts: Semaphore,
    sink: Arc<dyn ItemSink>,
    observer: Arc<dyn Observer>,
    output_error: Mutex<Option<CollectError>>,
}

/// Collects every account of `options` with the credentials of `base`, writing items to `sink`.
pub async fn collect(
    base: &SdkConfig,
    options: &CollectOptions,
    sink: Arc<dyn ItemSink>,
    observer: Arc<dyn Observer>,
) -> Result<RunSummary, CollectError> {
    options.limits.validate().map_err(CollectError::Options)?;
    if let Some(role) = &options.role {
        role.validate().map_err(CollectError::Options)?;
    }
    if let Some(names) = &options.collectors {
        for name in names {
            if !COLLECTORS.iter().any(|c| c.name == name) {
                let known = COLLECTORS.iter().map(|c| c.name);
                return Err(CollectError::UnknownCollector {
                    name: name.clone(),
                    did_you_mean: DidYouMean::among(name, known.clone()),
                    known: known.collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    let started = Instant::now();
    let started_at = now_rfc3339();
    let limits = &options.limits;
    let base = base
        .to_builder()
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(limits.max_attempts.get())
                .with_initial_backoff(limits.initial_backoff),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(limits.call_timeout)
                .operation_attempt_timeout(limits.attempt_timeout)
                .build(),
        )
        .build();
    let list = accounts::list(&options.accounts, &base).await?;
    if list.accounts.is_empty() && list.skipped.is_empty() {
        return Err(CollectError::NoAccounts);
    }
    let stats = Arc::new(Stats::default());
    let run = Arc::new(Run {
        base,
        options: options.clone(),
        capture_time: started_at.clone(),
        gates: Arc::new(Gates::new(limits.clone())),
        stats: Arc::clone(&stats),
        parts: Semaphore::new(limits.account_regions.get()),
        sink,
        observer,
        output_error: Mutex::new(None),
    });

    let mut outcomes: Vec<AccountOutcome> = Vec::new();
    for skipped in &list.skipped {
        run.observer.event(Event::AccountSkipped(skipped), &stats);
        outcomes.push(AccountOutcome {
            account: Account { id: skipped.id.clone(), name: skipped.name.clone(), ..Account::default() },
            status: AccountStatus::Skipped,
            reason: Some(skipped.reason.clone()),
            regions: Vec::new(),
            items: 0,
            collection_errors: 0,
        });
    }
    let mut tasks = JoinSet::new();
    for account in list.accounts {
        let run = Arc::clone(&run);
        tasks.spawn(async move { collect_account(run, account).await });
    }
    while let Some(joined) = tasks.join_next().await {
        outcomes.push(joined.expect("account task panicked"));
    }
    if let Some(err) = run.output_error.lock().expect("output lock").take() {
        return Err(err);
    }
    outcomes.sort_by(|a, b| a.account.id.cmp(&b.account.id));
    let collected = outcomes.iter().filter(|o| o.status != AccountStatus::Skipped);
    Ok(RunSummary {
        started_at,
        finished_at: now_rfc3339(),
        wall_seconds: started.elapsed().as_secs_f64(),
        account_regions: collected.clone().map(|o| o.regions.len()).sum(),
        items: collected.clone().map(|o| o.items).sum(),
        collection_errors: collected.map(|o| o.collection_errors).sum(),
        accounts: outcomes,
        services: stats.snapshot(),
    })
}

impl Run {
    fn write(&self, account_id: &str, part: &str, items: &[ConfigItem]) {
        if let Err(err) = self.sink.write(account_id, part, items) {
            self.output_error.lock().expect("output lock").get_or_insert(err);
        }
    }

    /// The account could not be entered, its regions not listed, or it has none: one record
    /// that makes every rule report ERROR for the account.
    fn account_failed(&self, account: Account, operation: &str, error: ApiError) -> AccountOutcome {
        self.observer.event(Event::AccountFailed { account_id: &account.id, operation, error: &error }, &self.stats);
        let record = ConfigItem {
            resource_type: COLLECTION_ERROR_TYPE.into(),
            resource_id: format!("*/{operation}"),
            resource_name: None,
            arn: None,
            account_id: account.id.clone(),
            aws_region: GLOBAL_REGION.into(),
            configuration_item_capture_time: Some(self.capture_time.clone()),
            configuration_item_status: Some("OK".into()),
            tags: account.tags.clone(),
            relationships: Vec::new(),
            configuration: json!({"resourceType": "*", "operation": operation, "errorCode": error.code, "message": error.message}),
            supplementary_configuration: Default::default(),
        };
        self.write(&account.id, GLOBAL_REGION, &[record]);
        AccountOutcome {
            account,
            status: AccountStatus::Failed,
            reason: Some(format!("{operation}: {error}")),
            regions: Vec::new(),
            items: 1,
            collection_errors: 1,
        }
    }
}

async fn collect_account(run: Arc<Run>, account: Account) -> AccountOutcome {
    let session = match &run.options.role {
        Some(spec) => match session::enter(&run.base, &account.id, spec).await {
            Ok(session) => session,
            Err(error) => return run.account_failed(account, "AssumeRole", error),
        },
        None => run.base.clone(),
    };
    let base_region = run.base.region().map(|r| r.to_string()).unwrap_or_else(|| crate::sdk::DEFAULT_REGION.into());
    let regions = match &run.options.regions {
        RegionChoice::List(regions) => regions.clone(),
        RegionChoice::Enabled => {
            let _permit = run.gates.enter(&account.id, "ec2").await;
            let listed = regions::enabled(&session).await;
            run.stats.call("ec2", listed.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
            match listed {
                Ok(regions) => regions,
                Err(error) => return run.account_failed(account, "DescribeRegions", error),
            }
        }
    };
    // Global settings are recorded in the home region, which must be one of the account's;
    // with no region at all there is nowhere to read or record anything, and saying so beats
    // an empty inventory that every rule would pass.
    let home = if regions.contains(&base_region) {
        base_region
    } else if let Some(first) = regions.first() {
        first.clone()
    } else {
        let (operation, message) = match &run.options.regions {
            RegionChoice::Enabled => ("DescribeRegions", "no region is enabled for the account"),
            RegionChoice::List(_) => ("SelectRegions", "the list of regions to collect is empty"),
        };
        return run.account_failed(account, operation, ApiError::new("NoRegion", message));
    };
    run.observer.event(Event::AccountPlanned { account_id: &account.id, parts: regions.len() + 1 }, &run.stats);

    let fields: Arc<Mutex<BTreeMap<String, AccountFields>>> = Arc::default();
    let mut parts = JoinSet::new();
    let global = std::iter::once((Placement::Global, home.clone(), GLOBAL_REGION.to_owned(), home.clone()));
    let regional = regions.iter().map(|r| (Placement::Regional, r.clone(), r.clone(), r.clone()));
    for (placement, region, label, record_region) in global.chain(regional) {
        let cx = Cx {
            account_id: account.id.clone(),
            sdk: session.to_builder().region(aws_config::Region::new(region.clone())).build(),
            region,
            label,
            record_region,
            capture_time: run.capture_time.clone(),
            gates: Arc::clone(&run.gates),
            stats: Arc::clone(&run.stats),
            items: Mutex::default(),
            account_fields: Arc::clone(&fields),
        };
        let run = Arc::clone(&run);
        parts.spawn(async move { collect_part(run, placement, cx).await });
    }
    let mut items = 0;
    let mut errors = 0;
    while let Some(joined) = parts.join_next().await {
        let (part_items, part_errors) = joined.expect("collector task panicked");
        items += part_items;
        errors += part_errors;
    }
    let fields = std::mem::take(&mut *fields.lock().expect("account lock"));
    let records = account::records(&account, &regions, &home, &run.capture_time, fields);
    items += records.len();
    run.write(&account.id, "account", &records);
    AccountOutcome {
        account,
        status: AccountStatus::Collected,
        reason: None,
        regions,
        items,
        collection_errors: errors,
    }
}

/// Reads one account-region again with one collector (the one that writes a remediated
/// resource) and returns its items and the account record it contributes to, for
/// remediation's verification. `session` acts in `account_id`; a global collector runs in
/// `home`, as in a full run. The calls go through `gates` and are counted in `stats`.
pub async fn recollect(
    session: &SdkConfig,
    account_id: &str,
    region: &str,
    home: &str,
    collector: &str,
    gates: Arc<Gates>,
    stats: Arc<Stats>,
) -> Result<Vec<ConfigItem>, CollectError> {
    let Some(found) = COLLECTORS.iter().find(|c| c.name == collector) else {
        let known = COLLECTORS.iter().map(|c| c.name);
        return Err(CollectError::UnknownCollector {
            name: collector.to_owned(),
            did_you_mean: DidYouMean::among(collector, known.clone()),
            known: known.collect::<Vec<_>>().join(", "),
        });
    };
    let (region, label) = match found.placement {
        Placement::Global => (home.to_owned(), GLOBAL_REGION.to_owned()),
        Placement::Regional => (region.to_owned(), region.to_owned()),
    };
    let fields: Arc<Mutex<BTreeMap<String, AccountFields>>> = Arc::default();
    let capture_time = now_rfc3339();
    let cx = Cx {
        account_id: account_id.to_owned(),
        sdk: session.to_builder().region(aws_config::Region::new(region.clone())).build(),
        region: region.clone(),
        label,
        record_region: region.clone(),
        capture_time: capture_time.clone(),
        gates,
        stats,
        items: Mutex::default(),
        account_fields: Arc::clone(&fields),
    };
    (found.run)(&cx).await;
    let mut items = cx.take_items();
    let fields = std::mem::take(&mut *fields.lock().expect("account lock"));
    let account = Account { id: account_id.to_owned(), ..Account::default() };
    items.extend(account::records(&account, &[region], home, &capture_time, fields));
    Ok(items)
}

/// Runs every collector of `placement` in one account-region and writes what they found.
async fn collect_part(run: Arc<Run>, placement: Placement, cx: Cx) -> (usize, usize) {
    let _slot = run.parts.acquire().await.expect("semaphore open");
    let selected = COLLECTORS
        .iter()
        .filter(|c| c.placement == placement)
        .filter(|c| run.options.collectors.as_ref().is_none_or(|names| names.iter().any(|n| n == c.name)));
    futures_util::future::join_all(selected.map(|c| (c.run)(&cx))).await;
    let items = cx.take_items();
    let errors = items.iter().filter(|i| i.resource_type == COLLECTION_ERROR_TYPE).count();
    run.write(&cx.account_id, &cx.label, &items);
    run.observer
        .event(Event::PartDone { account_id: &cx.account_id, part: &cx.label, items: items.len(), errors }, &run.stats);
    (items.len(), errors)
}

fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    mamori_model::time::rfc3339(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;

    impl Observer for Quiet {
        fn event(&self, _event: Event<'_>, _stats: &Stats) {}
    }

    /// Options are refused before any call, so no endpoint is needed.
    async fn refused(collectors: &[&str]) -> CollectError {
        let dir = tempfile::tempdir().unwrap();
        let options = CollectOptions {
            accounts: AccountSource::Current,
            role: None,
            regions: RegionChoice::Enabled,
            limits: Limits::default(),
            collectors: Some(collectors.iter().map(|c| c.to_string()).collect()),
        };
        let sink = Arc::new(DirectorySink::create(dir.path()).unwrap());
        let config = SdkConfig::builder().build();
        match collect(&config, &options, sink, Arc::new(Quiet)).await {
            Ok(summary) => panic!("collected with {collectors:?}: {summary:?}"),
            Err(err) => err,
        }
    }

    #[tokio::test]
    async fn unknown_collectors_suggest_the_closest_name() {
        let err = refused(&["iam", "ec"]).await;
        assert!(
            err.to_string().starts_with("unknown collector `ec`: did you mean `ec2`? (known: iam, kms, ec2,"),
            "{err}"
        );
        let CollectError::UnknownCollector { name, did_you_mean, .. } = err else { panic!("{err}") };
        assert_eq!((name.as_str(), did_you_mean.suggestion()), ("ec", Some("ec2")));
        let err = refused(&["guardduty"]).await;
        assert!(err.to_string().starts_with("unknown collector `guardduty` (known: "), "{err}");
    }

    #[test]
    fn account_statuses_keep_their_spelling_in_the_run_file() {
        for (status, text) in [
            (AccountStatus::Collected, "collected"),
            (AccountStatus::Failed, "failed"),
            (AccountStatus::Skipped, "skipped"),
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), text);
            assert_eq!(status.to_string(), text);
        }
    }
}
