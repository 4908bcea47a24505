//! `cloudfront-associated-with-waf`: CloudFront distributions are associated with an AWS WAF
//! web ACL.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `webACLId` is empty, or, with
//! `wafWebAclIds`, when it is not one of them. A distribution whose configuration is absent
//! from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct CloudfrontAssociatedWithWaf;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-associated-with-waf",
    service: "cloudfront",
    title: "CloudFront distributions are associated with a WAF web ACL",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[ParamSpec {
        name: "wafWebAclIds",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated web ACL ids or ARNs the distribution must use; empty accepts any.",
    }],
    rationale: "A web ACL in front of the distribution filters common web exploits, bots and request floods at the edge, before they reach the origin.",
    remediation: "Set `WebACLId` (the ARN of a WAFv2 web ACL of scope CLOUDFRONT) in the distribution configuration and `aws cloudfront update-distribution --id ID --if-match ETAG --distribution-config file://config.json`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["CloudFront.6"],
    notes: "",
};

impl Rule for CloudfrontAssociatedWithWaf {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(acl) = config.get("webACLId").and_then(Value::as_str).filter(|acl| !acl.is_empty()) else {
            return cx.fail(item, format!("distribution {name} has no WAF web ACL"));
        };
        let allowed = cx.params().list("wafWebAclIds");
        if !allowed.is_empty() && !allowed.iter().any(|wanted| wanted == acl) {
            return cx.fail(item, format!("distribution {name} uses web ACL {acl}, not one of wafWebAclIds"));
        }
        cx.pass(item, format!("distribution {name} is protected by web ACL {acl}"))
    }
}
