//! The run itself against moto, whatever the collectors: account outcomes as
//! `.mamori-run.json` spells them, and an account with no region to read, which is reported
//! (an outcome with its reason, a collection-error record making every rule ERROR), not a
//! panic and not an empty inventory.

use crate::common;

use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::{AccountStatus, CollectOptions};
use mamori_aws::limits::Limits;
use mamori_aws::regions::RegionChoice;
use mamori_model::{Status, COLLECTION_ERROR_TYPE};
use mamori_testkit::MotoServer;

fn options(regions: &[&str]) -> CollectOptions {
    CollectOptions {
        accounts: AccountSource::Current,
        role: None,
        regions: RegionChoice::List(regions.iter().map(|r| r.to_string()).collect()),
        limits: Limits::default(),
        collectors: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_without_regions_is_reported_not_a_panic() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;

    let collected = common::collect_with(&config, &options(&[])).await;
    let [outcome] = &collected.summary.accounts[..] else { panic!("{:?}", collected.summary.accounts) };
    assert_eq!(outcome.status, AccountStatus::Failed);
    let reason = outcome.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("NoRegion") && reason.contains("empty"), "{reason}");
    assert!(outcome.regions.is_empty());
    let summary = serde_json::to_value(&collected.summary).unwrap();
    assert_eq!(summary["accounts"][0]["status"], "failed");

    // One record stands for the whole account, so nothing passes on missing data.
    let [record] = &collected.items[..] else { panic!("{:?}", collected.items) };
    assert_eq!(record.resource_type, COLLECTION_ERROR_TYPE);
    assert_eq!(record.account_id, outcome.account.id);
    assert_eq!(record.configuration["resourceType"], "*");
    assert_eq!(record.configuration["errorCode"], "NoRegion");
    let findings = common::evaluate(&collected.items);
    assert!(!findings.is_empty());
    let not_error: Vec<_> = findings.iter().filter(|f| f.status != Status::Error).collect();
    assert!(not_error.is_empty(), "{not_error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collected_account_is_spelled_collected() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let options = CollectOptions { collectors: Some(vec!["kms".into()]), ..options(&["us-east-1"]) };
    let collected = common::collect_with(&config, &options).await;
    let [outcome] = &collected.summary.accounts[..] else { panic!("{:?}", collected.summary.accounts) };
    assert_eq!(outcome.status, AccountStatus::Collected);
    assert_eq!(outcome.regions, ["us-east-1"]);
    let summary = serde_json::to_value(&collected.summary).unwrap();
    assert_eq!(summary["accounts"][0]["status"], "collected");
    assert!(summary["accounts"][0].get("reason").is_none());
}
