//! `cloudfront-no-deprecated-ssl-protocols`: CloudFront distributions do not offer SSLv3 to
//! their custom origins.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a custom origin's `originSslProtocols`
//! includes `SSLv3`. A distribution whose configuration is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontNoDeprecatedSslProtocols;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-no-deprecated-ssl-protocols",
    service: "cloudfront",
    title: "CloudFront distributions do not use SSLv3 with custom origins",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "SSLv3 is broken (POODLE): allowing it between the edge and the origin lets an attacker on the path downgrade and decrypt the traffic.",
    remediation: "Remove SSLv3 from each custom origin's `OriginSslProtocols` (keep TLSv1.2) and `aws cloudfront update-distribution`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["CloudFront.10"],
    notes: "",
};

impl Rule for CloudfrontNoDeprecatedSslProtocols {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let weak: Vec<&str> = as_list(config.pointer("/origins/items"))
            .into_iter()
            .filter(|origin| {
                as_list(origin.pointer("/customOriginConfig/originSslProtocols/items"))
                    .iter()
                    .any(|protocol| protocol.as_str() == Some("SSLv3"))
            })
            .map(|origin| origin.get("id").and_then(Value::as_str).unwrap_or("(unnamed)"))
            .collect();
        if weak.is_empty() {
            cx.pass(item, format!("distribution {name} offers no SSLv3 to its origins"))
        } else {
            cx.fail(item, format!("distribution {name} offers SSLv3 to origin(s) {}", weak.join(", ")))
        }
    }
}
