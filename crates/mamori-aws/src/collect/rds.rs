//! RDS DB instances (`AWS::RDS::DBInstance`), DB clusters (`AWS::RDS::DBCluster`: Aurora and
//! Multi-AZ clusters, whose backup retention, deletion protection and encryption are the
//! cluster's, not its members'), DB snapshots (`AWS::RDS::DBSnapshot`) and DB cluster snapshots
//! (`AWS::RDS::DBClusterSnapshot`), the snapshots with the attributes that say who may restore
//! them.
//!
//! Field names follow AWS Config's items for these types (`dBInstanceIdentifier`, `multiAZ`,
//! `dbiResourceId`), and an instance's `resourceId` is its `dbiResourceId` as in AWS Config (a
//! cluster's its `dbClusterResourceId`).

use std::collections::BTreeMap;

use aws_sdk_rds::types::{DbCluster, DbClusterSnapshot, DbInstance, DbSnapshot, Tag};
use futures_util::future::{join4, join_all};
use mamori_model::ConfigItem;
use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, CollectFuture, Cx};
use crate::client;

const INSTANCE_TYPE: &str = "AWS::RDS::DBInstance";
const CLUSTER_TYPE: &str = "AWS::RDS::DBCluster";
const SNAPSHOT_TYPE: &str = "AWS::RDS::DBSnapshot";
const CLUSTER_SNAPSHOT_TYPE: &str = "AWS::RDS::DBClusterSnapshot";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "rds",
    placement: Placement::Regional,
    resource_types: &[INSTANCE_TYPE, CLUSTER_TYPE, SNAPSHOT_TYPE, CLUSTER_SNAPSHOT_TYPE],
    account_fields: &[],
    actions: &[
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBSnapshotAttributes",
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusterSnapshotAttributes",
    ],
    run,
};

/// A snapshot deleted between the list and the attribute call: it no longer exists.
const SNAPSHOT_GONE: &[&str] = &["DBSnapshotNotFound", "DBSnapshotNotFoundFault"];
const CLUSTER_SNAPSHOT_GONE: &[&str] = &["DBClusterSnapshotNotFoundFault", "DBClusterSnapshotNotFound"];

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let rds = client!(cx, aws_sdk_rds);
    join4(instances(cx, &rds), clusters(cx, &rds), snapshots(cx, &rds), cluster_snapshots(cx, &rds)).await;
}

async fn instances(cx: &Cx, rds: &aws_sdk_rds::Client) {
    let pages = match cx.pages("rds", rds.describe_db_instances().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(INSTANCE_TYPE, "DescribeDBInstances", &err),
    };
    for instance in pages.iter().flat_map(|page| page.db_instances()) {
        let Some(name) = instance.db_instance_identifier() else { continue };
        let mut item = cx.item(INSTANCE_TYPE, instance.dbi_resource_id().unwrap_or(name));
        item.resource_name = Some(name.to_owned());
        item.arn = instance.db_instance_arn().map(str::to_owned);
        item.tags = tags(instance.tag_list());
        item.configuration = instance_configuration(instance);
        cx.emit(item);
    }
}

fn instance_configuration(i: &DbInstance) -> Value {
    json!({
        "dBInstanceIdentifier": i.db_instance_identifier(),
        "dBInstanceClass": i.db_instance_class(),
        "engine": i.engine(),
        "engineVersion": i.engine_version(),
        "dBInstanceStatus": i.db_instance_status(),
        "masterUsername": i.master_username(),
        "dBName": i.db_name(),
        "endpoint": i.endpoint().map(|e| json!({"address": e.address(), "port": e.port(), "hostedZoneId": e.hosted_zone_id()})),
        "allocatedStorage": i.allocated_storage(),
        "maxAllocatedStorage": i.max_allocated_storage(),
        "instanceCreateTime": iso_or_null(i.instance_create_time()),
        "preferredBackupWindow": i.preferred_backup_window(),
        "backupRetentionPeriod": i.backup_retention_period(),
        "vpcSecurityGroups": i.vpc_security_groups().iter().map(|g| json!({
            "vpcSecurityGroupId": g.vpc_security_group_id(),
            "status": g.status(),
        })).collect::<Vec<_>>(),
        "dBParameterGroups": i.db_parameter_groups().iter().map(|g| json!({
            "dBParameterGroupName": g.db_parameter_group_name(),
            "parameterApplyStatus": g.parameter_apply_status(),
        })).collect::<Vec<_>>(),
        "availabilityZone": i.availability_zone(),
        "secondaryAvailabilityZone": i.secondary_availability_zone(),
        "dBSubnetGroup": i.db_subnet_group().map(|g| json!({
            "dBSubnetGroupName": g.db_subnet_group_name(),
            "vpcId": g.vpc_id(),
        })),
        "preferredMaintenanceWindow": i.preferred_maintenance_window(),
        "multiAZ": i.multi_az(),
        "autoMinorVersionUpgrade": i.auto_minor_version_upgrade(),
        "readReplicaSourceDBInstanceIdentifier": i.read_replica_source_db_instance_identifier(),
        "readReplicaDBInstanceIdentifiers": i.read_replica_db_instance_identifiers(),
        "readReplicaDBClusterIdentifiers": i.read_replica_db_cluster_identifiers(),
        "licenseModel": i.license_model(),
        "iops": i.iops(),
        "publiclyAccessible": i.publicly_accessible(),
        "storageType": i.storage_type(),
        "dbInstancePort": i.db_instance_port(),
        "dBClusterIdentifier": i.db_cluster_identifier(),
        "storageEncrypted": i.storage_encrypted(),
        "kmsKeyId": i.kms_key_id(),
        "dbiResourceId": i.dbi_resource_id(),
        "cACertificateIdentifier": i.ca_certificate_identifier(),
        "copyTagsToSnapshot": i.copy_tags_to_snapshot(),
        "monitoringInterval": i.monitoring_interval(),
        "monitoringRoleArn": i.monitoring_role_arn(),
        "dBInstanceArn": i.db_instance_arn(),
        "iAMDatabaseAuthenticationEnabled": i.iam_database_authentication_enabled(),
        "performanceInsightsEnabled": i.performance_insights_enabled(),
        "enabledCloudwatchLogsExports": i.enabled_cloudwatch_logs_exports(),
        "deletionProtection": i.deletion_protection(),
        "networkType": i.network_type(),
    })
}

async fn clusters(cx: &Cx, rds: &aws_sdk_rds::Client) {
    let pages = match cx.pages("rds", rds.describe_db_clusters().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(CLUSTER_TYPE, "DescribeDBClusters", &err),
    };
    for cluster in pages.iter().flat_map(|page| page.db_clusters()) {
        let Some(name) = cluster.db_cluster_identifier() else { continue };
        let mut item = cx.item(CLUSTER_TYPE, cluster.db_cluster_resource_id().unwrap_or(name));
        item.resource_name = Some(name.to_owned());
        item.arn = cluster.db_cluster_arn().map(str::to_owned);
        item.tags = tags(cluster.tag_list());
        item.configuration = cluster_configuration(cluster);
        cx.emit(item);
    }
}

fn cluster_configuration(c: &DbCluster) -> Value {
    json!({
        "dBClusterIdentifier": c.db_cluster_identifier(),
        "dbClusterResourceId": c.db_cluster_resource_id(),
        "dBClusterArn": c.db_cluster_arn(),
        "engine": c.engine(),
        "engineMode": c.engine_mode(),
        "engineVersion": c.engine_version(),
        "status": c.status(),
        "masterUsername": c.master_username(),
        "databaseName": c.database_name(),
        "port": c.port(),
        "endpoint": c.endpoint(),
        "readerEndpoint": c.reader_endpoint(),
        "multiAZ": c.multi_az(),
        "availabilityZones": c.availability_zones(),
        "dBSubnetGroup": c.db_subnet_group(),
        "vpcSecurityGroups": c.vpc_security_groups().iter().map(|g| json!({
            "vpcSecurityGroupId": g.vpc_security_group_id(),
            "status": g.status(),
        })).collect::<Vec<_>>(),
        "dBClusterMembers": c.db_cluster_members().iter().map(|m| json!({
            "dBInstanceIdentifier": m.db_instance_identifier(),
            "isClusterWriter": m.is_cluster_writer(),
        })).collect::<Vec<_>>(),
        "backupRetentionPeriod": c.backup_retention_period(),
        "preferredBackupWindow": c.preferred_backup_window(),
        "preferredMaintenanceWindow": c.preferred_maintenance_window(),
        "clusterCreateTime": iso_or_null(c.cluster_create_time()),
        "storageEncrypted": c.storage_encrypted(),
        "kmsKeyId": c.kms_key_id(),
        "deletionProtection": c.deletion_protection(),
        "iAMDatabaseAuthenticationEnabled": c.iam_database_authentication_enabled(),
        "enabledCloudwatchLogsExports": c.enabled_cloudwatch_logs_exports(),
        "copyTagsToSnapshot": c.copy_tags_to_snapshot(),
        "autoMinorVersionUpgrade": c.auto_minor_version_upgrade(),
        "publiclyAccessible": c.publicly_accessible(),
        "httpEndpointEnabled": c.http_endpoint_enabled(),
        "activityStreamStatus": c.activity_stream_status().map(|s| s.as_str()),
        "backtrackWindow": c.backtrack_window(),
    })
}

async fn snapshots(cx: &Cx, rds: &aws_sdk_rds::Client) {
    let pages = match cx.pages("rds", rds.describe_db_snapshots().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(SNAPSHOT_TYPE, "DescribeDBSnapshots", &err),
    };
    let all = pages.iter().flat_map(|page| page.db_snapshots());
    let items = join_all(all.map(|snapshot| snapshot_item(cx, rds, snapshot))).await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

async fn snapshot_item(cx: &Cx, rds: &aws_sdk_rds::Client, s: &DbSnapshot) -> Option<ConfigItem> {
    let id = s.db_snapshot_identifier()?;
    let mut item = cx.item(SNAPSHOT_TYPE, id);
    item.resource_name = Some(id.to_owned());
    item.arn = s.db_snapshot_arn().map(str::to_owned);
    item.tags = tags(s.tag_list());
    item.configuration = json!({
        "dBSnapshotIdentifier": s.db_snapshot_identifier(),
        "dBInstanceIdentifier": s.db_instance_identifier(),
        "snapshotCreateTime": iso_or_null(s.snapshot_create_time()),
        "engine": s.engine(),
        "engineVersion": s.engine_version(),
        "allocatedStorage": s.allocated_storage(),
        "status": s.status(),
        "port": s.port(),
        "availabilityZone": s.availability_zone(),
        "vpcId": s.vpc_id(),
        "instanceCreateTime": iso_or_null(s.instance_create_time()),
        "masterUsername": s.master_username(),
        "licenseModel": s.license_model(),
        "snapshotType": s.snapshot_type(),
        "iops": s.iops(),
        "optionGroupName": s.option_group_name(),
        "percentProgress": s.percent_progress(),
        "sourceRegion": s.source_region(),
        "sourceDBSnapshotIdentifier": s.source_db_snapshot_identifier(),
        "storageType": s.storage_type(),
        "encrypted": s.encrypted(),
        "kmsKeyId": s.kms_key_id(),
        "dBSnapshotArn": s.db_snapshot_arn(),
        "iAMDatabaseAuthenticationEnabled": s.iam_database_authentication_enabled(),
        "dbiResourceId": s.dbi_resource_id(),
    });
    // Automated snapshots cannot be shared; the rule knows that from `snapshotType`.
    if s.snapshot_type() == Some("automated") {
        return Some(item);
    }
    let answer = cx.call("rds", rds.describe_db_snapshot_attributes().db_snapshot_identifier(id).send()).await;
    match answer {
        Ok(output) => {
            let attributes = output.db_snapshot_attributes_result().map(|result| {
                result
                    .db_snapshot_attributes()
                    .iter()
                    .map(|a| attribute(a.attribute_name(), a.attribute_values()))
                    .collect::<Vec<_>>()
            });
            item.supplementary_configuration.insert("DBSnapshotAttributes".into(), json!(attributes));
        }
        Err(err) if err.is_not_found(SNAPSHOT_GONE) => return None,
        Err(err) => Cx::attribute_failed(&mut item, "DBSnapshotAttributes", "DescribeDBSnapshotAttributes", &err),
    }
    Some(item)
}

async fn cluster_snapshots(cx: &Cx, rds: &aws_sdk_rds::Client) {
    let pages = match cx.pages("rds", rds.describe_db_cluster_snapshots().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(CLUSTER_SNAPSHOT_TYPE, "DescribeDBClusterSnapshots", &err),
    };
    let all = pages.iter().flat_map(|page| page.db_cluster_snapshots());
    let items = join_all(all.map(|snapshot| cluster_snapshot_item(cx, rds, snapshot))).await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

async fn cluster_snapshot_item(cx: &Cx, rds: &aws_sdk_rds::Client, s: &DbClusterSnapshot) -> Option<ConfigItem> {
    let id = s.db_cluster_snapshot_identifier()?;
    let mut item = cx.item(CLUSTER_SNAPSHOT_TYPE, id);
    item.resource_name = Some(id.to_owned());
    item.arn = s.db_cluster_snapshot_arn().map(str::to_owned);
    item.tags = tags(s.tag_list());
    item.configuration = json!({
        "dBClusterSnapshotIdentifier": s.db_cluster_snapshot_identifier(),
        "dBClusterIdentifier": s.db_cluster_identifier(),
        "snapshotCreateTime": iso_or_null(s.snapshot_create_time()),
        "engine": s.engine(),
        "engineMode": s.engine_mode(),
        "engineVersion": s.engine_version(),
        "allocatedStorage": s.allocated_storage(),
        "status": s.status(),
        "port": s.port(),
        "vpcId": s.vpc_id(),
        "availabilityZones": s.availability_zones(),
        "clusterCreateTime": iso_or_null(s.cluster_create_time()),
        "masterUsername": s.master_username(),
        "licenseModel": s.license_model(),
        "snapshotType": s.snapshot_type(),
        "percentProgress": s.percent_progress(),
        "storageEncrypted": s.storage_encrypted(),
        "kmsKeyId": s.kms_key_id(),
        "dBClusterSnapshotArn": s.db_cluster_snapshot_arn(),
        "sourceDBClusterSnapshotArn": s.source_db_cluster_snapshot_arn(),
        "iAMDatabaseAuthenticationEnabled": s.iam_database_authentication_enabled(),
        "dbClusterResourceId": s.db_cluster_resource_id(),
    });
    if s.snapshot_type() == Some("automated") {
        return Some(item);
    }
    let answer =
        cx.call("rds", rds.describe_db_cluster_snapshot_attributes().db_cluster_snapshot_identifier(id).send()).await;
    match answer {
        Ok(output) => {
            let attributes = output.db_cluster_snapshot_attributes_result().map(|result| {
                result
                    .db_cluster_snapshot_attributes()
                    .iter()
                    .map(|a| attribute(a.attribute_name(), a.attribute_values()))
                    .collect::<Vec<_>>()
            });
            item.supplementary_configuration.insert("DBClusterSnapshotAttributes".into(), json!(attributes));
        }
        Err(err) if err.is_not_found(CLUSTER_SNAPSHOT_GONE) => return None,
        Err(err) => {
            Cx::attribute_failed(&mut item, "DBClusterSnapshotAttributes", "DescribeDBClusterSnapshotAttributes", &err)
        }
    }
    Some(item)
}

fn attribute(name: Option<&str>, values: &[String]) -> Value {
    json!({"attributeName": name, "attributeValues": values})
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter().filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or_default().to_owned()))).collect()
}
