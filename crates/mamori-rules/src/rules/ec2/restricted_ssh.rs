//! `restricted-ssh`: no security group admits SSH (TCP 22) from the whole internet.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an inbound permission covering TCP 22
//! allows `0.0.0.0/0` or `::/0`. mamori also counts permissions with protocol `-1` (all
//! traffic) and port ranges containing 22, and resolves customer-managed prefix lists: a
//! prefix list containing `0.0.0.0/0` or `::/0` is as open as the CIDR itself. A referenced
//! prefix list that is not in the inventory makes the verdict ERROR.

use mamori_model::{Severity, Status};

use crate::support::network::{GroupView, Openness, PREFIX_LIST_TYPE, SECURITY_GROUP_TYPE};
use crate::{Params, RuleMeta, Stride};

pub struct RestrictedSsh;

static META: RuleMeta = RuleMeta {
    id: "restricted-ssh",
    service: "ec2",
    title: "Security groups do not allow SSH from the internet",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE, PREFIX_LIST_TYPE],
    params: &[],
    rationale: "SSH open to the internet is scanned and brute-forced within minutes of exposure; a single weak key or an unpatched daemon gives an attacker a shell.",
    remediation: "Remove the inbound rule allowing 0.0.0.0/0 or ::/0 on port 22; reach instances through Session Manager, a bastion or a VPN instead.",
    stride: Stride::ElevationOfPrivilege,
    cis: &["5.2", "5.3"],
    fsbp: &[],
    notes: "Also resolves customer-managed prefix lists and treats protocol -1 as covering port 22.",
};

fn judge(group: &GroupView<'_>, _params: &Params) -> (Status, String) {
    for rule in group.ingress.iter().filter(|rule| rule.covers_port("tcp", 22)) {
        match rule.internet_sources() {
            Openness::Open(cidr) => {
                return (
                    Status::Fail,
                    format!("security group {} allows SSH from {cidr} ({})", group.group_id, rule.port_label()),
                )
            }
            Openness::Unknown(list) => {
                return (
                    Status::Error,
                    format!(
                        "security group {} allows port 22 from prefix list {list}, which is not in the inventory",
                        group.group_id
                    ),
                )
            }
            Openness::Closed => {}
        }
    }
    (Status::Pass, ["security group ", group.group_id, " does not allow SSH from the internet"].concat())
}

crate::security_group_rule!(RestrictedSsh, META, judge);
