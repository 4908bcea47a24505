//! `cloudfront-s3-origin-access-control-enabled`: CloudFront distributions with S3 origins use
//! origin access control.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an S3 origin (one with
//! `s3OriginConfig`) has no `originAccessControlId`. Distributions without S3 origins are not
//! evaluated. A distribution whose configuration is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontS3OriginAccessControlEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-s3-origin-access-control-enabled",
    service: "cloudfront",
    title: "CloudFront distributions reach their S3 origins through origin access control",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "Origin access control lets the bucket policy admit only this distribution, signed with SigV4; without it the bucket must be public or rely on the legacy origin access identity, which lacks SSE-KMS support and newer regions.",
    remediation: "Create an origin access control (`aws cloudfront create-origin-access-control`), set `OriginAccessControlId` on each S3 origin, allow `cloudfront.amazonaws.com` with the distribution's `AWS:SourceArn` in the bucket policy, and `aws cloudfront update-distribution`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["CloudFront.13"],
    notes: "",
};

impl Rule for CloudfrontS3OriginAccessControlEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let s3_origins: Vec<&Value> = as_list(config.pointer("/origins/items"))
            .into_iter()
            .filter(|origin| origin.get("s3OriginConfig").is_some_and(|c| c.is_object()))
            .collect();
        if s3_origins.is_empty() {
            return;
        }
        let without: Vec<&str> = s3_origins
            .iter()
            .filter(|origin| origin.get("originAccessControlId").and_then(Value::as_str).is_none_or(str::is_empty))
            .map(|origin| origin.get("id").and_then(Value::as_str).unwrap_or("(unnamed)"))
            .collect();
        if without.is_empty() {
            cx.pass(item, format!("distribution {name} reaches its S3 origins through origin access control"))
        } else {
            cx.fail(
                item,
                format!("distribution {name} has S3 origin(s) without origin access control: {}", without.join(", ")),
            )
        }
    }
}
