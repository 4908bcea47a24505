//! `mamori-iam-user-access-key-ip-restricted`: a user's access keys only work from known networks.
//!
//! A user with an active access key passes when the policies that apply to it (its inline and
//! attached policies, and those of its groups) either include a blanket Deny (`*` on `*`) with
//! `NotIpAddress` on `aws:SourceIp` (optionally guarded by `aws:ViaAWSService` false), or put
//! an `IpAddress` `aws:SourceIp` condition on every Allow statement. `/0` ranges restrict
//! nothing; with `allowedCidrs`, the ranges must lie within the listed ones. Users without
//! active keys pass; a referenced policy or group missing from the inventory is ERROR.

use std::collections::BTreeMap;
use std::net::IpAddr;

use mamori_model::{ConfigItem, Severity, Status};
use serde_json::Value;

use super::iam_policy_no_statements_with_admin_access::{default_document, policy_arn, statement_label, POLICY_TYPE};
use super::iam_user_mfa_enabled::{access_keys, user_name, USER_TYPE};
use crate::support::item::{as_list, required};
use crate::support::policy::{PolicyDocument, Statement};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride, Subject};

pub struct MamoriIamUserAccessKeyIpRestricted;

const GROUP_TYPE: &str = "AWS::IAM::Group";

static META: RuleMeta = RuleMeta {
    id: "mamori-iam-user-access-key-ip-restricted",
    service: "iam",
    title: "IAM users with active access keys can only use them from allowed source IP ranges",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE, GROUP_TYPE, POLICY_TYPE],
    params: &[ParamSpec {
        name: "allowedCidrs",
        kind: ParamKind::List,
        default: "",
        description: "IPv4/IPv6 ranges the source-IP conditions must stay within (each condition range equal to or inside one of them); empty accepts any range short of /0.",
    }],
    rationale: "An access key is a bearer secret: once leaked through a repository, a log or a laptop it works from anywhere on the internet. A source-IP condition confines a stolen key to the company's networks, where it is of little use to an outsider.",
    remediation: "Attach a policy to the user (or its group) that denies requests from elsewhere: `{\"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"NotIpAddress\": {\"aws:SourceIp\": [\"203.0.113.0/24\"]}, \"Bool\": {\"aws:ViaAWSService\": \"false\"}}}` (`aws iam put-user-policy` or `aws iam attach-group-policy`); better, replace the key with an IAM role.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. A Deny guard counts only when it covers every action and resource and its other conditions are at most `aws:ViaAWSService` false; otherwise every Allow statement of every applicable policy (not just one policy) must carry an `IpAddress` condition on `aws:SourceIp`, so that no unrestricted grant remains. Managed policies are looked up by ARN among the account's AWS::IAM::Policy items (AWS managed ones included), groups by name among its AWS::IAM::Group items.",
};

/// What one policy contributes to the user's source-IP restriction, digested while reading.
#[derive(Debug, Clone)]
struct Digest {
    /// e.g. "managed policy arn:…" or "inline policy ip-limit of group engineers".
    source: String,
    /// The policy has a qualifying Deny guard.
    guard: bool,
    /// Allow statements that do not carry a qualifying `IpAddress` condition.
    open: Vec<String>,
    has_allow: bool,
    /// Why IP conditions present did not qualify (ranges too wide or outside `allowedCidrs`).
    rejected: Vec<String>,
}

/// A policy document, or why it could not be read.
type Read = Result<Digest, String>;

struct User {
    subject: Subject,
    name: String,
    /// Active key ids, or why they are unknown.
    active_keys: Result<Vec<String>, String>,
    inline: Vec<Read>,
    attached: Vec<String>,
    groups: Vec<String>,
    /// A list the verdict needs that is not in the inventory.
    missing: Option<String>,
}

struct Group {
    name: String,
    inline: Vec<Read>,
    attached: Vec<String>,
    missing: Option<String>,
}

struct Policy {
    arn: String,
    digest: Read,
}

/// An address range as (bits, prefix length, IPv6).
type Cidr = (u128, u32, bool);

fn parse_cidr(text: &str) -> Option<Cidr> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix.parse::<u32>().ok()?)),
        None => (text, None),
    };
    let (bits, width, v6) = match address.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, false),
        IpAddr::V6(v6) => (u128::from(v6), 128, true),
    };
    let prefix = prefix.unwrap_or(width);
    (prefix <= width).then_some((bits, prefix, v6))
}

fn network(bits: u128, prefix: u32, width: u32) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

/// Whether `inner` lies within `outer` (same family, narrower or equal, same network bits).
fn cidr_within(inner: Cidr, outer: Cidr) -> bool {
    let width = if inner.2 { 128 } else { 32 };
    inner.2 == outer.2 && outer.1 <= inner.1 && network(inner.0, outer.1, width) == network(outer.0, outer.1, width)
}

/// Why a source-IP range does not restrict enough, if it does not.
fn range_problem(range: &str, allowed: &[String]) -> Option<String> {
    let parsed = parse_cidr(range);
    if parsed.is_some_and(|(_, prefix, _)| prefix == 0) {
        return Some(format!("{range} is every address"));
    }
    if allowed.is_empty() {
        return None;
    }
    let inside = allowed.iter().any(|outer| {
        outer.trim() == range.trim()
            || matches!((parsed, parse_cidr(outer)), (Some(inner), Some(outer)) if cidr_within(inner, outer))
    });
    (!inside).then(|| format!("{range} is outside allowedCidrs"))
}

/// The `aws:SourceIp` ranges of a statement under the given condition operators.
fn source_ips(statement: &Statement, operators: &[&str]) -> Option<Vec<String>> {
    let ranges: Vec<String> = statement
        .conditions()
        .into_iter()
        .filter(|(op, key, _)| key == "aws:sourceip" && operators.iter().any(|o| op.eq_ignore_ascii_case(o)))
        .flat_map(|(_, _, values)| values)
        .collect();
    (!ranges.is_empty()).then_some(ranges)
}

/// A blanket Deny whose only conditions are the source-IP test and `aws:ViaAWSService` false.
fn is_guard_shape(statement: &Statement) -> bool {
    let blanket = statement.not_actions.is_none()
        && statement.actions.iter().any(|action| action == "*")
        && statement.not_resources.is_none()
        && statement.resources.iter().any(|resource| resource == "*");
    let extra_conditions_ok = statement.conditions().iter().all(|(op, key, values)| {
        let op = op.to_ascii_lowercase();
        (key == "aws:sourceip" && (op == "notipaddress" || op == "notipaddressifexists"))
            || (key == "aws:viaawsservice"
                && (op == "bool" || op == "boolifexists")
                && values.iter().all(|v| v.eq_ignore_ascii_case("false")))
    });
    !statement.allow && blanket && extra_conditions_ok
}

fn digest(source: String, document: &PolicyDocument, allowed: &[String]) -> Digest {
    let mut out = Digest { source, guard: false, open: Vec::new(), has_allow: false, rejected: Vec::new() };
    for (index, statement) in document.statements.iter().enumerate() {
        let label = statement_label(statement, index);
        if statement.allow {
            out.has_allow = true;
            match source_ips(statement, &["IpAddress"]) {
                None => out.open.push(label),
                Some(ranges) => {
                    let problems: Vec<String> = ranges.iter().filter_map(|r| range_problem(r, allowed)).collect();
                    if !problems.is_empty() {
                        out.rejected.push(format!("{} {label}: {}", out.source, problems.join(", ")));
                        out.open.push(label);
                    }
                }
            }
        } else if is_guard_shape(statement) {
            if let Some(ranges) = source_ips(statement, &["NotIpAddress", "NotIpAddressIfExists"]) {
                let problems: Vec<String> = ranges.iter().filter_map(|r| range_problem(r, allowed)).collect();
                if problems.is_empty() {
                    out.guard = true;
                } else {
                    out.rejected.push(format!("{} {label}: {}", out.source, problems.join(", ")));
                }
            }
        }
    }
    out
}

/// The inline policies of a user or group (`userPolicyList`, `groupPolicyList`).
fn inline_policies(list: &Value, owner: &str, allowed: &[String]) -> Vec<Read> {
    as_list(Some(list))
        .into_iter()
        .map(|policy| {
            let name = policy.get("policyName").and_then(Value::as_str).unwrap_or("(unnamed)");
            let source = format!("inline policy {name} of {owner}");
            let document = policy.get("policyDocument").unwrap_or(&Value::Null);
            PolicyDocument::parse(document)
                .map(|document| digest(source.clone(), &document, allowed))
                .map_err(|err| format!("{source}: {err}"))
        })
        .collect()
}

fn attached_arns(list: &Value) -> Vec<String> {
    as_list(Some(list))
        .into_iter()
        .filter_map(|policy| policy.get("policyArn").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The configuration lists a user or group needs: (inline, attached, groups).
fn lists<'a>(item: &'a ConfigItem, keys: &[&str]) -> Result<Vec<&'a Value>, String> {
    keys.iter().map(|key| required(item, key)).collect()
}

impl Rule for MamoriIamUserAccessKeyIpRestricted {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let allowed = cx.params().list("allowedCidrs").to_vec();
        let scope = Scope::account_of(item);
        match item.resource_type.as_str() {
            USER_TYPE => {
                let name = user_name(item).to_owned();
                let owner = format!("user {name}");
                let active_keys =
                    access_keys(item).map(|keys| keys.iter().filter(|k| k.active).map(|k| k.id.to_owned()).collect());
                let mut user = User {
                    subject: cx.subject_of(item),
                    name,
                    active_keys,
                    inline: Vec::new(),
                    attached: Vec::new(),
                    groups: Vec::new(),
                    missing: None,
                };
                match lists(item, &["userPolicyList", "attachedManagedPolicies", "groupList"]) {
                    Ok(found) => {
                        user.inline = inline_policies(found[0], &owner, &allowed);
                        user.attached = attached_arns(found[1]);
                        user.groups =
                            as_list(Some(found[2])).into_iter().filter_map(Value::as_str).map(str::to_owned).collect();
                    }
                    Err(reason) => user.missing = Some(reason),
                }
                cx.note(scope, user);
            }
            GROUP_TYPE => {
                let name = item
                    .config("groupName")
                    .and_then(Value::as_str)
                    .or(item.resource_name.as_deref())
                    .unwrap_or(&item.resource_id)
                    .to_owned();
                let mut group = Group { name, inline: Vec::new(), attached: Vec::new(), missing: None };
                match lists(item, &["groupPolicyList", "attachedManagedPolicies"]) {
                    Ok(found) => {
                        group.inline = inline_policies(found[0], &format!("group {}", group.name), &allowed);
                        group.attached = attached_arns(found[1]);
                    }
                    Err(reason) => group.missing = Some(reason),
                }
                cx.note(scope, group);
            }
            _ => {
                let arn = policy_arn(item).to_owned();
                let source = format!("managed policy {arn}");
                let digest = default_document(item).map(|document| digest(source, &document, &allowed));
                cx.note(scope, Policy { arn, digest });
            }
        }
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let groups: BTreeMap<String, Group> = notes.of::<Group>().into_iter().map(|g| (g.name.clone(), g)).collect();
        let policies: BTreeMap<String, Policy> = notes.of::<Policy>().into_iter().map(|p| (p.arn.clone(), p)).collect();
        let allowed = cx.params().list("allowedCidrs").to_vec();
        for user in notes.of::<User>() {
            let (status, message) = judge(&user, &groups, &policies, &allowed);
            cx.verdict(user.subject, status, message);
        }
    }
}

/// Every policy that applies to the user, read or not, and what is missing from the inventory.
fn applicable<'a>(
    user: &'a User,
    groups: &'a BTreeMap<String, Group>,
    policies: &'a BTreeMap<String, Policy>,
) -> (Vec<&'a Read>, Vec<String>) {
    let mut reads: Vec<&Read> = user.inline.iter().collect();
    let mut missing: Vec<String> = user.missing.iter().cloned().collect();
    let managed = |arn: &String, reads: &mut Vec<&'a Read>, missing: &mut Vec<String>| match policies.get(arn) {
        Some(policy) => reads.push(&policy.digest),
        None => missing.push(format!("managed policy {arn} is not in the inventory")),
    };
    for arn in &user.attached {
        managed(arn, &mut reads, &mut missing);
    }
    for name in &user.groups {
        let Some(group) = groups.get(name) else {
            missing.push(format!("group {name} is not in the inventory"));
            continue;
        };
        missing.extend(group.missing.iter().cloned());
        reads.extend(group.inline.iter());
        for arn in &group.attached {
            managed(arn, &mut reads, &mut missing);
        }
    }
    (reads, missing)
}

fn judge(
    user: &User,
    groups: &BTreeMap<String, Group>,
    policies: &BTreeMap<String, Policy>,
    allowed: &[String],
) -> (Status, String) {
    let name = &user.name;
    let keys = match &user.active_keys {
        Ok(keys) if keys.is_empty() => return (Status::Pass, format!("user {name} has no active access keys")),
        Ok(keys) => keys.join(", "),
        Err(reason) => return (Status::Error, reason.clone()),
    };
    let (reads, mut missing) = applicable(user, groups, policies);
    let digests: Vec<&Digest> = reads
        .iter()
        .filter_map(|read| match read {
            Ok(digest) => Some(digest),
            Err(reason) => {
                missing.push(reason.clone());
                None
            }
        })
        .collect();
    if let Some(guard) = digests.iter().find(|d| d.guard) {
        let within = if allowed.is_empty() { String::new() } else { format!(" within {}", allowed.join(", ")) };
        return (
            Status::Pass,
            format!(
                "user {name} (access key {keys}): {} denies requests from outside its source IP ranges{within}",
                guard.source
            ),
        );
    }
    if !missing.is_empty() {
        return (
            Status::Error,
            format!(
                "user {name} (access key {keys}): cannot tell whether its permissions are IP-restricted: {}",
                missing.join("; ")
            ),
        );
    }
    let open: Vec<String> =
        digests.iter().flat_map(|d| d.open.iter().map(move |label| format!("{} {label}", d.source))).collect();
    if !open.is_empty() {
        let rejected: Vec<&String> = digests.iter().flat_map(|d| d.rejected.iter()).collect();
        let why = if rejected.is_empty() {
            String::new()
        } else {
            format!(" ({})", rejected.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("; "))
        };
        return (
            Status::Fail,
            format!(
                "user {name} has active access key {keys} usable from any address: {} allow{} without an aws:SourceIp restriction{why}",
                open.join(", "),
                if open.len() == 1 { "s" } else { "" }
            ),
        );
    }
    if !digests.iter().any(|d| d.has_allow) {
        return (Status::Pass, format!("user {name} (access key {keys}): no policy allows anything"));
    }
    (Status::Pass, format!("user {name} (access key {keys}): every Allow statement requires an allowed aws:SourceIp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        let inside = |inner: &str, outer: &str| cidr_within(parse_cidr(inner).unwrap(), parse_cidr(outer).unwrap());
        assert!(inside("203.0.113.0/25", "203.0.113.0/24"));
        assert!(inside("203.0.113.7", "203.0.113.0/24"));
        assert!(!inside("203.0.112.0/23", "203.0.113.0/24"));
        assert!(inside("10.1.0.0/16", "0.0.0.0/0"));
        assert!(inside("2001:db8:1::/48", "2001:db8::/32"));
        assert!(!inside("2001:db9::/48", "2001:db8::/32"));
        assert!(!inside("::ffff:203.0.113.1/128", "203.0.113.0/24"));
        assert!(parse_cidr("203.0.113.0/33").is_none());
        assert_eq!(range_problem("0.0.0.0/0", &[]).as_deref(), Some("0.0.0.0/0 is every address"));
        assert!(range_problem("198.51.100.0/24", &["203.0.113.0/24".to_owned()]).is_some());
        assert!(range_problem("vpn", &["vpn".to_owned()]).is_none());
    }
}
