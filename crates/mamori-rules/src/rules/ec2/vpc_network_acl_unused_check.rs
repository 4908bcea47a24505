//! `vpc-network-acl-unused-check`: every network ACL is associated with a subnet.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a network ACL has no subnet association.
//! A network ACL whose `associations` is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct VpcNetworkAclUnusedCheck;

static META: RuleMeta = RuleMeta {
    id: "vpc-network-acl-unused-check",
    service: "ec2",
    title: "Every network ACL is associated with a subnet",
    severity: Severity::Low,
    resource_types: &["AWS::EC2::NetworkAcl"],
    params: &[],
    rationale: "Unused network ACLs clutter the network configuration: reviewers lose track of which rules protect what, and an old permissive ACL can be associated by mistake.",
    remediation: "Delete the unused network ACL: `aws ec2 delete-network-acl --network-acl-id ACL`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["EC2.16"],
    notes: "",
};

impl Rule for VpcNetworkAclUnusedCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        match required(item, "associations") {
            Ok(list) => match as_list(Some(list)).len() {
                0 => cx.fail(item, format!("network ACL {id} is not associated with any subnet")),
                n => cx.pass(
                    item,
                    format!("network ACL {id} is associated with {n} subnet{}", if n == 1 { "" } else { "s" }),
                ),
            },
            Err(reason) => cx.error(item, reason),
        }
    }
}
