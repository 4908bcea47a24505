//! `nacl-no-unrestricted-ssh-rdp`: no network ACL lets the whole internet reach port 22 or 3389.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an inbound (`egress: false`) entry allows
//! `0.0.0.0/0` or `::/0` over TCP or UDP to port 22 or 3389 (protocol `6`, `17` or `-1`; a port
//! range containing the port; no range = every port). Unlike AWS, mamori honours rule order as
//! the VPC does: for each protocol, port and address family, entries are read by ascending
//! `ruleNumber` and the first entry from `/0` covering that traffic decides, so an earlier deny
//! from `/0` shadows a later allow; entries from narrower CIDRs neither open nor shadow.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, required};
use crate::support::network::is_any_address;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct NaclNoUnrestrictedSshRdp;

static META: RuleMeta = RuleMeta {
    id: "nacl-no-unrestricted-ssh-rdp",
    service: "ec2",
    title: "Network ACLs do not allow SSH or RDP (ports 22, 3389) from the internet",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::NetworkAcl"],
    params: &[],
    rationale: "A network ACL that admits remote-administration ports from anywhere removes a layer of defence: a single permissive security group is then enough to expose SSH or RDP to brute force and exploits.",
    remediation: "Replace the allow entry with one from your administration network, or add a lower-numbered deny from 0.0.0.0/0 and ::/0 for ports 22 and 3389: `aws ec2 replace-network-acl-entry` / `create-network-acl-entry --ingress --rule-action deny …` (VPC console > Network ACLs > Inbound rules > Edit).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["5.1"],
    fsbp: &["EC2.21"],
    notes: "Honours rule order: an allow shadowed by a lower-numbered deny from 0.0.0.0/0 (or ::/0) for the same protocol and port is not counted, where AWS's rule may report it. UDP is checked as well as TCP, as AWS's rule description says.",
};

const PORTS: [i64; 2] = [22, 3389];

/// One inbound entry, as far as this rule needs it.
struct Entry {
    number: i64,
    allow: bool,
    /// `tcp`, `udp`, `all`, or another protocol this rule ignores.
    protocol: String,
    range: Option<(i64, i64)>,
    ipv4: Option<String>,
    ipv6: Option<String>,
}

impl Entry {
    fn parse(value: &Value) -> Result<Option<Entry>, String> {
        let egress = value.get("egress").and_then(as_bool).ok_or("an entry has no readable `egress`")?;
        if egress {
            return Ok(None);
        }
        let number = value.get("ruleNumber").and_then(Value::as_i64).ok_or("an entry has no readable `ruleNumber`")?;
        let action = value.get("ruleAction").and_then(Value::as_str).ok_or("an entry has no readable `ruleAction`")?;
        let protocol = match value.get("protocol") {
            Some(Value::String(text)) => text.trim().to_ascii_lowercase(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err(format!("entry {number} has no readable `protocol`")),
        };
        let protocol = match protocol.as_str() {
            "-1" | "all" => "all",
            "6" | "tcp" => "tcp",
            "17" | "udp" => "udp",
            other => other,
        }
        .to_owned();
        let range = value.get("portRange").filter(|range| !range.is_null()).map(|range| {
            let end = |key: &str| range.get(key).and_then(Value::as_i64);
            (end("from").unwrap_or(0), end("to").unwrap_or(65_535))
        });
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Some(Entry {
            number,
            allow: action.eq_ignore_ascii_case("allow"),
            protocol,
            range,
            ipv4: text("cidrBlock"),
            ipv6: text("ipv6CidrBlock"),
        }))
    }

    fn covers(&self, protocol: &str, port: i64) -> bool {
        match self.protocol.as_str() {
            "all" => true,
            own if own == protocol => self.range.is_none_or(|(from, to)| from <= port && port <= to),
            _ => false,
        }
    }

    /// The entry's CIDR of the family, when it is the whole family (`0.0.0.0/0`, `::/0`).
    fn whole(&self, ipv6: bool) -> Option<&str> {
        let cidr = if ipv6 { &self.ipv6 } else { &self.ipv4 };
        cidr.as_deref().filter(|cidr| is_any_address(cidr))
    }
}

impl Rule for NaclNoUnrestrictedSshRdp {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = item.config("networkAclId").and_then(Value::as_str).unwrap_or(&item.resource_id).to_owned();
        let entries = match required(item, "entries") {
            Ok(entries) => as_list(Some(entries)),
            Err(reason) => return cx.error(item, reason),
        };
        let mut inbound = Vec::new();
        for value in entries {
            match Entry::parse(value) {
                Ok(Some(entry)) => inbound.push(entry),
                Ok(None) => {}
                Err(reason) => return cx.error(item, format!("network ACL {id}: {reason}")),
            }
        }
        inbound.sort_by_key(|entry| entry.number);
        // What each deciding allow entry opens, in rule order: (rule number, CIDR) -> traffic.
        let mut open: Vec<((i64, &str), Vec<String>)> = Vec::new();
        for port in PORTS {
            for protocol in ["tcp", "udp"] {
                for ipv6 in [false, true] {
                    let decisive = inbound.iter().find_map(|entry| {
                        let cidr = entry.whole(ipv6)?;
                        entry.covers(protocol, port).then_some((entry, cidr))
                    });
                    if let Some((entry, cidr)) = decisive.filter(|(entry, _)| entry.allow) {
                        let key = (entry.number, cidr);
                        let traffic = format!("{protocol} {port}");
                        match open.iter_mut().find(|(known, _)| *known == key) {
                            Some((_, list)) => list.push(traffic),
                            None => open.push((key, vec![traffic])),
                        }
                    }
                }
            }
        }
        open.sort_by_key(|((number, _), _)| *number);
        let open: Vec<String> = open
            .into_iter()
            .map(|((number, cidr), traffic)| format!("rule {number} allows {} from {cidr}", traffic.join(", ")))
            .collect();
        if open.is_empty() {
            cx.pass(item, format!("network ACL {id} does not allow ports 22 or 3389 from the internet"));
        } else {
            cx.fail(item, format!("network ACL {id}: {}", open.join("; ")));
        }
    }
}
