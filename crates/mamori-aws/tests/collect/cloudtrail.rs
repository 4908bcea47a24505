//! CloudTrail collector against moto: a logging multi-region trail that records everything
//! and a stopped single-region trail with nothing configured, read back and judged by the
//! seven CloudTrail rules; then the same account once the good trail stops logging; a trail
//! created with default settings; an organization trail covering a member account; and the
//! failure paths (one trail's event selectors refused, the trail list refused in one region)
//! through the fault proxy.
//!
//! moto differs from AWS in two ways: GetEventSelectors on a trail never given selectors
//! answers an empty list, where AWS answers the default selector (all management events), and
//! DescribeTrails answers `HasCustomEventSelectors` false even after PutEventSelectors. The
//! rules take a trail whose flag is false as recording all management events whatever the
//! selectors say, and read its data events from the selectors, so the trails here that need
//! data events are given their selectors explicitly.

use crate::common;

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
use aws_sdk_organizations::types::OrganizationFeatureSet;
use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::CollectOptions;
use mamori_aws::limits::Limits;
use mamori_aws::regions::RegionChoice;
use mamori_aws::session::{RoleSpec, RoleTarget};
use mamori_model::Status;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const BUCKET: &str = "trail-logs";
const GOOD: &str = "management-events";
const BARE: &str = "scratch";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

fn cloudtrail_in(config: &SdkConfig, region: &str) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::from_conf(
        aws_sdk_cloudtrail::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    )
}

async fn create_bucket(config: &SdkConfig, bucket: &str) {
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build());
    s3.create_bucket().bucket(bucket).send().await.unwrap();
}

/// `GOOD` in us-east-1: multi-region, validated, KMS-encrypted, sent to CloudWatch Logs,
/// logging, recording all management events and S3 data events of every bucket. `BARE` in
/// eu-west-1: single-region, nothing configured, never started.
async fn seed(config: &SdkConfig) {
    create_bucket(config, BUCKET).await;
    let home = cloudtrail_in(config, "us-east-1");
    home.create_trail()
        .name(GOOD)
        .s3_bucket_name(BUCKET)
        .is_multi_region_trail(true)
        .enable_log_file_validation(true)
        .kms_key_id(format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
        .cloud_watch_logs_log_group_arn(format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail:*"))
        .cloud_watch_logs_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/trail-to-logs"))
        .send()
        .await
        .unwrap();
    let everything = EventSelector::builder()
        .read_write_type(ReadWriteType::All)
        .include_management_events(true)
        .data_resources(DataResource::builder().r#type("AWS::S3::Object").values("arn:aws:s3").build())
        .build();
    home.put_event_selectors().trail_name(GOOD).event_selectors(everything).send().await.unwrap();
    home.start_logging().name(GOOD).send().await.unwrap();

    let ireland = cloudtrail_in(config, "eu-west-1");
    ireland.create_trail().name(BARE).s3_bucket_name(BUCKET).send().await.unwrap();
    let management =
        EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build();
    ireland.put_event_selectors().trail_name(BARE).event_selectors(management).send().await.unwrap();
}

fn statuses(found: &[(String, Status, String)]) -> Vec<(String, Status)> {
    found.iter().map(|(id, status, _)| (id.clone(), *status)).collect()
}

fn pair(id: &str, status: Status) -> (String, Status) {
    (id.to_owned(), status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trails_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    let collected = common::collect_current(&config, &["cloudtrail"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    // Each trail once, in its home region: the multi-region trail is not recorded again in
    // eu-west-1, where DescribeTrails would list its shadow.
    let mut trails: Vec<(String, String)> = collected
        .of_type("AWS::CloudTrail::Trail")
        .iter()
        .map(|t| (t.resource_id.clone(), t.aws_region.clone()))
        .collect();
    trails.sort();
    assert_eq!(trails, vec![(GOOD.to_owned(), "us-east-1".to_owned()), (BARE.to_owned(), "eu-west-1".to_owned())]);

    let good = collected.of_type("AWS::CloudTrail::Trail").into_iter().find(|t| t.resource_id == GOOD).unwrap();
    let arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{GOOD}");
    assert_eq!(good.arn.as_deref(), Some(arn.as_str()));
    assert_eq!(good.configuration["trailARN"], json!(arn));
    assert_eq!(good.configuration["homeRegion"], json!("us-east-1"));
    assert_eq!(good.configuration["isMultiRegionTrail"], json!(true));
    assert_eq!(good.configuration["s3BucketName"], json!(BUCKET));
    assert_eq!(good.supplementary_configuration["TrailStatus"]["isLogging"], json!(true));
    assert_eq!(
        good.supplementary_configuration["EventSelectors"]["eventSelectors"],
        json!([{"readWriteType": "All", "includeManagementEvents": true,
                "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
                "excludeManagementEventSources": []}])
    );

    let per_trail = vec![pair(GOOD, Status::Pass), pair(BARE, Status::Fail)];
    for rule in [
        "cloud-trail-encryption-enabled",
        "cloud-trail-log-file-validation-enabled",
        "cloud-trail-cloud-watch-logs-enabled",
    ] {
        let found = collected.findings(rule);
        assert_eq!(statuses(&found), per_trail, "{rule}: {found:?}");
    }
    let found = collected.findings("multi-region-cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Pass)], "{found:?}");
    assert!(found[0].2.contains(GOOD), "{found:?}");
    let found = collected.findings("cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Pass), pair(ACCOUNT, Status::Pass)], "{found:?}");
    let found = collected.findings("cloudtrail-s3-dataevents-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Pass)], "{found:?}");
    // The bucket is another collector's: without it the rule cannot judge, and says so.
    let found = collected.findings("mamori-cloudtrail-bucket-not-public");
    assert_eq!(statuses(&found), vec![pair(GOOD, Status::Error), pair(BARE, Status::Error)], "{found:?}");
    assert!(found.iter().all(|(_, _, message)| message.contains("not in the inventory")), "{found:?}");

    let stats = collected.summary.services["cloudtrail"];
    assert!(stats.calls >= 6 && stats.errors == 0, "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");

    // Once the good trail stops, no trail records the account's activity.
    cloudtrail_in(&config, "us-east-1").stop_logging().name(GOOD).send().await.unwrap();
    let collected = common::collect_current(&config, &["cloudtrail"], REGIONS).await;
    let found = collected.findings("multi-region-cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Fail)], "{found:?}");
    assert!(found[0].2.contains("not logging"), "{found:?}");
    let found = collected.findings("cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Fail), pair(ACCOUNT, Status::Fail)], "{found:?}");
    let found = collected.findings("cloudtrail-s3-dataevents-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Fail)], "{found:?}");
}

/// The trail a user gets from `aws cloudtrail create-trail --is-multi-region-trail` and
/// `start-logging`, never given selectors: it records every management event, read and write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_with_default_settings_records_all_management_events() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    create_bucket(&config, BUCKET).await;
    let home = cloudtrail_in(&config, "us-east-1");
    home.create_trail().name(GOOD).s3_bucket_name(BUCKET).is_multi_region_trail(true).send().await.unwrap();
    home.start_logging().name(GOOD).send().await.unwrap();

    let collected = common::collect_current(&config, &["cloudtrail"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    let [trail] = &collected.of_type("AWS::CloudTrail::Trail")[..] else { panic!("{:?}", collected.items) };
    assert_eq!(trail.configuration["hasCustomEventSelectors"], json!(false));
    // moto's answer for such a trail, which reads as "no management events" on its own.
    assert_eq!(
        trail.supplementary_configuration["EventSelectors"],
        json!({"eventSelectors": [], "advancedEventSelectors": []})
    );

    let found = collected.findings("multi-region-cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Pass)], "{found:?}");
    assert!(
        found[0].2.contains(&format!("trail {GOOD} logging recording read and write management events")),
        "{found:?}"
    );
    let found = collected.findings("cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Pass), pair(ACCOUNT, Status::Pass)], "{found:?}");
    // The default selector has no data events.
    let found = collected.findings("cloudtrail-s3-dataevents-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Fail)], "{found:?}");
    assert!(found[0].2.contains("records no S3 data events"), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_calls_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("cloudtrail", "GetEventSelectors").containing(GOOD))
        .rule(FaultRule::operation("cloudtrail", "DescribeTrails").in_region("eu-west-1"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["cloudtrail"], REGIONS).await;

    // The list refused in eu-west-1 is a record, not an empty list.
    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].aws_region, "eu-west-1");
    assert_eq!(errors[0].configuration["resourceType"], json!("AWS::CloudTrail::Trail"));
    assert_eq!(errors[0].configuration["operation"], json!("DescribeTrails"));
    assert_eq!(errors[0].configuration["errorCode"], json!("AccessDeniedException"));

    // The refused selectors are marked on the trail, which is still recorded with its status.
    let trails = collected.of_type("AWS::CloudTrail::Trail");
    assert_eq!(trails.len(), 1, "{trails:?}");
    let good = trails[0];
    assert_eq!(good.resource_id, GOOD);
    assert!(good.supplementary_configuration.get("EventSelectors").is_none());
    let reason = good.supplementary_configuration["mamoriCollectionErrors"]["EventSelectors"].as_str().unwrap();
    assert!(reason.starts_with("AccessDeniedException: GetEventSelectors"), "{reason}");
    assert_eq!(good.supplementary_configuration["TrailStatus"]["isLogging"], json!(true));

    // Per-trail rules still judge the trail they have, and report the region they lack.
    let collection = "collection:AWS::CloudTrail::Trail";
    let found = collected.findings("cloud-trail-encryption-enabled");
    assert_eq!(statuses(&found), vec![pair(collection, Status::Error), pair(GOOD, Status::Pass)], "{found:?}");
    // The account-level rules cannot decide: the trails of eu-west-1 are unknown. (The refused
    // selectors alone would not stop them: moto's flag says the trail keeps the default one.)
    let found = collected.findings("multi-region-cloudtrail-enabled");
    assert_eq!(statuses(&found), vec![pair(ACCOUNT, Status::Error), pair(collection, Status::Error)], "{found:?}");
    let stats = collected.summary.services["cloudtrail"];
    assert!(stats.errors >= 2, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_trail_covers_the_member_account() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let organizations = aws_sdk_organizations::Client::new(&config);
    organizations.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let member = organizations
        .create_account()
        .account_name("member")
        .email("member@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap()
        .account_id
        .unwrap();
    create_bucket(&config, BUCKET).await;
    let home = cloudtrail_in(&config, "us-east-1");
    home.create_trail()
        .name("org-trail")
        .s3_bucket_name(BUCKET)
        .is_multi_region_trail(true)
        .is_organization_trail(true)
        .send()
        .await
        .unwrap();
    let management =
        EventSelector::builder().read_write_type(ReadWriteType::All).include_management_events(true).build();
    home.put_event_selectors().trail_name("org-trail").event_selectors(management).send().await.unwrap();
    home.start_logging().name("org-trail").send().await.unwrap();
    // The member's own single-region trail, stopped: only the organization trail covers it.
    let member_config = common::acting_in(&server, &config, &member).await;
    create_bucket(&member_config, "member-logs").await;
    let member_trails = cloudtrail_in(&member_config, "us-east-1");
    member_trails.create_trail().name("member-local").s3_bucket_name("member-logs").send().await.unwrap();

    let options = CollectOptions {
        accounts: AccountSource::Organizations,
        role: Some(RoleSpec::new(RoleTarget::Name("audit".into()))),
        regions: RegionChoice::List(REGIONS.iter().map(|r| r.to_string()).collect()),
        limits: Limits::default(),
        collectors: Some(vec!["organizations".into(), "cloudtrail".into()]),
    };
    let collected = common::collect_with(&config, &options).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    // The organization trail is recorded once, in its owner account and home region, not
    // again as a shadow in the member account.
    let mut trails: Vec<(&str, &str, &str)> = collected
        .of_type("AWS::CloudTrail::Trail")
        .iter()
        .map(|t| (t.resource_id.as_str(), t.account_id.as_str(), t.aws_region.as_str()))
        .collect();
    trails.sort();
    assert_eq!(trails, vec![("member-local", member.as_str(), "us-east-1"), ("org-trail", ACCOUNT, "us-east-1")]);

    let found = collected.findings("multi-region-cloudtrail-enabled");
    let mut expected = vec![pair(ACCOUNT, Status::Pass), pair(&member, Status::Pass)];
    expected.sort();
    assert_eq!(statuses(&found), expected, "{found:?}");
    let member_finding = found.iter().find(|(id, _, _)| *id == member).unwrap();
    assert!(member_finding.2.contains(&format!("organization trail org-trail of account {ACCOUNT}")), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudtrail_needs_only_its_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let config = common::least_privilege(&server, &config, &["cloudtrail"]).await;
    let collected = common::collect_current(&config, &["cloudtrail"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    assert!(collected.attribute_errors().is_empty(), "{:?}", collected.attribute_errors());
    assert_eq!(collected.of_type("AWS::CloudTrail::Trail").len(), 2);
    assert_eq!(collected.summary.services["cloudtrail"].errors, 0);
}
