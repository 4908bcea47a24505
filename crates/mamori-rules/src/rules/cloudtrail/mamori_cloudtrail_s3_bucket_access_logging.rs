//! `mamori-cloudtrail-s3-bucket-access-logging`: the bucket receiving a trail's logs has S3
//! server access logging enabled.
//!
//! CIS v3.0.0 3.4 and Security Hub CloudTrail.7, for which AWS has no managed Config rule. For
//! each trail (judged once, on its home copy), its `s3BucketName` is looked up among the
//! `AWS::S3::Bucket` items of the whole inventory (log buckets often live in a log-archive
//! account): PASS when the bucket's `BucketLoggingConfiguration` names a destination bucket,
//! FAIL when logging is off, ERROR when the bucket or its logging configuration is not in the
//! inventory.

use std::collections::HashMap;

use mamori_model::{ConfigItem, Severity, Status};
use serde_json::Value;

use super::trail::{is_shadow_copy, trail_name, Fact, TRAIL_TYPE};
use crate::rules::s3::shared::decoded;
use crate::support::item::supplementary;
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride, Subject};

pub struct MamoriCloudtrailS3BucketAccessLogging;

const BUCKET_TYPE: &str = "AWS::S3::Bucket";

static META: RuleMeta = RuleMeta {
    id: "mamori-cloudtrail-s3-bucket-access-logging",
    service: "cloudtrail",
    title: "The S3 bucket receiving each CloudTrail trail's logs has server access logging enabled",
    severity: Severity::Low,
    resource_types: &[TRAIL_TYPE, BUCKET_TYPE],
    params: &[],
    rationale: "Access logs of the log bucket show who read, deleted or tried to reach the audit trail itself; without them, tampering with CloudTrail logs leaves no trace.",
    remediation: "`aws s3api put-bucket-logging --bucket TRAIL_BUCKET --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"ACCESS_LOG_BUCKET\",\"TargetPrefix\":\"TRAIL_BUCKET/\"}}'` (the target must be another bucket in the same region that allows logging.s3.amazonaws.com to write).",
    stride: Stride::Repudiation,
    cis: &["3.4"],
    fsbp: &["CloudTrail.7"],
    notes: "mamori's own rule: AWS has no managed Config rule for CIS 3.4 / CloudTrail.7. The bucket may live in another account, so notes are gathered over the whole inventory; a trail whose bucket is not in the inventory is ERROR (collect the account that owns it). Where the access logs go is not judged.",
};

struct TrailTarget {
    subject: Subject,
    name: String,
    bucket: Fact<String>,
}

/// A bucket's server access logging: the destination bucket, `None` when off.
struct BucketLogging {
    name: String,
    destination: Fact<Option<String>>,
}

fn read_bucket(item: &ConfigItem) -> BucketLogging {
    let name = item.config("name").and_then(Value::as_str).unwrap_or(&item.resource_id).to_owned();
    let destination = match supplementary(item, "BucketLoggingConfiguration") {
        Ok(Some(logging)) => {
            let logging = decoded(logging);
            let target = logging.get("destinationBucketName").or_else(|| logging.get("TargetBucket"));
            Ok(target.and_then(Value::as_str).filter(|target| !target.is_empty()).map(str::to_owned))
        }
        Ok(None) if item.supplementary("BucketLoggingConfiguration").is_some() => Ok(None),
        Ok(None) => Err(format!("bucket {name} has no BucketLoggingConfiguration in the inventory")),
        Err(reason) => Err(reason),
    };
    BucketLogging { name, destination }
}

impl Rule for MamoriCloudtrailS3BucketAccessLogging {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        match item.resource_type.as_str() {
            BUCKET_TYPE => cx.note(Scope::Inventory, read_bucket(item)),
            TRAIL_TYPE if !is_shadow_copy(item) => {
                let name = trail_name(item).to_owned();
                let bucket = match item.config("s3BucketName") {
                    Some(Value::String(bucket)) if !bucket.is_empty() => Ok(bucket.clone()),
                    _ => Err(format!("trail {name} has no s3BucketName in the inventory")),
                };
                cx.note(Scope::Inventory, TrailTarget { subject: cx.subject_of(item), name, bucket });
            }
            _ => {}
        }
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let buckets = notes.of::<BucketLogging>();
        let mut by_name: HashMap<&str, &BucketLogging> = HashMap::with_capacity(buckets.len());
        for bucket in &buckets {
            by_name.entry(bucket.name.as_str()).or_insert(bucket);
        }
        for trail in notes.of::<TrailTarget>() {
            let name = &trail.name;
            let (status, message) = match &trail.bucket {
                Err(reason) => (Status::Error, reason.clone()),
                Ok(bucket_name) => match by_name.get(bucket_name.as_str()).map(|bucket| &bucket.destination) {
                    None => (
                        Status::Error,
                        format!("trail {name} delivers to bucket {bucket_name}, which is not in the inventory (collect the account that owns it)"),
                    ),
                    Some(Ok(Some(destination))) => (
                        Status::Pass,
                        format!("trail {name} delivers to bucket {bucket_name}, which logs its access to bucket {destination}"),
                    ),
                    Some(Ok(None)) => (
                        Status::Fail,
                        format!("trail {name} delivers to bucket {bucket_name}, which has server access logging disabled"),
                    ),
                    Some(Err(reason)) => (Status::Error, format!("trail {name} delivers to bucket {bucket_name}: {reason}")),
                },
            };
            cx.verdict(trail.subject, status, message);
        }
    }
}
