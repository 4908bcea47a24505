//! `elb-acm-certificate-required`: Classic Load Balancers serve certificates from AWS
//! Certificate Manager.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an HTTPS or SSL listener's
//! `sslcertificateId` is not an ACM certificate ARN (an IAM server certificate). Load balancers
//! without HTTPS/SSL listeners are not evaluated; one without `listenerDescriptions` is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{field, field_str, load_balancer_name, CLASSIC_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct ElbAcmCertificateRequired;

static META: RuleMeta = RuleMeta {
    id: "elb-acm-certificate-required",
    service: "elb",
    title: "Classic Load Balancers with HTTPS/SSL listeners use ACM certificates",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[],
    rationale: "ACM renews the certificates it issues; certificates uploaded to IAM expire unnoticed and break TLS, or are renewed by hand with private keys passed around.",
    remediation: "Request or import the certificate in ACM and `aws elb set-load-balancer-listener-ssl-certificate --load-balancer-name NAME --load-balancer-port 443 --ssl-certificate-id ACM_ARN`.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &["ELB.2"],
    notes: "",
};

impl Rule for ElbAcmCertificateRequired {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let listeners = match crate::support::item::required(item, "listenerDescriptions") {
            Ok(listeners) => as_list(Some(listeners)),
            Err(reason) => return cx.error(item, reason),
        };
        let secure: Vec<&Value> = listeners
            .iter()
            .filter_map(|description| field(description, "listener"))
            .filter(|listener| {
                let protocol = field_str(listener, "protocol").unwrap_or("");
                protocol.eq_ignore_ascii_case("HTTPS") || protocol.eq_ignore_ascii_case("SSL")
            })
            .collect();
        if secure.is_empty() {
            return;
        }
        let outside: Vec<&str> = secure
            .iter()
            .map(|listener| field_str(listener, "sslcertificateId").unwrap_or("none"))
            .filter(|certificate| !certificate.contains(":acm:"))
            .collect();
        if outside.is_empty() {
            cx.pass(item, format!("Classic Load Balancer {name} serves ACM certificates"))
        } else {
            cx.fail(
                item,
                format!("Classic Load Balancer {name} serves certificate(s) not from ACM: {}", outside.join(", ")),
            )
        }
    }
}
