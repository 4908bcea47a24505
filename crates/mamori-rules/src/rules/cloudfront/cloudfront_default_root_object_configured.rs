//! `cloudfront-default-root-object-configured`: CloudFront distributions have a default root
//! object.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `defaultRootObject` is empty. A
//! distribution whose configuration is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontDefaultRootObjectConfigured;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-default-root-object-configured",
    service: "cloudfront",
    title: "CloudFront distributions have a default root object",
    severity: Severity::Critical,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "Without a default root object, a request for the distribution's root is passed to the origin as is; an S3 origin may then list the bucket's contents.",
    remediation: "`aws cloudfront get-distribution-config --id ID`, set `DefaultRootObject` (e.g. `index.html`), then `aws cloudfront update-distribution --id ID --if-match ETAG --distribution-config file://config.json`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["CloudFront.1"],
    notes: "",
};

impl Rule for CloudfrontDefaultRootObjectConfigured {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        match config.get("defaultRootObject").and_then(Value::as_str).filter(|object| !object.is_empty()) {
            Some(object) => cx.pass(item, format!("distribution {name} serves {object} at its root")),
            None => cx.fail(item, format!("distribution {name} has no default root object")),
        }
    }
}
