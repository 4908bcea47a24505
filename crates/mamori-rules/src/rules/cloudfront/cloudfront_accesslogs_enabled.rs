//! `cloudfront-accesslogs-enabled`: CloudFront distributions deliver standard access logs to S3.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `distributionConfig.logging.enabled` is
//! not true (standard logging, "legacy", to S3), or, when `S3BucketName` is set, when the
//! logging bucket is another one. The bucket is compared by name: CloudFront writes it as a
//! domain (`logs.s3.amazonaws.com`) and either spelling is accepted in the parameter. An absent
//! `logging` block is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::support::item::as_bool;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct CloudfrontAccesslogsEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-accesslogs-enabled",
    service: "cloudfront",
    title: "CloudFront distributions have access logging to S3 enabled",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[ParamSpec {
        name: "S3BucketName",
        kind: ParamKind::Text,
        default: "",
        description: "Name of the S3 bucket the access logs must go to (`logs` or `logs.s3.amazonaws.com`); empty accepts any bucket.",
    }],
    rationale: "CloudFront access logs are the only record of who requested what from the edge; without them abuse, scraping and attacks on the origin cannot be traced.",
    remediation: "CloudFront console > Distributions > ID > General > Edit > Standard logging: On, choose the S3 bucket (or `aws cloudfront update-distribution` with `Logging={Enabled=true,Bucket=logs.s3.amazonaws.com,Prefix=cf/,IncludeCookies=false}`).",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["CloudFront.5"],
    notes: "Logging delivered through CloudWatch (standard logging v2) is not read, as in AWS.",
};

/// The bucket name in `logs.s3.amazonaws.com`, `logs.s3.eu-west-1.amazonaws.com` or `logs`.
fn bucket_name(bucket: &str) -> &str {
    match bucket.find(".s3.").or_else(|| bucket.find(".s3-")) {
        Some(end) => &bucket[..end],
        None => bucket,
    }
}

impl Rule for CloudfrontAccesslogsEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let logging = match config.get("logging") {
            None => {
                return cx
                    .error(item, format!("distribution {name} has no `distributionConfig.logging` in the inventory"))
            }
            Some(Value::Null) => return cx.fail(item, format!("distribution {name} has no access logging configured")),
            Some(logging) => logging,
        };
        let enabled = match logging.get("enabled").and_then(as_bool) {
            Some(enabled) => enabled,
            None => return cx.error(item, format!("distribution {name} has an unreadable `logging.enabled`")),
        };
        if !enabled {
            return cx.fail(item, format!("distribution {name} has access logging disabled"));
        }
        let bucket = logging.get("bucket").and_then(Value::as_str).unwrap_or("");
        if let Some(wanted) = cx.params().text("S3BucketName") {
            if bucket_name(bucket) != bucket_name(wanted) {
                let bucket = if bucket.is_empty() { "no bucket" } else { bucket };
                return cx.fail(item, format!("distribution {name} logs to {bucket}, not to S3BucketName {wanted}"));
            }
        }
        cx.pass(item, format!("distribution {name} logs to {}", bucket_name(bucket)))
    }
}
