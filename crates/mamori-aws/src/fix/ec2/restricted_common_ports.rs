//! Fixes `restricted-common-ports`: revokes the whole-internet ranges of the permissions
//! covering a blocked TCP port (`blockedPort1..5` and `blockedPorts`, as the rule reads them;
//! see [`super::security_group`]).

use mamori_rules::support::network::{parse_port_ranges, IngressRule};
use mamori_rules::Params;

use super::security_group::{covers_any, READ_ACTIONS, SUMMARY, WRITE_ACTIONS};
use crate::fix::FixerMeta;

pub struct RestrictedCommonPorts;

static META: FixerMeta = FixerMeta {
    rule_id: "restricted-common-ports",
    resource_types: &["AWS::EC2::SecurityGroup"],
    collector: "ec2",
    read_actions: READ_ACTIONS,
    write_actions: WRITE_ACTIONS,
    reversible: true,
    settings: &[],
    summary: SUMMARY,
};

fn offends(rule: &IngressRule, params: &Params) -> Result<bool, String> {
    let mut blocked: Vec<(i64, i64)> = ["blockedPort1", "blockedPort2", "blockedPort3", "blockedPort4", "blockedPort5"]
        .iter()
        .filter_map(|name| params.int(name))
        .map(|port| (port, port))
        .collect();
    blocked.extend(
        parse_port_ranges(params.list("blockedPorts"))
            .map_err(|entry| format!("parameter blockedPorts has `{entry}`, which is not a port or range"))?,
    );
    Ok(covers_any(rule, "tcp", &blocked))
}

crate::security_group_fixer!(RestrictedCommonPorts, META, offends);
