//! `s3-bucket-server-side-encryption-enabled`: a bucket encrypts new objects at rest by default.
//!
//! As the AWS Config managed rule: COMPLIANT when `ServerSideEncryptionConfiguration` has a rule
//! with a default `sseAlgorithm` (AES256, aws:kms, aws:kms:dsse), or when the bucket policy denies
//! `s3:PutObject` without the `s3:x-amz-server-side-encryption` header. Since January 2023 S3
//! applies SSE-S3 to every bucket that has no other setting, so a bucket recorded without one is
//! rare; mamori still checks the recorded configuration rather than assume the default.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{bucket_policy, decoded, BUCKET_TYPE};
use crate::support::item::{as_list, supplementary};
use crate::support::policy::PolicyDocument;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct S3BucketServerSideEncryptionEnabled;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-server-side-encryption-enabled",
    service: "s3",
    title: "S3 buckets encrypt new objects at rest by default",
    severity: Severity::Medium,
    resource_types: &[BUCKET_TYPE],
    params: &[],
    rationale: "Default encryption guarantees that every object is encrypted at rest whatever client wrote it; with SSE-KMS, reading an object also requires permission on the key, which limits what a leaked bucket permission exposes and logs every decryption.",
    remediation: "Set default encryption: `aws s3api put-bucket-encryption --bucket NAME --server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY_ARN\"},\"BucketKeyEnabled\":true}]}'` (or SSEAlgorithm AES256 for SSE-S3).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &[],
    notes: "Security Hub retired the matching control (S3.4) once S3 began encrypting all new objects by default in January 2023, so no FSBP control is mapped.",
};

const ALGORITHMS: [&str; 3] = ["AES256", "aws:kms", "aws:kms:dsse"];

/// The default algorithm of the first encryption rule that sets one.
pub(super) fn default_algorithm(configuration: &Value) -> Option<String> {
    let rules = configuration.get("rules").or_else(|| configuration.get("Rules"));
    as_list(rules).into_iter().find_map(|rule| {
        let default = rule
            .get("applyServerSideEncryptionByDefault")
            .or_else(|| rule.get("ApplyServerSideEncryptionByDefault"))?;
        let algorithm = default.get("sseAlgorithm").or_else(|| default.get("SSEAlgorithm"))?.as_str()?;
        ALGORITHMS.iter().any(|known| known.eq_ignore_ascii_case(algorithm)).then(|| algorithm.to_owned())
    })
}

/// Whether the policy refuses uploads that do not ask for server-side encryption, as AWS's
/// documentation and the rule describe: a `Deny` of `s3:PutObject` to everyone when the header
/// is absent (`Null` true) or not an SSE algorithm (`StringNotEquals`).
fn policy_requires_encryption(policy: &PolicyDocument) -> bool {
    policy.statements.iter().filter(|statement| !statement.allow).any(|statement| {
        statement.has_public_principal()
            && statement.covers_action("s3:PutObject")
            && statement.conditions().iter().any(|(operator, key, values)| {
                key == "s3:x-amz-server-side-encryption"
                    && match operator.to_ascii_lowercase().as_str() {
                        "null" => values.iter().any(|value| value.eq_ignore_ascii_case("true")),
                        "stringnotequals" => {
                            !values.is_empty()
                                && values
                                    .iter()
                                    .all(|value| ALGORITHMS.iter().any(|known| known.eq_ignore_ascii_case(value)))
                        }
                        _ => false,
                    }
            })
    })
}

impl Rule for S3BucketServerSideEncryptionEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        match supplementary(item, "ServerSideEncryptionConfiguration") {
            Ok(Some(configuration)) => {
                if let Some(algorithm) = default_algorithm(&decoded(configuration)) {
                    return cx.pass(item, format!("bucket {name} encrypts new objects by default with {algorithm}"));
                }
            }
            Ok(None) if item.supplementary("ServerSideEncryptionConfiguration").is_some() => {}
            Ok(None) => {
                return cx
                    .error(item, format!("bucket {name} has no ServerSideEncryptionConfiguration in the inventory"))
            }
            Err(reason) => return cx.error(item, reason),
        }
        match &bucket_policy(item, cx).0 {
            Ok(Some(policy)) if policy_requires_encryption(policy) => {
                cx.pass(item, format!("bucket {name}: its bucket policy denies uploads without server-side encryption"))
            }
            Ok(_) => cx.fail(
                item,
                format!("bucket {name} has no default encryption and its policy does not require encrypted uploads"),
            ),
            Err(reason) => cx.error(
                item,
                format!("bucket {name} has no default encryption, and its policy cannot be judged: {reason}"),
            ),
        }
    }
}
