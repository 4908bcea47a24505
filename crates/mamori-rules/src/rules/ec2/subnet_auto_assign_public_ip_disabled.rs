//! `subnet-auto-assign-public-ip-disabled`: subnets do not give new interfaces public IPv4s.
//!
//! Same semantics as the AWS Config managed rule: NON_COMPLIANT when the subnet's
//! `mapPublicIpOnLaunch` is `true` (the string `"true"` counts too). Absent is ERROR.

use mamori_model::{ConfigItem, Severity};

use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct SubnetAutoAssignPublicIpDisabled;

static META: RuleMeta = RuleMeta {
    id: "subnet-auto-assign-public-ip-disabled",
    service: "ec2",
    title: "Subnets do not automatically assign public IPv4 addresses",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::Subnet"],
    params: &[],
    rationale: "Every instance launched into a subnet that maps public IPs on launch becomes reachable from the internet by default, whether or not the workload needs it.",
    remediation: "Turn the attribute off: `aws ec2 modify-subnet-attribute --subnet-id subnet-… --no-map-public-ip-on-launch` (VPC console > Subnets > Actions > Edit subnet settings > clear Enable auto-assign public IPv4 address).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["EC2.15"],
    notes: "",
};

impl Rule for SubnetAutoAssignPublicIpDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        match required(item, "mapPublicIpOnLaunch").map(as_bool) {
            Ok(Some(true)) => cx.fail(
                item,
                format!("subnet {id} assigns a public IPv4 address to every new interface (mapPublicIpOnLaunch true)"),
            ),
            Ok(Some(false)) => cx.pass(item, ["subnet ", id, " does not auto-assign public IPv4 addresses"].concat()),
            Ok(None) => cx.error(item, format!("subnet {id} has an unreadable mapPublicIpOnLaunch")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
