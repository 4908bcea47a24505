//! Fixes `vpc-sg-open-only-to-authorized-ports`: revokes the whole-internet ranges of the
//! permissions that open a port outside `authorizedTcpPorts` / `authorizedUdpPorts` (all
//! traffic always does; see [`super::security_group`]).

use mamori_rules::support::network::{parse_port_ranges, IngressRule};
use mamori_rules::Params;

use super::security_group::{READ_ACTIONS, SUMMARY, WRITE_ACTIONS};
use crate::fix::FixerMeta;

pub struct VpcSgOpenOnlyToAuthorizedPorts;

static META: FixerMeta = FixerMeta {
    rule_id: "vpc-sg-open-only-to-authorized-ports",
    resource_types: &["AWS::EC2::SecurityGroup"],
    collector: "ec2",
    read_actions: READ_ACTIONS,
    write_actions: WRITE_ACTIONS,
    reversible: true,
    settings: &[],
    summary: SUMMARY,
};

fn offends(rule: &IngressRule, params: &Params) -> Result<bool, String> {
    if rule.is_all_traffic() {
        return Ok(true);
    }
    let allowed = |name: &str| {
        parse_port_ranges(params.list(name))
            .map_err(|entry| format!("parameter {name} has `{entry}`, which is not a port or range"))
    };
    // The permission's protocol, learnt the way the rule learns it: from a port it surely covers.
    let probe = rule.from_port.unwrap_or(0).max(0);
    let authorized = if rule.covers_port("tcp", probe) {
        allowed("authorizedTcpPorts")?
    } else if rule.covers_port("udp", probe) {
        allowed("authorizedUdpPorts")?
    } else {
        return Ok(false);
    };
    let (from, to) = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from >= 0 => (from, to),
        _ => (0, 65_535),
    };
    Ok(!(from..=to).all(|port| authorized.iter().any(|&(a, b)| a <= port && port <= b)))
}

crate::security_group_fixer!(VpcSgOpenOnlyToAuthorizedPorts, META, offends);
