//! `mamori-ssh-bastion-only`: SSH (TCP 22) reaches instances only from the bastion.
//!
//! A permission covering TCP 22 (protocol `-1` and ranges containing 22 included) fails when a
//! source is the whole internet. When `bastionSecurityGroupIds` or `bastionCidrs` is set, every
//! other source must also be a listed group or a CIDR within a listed CIDR (IPv4 and IPv6);
//! each offending source is named. With neither set, only internet sources fail and any other
//! group or CIDR is accepted. Prefix lists are resolved to their CIDRs; one not in the
//! inventory makes the verdict ERROR.

use std::net::IpAddr;

use mamori_model::{Severity, Status};

use crate::support::network::{is_any_address, GroupView, Source, PREFIX_LIST_TYPE, SECURITY_GROUP_TYPE};
use crate::{ParamKind, ParamSpec, Params, RuleMeta, Stride};

pub struct MamoriSshBastionOnly;

static META: RuleMeta = RuleMeta {
    id: "mamori-ssh-bastion-only",
    service: "ec2",
    title: "Security groups allow SSH only from the bastion's security groups or CIDRs",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE, PREFIX_LIST_TYPE],
    params: &[
        ParamSpec {
            name: "bastionSecurityGroupIds",
            kind: ParamKind::List,
            default: "",
            description: "Security group ids (sg-…) SSH may come from, comma-separated.",
        },
        ParamSpec {
            name: "bastionCidrs",
            kind: ParamKind::List,
            default: "",
            description: "IPv4/IPv6 CIDRs SSH may come from, comma-separated; a source CIDR must lie within one of them.",
        },
    ],
    rationale: "Funnelling SSH through one hardened, logged bastion (or its network) means a single place to patch, monitor and revoke; SSH open to other networks or groups bypasses that control.",
    remediation: "Replace the inbound port-22 rules with one whose source is the bastion's security group (`aws ec2 revoke-security-group-ingress` then `authorize-security-group-ingress --source-group sg-BASTION --protocol tcp --port 22`), or move to Session Manager and remove SSH ingress altogether.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. With no parameter set it enforces only \"never from the internet\" (like restricted-ssh, with prefix lists resolved); once either list is set, every source of SSH must be a listed group or lie within a listed CIDR.",
};

/// An address range: its first address as a number, the prefix length, and the family.
fn parse_cidr(text: &str) -> Option<(u128, u32, bool)> {
    let (address, length) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
    let address: IpAddr = address.parse().ok()?;
    let (bits, max, ipv6) = match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, false),
        IpAddr::V6(v6) => (u128::from(v6), 128, true),
    };
    let length = if length.is_empty() { max } else { length.parse().ok().filter(|len| *len <= max)? };
    Some((bits, length + (128 - max), ipv6))
}

/// Whether `inner` lies within `outer` (same family, narrower or equal prefix).
fn contains(outer: (u128, u32, bool), inner: (u128, u32, bool)) -> bool {
    let ((outer_bits, outer_len, outer_v6), (inner_bits, inner_len, inner_v6)) = (outer, inner);
    if outer_v6 != inner_v6 || inner_len < outer_len {
        return false;
    }
    let mask = if outer_len == 0 { 0 } else { u128::MAX << (128 - outer_len) };
    outer_bits & mask == inner_bits & mask
}

fn judge(group: &GroupView<'_>, params: &Params) -> (Status, String) {
    let groups = params.list("bastionSecurityGroupIds");
    let mut bastion_cidrs = Vec::new();
    for text in params.list("bastionCidrs") {
        match parse_cidr(text) {
            Some(cidr) => bastion_cidrs.push(cidr),
            None => return (Status::Error, format!("parameter bastionCidrs has `{text}`, which is not a CIDR")),
        }
    }
    let allowlist = !groups.is_empty() || !bastion_cidrs.is_empty();
    let mut offending = Vec::new();
    let mut unknown = None;
    for rule in group.ingress.iter().filter(|rule| rule.covers_port("tcp", 22)) {
        for source in &rule.sources {
            let problem = match source {
                Source::Cidr(cidr) if is_any_address(cidr) => Some(format!("{cidr} (the internet)")),
                Source::Cidr(cidr) if allowlist => {
                    let inside =
                        parse_cidr(cidr).is_some_and(|inner| bastion_cidrs.iter().any(|outer| contains(*outer, inner)));
                    (!inside).then(|| cidr.clone())
                }
                Source::Group(id) if allowlist => (!groups.contains(id)).then(|| format!("security group {id}")),
                Source::PrefixList(id) => {
                    unknown.get_or_insert_with(|| id.clone());
                    None
                }
                Source::Cidr(_) | Source::Group(_) => None,
            };
            if let Some(problem) = problem {
                let problem = format!("{problem} via {}", rule.port_label());
                if !offending.contains(&problem) {
                    offending.push(problem);
                }
            }
        }
    }
    if !offending.is_empty() {
        offending.sort();
        return (Status::Fail, format!("security group {} allows SSH from {}", group.group_id, offending.join(", ")));
    }
    if let Some(list) = unknown {
        return (
            Status::Error,
            format!(
                "security group {} allows SSH from prefix list {list}, which is not in the inventory",
                group.group_id
            ),
        );
    }
    let message = if !group.ingress.iter().any(|rule| rule.covers_port("tcp", 22)) {
        "does not allow SSH"
    } else if allowlist {
        "allows SSH only from the bastion"
    } else {
        "allows SSH from no internet source"
    };
    (Status::Pass, ["security group ", group.group_id, " ", message].concat())
}

crate::security_group_rule!(MamoriSshBastionOnly, META, judge);

#[cfg(test)]
mod tests {
    use super::{contains, parse_cidr};

    #[test]
    fn cidr_containment() {
        let cidr = |text| parse_cidr(text).unwrap();
        assert!(contains(cidr("10.0.0.0/8"), cidr("10.1.2.0/24")));
        assert!(contains(cidr("10.0.0.0/8"), cidr("10.1.2.3")));
        assert!(!contains(cidr("10.0.0.0/8"), cidr("11.0.0.0/24")));
        assert!(!contains(cidr("10.1.0.0/16"), cidr("10.0.0.0/8")));
        assert!(contains(cidr("2001:db8::/32"), cidr("2001:db8:1::/48")));
        assert!(!contains(cidr("2001:db8::/32"), cidr("10.0.0.0/8")));
        assert!(contains(cidr("::/0"), cidr("2001:db8::/32")));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("bastion").is_none());
    }
}
