//! `elb-cross-zone-load-balancing-enabled`: Classic Load Balancers balance across zones.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `crossZoneLoadBalancing.enabled` is not
//! true in the load balancer's attributes. Attributes absent from the inventory are ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{classic_attributes, field, load_balancer_name, CLASSIC_TYPE};
use crate::support::item::as_bool;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct ElbCrossZoneLoadBalancingEnabled;

static META: RuleMeta = RuleMeta {
    id: "elb-cross-zone-load-balancing-enabled",
    service: "elb",
    title: "Classic Load Balancers have cross-zone load balancing enabled",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[],
    rationale: "Without cross-zone balancing, each zone's nodes serve only their zone's instances: an uneven spread overloads some instances while others idle, and losing instances in one zone hurts more.",
    remediation: "`aws elb modify-load-balancer-attributes --load-balancer-name NAME --load-balancer-attributes '{\"CrossZoneLoadBalancing\":{\"Enabled\":true}}'`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["ELB.9"],
    notes: "",
};

impl Rule for ElbCrossZoneLoadBalancingEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let attributes = match classic_attributes(item) {
            Ok(attributes) => attributes,
            Err(reason) => return cx.error(item, reason),
        };
        match field(attributes, "crossZoneLoadBalancing").and_then(|c| field(c, "enabled")).and_then(as_bool) {
            Some(true) => cx.pass(item, format!("Classic Load Balancer {name} balances across zones")),
            _ => cx.fail(item, format!("Classic Load Balancer {name} has cross-zone load balancing disabled")),
        }
    }
}
