//! `rds-storage-encrypted`: RDS DB instances encrypt their storage at rest.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `storageEncrypted` is false, or, when
//! `kmsKeyId` is set, when the instance's `kmsKeyId` is not that key (given as key id or key
//! ARN; aliases are not resolved). An absent `storageEncrypted` is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{flag, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct RdsStorageEncrypted;

static META: RuleMeta = RuleMeta {
    id: "rds-storage-encrypted",
    service: "rds",
    title: "RDS DB instances have storage encryption enabled",
    severity: Severity::Medium,
    resource_types: &[INSTANCE_TYPE],
    params: &[ParamSpec {
        name: "kmsKeyId",
        kind: ParamKind::Text,
        default: "",
        description: "ID or ARN of the KMS key the storage must be encrypted with; empty accepts any key.",
    }],
    rationale: "Unencrypted storage exposes the database, its automated backups, read replicas and snapshots to anyone who gets hold of the underlying volumes or a shared snapshot.",
    remediation: "Encryption cannot be turned on in place: snapshot the instance, `aws rds copy-db-snapshot --kms-key-id KEY` to an encrypted copy, restore a new instance from it and switch clients over.",
    stride: Stride::InformationDisclosure,
    cis: &["2.3.1"],
    fsbp: &["RDS.3"],
    notes: "kmsKeyId is compared with the instance's kmsKeyId as a key ARN or as the key id at its end; a key alias is not resolved.",
};

/// Whether the instance's key (an ARN in AWS Config) is the configured key (an id or an ARN).
fn same_key(instance_key: &str, wanted: &str) -> bool {
    instance_key == wanted || instance_key.rsplit('/').next() == Some(wanted)
}

impl Rule for RdsStorageEncrypted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        match flag(item, "storageEncrypted") {
            Ok(true) => {}
            Ok(false) => return cx.fail(item, format!("DB instance {name} does not encrypt its storage")),
            Err(reason) => return cx.error(item, reason),
        }
        let key = text(item, "kmsKeyId");
        if let Some(wanted) = cx.params().text("kmsKeyId") {
            if !key.is_some_and(|key| same_key(key, wanted)) {
                let key = key.unwrap_or("an unknown key");
                return cx
                    .fail(item, format!("DB instance {name} is encrypted with {key}, not with kmsKeyId {wanted}"));
            }
        }
        match key {
            Some(key) => cx.pass(item, ["DB instance ", name, " encrypts its storage with ", key].concat()),
            None => cx.pass(item, ["DB instance ", name, " encrypts its storage"].concat()),
        }
    }
}
