//! RDS collector against moto: a well-configured instance and a careless one, an Aurora cluster, manual DB
//! snapshots kept private, shared with one account and made public, and DB cluster snapshots
//! private and public, read back and judged by the six RDS rules. moto also takes an automated
//! snapshot of every new instance and cluster (`rds:…`), which the rules pass without
//! attributes. Refused attribute and list calls go through the fault proxy.

use crate::common;

use aws_config::SdkConfig;
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
const PARTNER: &str = "444455556666";

async fn seed(config: &SdkConfig) {
    let rds = aws_sdk_rds::Client::new(config);
    rds.create_db_instance()
        .db_instance_identifier("orders")
        .db_instance_class("db.m6g.large")
        .engine("postgres")
        .allocated_storage(100)
        .master_username("app")
        .master_user_password("not-a-real-password")
        .storage_encrypted(true)
        .multi_az(true)
        .publicly_accessible(false)
        .backup_retention_period(7)
        .deletion_protection(true)
        .send()
        .await
        .unwrap();
    rds.create_db_instance()
        .db_instance_identifier("legacy")
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password")
        .storage_encrypted(false)
        .multi_az(false)
        .publicly_accessible(true)
        .backup_retention_period(0)
        .deletion_protection(false)
        .send()
        .await
        .unwrap();
    for (snapshot, shared_with) in
        [("orders-private", None), ("orders-for-dr", Some(PARTNER)), ("orders-public", Some("all"))]
    {
        rds.create_db_snapshot()
            .db_instance_identifier("orders")
            .db_snapshot_identifier(snapshot)
            .send()
            .await
            .unwrap();
        if let Some(account) = shared_with {
            rds.modify_db_snapshot_attribute()
                .db_snapshot_identifier(snapshot)
                .attribute_name("restore")
                .values_to_add(account)
                .send()
                .await
                .unwrap();
        }
    }
    rds.create_db_cluster()
        .db_cluster_identifier("aurora-prod")
        .engine("aurora-postgresql")
        .master_username("app")
        .master_user_password("not-a-real-password")
        .send()
        .await
        .unwrap();
    for (snapshot, public) in [("aurora-final", false), ("aurora-public", true)] {
        rds.create_db_cluster_snapshot()
            .db_cluster_identifier("aurora-prod")
            .db_cluster_snapshot_identifier(snapshot)
            .send()
            .await
            .unwrap();
        if public {
            rds.modify_db_cluster_snapshot_attribute()
                .db_cluster_snapshot_identifier(snapshot)
                .attribute_name("restore")
                .values_to_add("all")
                .send()
                .await
                .unwrap();
        }
    }
}

fn statuses(found: &[(String, Status, String)]) -> Vec<(String, Status)> {
    found.iter().map(|(id, status, _)| (id.clone(), *status)).collect()
}

fn instance<'a>(collected: &'a common::Collected, name: &str) -> &'a ConfigItem {
    collected
        .of_type("AWS::RDS::DBInstance")
        .into_iter()
        .find(|i| i.resource_name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no instance {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_and_snapshots_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    let collected = common::collect_current(&config, &["rds"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    let orders = instance(&collected, "orders");
    let legacy = instance(&collected, "legacy");
    // AWS Config's resource id for an instance is its dbiResourceId, not its name.
    assert_eq!(json!(orders.resource_id), orders.configuration["dbiResourceId"]);
    assert_ne!(orders.resource_id, "orders");
    assert_eq!(orders.aws_region, "us-east-1");
    assert_eq!(orders.arn.as_deref(), Some("arn:aws:rds:us-east-1:123456789012:db:orders"));
    assert_eq!(orders.configuration["dBInstanceIdentifier"], json!("orders"));
    assert_eq!(orders.configuration["multiAZ"], json!(true));
    assert_eq!(orders.configuration["storageEncrypted"], json!(true));
    assert_eq!(orders.configuration["backupRetentionPeriod"], json!(7));
    assert_eq!(legacy.configuration["publiclyAccessible"], json!(true));
    assert_eq!(legacy.configuration["readReplicaSourceDBInstanceIdentifier"], json!(null));

    let expected = |good: Status, bad: Status| -> Vec<(String, Status)> {
        let mut pairs = vec![(orders.resource_id.clone(), good), (legacy.resource_id.clone(), bad)];
        pairs.sort();
        pairs
    };
    for rule in [
        "rds-storage-encrypted",
        "rds-multi-az-support",
        "rds-instance-public-access-check",
        "db-instance-backup-enabled",
        "rds-instance-deletion-protection-enabled",
    ] {
        let found = collected.findings(rule);
        assert_eq!(statuses(&found), expected(Status::Pass, Status::Fail), "{rule}: {found:?}");
    }

    // The Aurora cluster: named by its resource id as in AWS Config, with the settings its
    // members do not carry (retention, deletion protection are the cluster's).
    let clusters = collected.of_type("AWS::RDS::DBCluster");
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let cluster = clusters[0];
    assert_eq!(cluster.resource_name.as_deref(), Some("aurora-prod"));
    assert_eq!(json!(cluster.resource_id), cluster.configuration["dbClusterResourceId"]);
    assert_eq!(cluster.configuration["engine"], json!("aurora-postgresql"));
    assert!(cluster.configuration["backupRetentionPeriod"].is_number(), "{:?}", cluster.configuration);
    assert!(cluster.arn.as_deref().is_some_and(|arn| arn.ends_with(":cluster:aurora-prod")), "{:?}", cluster.arn);

    let snapshot =
        collected.of_type("AWS::RDS::DBSnapshot").into_iter().find(|s| s.resource_id == "orders-for-dr").unwrap();
    assert_eq!(
        snapshot.supplementary_configuration["DBSnapshotAttributes"],
        json!([{"attributeName": "restore", "attributeValues": [PARTNER]}])
    );
    assert_eq!(snapshot.configuration["snapshotType"], json!("manual"));

    let found = collected.findings("rds-snapshots-public-prohibited");
    let (automated, named): (Vec<_>, Vec<_>) = found.iter().partition(|(id, _, _)| id.starts_with("rds:"));
    let named: Vec<(&str, Status)> = named.iter().map(|(id, status, _)| (id.as_str(), *status)).collect();
    assert_eq!(
        named,
        vec![
            ("aurora-final", Status::Pass),
            ("aurora-public", Status::Fail),
            ("orders-for-dr", Status::Pass),
            ("orders-private", Status::Pass),
            ("orders-public", Status::Fail),
        ],
        "{found:?}"
    );
    // One automated snapshot per instance and per cluster, unshareable by construction.
    assert_eq!(automated.len(), 3, "{found:?}");
    assert!(automated.iter().all(|(_, status, message)| *status == Status::Pass && message.contains("automated")));

    let stats = collected.summary.services["rds"];
    assert!(stats.calls >= 8 + 5 && stats.errors == 0, "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_calls_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("rds", "DescribeDBSnapshotAttributes").containing("orders-public"))
        .rule(FaultRule::operation("rds", "DescribeDBClusterSnapshots"))
        .rule(FaultRule::operation("rds", "DescribeDBClusters"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["rds"], &["us-east-1"]).await;

    // The refused cluster and cluster snapshot lists are records; the instances and DB snapshots
    // are read.
    let mut errors = collected.of_type("Mamori::Collection::Error");
    errors.sort_by_key(|e| e.configuration["operation"].to_string());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].configuration["resourceType"], json!("AWS::RDS::DBClusterSnapshot"));
    assert_eq!(errors[0].configuration["operation"], json!("DescribeDBClusterSnapshots"));
    assert_eq!(errors[1].configuration["resourceType"], json!("AWS::RDS::DBCluster"));
    assert_eq!(errors[1].configuration["operation"], json!("DescribeDBClusters"));
    assert!(collected.of_type("AWS::RDS::DBClusterSnapshot").is_empty());
    assert!(collected.of_type("AWS::RDS::DBCluster").is_empty());
    assert_eq!(collected.of_type("AWS::RDS::DBInstance").len(), 2);

    let refused =
        collected.of_type("AWS::RDS::DBSnapshot").into_iter().find(|s| s.resource_id == "orders-public").unwrap();
    let reason =
        refused.supplementary_configuration["mamoriCollectionErrors"]["DBSnapshotAttributes"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: DescribeDBSnapshotAttributes"), "{reason}");

    let found = collected.findings("rds-snapshots-public-prohibited");
    let named: Vec<(&str, Status)> = found
        .iter()
        .filter(|(id, _, _)| !id.starts_with("rds:"))
        .map(|(id, status, _)| (id.as_str(), *status))
        .collect();
    assert_eq!(
        named,
        vec![
            ("collection:AWS::RDS::DBClusterSnapshot", Status::Error),
            ("orders-for-dr", Status::Pass),
            ("orders-private", Status::Pass),
            ("orders-public", Status::Error),
        ],
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rds_needs_only_its_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let config = common::least_privilege(&server, &config, &["rds"]).await;
    let collected = common::collect_current(&config, &["rds"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    assert!(collected.attribute_errors().is_empty(), "{:?}", collected.attribute_errors());
    assert_eq!(collected.of_type("AWS::RDS::DBInstance").len(), 2);
    assert_eq!(collected.of_type("AWS::RDS::DBSnapshot").len(), 5);
    assert_eq!(collected.of_type("AWS::RDS::DBClusterSnapshot").len(), 3);
    assert_eq!(collected.of_type("AWS::RDS::DBCluster").len(), 1);
    assert_eq!(collected.summary.services["rds"].errors, 0);
}
