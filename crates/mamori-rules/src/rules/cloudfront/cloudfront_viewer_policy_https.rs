//! `cloudfront-viewer-policy-https`: CloudFront distributions require HTTPS from viewers.
//!
//! Same semantics as the AWS Config managed rule: NON_COMPLIANT when the default cache behavior
//! or any other cache behavior has `viewerProtocolPolicy` `allow-all`; `redirect-to-https` and
//! `https-only` comply. An absent `defaultCacheBehavior` or `cacheBehaviors` is ERROR (AWS
//! always records `cacheBehaviors`, with `quantity` 0 when there are none).

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontViewerPolicyHttps;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-viewer-policy-https",
    service: "cloudfront",
    title: "CloudFront distributions require HTTPS between viewers and CloudFront",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "A cache behavior that allows HTTP serves pages, cookies and tokens in cleartext, where anyone on the viewer's network can read or alter them.",
    remediation: "Set every cache behavior's viewer protocol policy to redirect-to-https or https-only: CloudFront console > Distributions > ID > Behaviors > Edit > Viewer protocol policy (or `aws cloudfront update-distribution` with `ViewerProtocolPolicy=redirect-to-https`).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["CloudFront.3"],
    notes: "",
};

impl Rule for CloudfrontViewerPolicyHttps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(default) = config.get("defaultCacheBehavior").filter(|behavior| behavior.is_object()) else {
            return cx.error(item, format!("distribution {name} has no `defaultCacheBehavior` in the inventory"));
        };
        let Some(behaviors) = config.get("cacheBehaviors") else {
            return cx.error(item, format!("distribution {name} has no `cacheBehaviors` in the inventory"));
        };
        let mut all = vec![("default (*)".to_owned(), default)];
        for behavior in as_list(behaviors.get("items")) {
            let path = behavior.get("pathPattern").and_then(Value::as_str).unwrap_or("?");
            all.push((path.to_owned(), behavior));
        }
        let mut open = Vec::new();
        for (path, behavior) in &all {
            match behavior.get("viewerProtocolPolicy").and_then(Value::as_str) {
                Some(policy) if policy.eq_ignore_ascii_case("allow-all") => open.push(path.as_str()),
                Some(_) => {}
                None => {
                    return cx
                        .error(item, format!("distribution {name}: cache behavior {path} has no viewerProtocolPolicy"))
                }
            }
        }
        if open.is_empty() {
            cx.pass(item, format!("distribution {name} requires HTTPS on all {} cache behaviors", all.len()))
        } else {
            cx.fail(item, format!("distribution {name} allows HTTP (allow-all) on cache behaviors {}", open.join(", ")))
        }
    }
}
