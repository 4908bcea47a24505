//! RDS fixers: deletion protection, backup retention, public access, public snapshots.

use aws_config::{Region, SdkConfig};
use mamori_model::remediation::LeftOutReason;
use serde_json::json;

use crate::common::{self, Emulator};
use crate::lifecycle::{section_with, Case};

fn rds(config: &SdkConfig) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::from_conf(aws_sdk_rds::config::Builder::from(config).region(Region::new("us-east-1")).build())
}

/// A public instance without backups or deletion protection; its `dbiResourceId`.
async fn exposed_instance(config: &SdkConfig) -> String {
    let created = rds(config)
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("admin")
        .master_user_password("correct-horse-battery")
        .allocated_storage(20)
        .publicly_accessible(true)
        .backup_retention_period(0)
        .send()
        .await
        .unwrap();
    created.db_instance.unwrap().dbi_resource_id.unwrap()
}

fn case<'a>(rule: &'a str, resource: &'a str) -> Case<'a> {
    Case { rule, resource, collectors: &["rds"], regions: &["us-east-1"], region: None, capture_time: None }
}

/// The three instance fixers, one after another on the same instance; each rollback restores
/// what the next one starts from.
#[tokio::test]
async fn instance_fixes_are_applied_and_rolled_back() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let id = exposed_instance(&config).await;

    let rule = "rds-instance-deletion-protection-enabled";
    let action = case(rule, &id).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(
        action.calls[0].parameters,
        json!({"DBInstanceIdentifier": "orders", "DeletionProtection": true, "ApplyImmediately": true})
    );

    let rule = "rds-instance-public-access-check";
    let action = case(rule, &id).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters["PubliclyAccessible"], false);

    let rule = "db-instance-backup-enabled";
    let unset = case(rule, &id).plan(&config, &common::section(&[rule])).await;
    assert_eq!(unset.left_out[0].reason, LeftOutReason::SettingMissing, "{unset:#?}");
    assert!(unset.left_out[0].detail.contains("rds_backup_retention_days"), "{}", unset.left_out[0].detail);
    let action = case(rule, &id).run(&emulator, &section_with(rule, json!({"rds_backup_retention_days": 7}))).await;
    assert_eq!(action.calls[0].action(), "rds:ModifyDBInstance");
    assert_eq!(action.calls[0].parameters["BackupRetentionPeriod"], 7);

    let now = rds(&config).describe_db_instances().db_instance_identifier("orders").send().await.unwrap();
    let instance = &now.db_instances()[0];
    assert_eq!(
        (instance.deletion_protection(), instance.publicly_accessible(), instance.backup_retention_period()),
        (Some(false), Some(true), Some(0)),
        "every rollback restored the recorded value"
    );
}

/// `all` is removed from the restore attribute; the account it is shared with by name keeps
/// it, and rollback makes the snapshot public again.
#[tokio::test]
async fn public_snapshot_is_made_private_keeping_named_accounts() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    exposed_instance(&config).await;
    let rds = rds(&config);
    rds.create_db_snapshot()
        .db_snapshot_identifier("orders-snap")
        .db_instance_identifier("orders")
        .send()
        .await
        .unwrap();
    let share = rds
        .modify_db_snapshot_attribute()
        .db_snapshot_identifier("orders-snap")
        .attribute_name("restore")
        .values_to_add("all")
        .values_to_add("111122223333");
    share.send().await.unwrap();
    let rule = "rds-snapshots-public-prohibited";
    let action = case(rule, "orders-snap").run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters["ValuesToRemove"], json!(["all"]));
    assert_eq!(action.expected_after, json!({"Restore": ["111122223333"]}));
    let attributes = rds.describe_db_snapshot_attributes().db_snapshot_identifier("orders-snap").send().await.unwrap();
    let restore = attributes.db_snapshot_attributes_result().unwrap().db_snapshot_attributes()[0].attribute_values();
    assert!(restore.contains(&"all".to_owned()), "rolled back: {restore:?}");
}
