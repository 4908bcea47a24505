//! `s3-bucket-logging-enabled`: a bucket delivers server access logs.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `BucketLoggingConfiguration` has no
//! `destinationBucketName`, or, when the `targetBucket` / `targetPrefix` parameters are set, logs
//! go to another bucket or under another prefix. A logging configuration absent from the
//! inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{decoded, BUCKET_TYPE};
use crate::support::item::supplementary;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3BucketLoggingEnabled;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-logging-enabled",
    service: "s3",
    title: "S3 buckets deliver server access logs",
    severity: Severity::Medium,
    resource_types: &[BUCKET_TYPE],
    params: &[
        ParamSpec {
            name: "targetBucket",
            kind: ParamKind::Text,
            default: "",
            description: "When set, the bucket that must receive the server access logs.",
        },
        ParamSpec {
            name: "targetPrefix",
            kind: ParamKind::Text,
            default: "",
            description: "When set, the prefix the server access logs must be written under.",
        },
    ],
    rationale: "Server access logs record every request to a bucket, with requester, source IP and outcome; without them, who read or deleted which object cannot be established after an incident.",
    remediation: "S3 console > bucket > Properties > Server access logging > Edit > Enable, or `aws s3api put-bucket-logging --bucket NAME --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"LOG_BUCKET\",\"TargetPrefix\":\"NAME/\"}}'` (the log bucket must be in the same region and allow logging.s3.amazonaws.com to write).",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["S3.9"],
    notes: "",
};

impl Rule for S3BucketLoggingEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        let logging = match supplementary(item, "BucketLoggingConfiguration") {
            Ok(Some(logging)) => decoded(logging),
            Ok(None) if item.supplementary("BucketLoggingConfiguration").is_some() => {
                return cx.fail(item, format!("bucket {name} has server access logging disabled"))
            }
            Ok(None) => {
                return cx.error(item, format!("bucket {name} has no BucketLoggingConfiguration in the inventory"))
            }
            Err(reason) => return cx.error(item, reason),
        };
        let text = |camel: &str, api: &str| {
            logging.get(camel).or_else(|| logging.get(api)).and_then(Value::as_str).unwrap_or("").to_owned()
        };
        let destination = text("destinationBucketName", "TargetBucket");
        let prefix = text("logFilePrefix", "TargetPrefix");
        if destination.is_empty() {
            return cx.fail(item, format!("bucket {name} has server access logging disabled"));
        }
        if let Some(wanted) = cx.params().text("targetBucket") {
            if destination != wanted {
                return cx.fail(item, format!("bucket {name} logs to bucket {destination}, not {wanted}"));
            }
        }
        if let Some(wanted) = cx.params().text("targetPrefix") {
            if prefix != wanted {
                return cx.fail(item, format!("bucket {name} logs under prefix `{prefix}`, not `{wanted}`"));
            }
        }
        cx.pass(item, format!("bucket {name} delivers server access logs to bucket {destination}"))
    }
}
