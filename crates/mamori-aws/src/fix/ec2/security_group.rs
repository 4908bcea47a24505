//! What the three "open to the internet" security-group fixers share: they differ only in
//! which permissions offend (SSH, the blocked ports, ports not authorized).
//!
//! The fix revokes, from each offending permission, only its whole-internet sources
//! (`0.0.0.0/0`, `::/0`): RevokeSecurityGroupIngress with that permission's protocol and
//! ports and exactly those ranges, so a source-restricted range of the same permission,
//! another port, another permission and another group are never touched. A permission open
//! through a prefix list is left as it is (revoking the list would remove every range in it);
//! when nothing else offends the finding is left out as not fixable. Undo authorizes the
//! revoked ranges again, with their descriptions.

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range};
use mamori_rules::support::network::{is_any_address, IngressRule};
use mamori_rules::Params;
use serde_json::{json, Map, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixerMeta, LeftOutReason, NotPlanned,
};

/// Whether a permission offends the rule (with the rule's parameters).
pub(crate) type Offends = fn(&IngressRule, &Params) -> Result<bool, String>;

/// The group's inbound permissions, normalised (sorted, ranges sorted) in AWS Config's shape;
/// `None` when the group is gone.
pub(crate) async fn read(cx: &FixCx, finding: &FindingRef) -> Result<Option<Value>, ApiError> {
    let ec2 = client(cx);
    let described = cx.call("ec2", ec2.describe_security_groups().group_ids(&finding.resource_id).send()).await;
    let output = match described {
        Ok(output) => output,
        Err(err) if err.is_not_found(&["InvalidGroup.NotFound", "InvalidGroupId.NotFound"]) => return Ok(None),
        Err(err) => return Err(err),
    };
    let Some(group) = output.security_groups().iter().find(|g| g.group_id() == Some(&finding.resource_id)) else {
        return Ok(None);
    };
    let mut permissions: Vec<Value> = group.ip_permissions().iter().map(permission_json).collect();
    permissions.sort_by_key(Value::to_string);
    Ok(Some(json!({"ipPermissions": permissions})))
}

fn permission_json(permission: &IpPermission) -> Value {
    let mut out = Map::new();
    out.insert("ipProtocol".into(), json!(permission.ip_protocol()));
    if let Some(from) = permission.from_port() {
        out.insert("fromPort".into(), json!(from));
    }
    if let Some(to) = permission.to_port() {
        out.insert("toPort".into(), json!(to));
    }
    let sorted = |mut values: Vec<Value>| {
        values.sort_by_key(Value::to_string);
        Value::Array(values)
    };
    let described = |key: &str, value: Option<&str>, description: Option<&str>| {
        let mut entry = Map::new();
        entry.insert(key.into(), json!(value));
        if let Some(description) = description {
            entry.insert("description".into(), json!(description));
        }
        Value::Object(entry)
    };
    let ipv4 = permission.ip_ranges().iter().map(|r| described("cidrIp", r.cidr_ip(), r.description())).collect();
    out.insert("ipv4Ranges".into(), sorted(ipv4));
    let ipv6 = permission.ipv6_ranges().iter().map(|r| described("cidrIpv6", r.cidr_ipv6(), r.description())).collect();
    out.insert("ipv6Ranges".into(), sorted(ipv6));
    let lists = permission
        .prefix_list_ids()
        .iter()
        .map(|l| described("prefixListId", l.prefix_list_id(), l.description()))
        .collect();
    out.insert("prefixListIds".into(), sorted(lists));
    let pairs = permission
        .user_id_group_pairs()
        .iter()
        .map(|p| {
            let mut entry = Map::new();
            entry.insert("groupId".into(), json!(p.group_id()));
            if let Some(user) = p.user_id() {
                entry.insert("userId".into(), json!(user));
            }
            Value::Object(entry)
        })
        .collect();
    out.insert("userIdGroupPairs".into(), sorted(pairs));
    Value::Object(out)
}

/// The ranges of `key` (`ipv4Ranges` / `ipv6Ranges`) under `cidr_key` that are the whole internet.
fn internet_ranges(permission: &Value, key: &str, cidr_key: &str) -> Vec<Value> {
    permission[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|range| range[cidr_key].as_str().is_some_and(is_any_address))
        .cloned()
        .collect()
}

/// The revocations that close the offending permissions to the internet, and the state after.
pub(crate) fn plan(
    meta: &FixerMeta,
    offends: Offends,
    finding: &FindingRef,
    state: &Value,
    params: &Params,
) -> Result<Change, NotPlanned> {
    let group = &finding.resource_id;
    let parsed =
        IngressRule::parse_group(state).map_err(|reason| NotPlanned::new(LeftOutReason::NotFixable, reason))?;
    let permissions = state["ipPermissions"].as_array().cloned().unwrap_or_default();
    let mut calls = Vec::new();
    let mut after = Vec::new();
    let mut through_lists = false;
    for (permission, rule) in permissions.into_iter().zip(&parsed) {
        let offending = offends(rule, params).map_err(|reason| NotPlanned::new(LeftOutReason::NotFixable, reason))?;
        let ipv4 = internet_ranges(&permission, "ipv4Ranges", "cidrIp");
        let ipv6 = internet_ranges(&permission, "ipv6Ranges", "cidrIpv6");
        if !offending || (ipv4.is_empty() && ipv6.is_empty()) {
            through_lists |= offending && !permission["prefixListIds"].as_array().is_none_or(Vec::is_empty);
            after.push(permission);
            continue;
        }
        calls.push(ApiCall::new(
            "ec2",
            "RevokeSecurityGroupIngress",
            json!({"GroupId": group, "IpPermissions": [ports(&permission, &ipv4, &ipv6, false)]}),
        ));
        let mut kept = permission.clone();
        for (key, removed) in [("ipv4Ranges", &ipv4), ("ipv6Ranges", &ipv6)] {
            if let Some(ranges) = kept[key].as_array_mut() {
                ranges.retain(|range| !removed.contains(range));
            }
        }
        let has_source = ["ipv4Ranges", "ipv6Ranges", "prefixListIds", "userIdGroupPairs"]
            .iter()
            .any(|key| kept[*key].as_array().is_some_and(|a| !a.is_empty()));
        if has_source {
            after.push(kept);
        }
    }
    if calls.is_empty() {
        let detail = if through_lists {
            format!(
                "{group} is open to the internet only through a prefix list; {} does not change prefix lists",
                meta.rule_id
            )
        } else {
            format!("{group} no longer opens an offending port to the internet")
        };
        let reason = if through_lists { LeftOutReason::NotFixable } else { LeftOutReason::ResourceChanged };
        return Err(NotPlanned::new(reason, detail));
    }
    after.sort_by_key(Value::to_string);
    Ok(Change { calls, after: json!({"ipPermissions": after}), reversible: true })
}

/// One permission of a revoke or authorize call: protocol, ports and the given ranges
/// (`with_descriptions` for authorize, which restores them).
fn ports(permission: &Value, ipv4: &[Value], ipv6: &[Value], with_descriptions: bool) -> Value {
    let mut out = Map::new();
    out.insert("IpProtocol".into(), permission["ipProtocol"].clone());
    for (from, to) in [("fromPort", "FromPort"), ("toPort", "ToPort")] {
        if let Some(port) = permission.get(from) {
            out.insert(to.into(), port.clone());
        }
    }
    let range = |range: &Value, cidr_key: &str, api_key: &str| {
        let mut entry = Map::new();
        entry.insert(api_key.into(), range[cidr_key].clone());
        if with_descriptions {
            if let Some(description) = range.get("description") {
                entry.insert("Description".into(), description.clone());
            }
        }
        Value::Object(entry)
    };
    if !ipv4.is_empty() {
        out.insert("IpRanges".into(), ipv4.iter().map(|r| range(r, "cidrIp", "CidrIp")).collect());
    }
    if !ipv6.is_empty() {
        out.insert("Ipv6Ranges".into(), ipv6.iter().map(|r| range(r, "cidrIpv6", "CidrIpv6")).collect());
    }
    Value::Object(out)
}

/// Authorizes again the ranges `before` had and `now` lacks.
pub(crate) fn undo(finding: &FindingRef, before: &Value, now: &Value) -> Result<Change, NotPlanned> {
    let same_ports =
        |a: &Value, b: &Value| ["ipProtocol", "fromPort", "toPort"].iter().all(|key| a.get(*key) == b.get(*key));
    let empty = Vec::new();
    let current = now["ipPermissions"].as_array().unwrap_or(&empty);
    let mut calls = Vec::new();
    for permission in before["ipPermissions"].as_array().unwrap_or(&empty) {
        let existing = current.iter().find(|p| same_ports(p, permission));
        let missing = |key: &str| -> Vec<Value> {
            let present = existing.and_then(|p| p[key].as_array()).cloned().unwrap_or_default();
            permission[key].as_array().into_iter().flatten().filter(|r| !present.contains(r)).cloned().collect()
        };
        let (ipv4, ipv6) = (missing("ipv4Ranges"), missing("ipv6Ranges"));
        if ipv4.is_empty() && ipv6.is_empty() {
            continue;
        }
        calls.push(ApiCall::new(
            "ec2",
            "AuthorizeSecurityGroupIngress",
            json!({"GroupId": finding.resource_id, "IpPermissions": [ports(permission, &ipv4, &ipv6, true)]}),
        ));
    }
    if calls.is_empty() {
        return Err(NotPlanned::new(LeftOutReason::ResourceChanged, "every revoked range is back already"));
    }
    Ok(Change { calls, after: before.clone(), reversible: false })
}

/// Makes a planned revoke or authorize call.
pub(crate) async fn call(meta: &FixerMeta, cx: &FixCx, call: &ApiCall) -> Result<(), ApiError> {
    let group = text_param(call, "GroupId")?;
    let permissions = call.parameters["IpPermissions"]
        .as_array()
        .ok_or_else(|| ApiError::new("InvalidPlan", format!("{} has no `IpPermissions` list", call.action())))?;
    let permissions: Vec<IpPermission> = permissions.iter().map(sdk_permission).collect();
    let ec2 = client(cx);
    match call.operation.as_str() {
        "RevokeSecurityGroupIngress" => cx
            .call(
                "ec2",
                ec2.revoke_security_group_ingress().group_id(group).set_ip_permissions(Some(permissions)).send(),
            )
            .await
            .map(|_| ()),
        "AuthorizeSecurityGroupIngress" => cx
            .call(
                "ec2",
                ec2.authorize_security_group_ingress().group_id(group).set_ip_permissions(Some(permissions)).send(),
            )
            .await
            .map(|_| ()),
        _ => Err(unknown_operation(meta, call)),
    }
}

fn sdk_permission(permission: &Value) -> IpPermission {
    let port = |key: &str| permission.get(key).and_then(Value::as_i64).map(|p| p as i32);
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let ipv4 = permission["IpRanges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| IpRange::builder().set_cidr_ip(text(r, "CidrIp")).set_description(text(r, "Description")).build());
    let ipv6 = permission["Ipv6Ranges"].as_array().into_iter().flatten().map(|r| {
        Ipv6Range::builder().set_cidr_ipv6(text(r, "CidrIpv6")).set_description(text(r, "Description")).build()
    });
    IpPermission::builder()
        .set_ip_protocol(text(permission, "IpProtocol"))
        .set_from_port(port("FromPort"))
        .set_to_port(port("ToPort"))
        .set_ip_ranges(Some(ipv4.collect()))
        .set_ipv6_ranges(Some(ipv6.collect()))
        .build()
}

/// Whether the permission lets through any port of the inclusive `ranges` of `protocol`.
pub(crate) fn covers_any(rule: &IngressRule, protocol: &str, ranges: &[(i64, i64)]) -> bool {
    ranges.iter().any(|&(from, to)| {
        // Where the two intervals meet, if they do: the first port of both.
        let probe = match rule.from_port {
            Some(start) if start >= 0 => from.max(start),
            _ => from,
        };
        probe <= to && rule.covers_port(protocol, probe)
    })
}

/// The boilerplate of a fixer that is [`plan`] and friends with its own `offends`.
#[macro_export]
#[doc(hidden)]
macro_rules! security_group_fixer {
    ($fixer:ident, $meta:ident, $offends:path) => {
        impl $crate::fix::Fixer for $fixer {
            fn meta(&self) -> &'static $crate::fix::FixerMeta {
                &$meta
            }

            fn read<'a>(
                &'a self,
                cx: &'a $crate::fix::FixCx,
                finding: &'a $crate::fix::FindingRef,
            ) -> $crate::fix::FixFuture<'a, Result<Option<serde_json::Value>, $crate::collect::ApiError>> {
                Box::pin($crate::fix::ec2::security_group::read(cx, finding))
            }

            fn plan(&self, input: &$crate::fix::PlanInput<'_>) -> Result<$crate::fix::Change, $crate::fix::NotPlanned> {
                $crate::fix::ec2::security_group::plan(&$meta, $offends, input.finding, input.state, input.params)
            }

            fn undo(&self, input: &$crate::fix::UndoInput<'_>) -> Result<$crate::fix::Change, $crate::fix::NotPlanned> {
                $crate::fix::ec2::security_group::undo(input.finding, input.before, input.now)
            }

            fn call<'a>(
                &'a self,
                cx: &'a $crate::fix::FixCx,
                call: &'a $crate::fix::ApiCall,
            ) -> $crate::fix::FixFuture<'a, Result<(), $crate::collect::ApiError>> {
                Box::pin($crate::fix::ec2::security_group::call(&$meta, cx, call))
            }
        }
    };
}

/// The permissions' write actions, shared by the three fixers.
pub(crate) const WRITE_ACTIONS: &[&str] = &["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"];
/// The read of [`read`].
pub(crate) const READ_ACTIONS: &[&str] = &["ec2:DescribeSecurityGroups"];
/// What the fixers change.
pub(crate) const SUMMARY: &str =
    "revokes only the whole-internet ranges (0.0.0.0/0, ::/0) of the offending permissions (undo: authorizes them again)";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fix::Fixer;

    fn finding(rule: &str) -> FindingRef {
        FindingRef {
            finding_id: "f".into(),
            rule_id: rule.into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
            resource_type: "AWS::EC2::SecurityGroup".into(),
            resource_id: "sg-1".into(),
            resource_arn: None,
        }
    }

    fn plan_with(fixer: &dyn Fixer, state: Value, params: &Params) -> Result<Change, NotPlanned> {
        let finding = finding(fixer.meta().rule_id);
        let settings = crate::fix::Settings::default();
        fixer.plan(&crate::fix::PlanInput { finding: &finding, state: &state, params, settings: &settings })
    }

    fn defaults(rule: &str) -> Params {
        let rule = mamori_rules::find(rule).unwrap();
        Params::defaults(rule.meta().id, rule.meta().params).unwrap()
    }

    fn permission(protocol: &str, ports: Option<(i64, i64)>, v4: &[&str], v6: &[&str], lists: &[&str]) -> Value {
        let mut p = json!({
            "ipProtocol": protocol,
            "ipv4Ranges": v4.iter().map(|c| json!({"cidrIp": c})).collect::<Vec<_>>(),
            "ipv6Ranges": v6.iter().map(|c| json!({"cidrIpv6": c})).collect::<Vec<_>>(),
            "prefixListIds": lists.iter().map(|l| json!({"prefixListId": l})).collect::<Vec<_>>(),
            "userIdGroupPairs": [],
        });
        if let Some((from, to)) = ports {
            p["fromPort"] = json!(from);
            p["toPort"] = json!(to);
        }
        p
    }

    #[test]
    fn a_range_covering_22_loses_only_its_internet_sources() {
        let ssh = &crate::fix::ec2::restricted_ssh::RestrictedSsh;
        let state = json!({"ipPermissions": [
            permission("tcp", Some((0, 1024)), &["0.0.0.0/0", "10.0.0.0/8"], &[], &[]),
            permission("udp", Some((22, 22)), &["0.0.0.0/0"], &[], &[]),
        ]});
        let change = plan_with(ssh, state, &defaults("restricted-ssh")).unwrap();
        assert_eq!(change.calls.len(), 1);
        assert_eq!(
            change.calls[0].parameters["IpPermissions"],
            json!([{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 1024, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        );
        let after = change.after["ipPermissions"].as_array().unwrap();
        assert_eq!(after.len(), 2, "UDP 22 is not SSH, and 10.0.0.0/8 stays: {after:?}");
        assert!(after.iter().any(|p| p["ipProtocol"] == "udp" && p["ipv4Ranges"][0]["cidrIp"] == "0.0.0.0/0"));
        // Undo restores exactly the state before.
        let now = change.after.clone();
        let before = json!({"ipPermissions": [
            permission("tcp", Some((0, 1024)), &["0.0.0.0/0", "10.0.0.0/8"], &[], &[]),
            permission("udp", Some((22, 22)), &["0.0.0.0/0"], &[], &[]),
        ]});
        let undo = undo(&finding("restricted-ssh"), &before, &now).unwrap();
        assert_eq!(undo.calls.len(), 1);
        assert_eq!(undo.calls[0].operation, "AuthorizeSecurityGroupIngress");
        assert_eq!(undo.calls[0].parameters["IpPermissions"][0]["IpRanges"], json!([{"CidrIp": "0.0.0.0/0"}]));
    }

    #[test]
    fn open_only_through_a_prefix_list_is_not_fixable_and_closed_groups_changed() {
        let ssh = &crate::fix::ec2::restricted_ssh::RestrictedSsh;
        let through_list = json!({"ipPermissions": [permission("tcp", Some((22, 22)), &[], &[], &["pl-1"])]});
        let not = plan_with(ssh, through_list, &defaults("restricted-ssh")).unwrap_err();
        assert_eq!(not.reason, LeftOutReason::NotFixable);
        let closed = json!({"ipPermissions": [permission("tcp", Some((22, 22)), &["10.0.0.0/8"], &[], &[])]});
        let not = plan_with(ssh, closed, &defaults("restricted-ssh")).unwrap_err();
        assert_eq!(not.reason, LeftOutReason::ResourceChanged);
    }

    #[test]
    fn each_rule_revokes_what_it_judges() {
        let common = &crate::fix::ec2::restricted_common_ports::RestrictedCommonPorts;
        let authorized = &crate::fix::ec2::vpc_sg_open_only_to_authorized_ports::VpcSgOpenOnlyToAuthorizedPorts;
        let state = json!({"ipPermissions": [
            permission("tcp", Some((443, 443)), &["0.0.0.0/0"], &["::/0"], &[]),
            permission("tcp", Some((3300, 3400)), &["0.0.0.0/0"], &[], &[]),
            permission("-1", None, &["192.168.0.0/16"], &[], &[]),
        ]});
        let change = plan_with(common, state.clone(), &defaults("restricted-common-ports")).unwrap();
        let revoked: Vec<&Value> = change.calls.iter().map(|c| &c.parameters["IpPermissions"][0]["FromPort"]).collect();
        assert_eq!(revoked, [&json!(3300)], "3306 and 3389 are in 3300-3400; 443 is not blocked");

        let mut params = Params::build(
            "vpc-sg-open-only-to-authorized-ports",
            mamori_rules::find("vpc-sg-open-only-to-authorized-ports").unwrap().meta().params,
            &[("authorizedTcpPorts".to_owned(), "443".to_owned())].into_iter().collect(),
        )
        .unwrap();
        let change = plan_with(authorized, state.clone(), &params).unwrap();
        assert_eq!(change.calls.len(), 1, "443 is authorized; the all-traffic rule is not open to the internet");
        assert_eq!(change.calls[0].parameters["IpPermissions"][0]["FromPort"], 3300);
        params = defaults("vpc-sg-open-only-to-authorized-ports");
        let change = plan_with(authorized, state, &params).unwrap();
        assert_eq!(change.calls.len(), 2, "with nothing authorized both internet-open permissions go");
        assert_eq!(
            change.calls[0].parameters["IpPermissions"][0]["Ipv6Ranges"],
            json!([{"CidrIpv6": "::/0"}]),
            "{:?}",
            change.calls
        );
    }
}
