//! RDS fixers: deletion protection, backup retention, public access, public snapshots.

use std::collections::BTreeMap;

use aws_config::{Region, SdkConfig};
use mamori_aws::fix::run::{AccountContext, PlanRequest};
use mamori_model::remediation::{LeftOutReason, Mode};
use mamori_model::Status;
use mamori_rules::{ActiveRule, Evaluator, Params, RuleSet};
use mamori_store::ActionOutcome;
use serde_json::json;

use crate::collect_common;
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
    Case {
        rule,
        resource,
        collectors: &["rds"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    }
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

/// An Aurora member keeps its cluster's retention: with the rule asking for at least 7 days
/// (`backupRetentionMinimum`), the fix is ModifyDBCluster on the cluster, verified by the rule
/// with those parameters, and rollback restores the cluster's 1 day.
#[tokio::test]
async fn aurora_member_backup_retention_is_set_on_its_cluster() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let rds = rds(&config);
    let cluster = rds
        .create_db_cluster()
        .db_cluster_identifier("ledger")
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("correct-horse-battery")
        .backup_retention_period(1);
    cluster.send().await.unwrap();
    let member = rds
        .create_db_instance()
        .db_instance_identifier("ledger-a")
        .engine("aurora-postgresql")
        .db_instance_class("db.r5.large")
        .db_cluster_identifier("ledger");
    let id = member.send().await.unwrap().db_instance.unwrap().dbi_resource_id.unwrap();

    let rule = "db-instance-backup-enabled";
    let given = BTreeMap::from([("backupRetentionMinimum".to_owned(), "7".to_owned())]);
    let rules = RuleSet::new(
        mamori_rules::catalog()
            .iter()
            .map(|r| {
                let mut active = ActiveRule::with_defaults(*r);
                if r.meta().id == rule {
                    active.params = Params::build(rule, r.meta().params, &given).unwrap();
                }
                active
            })
            .collect(),
    );
    let judged = |items: &[mamori_model::ConfigItem]| {
        let mut evaluator = Evaluator::new(&rules);
        let mut found = Vec::new();
        for item in items {
            evaluator.evaluate(item, &mut |f| found.push(f));
        }
        evaluator.finish(&mut |f| found.push(f));
        found
            .into_iter()
            .filter(|f| &*f.rule_id == rule && *f.resource_id == *id)
            .map(|f| (f.id(), f))
            .collect::<Vec<_>>()
    };
    let collected = collect_common::collect_current(&config, &["rds"], &["us-east-1"]).await;
    let findings = judged(&collected.items);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].1.status, Status::Fail, "{findings:#?}");

    let remediator = common::remediator(&config);
    let section = common::section(&[rule]);
    let accounts = BTreeMap::from([(common::ACCOUNT.to_owned(), AccountContext::default())]);
    let request = PlanRequest {
        run_id: 1,
        findings: &findings,
        failing_by_rule: BTreeMap::from([(rule.to_owned(), 1)]),
        section: &section,
        modes: &[Mode::Plan],
        rules: &rules,
        accounts: &accounts,
    };
    let plan = remediator.plan(&request).await;
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let call = &plan.actions[0].calls[0];
    assert_eq!(call.action(), "rds:ModifyDBCluster");
    assert_eq!(call.parameters["DBClusterIdentifier"], "ledger");
    assert_eq!(call.parameters["BackupRetentionPeriod"], 7);

    let (_dir, mut store) = common::store();
    let before = emulator.changes();
    let report = remediator.apply(&plan, &mut store, &section, &rules, None).await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Verified, "{:#?}", report.actions[0]);
    assert_eq!(emulator.changes() - before, 1);
    let collected = collect_common::collect_current(&config, &["rds"], &["us-east-1"]).await;
    assert_eq!(judged(&collected.items)[0].1.status, Status::Pass);

    let fix = store.actions().unwrap().remove(0);
    let rollback = remediator.rollback(fix.id, &mut store).await.unwrap();
    assert_eq!(rollback.outcome, ActionOutcome::Verified, "{rollback:#?}");
    let clusters = rds.describe_db_clusters().db_cluster_identifier("ledger").send().await.unwrap();
    assert_eq!(clusters.db_clusters()[0].backup_retention_period(), Some(1), "rolled back");
}
