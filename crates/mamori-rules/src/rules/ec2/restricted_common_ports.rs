//! `restricted-common-ports`: no security group admits the blocked TCP ports from the whole internet.
//!
//! As the AWS Config managed rule (identifier RESTRICTED_INCOMING_TRAFFIC): NON_COMPLIANT when
//! an inbound permission covering one of `blockedPort1`..`blockedPort5` (defaults 20, 21, 3389,
//! 3306, 4333) or the ports of `blockedPorts` over TCP allows `0.0.0.0/0` or `::/0`. The blocked
//! ports are the union of all six parameters. Like `restricted-ssh`, mamori counts protocol `-1`
//! and port ranges containing a blocked port, and resolves prefix lists (unknown list => ERROR).

use mamori_model::{Severity, Status};

use crate::support::network::{parse_port_ranges, GroupView, Openness, PREFIX_LIST_TYPE, SECURITY_GROUP_TYPE};
use crate::{ParamKind, ParamSpec, Params, RuleMeta, Stride};

pub struct RestrictedCommonPorts;

const PORT_PARAMS: [&str; 5] = ["blockedPort1", "blockedPort2", "blockedPort3", "blockedPort4", "blockedPort5"];

static META: RuleMeta = RuleMeta {
    id: "restricted-common-ports",
    service: "ec2",
    title: "Security groups do not allow high-risk TCP ports (FTP, RDP, MySQL, …) from the internet",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE, PREFIX_LIST_TYPE],
    params: &[
        ParamSpec { name: "blockedPort1", kind: ParamKind::between(0, 65535), default: "20", description: "Blocked TCP port (default 20, FTP data)." },
        ParamSpec { name: "blockedPort2", kind: ParamKind::between(0, 65535), default: "21", description: "Blocked TCP port (default 21, FTP control)." },
        ParamSpec { name: "blockedPort3", kind: ParamKind::between(0, 65535), default: "3389", description: "Blocked TCP port (default 3389, RDP)." },
        ParamSpec { name: "blockedPort4", kind: ParamKind::between(0, 65535), default: "3306", description: "Blocked TCP port (default 3306, MySQL)." },
        ParamSpec { name: "blockedPort5", kind: ParamKind::between(0, 65535), default: "4333", description: "Blocked TCP port (default 4333, mSQL)." },
        ParamSpec {
            name: "blockedPorts",
            kind: ParamKind::List,
            default: "",
            description: "More blocked TCP ports, comma-separated (ranges like 8000-8080 allowed); added to blockedPort1..5.",
        },
    ],
    rationale: "Remote desktop, file transfer and database ports exposed to the internet are scanned continuously; weak credentials or one unpatched service on them hands an attacker the host or its data.",
    remediation: "Remove the inbound rules allowing 0.0.0.0/0 or ::/0 to these ports (VPC console > Security groups > Inbound rules > Edit, or `aws ec2 revoke-security-group-ingress`); reach the services through a VPN, Session Manager port forwarding or a private load balancer.",
    stride: Stride::ElevationOfPrivilege,
    cis: &["5.2", "5.3"],
    fsbp: &["EC2.19"],
    notes: "The blocked ports are the union of blockedPort1..5 and blockedPorts. Protocol -1 and port ranges containing a blocked port count; customer-managed prefix lists are resolved (one not in the inventory makes the verdict ERROR). CIS 5.2/5.3 are covered for port 3389 only (port 22 is restricted-ssh). Security Hub runs this managed rule as EC2.14 (port 3389) and EC2.19 (a longer port list): set blockedPorts to match.",
};

fn blocked_ports(params: &Params) -> Result<Vec<(i64, i64)>, String> {
    let mut ranges: Vec<(i64, i64)> =
        PORT_PARAMS.iter().filter_map(|name| params.int(name)).map(|port| (port, port)).collect();
    let extra = parse_port_ranges(params.list("blockedPorts"))
        .map_err(|entry| format!("parameter blockedPorts has `{entry}`, which is not a port or range"))?;
    ranges.extend(extra);
    ranges.sort_unstable();
    ranges.dedup();
    Ok(ranges)
}

/// The blocked ports, and how a passing verdict lists them; derived once per run.
#[derive(Clone)]
struct Blocked {
    ranges: Vec<(i64, i64)>,
    /// `20, 21, 3306, 3389, 4333`.
    listed: String,
}

fn blocked(params: &Params) -> Result<Blocked, String> {
    let ranges = blocked_ports(params)?;
    let ports: Vec<String> =
        ranges.iter().map(|&(from, to)| if from == to { from.to_string() } else { format!("{from}-{to}") }).collect();
    Ok(Blocked { ranges, listed: ports.join(", ") })
}

fn judge(group: &GroupView<'_>, params: &Params) -> (Status, String) {
    let derived = params.derived(blocked);
    match derived.as_ref() {
        Ok(Blocked { ranges, listed }) => judge_ports(group, ranges, listed),
        Err(reason) => (Status::Error, reason.clone()),
    }
}

/// The verdict on a group for TCP `blocked` ranges (described as `listed` when passing): FAIL
/// on an inbound permission open to the internet on one of them, ERROR when only a prefix list
/// missing from the inventory might be. Shared with `mamori-restricted-data-store-ports`.
pub(super) fn judge_ports(group: &GroupView<'_>, blocked: &[(i64, i64)], listed: &str) -> (Status, String) {
    let mut open = Vec::new();
    let mut unknown = None;
    for rule in group.ingress {
        // Per blocked port or range, the first port the permission covers: a blocked range
        // overlaps the permission's range at its own start or at the permission's start.
        let covered: Vec<i64> = blocked
            .iter()
            .filter_map(|&(from, to)| {
                let inner = rule.from_port.map(|start| start.max(from)).filter(|&port| port <= to);
                [Some(from), inner].into_iter().flatten().find(|&port| rule.covers_port("tcp", port))
            })
            .collect();
        if covered.is_empty() {
            continue;
        }
        let covered: Vec<String> = covered.iter().map(i64::to_string).collect();
        let ports = format!("{} {}", if covered.len() == 1 { "port" } else { "ports" }, covered.join(", "));
        match rule.internet_sources() {
            Openness::Open(cidr) => open.push(format!("{ports} from {cidr} ({})", rule.port_label())),
            Openness::Unknown(list) => {
                unknown.get_or_insert(format!("{ports} from prefix list {list}, which is not in the inventory"));
            }
            Openness::Closed => {}
        }
    }
    if !open.is_empty() {
        return (Status::Fail, format!("security group {} allows {}", group.group_id, open.join("; ")));
    }
    if let Some(reason) = unknown {
        return (Status::Error, format!("security group {} allows {reason}", group.group_id));
    }
    (Status::Pass, ["security group ", group.group_id, " does not allow TCP ", listed, " from the internet"].concat())
}

crate::security_group_rule!(RestrictedCommonPorts, META, judge);
