//! `s3-bucket-mfa-delete-enabled`: versioned buckets require MFA to delete object versions.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the bucket's versioning configuration
//! does not have `isMfaDeleteEnabled` true (an unversioned bucket cannot have MFA delete, and
//! fails too). A versioning configuration absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{decoded, BUCKET_TYPE};
use crate::support::item::{as_bool, supplementary};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct S3BucketMfaDeleteEnabled;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-mfa-delete-enabled",
    service: "s3",
    title: "S3 buckets require MFA to delete object versions",
    severity: Severity::Low,
    resource_types: &[BUCKET_TYPE],
    params: &[],
    rationale: "With MFA delete, a stolen access key alone cannot permanently delete object versions or suspend versioning, so versioning keeps protecting the data against a compromised principal.",
    remediation: "As the root user with its MFA device: `aws s3api put-bucket-versioning --bucket NAME --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["S3.20"],
    notes: "",
};

impl Rule for S3BucketMfaDeleteEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        let versioning = match supplementary(item, "BucketVersioningConfiguration") {
            Ok(Some(versioning)) => decoded(versioning),
            Ok(None) => {
                return cx.error(item, format!("bucket {name} has no versioning configuration in the inventory"))
            }
            Err(reason) => return cx.error(item, reason),
        };
        let mfa = versioning.get("isMfaDeleteEnabled").or_else(|| versioning.get("MFADelete"));
        let enabled = mfa.and_then(|value| {
            as_bool(value).or_else(|| value.as_str().map(|text| text.eq_ignore_ascii_case("Enabled")))
        });
        if enabled == Some(true) {
            cx.pass(item, format!("bucket {name} requires MFA to delete object versions"))
        } else {
            cx.fail(item, format!("bucket {name} does not have MFA delete enabled"))
        }
    }
}
