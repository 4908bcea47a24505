//! Fixes `restricted-ssh`: revokes the whole-internet ranges of the permissions covering
//! TCP 22 (see [`super::security_group`]).

use mamori_rules::support::network::IngressRule;
use mamori_rules::Params;

use super::security_group::{READ_ACTIONS, SUMMARY, WRITE_ACTIONS};
use crate::fix::FixerMeta;

pub struct RestrictedSsh;

static META: FixerMeta = FixerMeta {
    rule_id: "restricted-ssh",
    resource_types: &["AWS::EC2::SecurityGroup"],
    collector: "ec2",
    read_actions: READ_ACTIONS,
    write_actions: WRITE_ACTIONS,
    reversible: true,
    settings: &[],
    summary: SUMMARY,
};

fn offends(rule: &IngressRule, _params: &Params) -> Result<bool, String> {
    Ok(rule.covers_port("tcp", 22))
}

crate::security_group_fixer!(RestrictedSsh, META, offends);
