//! `ebs-snapshot-public-restorable-check`: no EBS snapshot can be restored by anyone.
//!
//! AWS's managed rule judges the account periodically (NON_COMPLIANT when any snapshot is
//! public); mamori judges each snapshot the collector recorded (the account's own), so the
//! finding names the snapshot: FAIL when its `CreateVolumePermissions` include the group `all`.
//! A snapshot whose permissions are not in the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, supplementary};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct EbsSnapshotPublicRestorableCheck;

static META: RuleMeta = RuleMeta {
    id: "ebs-snapshot-public-restorable-check",
    service: "ec2",
    title: "No EBS snapshot is publicly restorable",
    severity: Severity::Critical,
    resource_types: &["AWS::EC2::Snapshot"],
    params: &[],
    rationale: "A public snapshot lets any AWS account create a volume from it and read the whole disk: databases, keys, credentials and customer data.",
    remediation: "`aws ec2 modify-snapshot-attribute --snapshot-id SNAP --attribute createVolumePermission --operation-type remove --group-names all`, and turn on EC2's block public access for snapshots (`aws ec2 enable-snapshot-block-public-access --state block-all-sharing`).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["EC2.1"],
    notes: "One finding per snapshot (the account's own, as DescribeSnapshots OwnerIds=self lists them) rather than AWS's one per account.",
};

/// Whether a permission list (`LaunchPermissions`, `CreateVolumePermissions`) includes everyone.
pub(super) fn grants_everyone(permissions: &Value) -> bool {
    as_list(Some(permissions)).iter().any(|permission| {
        permission.get("group").or_else(|| permission.get("Group")).and_then(Value::as_str) == Some("all")
    })
}

impl Rule for EbsSnapshotPublicRestorableCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        match supplementary(item, "CreateVolumePermissions") {
            Ok(Some(permissions)) if grants_everyone(permissions) => {
                cx.fail(item, format!("snapshot {id} can be restored by anyone"))
            }
            Ok(_) if item.supplementary("CreateVolumePermissions").is_some() => {
                cx.pass(item, format!("snapshot {id} is not public"))
            }
            Ok(_) => cx.error(item, format!("snapshot {id} has no CreateVolumePermissions in the inventory")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
