//! `vpc-sg-open-only-to-authorized-ports`: what a security group opens to the whole internet is
//! only TCP/UDP ports listed as authorized.
//!
//! As the AWS Config managed rule: a permission allowing `0.0.0.0/0` or `::/0` is NON_COMPLIANT
//! unless its whole port range lies within `authorizedTcpPorts` / `authorizedUdpPorts` (empty by
//! default, so any such port fails). Protocol `-1` open to the internet always fails. Groups
//! with nothing open to the internet are PASS (AWS: NOT_APPLICABLE); prefix lists are resolved,
//! and one not in the inventory makes the verdict ERROR.

use mamori_model::{Severity, Status};

use crate::support::network::{
    parse_port_ranges, GroupView, IngressRule, Openness, PREFIX_LIST_TYPE, SECURITY_GROUP_TYPE,
};
use crate::{ParamKind, ParamSpec, Params, RuleMeta, Stride};

pub struct VpcSgOpenOnlyToAuthorizedPorts;

static META: RuleMeta = RuleMeta {
    id: "vpc-sg-open-only-to-authorized-ports",
    service: "ec2",
    title: "Security groups open only authorized TCP and UDP ports to the internet",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE, PREFIX_LIST_TYPE],
    params: &[
        ParamSpec {
            name: "authorizedTcpPorts",
            kind: ParamKind::List,
            default: "",
            description: "TCP ports that may be open to 0.0.0.0/0 or ::/0, comma-separated, ranges with a dash (\"443,1020-1025\").",
        },
        ParamSpec {
            name: "authorizedUdpPorts",
            kind: ParamKind::List,
            default: "",
            description: "UDP ports that may be open to 0.0.0.0/0 or ::/0, comma-separated, ranges with a dash (\"500,1020-1025\").",
        },
    ],
    rationale: "Every port reachable from the whole internet is attack surface; allowing only the ports a service is meant to publish keeps forgotten debug, admin and database listeners out of reach.",
    remediation: "Remove or narrow the inbound rules allowing 0.0.0.0/0 or ::/0 on unauthorized ports (VPC console > Security groups > Inbound rules > Edit, or `aws ec2 revoke-security-group-ingress`), or add the port to authorizedTcpPorts/authorizedUdpPorts if publishing it is intended.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["EC2.18"],
    notes: "Groups with no permission open to the internet are PASS where AWS reports NOT_APPLICABLE. Prefix lists are resolved like CIDRs; one not in the inventory makes the verdict ERROR. Permissions for protocols other than TCP, UDP and -1 (ICMP, …) are not judged. Security Hub's EC2.18 sets authorizedTcpPorts to 80,443; mamori keeps AWS Config's empty default.",
};

/// Whether every port of `from..=to` lies in the union of `allowed`.
fn within(allowed: &[(i64, i64)], from: i64, to: i64) -> bool {
    let mut sorted = allowed.to_vec();
    sorted.sort_unstable();
    let mut next = from;
    for (start, end) in sorted {
        if start > next {
            break;
        }
        next = next.max(end + 1);
        if next > to {
            return true;
        }
    }
    false
}

fn unauthorized(rule: &IngressRule, tcp: &[(i64, i64)], udp: &[(i64, i64)]) -> bool {
    if rule.is_all_traffic() {
        return true;
    }
    // A port the permission surely covers, to learn its protocol the way every network rule does.
    let probe = rule.from_port.unwrap_or(0).max(0);
    let allowed = if rule.covers_port("tcp", probe) {
        tcp
    } else if rule.covers_port("udp", probe) {
        udp
    } else {
        return false;
    };
    let (from, to) = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from >= 0 => (from, to),
        _ => (0, 65_535),
    };
    !within(allowed, from, to)
}

/// Inclusive port ranges.
type PortRanges = Vec<(i64, i64)>;

/// The authorized TCP and UDP port ranges, parsed once per run.
fn authorized(params: &Params) -> Result<(PortRanges, PortRanges), String> {
    let parse = |name: &str| {
        parse_port_ranges(params.list(name))
            .map_err(|entry| format!("parameter {name} has `{entry}`, which is not a port or range"))
    };
    match (parse("authorizedTcpPorts"), parse("authorizedUdpPorts")) {
        (Ok(tcp), Ok(udp)) => Ok((tcp, udp)),
        (Err(reason), _) | (_, Err(reason)) => Err(reason),
    }
}

fn judge(group: &GroupView<'_>, params: &Params) -> (Status, String) {
    let derived = params.derived(authorized);
    let (tcp, udp) = match derived.as_ref() {
        Ok((tcp, udp)) => (tcp, udp),
        Err(reason) => return (Status::Error, reason.clone()),
    };
    let mut open = Vec::new();
    let mut unknown = None;
    for rule in group.ingress.iter().filter(|rule| unauthorized(rule, tcp, udp)) {
        match rule.internet_sources() {
            Openness::Open(cidr) => open.push(format!("{} from {cidr}", rule.port_label())),
            Openness::Unknown(list) => {
                unknown.get_or_insert(format!(
                    "{} from prefix list {list}, which is not in the inventory",
                    rule.port_label()
                ));
            }
            Openness::Closed => {}
        }
    }
    if !open.is_empty() {
        return (
            Status::Fail,
            format!("security group {} opens unauthorized ports to the internet: {}", group.group_id, open.join("; ")),
        );
    }
    if let Some(reason) = unknown {
        return (Status::Error, format!("security group {} allows {reason}", group.group_id));
    }
    (Status::Pass, ["security group ", group.group_id, " opens only authorized ports to the internet"].concat())
}

crate::security_group_rule!(VpcSgOpenOnlyToAuthorizedPorts, META, judge);

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn ranges_are_covered_by_unions() {
        assert!(within(&[(443, 443)], 443, 443));
        assert!(within(&[(1020, 1022), (1023, 1025)], 1020, 1025));
        assert!(!within(&[(1020, 1022), (1024, 1025)], 1020, 1025));
        assert!(!within(&[], 80, 80));
        assert!(!within(&[(80, 80)], 0, 65_535));
    }
}
