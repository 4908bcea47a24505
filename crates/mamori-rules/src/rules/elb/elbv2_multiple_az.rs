//! `elbv2-multiple-az`: ELBv2 load balancers span at least `minAvailabilityZones` zones.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `availabilityZones` lists fewer than
//! `minAvailabilityZones` (default 2) zones. An absent zone list is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{load_balancer_name, LOAD_BALANCER_TYPE};
use crate::support::item::as_list;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct Elbv2MultipleAz;

static META: RuleMeta = RuleMeta {
    id: "elbv2-multiple-az",
    service: "elb",
    title: "Application, Network and Gateway Load Balancers span several Availability Zones",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE],
    params: &[ParamSpec {
        name: "minAvailabilityZones",
        kind: ParamKind::between(2, 10),
        default: "2",
        description: "Minimum number of Availability Zones.",
    }],
    rationale: "A load balancer in one Availability Zone goes down with that zone, taking the service with it.",
    remediation: "`aws elbv2 set-subnets --load-balancer-arn ARN --subnets subnet-in-zone-a subnet-in-zone-b`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["ELB.13"],
    notes: "",
};

impl Rule for Elbv2MultipleAz {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let zones = match crate::support::item::required(item, "availabilityZones") {
            Ok(zones) => as_list(Some(zones)).len() as i64,
            Err(reason) => return cx.error(item, reason),
        };
        let minimum = cx.params().int("minAvailabilityZones").unwrap_or(2);
        if zones >= minimum {
            cx.pass(item, format!("load balancer {name} spans {zones} Availability Zones"))
        } else {
            cx.fail(item, format!("load balancer {name} spans {zones} Availability Zone(s), fewer than {minimum}"))
        }
    }
}
