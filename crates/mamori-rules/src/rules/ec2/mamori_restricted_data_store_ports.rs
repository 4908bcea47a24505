//! `mamori-restricted-data-store-ports`: no security group admits data store ports from the
//! whole internet.
//!
//! FAIL when an inbound permission covering one of `blockedPorts` over TCP (default: Redis
//! 6379-6380, MongoDB 27017-27019, Kafka 9092 and 9094, Memcached 11211, Oracle 1521 and
//! 2483-2484, Elasticsearch/OpenSearch 9200 and 9300) allows `0.0.0.0/0` or `::/0`; protocol
//! `-1` and port ranges containing a blocked port count, prefix lists are resolved (one not in
//! the inventory makes the verdict ERROR), as in `restricted-common-ports`.

use mamori_model::{Severity, Status};

use super::restricted_common_ports::judge_ports;
use crate::support::network::{parse_port_ranges, GroupView, PREFIX_LIST_TYPE, SECURITY_GROUP_TYPE};
use crate::{ParamKind, ParamSpec, Params, RuleMeta, Stride};

pub struct MamoriRestrictedDataStorePorts;

static META: RuleMeta = RuleMeta {
    id: "mamori-restricted-data-store-ports",
    service: "ec2",
    title: "Security groups do not allow Redis, MongoDB, Kafka, Memcached, Oracle or Elasticsearch ports from the internet",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE, PREFIX_LIST_TYPE],
    params: &[ParamSpec {
        name: "blockedPorts",
        kind: ParamKind::List,
        default: "6379-6380,27017-27019,9092,9094,11211,1521,2483-2484,9200,9300",
        description: "Blocked TCP ports, comma-separated (ranges like 27017-27019 allowed).",
    }],
    rationale: "Redis, MongoDB, Memcached and Elasticsearch often run without authentication and are harvested by automated scanners within hours of exposure (ransomed databases, leaked indexes, amplification attacks); Kafka and Oracle listeners expose data and credentials to brute force.",
    remediation: "Remove the inbound rules allowing 0.0.0.0/0 or ::/0 to these ports (`aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions ...`); let clients reach the data store from their own security groups, through a VPN or a private endpoint.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule: AWS's restricted-common-ports covers five ports by default, none of these. Only TCP is judged (Memcached's UDP 11211 amplification is not).",
};

/// The blocked ranges and how a passing verdict lists them; derived once per run.
#[derive(Clone)]
struct Blocked {
    ranges: Vec<(i64, i64)>,
    listed: String,
}

fn blocked(params: &Params) -> Result<Blocked, String> {
    let mut ranges = parse_port_ranges(params.list("blockedPorts"))
        .map_err(|entry| format!("parameter blockedPorts has `{entry}`, which is not a port or range"))?;
    ranges.sort_unstable();
    ranges.dedup();
    let listed: Vec<String> =
        ranges.iter().map(|&(from, to)| if from == to { from.to_string() } else { format!("{from}-{to}") }).collect();
    Ok(Blocked { ranges, listed: listed.join(", ") })
}

fn judge(group: &GroupView<'_>, params: &Params) -> (Status, String) {
    let derived = params.derived(blocked);
    match derived.as_ref() {
        Ok(Blocked { ranges, listed }) => judge_ports(group, ranges, listed),
        Err(reason) => (Status::Error, reason.clone()),
    }
}

crate::security_group_rule!(MamoriRestrictedDataStorePorts, META, judge);
