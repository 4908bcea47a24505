//! `ec2-instance-no-public-ip`: no EC2 instance has a public IPv4 address.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the instance's `publicIpAddress` is set.
//! mamori also looks at every network interface (`networkInterfaces[].association.publicIp`),
//! so a public address on a secondary interface fails too. An instance whose
//! `publicIpAddress` and `networkInterfaces` are both absent is ERROR; `null` means none.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct Ec2InstanceNoPublicIp;

static META: RuleMeta = RuleMeta {
    id: "ec2-instance-no-public-ip",
    service: "ec2",
    title: "EC2 instances have no public IPv4 address",
    severity: Severity::High,
    resource_types: &["AWS::EC2::Instance"],
    params: &[],
    rationale: "An instance with a public address is one security-group mistake away from direct exposure to the internet; keeping instances private and publishing services through load balancers or NAT narrows the attack surface.",
    remediation: "Disassociate Elastic IPs (EC2 console > Elastic IPs > Disassociate, or `aws ec2 disassociate-address`), launch into subnets that do not auto-assign public IPs, and relaunch instances that received an automatic public IP (it cannot be removed in place); use a load balancer, NAT gateway or Session Manager instead.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["EC2.9"],
    notes: "Also fails on a public IPv4 address associated with any network interface of the instance, not only the primary one.",
};

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|text| !text.is_empty())
}

impl Rule for Ec2InstanceNoPublicIp {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        if let Some(reason) = item.collection_error("publicIpAddress") {
            return cx.error(item, format!("publicIpAddress of {id} could not be read: {reason}"));
        }
        let primary = item.config("publicIpAddress");
        let interfaces = item.config("networkInterfaces");
        if primary.is_none() && interfaces.is_none() {
            return cx.error(
                item,
                format!("instance {id} has neither publicIpAddress nor networkInterfaces in the inventory"),
            );
        }
        let mut addresses: Vec<&str> = text(primary).into_iter().collect();
        for interface in as_list(interfaces) {
            if let Some(address) = text(interface.get("association").and_then(|a| a.get("publicIp"))) {
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            }
        }
        if addresses.is_empty() {
            cx.pass(item, ["instance ", id, " has no public IPv4 address"].concat());
        } else {
            cx.fail(item, format!("instance {id} has public IPv4 address {}", addresses.join(", ")));
        }
    }
}
