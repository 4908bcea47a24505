//! `s3-default-encryption-kms`: buckets encrypt new objects with AWS KMS keys by default.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the default encryption algorithm is not
//! `aws:kms` (or `aws:kms:dsse`), or, with `kmsKeyArns`, when the default key is not one of
//! them. An encryption configuration absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::s3_bucket_server_side_encryption_enabled::default_algorithm;
use super::shared::{decoded, BUCKET_TYPE};
use crate::support::item::{as_list, supplementary};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3DefaultEncryptionKms;

static META: RuleMeta = RuleMeta {
    id: "s3-default-encryption-kms",
    service: "s3",
    title: "S3 buckets encrypt new objects with AWS KMS keys by default",
    severity: Severity::Medium,
    resource_types: &[BUCKET_TYPE],
    params: &[ParamSpec {
        name: "kmsKeyArns",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated KMS key ARNs the default encryption must use; empty accepts any key.",
    }],
    rationale: "SSE-KMS adds a second permission check (the key policy) and a CloudTrail record of every decryption, so reading the data needs both S3 and KMS access and leaves a trail.",
    remediation: "`aws s3api put-bucket-encryption --bucket NAME --server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY_ARN\"},\"BucketKeyEnabled\":true}]}'`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["S3.17"],
    notes: "A bucket without a recorded encryption configuration fails (S3's implicit SSE-S3 default is not KMS).",
};

/// The KMS key of the first rule that names one.
fn default_key(configuration: &Value) -> Option<&str> {
    let rules = configuration.get("rules").or_else(|| configuration.get("Rules"));
    as_list(rules).into_iter().find_map(|rule| {
        let default = rule
            .get("applyServerSideEncryptionByDefault")
            .or_else(|| rule.get("ApplyServerSideEncryptionByDefault"))?;
        default.get("kmsMasterKeyID").or_else(|| default.get("KMSMasterKeyID"))?.as_str()
    })
}

impl Rule for S3DefaultEncryptionKms {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        let configuration = match supplementary(item, "ServerSideEncryptionConfiguration") {
            Ok(Some(configuration)) => decoded(configuration).into_owned(),
            Ok(None) if item.supplementary("ServerSideEncryptionConfiguration").is_some() => {
                return cx.fail(item, format!("bucket {name} has no default encryption configured"))
            }
            Ok(None) => {
                return cx
                    .error(item, format!("bucket {name} has no ServerSideEncryptionConfiguration in the inventory"))
            }
            Err(reason) => return cx.error(item, reason),
        };
        let algorithm = default_algorithm(&configuration);
        if !algorithm.as_deref().is_some_and(|algorithm| algorithm.to_ascii_lowercase().starts_with("aws:kms")) {
            let algorithm = algorithm.as_deref().unwrap_or("none");
            return cx.fail(item, format!("bucket {name} encrypts by default with {algorithm}, not with a KMS key"));
        }
        let keys = cx.params().list("kmsKeyArns");
        let key = default_key(&configuration);
        if !keys.is_empty() && !key.is_some_and(|key| keys.iter().any(|wanted| wanted == key)) {
            return cx.fail(
                item,
                format!("bucket {name} encrypts with {}, not one of kmsKeyArns", key.unwrap_or("the AWS managed key")),
            );
        }
        cx.pass(item, format!("bucket {name} encrypts by default with {}", key.unwrap_or("the AWS managed aws/s3 key")))
    }
}
