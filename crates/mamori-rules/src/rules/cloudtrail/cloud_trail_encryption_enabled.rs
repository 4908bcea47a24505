//! `cloud-trail-encryption-enabled`: every trail encrypts its log files with a KMS key.
//!
//! As the AWS Config managed rule (CLOUD_TRAIL_ENCRYPTION_ENABLED): a trail is COMPLIANT when
//! `kmsKeyId` is set; `null` or empty is NON_COMPLIANT (log files then get only SSE-S3). Each
//! trail is judged once, on the copy read in its home region and owner account.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::trail::{is_shadow_copy, trail_name, TRAIL_TYPE};
use crate::support::item::required;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudTrailEncryptionEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloud-trail-encryption-enabled",
    service: "cloudtrail",
    title: "CloudTrail trails encrypt their log files with a KMS key",
    severity: Severity::Medium,
    resource_types: &[TRAIL_TYPE],
    params: &[],
    rationale: "With SSE-KMS, reading the logs needs kms:Decrypt on the trail's key as well as access to the bucket, so a leaked bucket permission alone does not expose the account's activity, and every decryption is itself logged.",
    remediation: "Create a KMS key whose policy lets cloudtrail.amazonaws.com encrypt, then `aws cloudtrail update-trail --name NAME --kms-key-id KEY_ARN` (CloudTrail console > Trails > NAME > General details > Edit > Log file SSE-KMS encryption).",
    stride: Stride::InformationDisclosure,
    cis: &["3.5"],
    fsbp: &["CloudTrail.2"],
    notes: "Shadow copies (a multi-region trail listed outside its home region, an organization trail listed in a member account) are not judged again.",
};

impl Rule for CloudTrailEncryptionEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if is_shadow_copy(item) {
            return;
        }
        let name = trail_name(item);
        match required(item, "kmsKeyId") {
            Ok(Value::String(key)) if !key.is_empty() => {
                cx.pass(item, format!("trail {name} encrypts its log files with KMS key {key}"))
            }
            Ok(Value::Null | Value::String(_)) => {
                cx.fail(item, format!("trail {name} has no KMS key: its log files are not encrypted with SSE-KMS"))
            }
            Ok(_) => cx.error(item, format!("trail {name} has an unreadable kmsKeyId")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
