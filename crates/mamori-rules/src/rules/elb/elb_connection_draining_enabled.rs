//! `elb-connection-draining-enabled`: Classic Load Balancers drain connections from instances
//! leaving service.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `connectionDraining.enabled` is not true
//! in the load balancer's attributes. Attributes absent from the inventory are ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{classic_attributes, field, load_balancer_name, CLASSIC_TYPE};
use crate::support::item::as_bool;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct ElbConnectionDrainingEnabled;

static META: RuleMeta = RuleMeta {
    id: "elb-connection-draining-enabled",
    service: "elb",
    title: "Classic Load Balancers have connection draining enabled",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[],
    rationale: "Without draining, in-flight requests are cut whenever an instance is deregistered or fails its health check, which users see as errors during every deployment.",
    remediation: "`aws elb modify-load-balancer-attributes --load-balancer-name NAME --load-balancer-attributes '{\"ConnectionDraining\":{\"Enabled\":true,\"Timeout\":300}}'`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["ELB.7"],
    notes: "",
};

impl Rule for ElbConnectionDrainingEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let attributes = match classic_attributes(item) {
            Ok(attributes) => attributes,
            Err(reason) => return cx.error(item, reason),
        };
        match field(attributes, "connectionDraining").and_then(|c| field(c, "enabled")).and_then(as_bool) {
            Some(true) => cx.pass(item, format!("Classic Load Balancer {name} drains connections")),
            _ => cx.fail(item, format!("Classic Load Balancer {name} has connection draining disabled")),
        }
    }
}
