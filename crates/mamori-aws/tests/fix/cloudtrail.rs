//! CloudTrail fixers: a multi-region trail, log file validation, logging started.

use aws_config::{Region, SdkConfig};
use mamori_model::remediation::LeftOutReason;
use serde_json::json;

use crate::common::{self, Emulator, ACCOUNT};
use crate::lifecycle::{section_with, Case};

const BUCKET: &str = "trail-logs";

fn cloudtrail(config: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::from_conf(
        aws_sdk_cloudtrail::config::Builder::from(config).region(Region::new("us-east-1")).build(),
    )
}

async fn bucket(config: &SdkConfig) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config).region(Region::new("us-east-1")).force_path_style(true).build(),
    );
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
}

fn case<'a>(rule: &'a str, resource: &'a str) -> Case<'a> {
    Case {
        rule,
        resource,
        collectors: &["cloudtrail"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    }
}

/// No trail: left out without a bucket; with one, a multi-region trail is created and started,
/// and rollback stops and deletes it.
#[tokio::test]
async fn multi_region_trail_is_created_to_the_configured_bucket_and_deleted_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    bucket(&config).await;
    let rule = "multi-region-cloudtrail-enabled";
    let case = case(rule, ACCOUNT);
    let unset = case.plan(&config, &common::section(&[rule])).await;
    assert_eq!(unset.left_out[0].reason, LeftOutReason::SettingMissing, "{unset:#?}");
    assert!(unset.left_out[0].detail.contains("cloudtrail_bucket"), "{}", unset.left_out[0].detail);

    let plan = case.plan(&config, &section_with(rule, json!({"cloudtrail_bucket": BUCKET}))).await;
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let calls: Vec<String> = plan.actions[0].calls.iter().map(|c| c.action()).collect();
    assert_eq!(calls, ["cloudtrail:CreateTrail", "cloudtrail:StartLogging"]);
    assert_eq!(plan.actions[0].calls[0].parameters["S3BucketName"], BUCKET);
    assert_eq!(plan.actions[0].calls[0].parameters["IsMultiRegionTrail"], true);
    case.apply_and_roll_back(&emulator, &plan).await;
    let left = cloudtrail(&config).describe_trails().send().await.unwrap();
    assert!(left.trail_list().is_empty(), "rolled back: {left:?}");
}

/// A stopped multi-region trail is started rather than a second one created.
#[tokio::test]
async fn stopped_multi_region_trail_is_started_and_stopped_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    bucket(&config).await;
    let create = cloudtrail(&config).create_trail().name("org-wide").s3_bucket_name(BUCKET).is_multi_region_trail(true);
    create.send().await.unwrap();
    let rule = "multi-region-cloudtrail-enabled";
    let action = case(rule, ACCOUNT).run(&emulator, &common::section(&[rule])).await;
    let calls: Vec<String> = action.calls.iter().map(|c| c.action()).collect();
    assert_eq!(calls, ["cloudtrail:StartLogging"]);
}

#[tokio::test]
async fn log_file_validation_is_enabled_and_disabled_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    bucket(&config).await;
    cloudtrail(&config).create_trail().name("audit-trail").s3_bucket_name(BUCKET).send().await.unwrap();
    let rule = "cloud-trail-log-file-validation-enabled";
    let action = case(rule, "audit-trail").run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters, json!({"Name": "audit-trail", "EnableLogFileValidation": true}));
}

/// A trail covering the region but stopped is started (the "CloudTrail re-enabled when
/// stopped" fix); rollback stops it again.
#[tokio::test]
async fn stopped_trail_is_started_and_stopped_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    bucket(&config).await;
    cloudtrail(&config).create_trail().name("regional").s3_bucket_name(BUCKET).send().await.unwrap();
    let rule = "cloudtrail-enabled";
    let case = Case { region: Some("us-east-1"), ..case(rule, ACCOUNT) };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "cloudtrail:StartLogging");
    assert_eq!(action.calls[0].parameters["Name"], format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/regional"));
    let status = cloudtrail(&config).get_trail_status().name("regional").send().await.unwrap();
    assert_eq!(status.is_logging(), Some(false), "rolled back");
}
