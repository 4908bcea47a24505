//! `rds-snapshots-public-prohibited`: RDS DB snapshots and DB cluster snapshots are not public.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the snapshot's `restore` attribute lists
//! `all` (anyone may copy or restore it). Attributes are read from
//! `supplementaryConfiguration.DBSnapshotAttributes` (DB snapshots) or
//! `DBClusterSnapshotAttributes` (cluster snapshots, as AWS Config records them; either key is
//! accepted for both). Absent attributes are ERROR, except on automated snapshots, which RDS
//! cannot share at all.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, supplementary};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsSnapshotsPublicProhibited;

const SNAPSHOT_TYPE: &str = "AWS::RDS::DBSnapshot";
const CLUSTER_SNAPSHOT_TYPE: &str = "AWS::RDS::DBClusterSnapshot";

static META: RuleMeta = RuleMeta {
    id: "rds-snapshots-public-prohibited",
    service: "rds",
    title: "RDS snapshots are not shared publicly",
    severity: Severity::Critical,
    resource_types: &[SNAPSHOT_TYPE, CLUSTER_SNAPSHOT_TYPE],
    params: &[],
    rationale: "A public snapshot can be restored by any AWS account: the whole database, every row, leaves the organization without a single credential being needed.",
    remediation: "Make it private: `aws rds modify-db-snapshot-attribute --db-snapshot-identifier NAME --attribute-name restore --values-to-remove all` (`modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier` for cluster snapshots); share with named accounts only.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["RDS.1"],
    notes: "Automated snapshots with no attributes in the inventory pass, as RDS cannot share them.",
};

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

impl Rule for RdsSnapshotsPublicProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (kind, keys) = if item.resource_type == CLUSTER_SNAPSHOT_TYPE {
            ("DB cluster snapshot", ["DBClusterSnapshotAttributes", "DBSnapshotAttributes"])
        } else {
            ("DB snapshot", ["DBSnapshotAttributes", "DBClusterSnapshotAttributes"])
        };
        let id = &item.resource_id;
        let mut attributes = None;
        for key in keys {
            match supplementary(item, key) {
                Ok(Some(found)) => {
                    attributes = Some(found);
                    break;
                }
                Ok(None) if item.supplementary(key).is_some() => {
                    // Present as null: the snapshot has no attributes, so it is shared with no one.
                    attributes = Some(&Value::Null);
                    break;
                }
                Ok(None) => {}
                Err(reason) => return cx.error(item, reason),
            }
        }
        let Some(attributes) = attributes else {
            if item.config("snapshotType").and_then(Value::as_str) == Some("automated") {
                return cx.pass(item, [kind, " ", id, " is automated and cannot be shared"].concat());
            }
            return cx.error(item, format!("{kind} {id} has no {} in the inventory", keys[0]));
        };
        let restore: Vec<&str> = as_list(Some(attributes))
            .into_iter()
            .filter(|attribute| {
                text(attribute, "attributeName").is_some_and(|name| name.eq_ignore_ascii_case("restore"))
            })
            .flat_map(|attribute| as_list(attribute.get("attributeValues")))
            .filter_map(Value::as_str)
            .collect();
        if restore.iter().any(|account| account.eq_ignore_ascii_case("all")) {
            return cx.fail(item, format!("{kind} {id} is public: its restore attribute includes `all`"));
        }
        match restore.len() {
            0 => cx.pass(item, [kind, " ", id, " is not shared"].concat()),
            count => cx.pass(item, format!("{kind} {id} is shared with {count} named account(s), not publicly")),
        }
    }
}
