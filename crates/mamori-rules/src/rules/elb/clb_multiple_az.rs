//! `clb-multiple-az`: Classic Load Balancers span at least `minAvailabilityZones` zones.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `availabilityZones` lists fewer than
//! `minAvailabilityZones` (default 2) zones. An absent zone list is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{judge_zone_count, CLASSIC_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct ClbMultipleAz;

static META: RuleMeta = RuleMeta {
    id: "clb-multiple-az",
    service: "elb",
    title: "Classic Load Balancers span several Availability Zones",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[ParamSpec {
        name: "minAvailabilityZones",
        kind: ParamKind::between(2, 10),
        default: "2",
        description: "Minimum number of Availability Zones.",
    }],
    rationale: "A load balancer in one Availability Zone goes down with that zone, taking the service with it.",
    remediation: "`aws elb enable-availability-zones-for-load-balancer --load-balancer-name NAME --availability-zones ZONE` (or attach subnets of another zone in a VPC).",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["ELB.10"],
    notes: "",
};

impl Rule for ClbMultipleAz {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        judge_zone_count(item, cx, "Classic Load Balancer")
    }
}
