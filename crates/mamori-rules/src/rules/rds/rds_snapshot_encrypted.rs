//! `rds-snapshot-encrypted`: RDS DB snapshots and DB cluster snapshots are encrypted.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a DB snapshot's `encrypted`, or a DB
//! cluster snapshot's `storageEncrypted`, is false. A snapshot whose flag is absent is ERROR.

use mamori_model::{ConfigItem, Severity};

use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsSnapshotEncrypted;

const SNAPSHOT_TYPE: &str = "AWS::RDS::DBSnapshot";
const CLUSTER_SNAPSHOT_TYPE: &str = "AWS::RDS::DBClusterSnapshot";

static META: RuleMeta = RuleMeta {
    id: "rds-snapshot-encrypted",
    service: "rds",
    title: "RDS DB snapshots and cluster snapshots are encrypted",
    severity: Severity::Medium,
    resource_types: &[SNAPSHOT_TYPE, CLUSTER_SNAPSHOT_TYPE],
    params: &[],
    rationale: "A snapshot is a full copy of the database: unencrypted, it can be copied, shared or restored by anyone who reaches it, outside the database's own access controls.",
    remediation: "Copy the snapshot with encryption (`aws rds copy-db-snapshot --source-db-snapshot-identifier SNAP --target-db-snapshot-identifier SNAP-enc --kms-key-id KEY`), delete the unencrypted one, and encrypt the source instance (see rds-storage-encrypted).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["RDS.4"],
    notes: "",
};

impl Rule for RdsSnapshotEncrypted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (kind, key) = if item.resource_type == CLUSTER_SNAPSHOT_TYPE {
            ("DB cluster snapshot", "storageEncrypted")
        } else {
            ("DB snapshot", "encrypted")
        };
        let name = item.resource_name.as_deref().unwrap_or(&item.resource_id);
        let value = match required(item, key) {
            Ok(value) => value,
            Err(reason) => return cx.error(item, reason),
        };
        match as_bool(value) {
            Some(true) => cx.pass(item, format!("{kind} {name} is encrypted")),
            Some(false) => cx.fail(item, format!("{kind} {name} is not encrypted")),
            None => cx.error(item, format!("{kind} {name} has an unreadable `{key}`: `{value}`")),
        }
    }
}
