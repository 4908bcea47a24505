//! `cloudfront-sni-enabled`: CloudFront distributions with a custom certificate use SNI.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a distribution serving a custom
//! certificate has `sslSupportMethod` other than `sni-only` (dedicated IP, `vip`). Distributions
//! with the default certificate are not evaluated. A missing viewer certificate is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{custom_certificate, distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontSniEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-sni-enabled",
    service: "cloudfront",
    title: "CloudFront distributions with a custom certificate serve HTTPS with SNI",
    severity: Severity::Low,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "Dedicated-IP custom SSL costs a monthly fee per distribution and is only needed by clients too old to send SNI, which also lack modern TLS; SNI is what current clients use.",
    remediation: "Set `ViewerCertificate.SSLSupportMethod` to `sni-only` and `aws cloudfront update-distribution`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["CloudFront.8"],
    notes: "",
};

impl Rule for CloudfrontSniEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(certificate) = config.get("viewerCertificate").filter(|c| c.is_object()) else {
            return cx.error(item, format!("distribution {name} has no viewerCertificate in the inventory"));
        };
        if custom_certificate(certificate).is_none() {
            return;
        }
        match certificate.get("sslSupportMethod").and_then(Value::as_str) {
            Some("sni-only") => cx.pass(item, format!("distribution {name} serves HTTPS with SNI")),
            Some(method) => cx.fail(item, format!("distribution {name} serves HTTPS with {method}, not SNI")),
            None => cx.error(
                item,
                format!("distribution {name} has a custom certificate but no sslSupportMethod in the inventory"),
            ),
        }
    }
}
