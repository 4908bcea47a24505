//! `encrypted-volumes`: attached EBS volumes are encrypted (optionally with a given KMS key).
//!
//! As the AWS Config managed rule: a volume with at least one attachment is NON_COMPLIANT when
//! `encrypted` is false, or, when `kmsId` is set, when its `kmsKeyId` is not that key (given
//! as key id or key ARN; aliases are not resolved). Unattached volumes get no finding (AWS:
//! NOT_APPLICABLE). Absent `attachments` or `encrypted` is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, required};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct EncryptedVolumes;

static META: RuleMeta = RuleMeta {
    id: "encrypted-volumes",
    service: "ec2",
    title: "Attached EBS volumes are encrypted at rest",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::Volume"],
    params: &[ParamSpec {
        name: "kmsId",
        kind: ParamKind::Text,
        default: "",
        description: "ID or ARN of the KMS key the volumes must be encrypted with; empty accepts any key.",
    }],
    rationale: "An unencrypted volume, or a snapshot of it shared or copied by mistake, exposes its data to anyone who can read the underlying storage or the snapshot.",
    remediation: "Volumes cannot be encrypted in place: snapshot the volume, copy the snapshot with `--encrypted --kms-key-id KEY`, create a volume from the copy and swap it in; enable EBS encryption by default so new volumes are encrypted.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["EC2.3"],
    notes: "kmsId is compared with the volume's kmsKeyId as a key ARN or as the key id at its end; a key alias is not resolved.",
};

/// Whether the volume's key (an ARN in AWS Config) is the configured key (an id or an ARN).
fn same_key(volume_key: &str, wanted: &str) -> bool {
    volume_key == wanted || volume_key.rsplit('/').next() == Some(wanted)
}

impl Rule for EncryptedVolumes {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let attachments = match required(item, "attachments") {
            Ok(attachments) => as_list(Some(attachments)),
            Err(reason) => return cx.error(item, reason),
        };
        let Some(instance) = attachments.first() else { return };
        let instance = instance.get("instanceId").and_then(Value::as_str).unwrap_or("an instance");
        let encrypted = match required(item, "encrypted").map(as_bool) {
            Ok(Some(encrypted)) => encrypted,
            Ok(None) => return cx.error(item, format!("volume {id} has an unreadable `encrypted` flag")),
            Err(reason) => return cx.error(item, reason),
        };
        if !encrypted {
            return cx.fail(item, format!("volume {id} attached to {instance} is not encrypted"));
        }
        let key = item.config("kmsKeyId").and_then(Value::as_str).unwrap_or("");
        if let Some(wanted) = cx.params().text("kmsId") {
            if !same_key(key, wanted) {
                let key = if key.is_empty() { "an unknown key" } else { key };
                return cx.fail(item, format!("volume {id} is encrypted with {key}, not with kmsId {wanted}"));
            }
        }
        cx.pass(item, ["volume ", id, " attached to ", instance, " is encrypted"].concat())
    }
}
