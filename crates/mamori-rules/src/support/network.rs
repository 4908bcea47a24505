//! Security-group and network-ACL rules, read the same way by every network rule.
//!
//! A security-group permission may name IPv4 ranges, IPv6 ranges, other groups, and managed
//! prefix lists; its protocol may be `-1` (all traffic, every port) or a name or number; its
//! port range may contain the port in question. Prefix lists are separate resources
//! (`AWS::EC2::PrefixList`) that may be read after the group, so [`evaluate_security_group`]
//! decides a group at once when it references none, and otherwise leaves a note that
//! [`conclude_security_groups`] decides once the region's prefix lists are known.

use mamori_model::{ConfigItem, Status};
use serde_json::Value;

use crate::params::Params;
use crate::rule::{Cx, Notes, Scope, Subject};
use crate::support::item::as_list;

pub const SECURITY_GROUP_TYPE: &str = "AWS::EC2::SecurityGroup";
pub const PREFIX_LIST_TYPE: &str = "AWS::EC2::PrefixList";

/// Where traffic allowed by a permission may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Cidr(String),
    /// A managed prefix list not (yet) resolved to its CIDRs.
    PrefixList(String),
    Group(String),
}

/// One inbound permission of a security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressRule {
    /// As AWS gives it: `-1`, `tcp`, `udp`, `icmp`, `icmpv6`, or a protocol number.
    pub protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub sources: Vec<Source>,
}

/// Whether a CIDR covers every address (`0.0.0.0/0`, `::/0`, any `/0`).
pub fn is_any_address(cidr: &str) -> bool {
    cidr.trim().ends_with("/0")
}

/// Normalised protocol name: `all`, `tcp`, `udp`, `icmp`, `icmpv6`, or the number.
fn protocol_name(protocol: &str) -> &str {
    const NAMES: [(&str, &str); 5] = [("-1", "all"), ("6", "tcp"), ("17", "udp"), ("1", "icmp"), ("58", "icmpv6")];
    // Called for every permission and port a rule checks: the spellings AWS writes are
    // recognised at once, anything else is compared without allocating.
    match protocol {
        "tcp" | "6" => return "tcp",
        "-1" => return "all",
        "udp" | "17" => return "udp",
        "icmp" | "1" => return "icmp",
        "icmpv6" | "58" => return "icmpv6",
        _ => {}
    }
    let protocol = protocol.trim();
    NAMES
        .iter()
        .find(|(number, name)| protocol == *number || protocol.eq_ignore_ascii_case(name))
        .map_or(protocol, |(_, name)| name)
}

impl IngressRule {
    /// The inbound permissions of a security group's configuration.
    pub fn parse_group(configuration: &Value) -> Result<Vec<IngressRule>, String> {
        let permissions =
            configuration.get("ipPermissions").ok_or("security group has no `ipPermissions` in the inventory")?;
        as_list(Some(permissions)).into_iter().map(IngressRule::parse_permission).collect()
    }

    fn parse_permission(permission: &Value) -> Result<IngressRule, String> {
        // One walk over the permission's fields instead of a look-up per field: every
        // security group of the inventory comes through here.
        let mut fields: [Option<&Value>; 8] = [None; 8];
        const KEYS: [&str; 8] = [
            "ipProtocol",
            "fromPort",
            "toPort",
            "ipv4Ranges",
            "ipRanges",
            "ipv6Ranges",
            "prefixListIds",
            "userIdGroupPairs",
        ];
        if let Some(map) = permission.as_object() {
            for (key, value) in map {
                if let Some(slot) = KEYS.iter().position(|known| known == key) {
                    fields[slot] = Some(value);
                }
            }
        }
        let [protocol, from_port, to_port, ipv4_ranges, ip_ranges, ipv6_ranges, prefix_lists, group_pairs] = fields;
        let protocol = match protocol {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err("security group permission has no `ipProtocol`".to_owned()),
        };
        let mut sources = Vec::new();
        let mut add = |source: Source| {
            if !sources.contains(&source) {
                sources.push(source);
            }
        };
        for range in as_list(ipv4_ranges) {
            if let Some(cidr) = range.get("cidrIp").and_then(Value::as_str) {
                add(Source::Cidr(cidr.to_owned()));
            }
        }
        for cidr in as_list(ip_ranges) {
            match cidr {
                Value::String(text) => add(Source::Cidr(text.clone())),
                other => {
                    if let Some(text) = other.get("cidrIp").and_then(Value::as_str) {
                        add(Source::Cidr(text.to_owned()));
                    }
                }
            }
        }
        for range in as_list(ipv6_ranges) {
            if let Some(cidr) = range.get("cidrIpv6").and_then(Value::as_str) {
                add(Source::Cidr(cidr.to_owned()));
            }
        }
        for list in as_list(prefix_lists) {
            if let Some(id) = list.get("prefixListId").and_then(Value::as_str) {
                add(Source::PrefixList(id.to_owned()));
            }
        }
        for pair in as_list(group_pairs) {
            if let Some(id) = pair.get("groupId").and_then(Value::as_str) {
                add(Source::Group(id.to_owned()));
            }
        }
        Ok(IngressRule {
            protocol,
            from_port: from_port.and_then(Value::as_i64),
            to_port: to_port.and_then(Value::as_i64),
            sources,
        })
    }

    /// Whether the permission lets through every protocol and port.
    pub fn is_all_traffic(&self) -> bool {
        protocol_name(&self.protocol) == "all"
    }

    /// Whether the permission lets through `port` of `protocol` (`tcp` or `udp`). A `-1`
    /// protocol, or a missing or `-1` port range, covers every port.
    pub fn covers_port(&self, protocol: &str, port: i64) -> bool {
        if self.is_all_traffic() {
            return true;
        }
        if protocol_name(&self.protocol) != protocol_name(protocol) {
            return false;
        }
        match (self.from_port, self.to_port) {
            (None, _) | (_, None) | (Some(-1), _) => true,
            (Some(from), Some(to)) => from <= port && port <= to,
        }
    }

    /// The ports the permission opens, for messages: `tcp 22`, `udp 1000-2000`, `all traffic`.
    pub fn port_label(&self) -> String {
        if self.is_all_traffic() {
            return "all traffic".to_owned();
        }
        let protocol = protocol_name(&self.protocol);
        match (self.from_port, self.to_port) {
            (Some(from), Some(to)) if from == to => format!("{protocol} {from}"),
            (Some(from), Some(to)) if from >= 0 => format!("{protocol} {from}-{to}"),
            _ => format!("{protocol} all ports"),
        }
    }

    /// The sources that are the whole internet, or the prefix lists that could not be
    /// resolved (so openness cannot be decided).
    pub fn internet_sources(&self) -> Openness {
        if let Some(Source::Cidr(cidr)) =
            self.sources.iter().find(|source| matches!(source, Source::Cidr(c) if is_any_address(c)))
        {
            return Openness::Open(cidr.clone());
        }
        if let Some(Source::PrefixList(id)) = self.sources.iter().find(|s| matches!(s, Source::PrefixList(_))) {
            return Openness::Unknown(id.clone());
        }
        Openness::Closed
    }
}

/// Whether a permission admits the whole internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Openness {
    /// Yes, through this CIDR.
    Open(String),
    Closed,
    /// It references this prefix list, which is not in the inventory.
    Unknown(String),
}

/// A security group as a judge sees it: prefix lists resolved where the inventory has them.
pub struct GroupView<'a> {
    pub subject: &'a Subject,
    pub group_id: &'a str,
    pub group_name: &'a str,
    pub vpc_id: Option<&'a str>,
    pub ingress: &'a [IngressRule],
}

/// Decides one security group for one rule.
pub type Judge = fn(&GroupView<'_>, &Params) -> (Status, String);

/// A group waiting for the prefix lists it references.
struct PendingGroup {
    subject: Subject,
    group_id: String,
    group_name: String,
    vpc_id: Option<String>,
    ingress: Vec<IngressRule>,
}

/// The CIDRs of one prefix list.
struct PrefixListEntries {
    id: String,
    cidrs: Vec<String>,
}

/// A security group as read from its item, shared by every security-group rule.
struct ParsedGroup {
    ingress: Result<Vec<IngressRule>, String>,
    group_id: String,
    group_name: String,
    vpc_id: Option<String>,
    references_lists: bool,
}

impl ParsedGroup {
    fn read(item: &ConfigItem) -> ParsedGroup {
        let text = |key: &str| item.config(key).and_then(Value::as_str);
        let ingress = IngressRule::parse_group(&item.configuration);
        let references_lists = ingress.as_ref().is_ok_and(|rules| {
            rules.iter().any(|rule| rule.sources.iter().any(|source| matches!(source, Source::PrefixList(_))))
        });
        ParsedGroup {
            ingress,
            group_id: text("groupId").unwrap_or(&item.resource_id).to_owned(),
            group_name: text("groupName").unwrap_or("").to_owned(),
            vpc_id: text("vpcId").map(str::to_owned),
            references_lists,
        }
    }
}

/// The `evaluate` of a security-group rule: reads `AWS::EC2::SecurityGroup` and
/// `AWS::EC2::PrefixList` items (list both in the rule's resource types).
pub fn evaluate_security_group(item: &ConfigItem, cx: &mut Cx<'_>, judge: Judge) {
    if item.resource_type == PREFIX_LIST_TYPE {
        let id = item
            .config("PrefixListId")
            .or_else(|| item.config("prefixListId"))
            .and_then(Value::as_str)
            .unwrap_or(&item.resource_id)
            .to_owned();
        let entries = item.config("Entries").or_else(|| item.config("entries"));
        let cidrs = as_list(entries)
            .into_iter()
            .filter_map(|entry| entry.get("Cidr").or_else(|| entry.get("cidr")).and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        cx.note(Scope::region_of(item), PrefixListEntries { id, cidrs });
        return;
    }
    let group = cx.memo(item, || ParsedGroup::read(item));
    let ingress = match &group.ingress {
        Ok(ingress) => ingress,
        Err(reason) => return cx.error(item, format!("{}: {reason}", item.resource_id)),
    };
    let subject = cx.subject_of(item);
    if group.references_lists {
        let pending = PendingGroup {
            subject,
            group_id: group.group_id.clone(),
            group_name: group.group_name.clone(),
            vpc_id: group.vpc_id.clone(),
            ingress: ingress.clone(),
        };
        cx.note(Scope::region_of(item), pending);
        return;
    }
    let view = GroupView {
        subject: &subject,
        group_id: &group.group_id,
        group_name: &group.group_name,
        vpc_id: group.vpc_id.as_deref(),
        ingress,
    };
    let (status, message) = judge(&view, cx.params());
    cx.verdict(subject, status, message);
}

/// The `conclude` of a security-group rule: resolves prefix lists, then judges.
pub fn conclude_security_groups(mut notes: Notes, cx: &mut Cx<'_>, judge: Judge) {
    let lists = notes.of::<PrefixListEntries>();
    for mut pending in notes.of::<PendingGroup>() {
        for rule in &mut pending.ingress {
            let mut resolved = Vec::new();
            for source in rule.sources.drain(..) {
                match &source {
                    Source::PrefixList(id) => match lists.iter().find(|list| list.id == *id) {
                        Some(list) => resolved.extend(list.cidrs.iter().cloned().map(Source::Cidr)),
                        None => resolved.push(source),
                    },
                    _ => resolved.push(source),
                }
            }
            rule.sources = resolved;
        }
        decide(&pending, cx, judge);
    }
}

fn decide(group: &PendingGroup, cx: &mut Cx<'_>, judge: Judge) {
    let view = GroupView {
        subject: &group.subject,
        group_id: &group.group_id,
        group_name: &group.group_name,
        vpc_id: group.vpc_id.as_deref(),
        ingress: &group.ingress,
    };
    let (status, message) = judge(&view, cx.params());
    cx.verdict(group.subject.clone(), status, message);
}

/// Implements [`Rule`](crate::Rule) for a security-group rule: `evaluate` and `conclude`
/// hand the group to [`evaluate_security_group`] / [`conclude_security_groups`] with `judge`.
#[macro_export]
macro_rules! security_group_rule {
    ($rule:ty, $meta:expr, $judge:expr) => {
        impl $crate::Rule for $rule {
            fn meta(&self) -> &'static $crate::RuleMeta {
                &$meta
            }

            fn evaluate(&self, item: &mamori_model::ConfigItem, cx: &mut $crate::Cx<'_>) {
                $crate::support::network::evaluate_security_group(item, cx, $judge);
            }

            fn conclude(&self, _scope: &$crate::Scope, notes: $crate::Notes, cx: &mut $crate::Cx<'_>) {
                $crate::support::network::conclude_security_groups(notes, cx, $judge);
            }
        }
    };
}

/// Ports of a list parameter such as AWS's `authorizedTcpPorts` (`"443,1020-1025"`), as
/// inclusive ranges. Returns the first entry that is not a port or range as the error.
pub fn parse_port_ranges(entries: &[String]) -> Result<Vec<(i64, i64)>, String> {
    entries
        .iter()
        .map(|entry| {
            let parse = |text: &str| text.trim().parse::<i64>().ok().filter(|port| (0..=65_535).contains(port));
            match entry.split_once('-') {
                Some((from, to)) => match (parse(from), parse(to)) {
                    (Some(from), Some(to)) if from <= to => Ok((from, to)),
                    _ => Err(entry.clone()),
                },
                None => parse(entry).map(|port| (port, port)).ok_or_else(|| entry.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn permissions_parse_and_cover_ports() {
        let rules = IngressRule::parse_group(&json!({"ipPermissions": [
            {"ipProtocol": "tcp", "fromPort": 20, "toPort": 25, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"]},
            {"ipProtocol": "-1", "ipv6Ranges": [{"cidrIpv6": "::/0"}]},
            {"ipProtocol": "6", "fromPort": 443, "toPort": 443, "prefixListIds": [{"prefixListId": "pl-1"}]}
        ]}))
        .unwrap();
        assert_eq!(rules[0].sources.len(), 1);
        assert!(rules[0].covers_port("tcp", 22));
        assert!(!rules[0].covers_port("udp", 22));
        assert!(rules[1].covers_port("tcp", 3389));
        assert_eq!(rules[1].internet_sources(), Openness::Open("::/0".into()));
        assert!(rules[2].covers_port("tcp", 443));
        assert_eq!(rules[2].internet_sources(), Openness::Unknown("pl-1".into()));
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_ranges(&["443".into(), "1020-1025".into()]).unwrap(), [(443, 443), (1020, 1025)]);
        assert_eq!(parse_port_ranges(&["http".into()]).unwrap_err(), "http");
    }
}
