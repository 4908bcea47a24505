//! `cloudfront-traffic-to-origin-encrypted`: CloudFront distributions encrypt traffic to
//! their custom origins.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a custom origin's `originProtocolPolicy`
//! is `http-only`, or `match-viewer` while the default cache behavior's `viewerProtocolPolicy`
//! is `allow-all`. S3 origins are encrypted by CloudFront itself. A distribution whose
//! configuration is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontTrafficToOriginEncrypted;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-traffic-to-origin-encrypted",
    service: "cloudfront",
    title: "CloudFront distributions encrypt traffic to custom origins",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "Between the edge and the origin the traffic crosses the internet; over plain HTTP, anyone on the path reads and alters the content and the cookies or tokens it carries.",
    remediation: "Set each custom origin's `OriginProtocolPolicy` to `https-only` (with a valid certificate on the origin) and `aws cloudfront update-distribution`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["CloudFront.9"],
    notes: "",
};

impl Rule for CloudfrontTrafficToOriginEncrypted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let viewer = config.pointer("/defaultCacheBehavior/viewerProtocolPolicy").and_then(Value::as_str).unwrap_or("");
        let mut plain = Vec::new();
        for origin in as_list(config.pointer("/origins/items")) {
            let Some(custom) = origin.get("customOriginConfig").filter(|c| c.is_object()) else { continue };
            let id = origin.get("id").and_then(Value::as_str).unwrap_or("(unnamed)");
            match custom.get("originProtocolPolicy").and_then(Value::as_str) {
                Some("http-only") => plain.push(format!("{id} (http-only)")),
                Some("match-viewer") if viewer == "allow-all" => {
                    plain.push(format!("{id} (match-viewer while viewers may use HTTP)"))
                }
                Some(_) => {}
                None => {
                    return cx.error(
                        item,
                        format!("origin {id} of distribution {name} has no originProtocolPolicy in the inventory"),
                    )
                }
            }
        }
        if plain.is_empty() {
            cx.pass(item, format!("distribution {name} reaches its custom origins over HTTPS"))
        } else {
            cx.fail(item, format!("distribution {name} may reach origin(s) over HTTP: {}", plain.join(", ")))
        }
    }
}
