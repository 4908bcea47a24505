//! Fixers of the detection services: GuardDuty detector, Security Hub, the AWS Config recorder.

use aws_config::{Region, SdkConfig};
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
use mamori_model::remediation::LeftOutReason;
use serde_json::json;

use crate::common::{self, Emulator, ACCOUNT};
use crate::lifecycle::Case;

fn guardduty(config: &SdkConfig) -> aws_sdk_guardduty::Client {
    aws_sdk_guardduty::Client::from_conf(
        aws_sdk_guardduty::config::Builder::from(config).region(Region::new("us-east-1")).build(),
    )
}

fn case<'a>(rule: &'a str, collector: &'a [&'a str]) -> Case<'a> {
    Case {
        rule,
        resource: ACCOUNT,
        collectors: collector,
        regions: &["us-east-1"],
        region: Some("us-east-1"),
        capture_time: None,
        credentials: None,
    }
}

/// No detector: one is created, and rollback deletes it.
#[tokio::test]
async fn guardduty_detector_is_created_and_deleted_again() {
    let Some(emulator) = Emulator::start() else { return };
    let rule = "guardduty-enabled-centralized";
    let action = case(rule, &["detection"]).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "guardduty:CreateDetector");
    assert_eq!(action.state_before, json!({"Detector": null}));
    let config = emulator.config().await;
    let left = guardduty(&config).list_detectors().send().await.unwrap();
    assert!(left.detector_ids().is_empty(), "rolled back: {left:?}");
}

/// A disabled detector is enabled (not a second one created), and rollback disables it.
#[tokio::test]
async fn disabled_guardduty_detector_is_enabled_and_disabled_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let id = guardduty(&config).create_detector().enable(false).send().await.unwrap().detector_id.unwrap();
    let rule = "guardduty-enabled-centralized";
    let action = case(rule, &["detection"]).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "guardduty:UpdateDetector");
    let detector = guardduty(&config).get_detector().detector_id(&id).send().await.unwrap();
    assert_eq!(detector.status().map(|s| s.as_str()), Some("DISABLED"), "rolled back");
}

#[tokio::test]
async fn security_hub_is_enabled_and_disabled_again() {
    let Some(emulator) = Emulator::start() else { return };
    let rule = "securityhub-enabled";
    let action = case(rule, &["detection"]).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters, json!({"EnableDefaultStandards": false}));
}

/// A recorder of all resource types that was stopped is started; without a delivery channel it
/// could not be, and the finding is left out with that reason.
#[tokio::test]
async fn config_recorder_is_started_and_stopped_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let aws_config = aws_sdk_config::Client::from_conf(
        aws_sdk_config::config::Builder::from(&config).region(Region::new("us-east-1")).build(),
    );
    let recorder = ConfigurationRecorder::builder()
        .name("default")
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/config"))
        .recording_group(RecordingGroup::builder().all_supported(true).include_global_resource_types(true).build())
        .build();
    aws_config.put_configuration_recorder().configuration_recorder(recorder).send().await.unwrap();
    let rule = "mamori-config-recorder-enabled";
    let case = case(rule, &["config"]);
    let no_channel = case.plan(&config, &common::section(&[rule])).await;
    assert_eq!(no_channel.left_out[0].reason, LeftOutReason::NotFixable, "{no_channel:#?}");
    assert!(no_channel.left_out[0].detail.contains("delivery channel"), "{}", no_channel.left_out[0].detail);

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config).region(Region::new("us-east-1")).force_path_style(true).build(),
    );
    s3.create_bucket().bucket("config-history").send().await.unwrap();
    let channel = DeliveryChannel::builder().name("default").s3_bucket_name("config-history").build();
    aws_config.put_delivery_channel().delivery_channel(channel).send().await.unwrap();
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters, json!({"ConfigurationRecorderName": "default"}));
    let status = aws_config.describe_configuration_recorder_status().send().await.unwrap();
    assert!(!status.configuration_recorders_status()[0].recording(), "rolled back");
}
