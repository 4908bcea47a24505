//! KMS fixers: key rotation.

use aws_config::Region;
use serde_json::json;

use crate::common::{self, Emulator};
use crate::lifecycle::Case;

#[tokio::test]
async fn key_rotation_is_enabled_and_disabled_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&config).region(Region::new("us-east-1")).build(),
    );
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let rule = "cmk-backing-key-rotation-enabled";
    let case = Case {
        rule,
        resource: &key,
        collectors: &["kms"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "kms:EnableKeyRotation");
    assert_eq!(action.calls[0].parameters, json!({"KeyId": key}));
    let status = kms.get_key_rotation_status().key_id(&key).send().await.unwrap();
    assert!(!status.key_rotation_enabled(), "rolled back");
}
