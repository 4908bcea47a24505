//! The run itself against moto, whatever the collectors: account outcomes as
//! `.mamori-run.json` spells them; an account with no region to read, which is reported
//! (an outcome with its reason, a collection-error record making every rule ERROR), not a
//! panic and not an empty inventory; and the regions `--regions all` chooses.

use crate::common;

use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::{AccountStatus, CollectOptions};
use mamori_aws::limits::Limits;
use mamori_aws::regions::{self, partition, RegionChoice};
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

/// `--regions all`: moto's DescribeRegions answers every region it knows, opt-in regions marked
/// `not-opted-in` and the GovCloud and China partitions included, where AWS answers only the
/// enabled regions of the caller's partition. The run reads exactly those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_regions_are_the_enabled_regions_of_the_partition() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let answer = aws_sdk_ec2::Client::new(&config).describe_regions().send().await.unwrap();
    let listed: Vec<(&str, Option<&str>)> =
        answer.regions().iter().filter_map(|r| Some((r.region_name()?, r.opt_in_status()))).collect();
    // What makes the test able to fail: regions that must be left out are in the answer.
    assert!(listed.iter().any(|(_, status)| *status == Some("not-opted-in")), "{listed:?}");
    assert!(listed.iter().any(|(name, _)| partition(name) != "aws"), "{listed:?}");
    let mut expected: Vec<String> = listed
        .iter()
        .filter(|(name, status)| *status != Some("not-opted-in") && partition(name) == "aws")
        .map(|(name, _)| name.to_string())
        .collect();
    expected.sort();
    assert!(expected.len() > 2 && expected.contains(&"us-east-1".to_owned()), "{expected:?}");
    assert_eq!(regions::enabled(&config).await.unwrap(), expected);

    let options =
        CollectOptions { regions: RegionChoice::Enabled, collectors: Some(vec!["kms".into()]), ..options(&[]) };
    let collected = common::collect_with(&config, &options).await;
    let [outcome] = &collected.summary.accounts[..] else { panic!("{:?}", collected.summary.accounts) };
    assert_eq!(outcome.status, AccountStatus::Collected, "{outcome:?}");
    assert_eq!(outcome.regions, expected);
}
