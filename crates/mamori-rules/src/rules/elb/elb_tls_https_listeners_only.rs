//! `elb-tls-https-listeners-only`: every listener of a Classic Load Balancer uses HTTPS or
//! SSL.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a listener's `protocol` is HTTP or TCP. A
//! load balancer without `listenerDescriptions` in the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{field, field_str, load_balancer_name, CLASSIC_TYPE};
use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct ElbTlsHttpsListenersOnly;

static META: RuleMeta = RuleMeta {
    id: "elb-tls-https-listeners-only",
    service: "elb",
    title: "Classic Load Balancer listeners terminate HTTPS or TLS",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[],
    rationale: "A plain HTTP or TCP listener carries credentials, cookies and data in clear text between clients and the load balancer.",
    remediation: "Replace each HTTP/TCP listener by an HTTPS/SSL one with an ACM certificate: `aws elb create-load-balancer-listeners --load-balancer-name NAME --listeners Protocol=HTTPS,LoadBalancerPort=443,InstanceProtocol=HTTP,InstancePort=80,SSLCertificateId=ARN`, then `aws elb delete-load-balancer-listeners --load-balancer-ports 80`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["ELB.3"],
    notes: "",
};

impl Rule for ElbTlsHttpsListenersOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let listeners = match crate::support::item::required(item, "listenerDescriptions") {
            Ok(listeners) => as_list(Some(listeners)),
            Err(reason) => return cx.error(item, reason),
        };
        let plain: Vec<String> = listeners
            .iter()
            .filter_map(|description| field(description, "listener"))
            .filter_map(|listener| {
                let protocol = field_str(listener, "protocol").unwrap_or("");
                let secure = protocol.eq_ignore_ascii_case("HTTPS") || protocol.eq_ignore_ascii_case("SSL");
                (!secure).then(|| {
                    format!(
                        "{protocol}:{}",
                        field(listener, "loadBalancerPort").map_or("?".to_owned(), |p| p.to_string())
                    )
                })
            })
            .collect();
        if plain.is_empty() {
            cx.pass(item, format!("Classic Load Balancer {name} listens only with HTTPS or SSL"))
        } else {
            cx.fail(item, format!("Classic Load Balancer {name} has unencrypted listener(s) {}", plain.join(", ")))
        }
    }
}
