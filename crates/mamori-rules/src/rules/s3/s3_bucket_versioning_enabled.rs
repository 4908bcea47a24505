//! `s3-bucket-versioning-enabled`: a bucket keeps every version of its objects.
//!
//! Same semantics as the AWS Config managed rule: COMPLIANT when
//! `BucketVersioningConfiguration.status` is `Enabled`, and, when `isMfaDeleteEnabled` is
//! `true`, MFA delete is enabled too. A bucket whose versioning configuration is absent from
//! the inventory is ERROR, not FAIL.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_bool, supplementary};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3BucketVersioningEnabled;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-versioning-enabled",
    service: "s3",
    title: "S3 buckets have versioning enabled",
    severity: Severity::Low,
    resource_types: &["AWS::S3::Bucket"],
    params: &[ParamSpec {
        name: "isMfaDeleteEnabled",
        kind: ParamKind::Boolean,
        default: "",
        description: "When true, MFA delete must be enabled as well.",
    }],
    rationale: "Versioning keeps prior versions of every object, so that data overwritten or deleted by mistake, by ransomware or by a compromised principal can be recovered.",
    remediation: "Enable versioning: `aws s3api put-bucket-versioning --bucket NAME --versioning-configuration Status=Enabled`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &[],
    notes: "",
};

impl Rule for S3BucketVersioningEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let versioning = match supplementary(item, "BucketVersioningConfiguration") {
            Ok(Some(versioning)) => versioning,
            Ok(None) => {
                return cx.error(
                    item,
                    format!("bucket {} has no versioning configuration in the inventory", item.resource_id),
                )
            }
            Err(reason) => return cx.error(item, reason),
        };
        let status = versioning.get("status").and_then(Value::as_str).unwrap_or("Off");
        if status != "Enabled" {
            return cx
                .fail(item, format!("bucket {} has versioning {}", item.resource_id, status.to_ascii_lowercase()));
        }
        let mfa_delete = versioning.get("isMfaDeleteEnabled").and_then(as_bool).unwrap_or(false);
        if cx.params().bool("isMfaDeleteEnabled") == Some(true) && !mfa_delete {
            return cx
                .fail(item, format!("bucket {} has versioning enabled but MFA delete disabled", item.resource_id));
        }
        cx.pass(item, format!("bucket {} has versioning enabled", item.resource_id));
    }
}
