//! `elbv2-multiple-az`: ELBv2 load balancers span at least `minAvailabilityZones` zones.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `availabilityZones` lists fewer than
//! `minAvailabilityZones` (default 2) zones. An absent zone list is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{judge_zone_count, LOAD_BALANCER_TYPE};
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
        judge_zone_count(item, cx, "load balancer")
    }
}
