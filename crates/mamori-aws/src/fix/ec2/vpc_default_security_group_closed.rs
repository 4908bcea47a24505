//! Fixes `vpc-default-security-group-closed`: removes every inbound and outbound rule of a
//! VPC's default security group (RevokeSecurityGroupIngress / RevokeSecurityGroupEgress with
//! exactly the permissions read), which is what the rule asks for.
//!
//! Resources still in the default group lose the traffic it allowed: the blast radius the mode
//! (`plan` or `auto`) is chosen for. The state is the group's permissions in the API's shape,
//! sorted, so undo authorizes exactly the recorded permissions again, descriptions included.
//! Only a group named `default` is ever changed.

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use serde_json::{json, Map, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    param, text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta,
    LeftOutReason, NotPlanned, PlanInput, UndoInput,
};

pub struct VpcDefaultSecurityGroupClosed;

static META: FixerMeta = FixerMeta {
    rule_id: "vpc-default-security-group-closed",
    resource_types: &["AWS::EC2::SecurityGroup"],
    collector: "ec2",
    read_actions: &["ec2:DescribeSecurityGroups"],
    write_actions: &[
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
    ],
    reversible: true,
    settings: &[],
    summary: "removes every inbound and outbound rule of a default security group (undo: restores them)",
};

/// (state key, revoke operation, authorize operation).
const DIRECTIONS: [(&str, &str, &str); 2] = [
    ("IpPermissions", "RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"),
    ("IpPermissionsEgress", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress"),
];

impl Fixer for VpcDefaultSecurityGroupClosed {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let described =
                cx.call("ec2", client(cx).describe_security_groups().group_ids(&finding.resource_id).send()).await;
            let out = match described {
                Ok(out) => out,
                Err(err) if err.is_not_found(&["InvalidGroup.NotFound", "InvalidGroupId.NotFound"]) => return Ok(None),
                Err(err) => return Err(err),
            };
            let Some(group) = out.security_groups().iter().find(|g| g.group_id() == Some(&finding.resource_id)) else {
                return Ok(None);
            };
            let sorted = |permissions: &[IpPermission]| {
                let mut all: Vec<Value> = permissions.iter().map(permission_json).collect();
                all.sort_by_key(Value::to_string);
                Value::Array(all)
            };
            Ok(Some(json!({
                "GroupName": group.group_name(),
                "IpPermissions": sorted(group.ip_permissions()),
                "IpPermissionsEgress": sorted(group.ip_permissions_egress()),
            })))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let group = &input.finding.resource_id;
        if input.state["GroupName"] != "default" {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("{group} is not a default security group; its rules are not removed"),
            ));
        }
        let mut calls = Vec::new();
        for (key, revoke, _) in DIRECTIONS {
            let permissions = input.state[key].as_array().cloned().unwrap_or_default();
            if !permissions.is_empty() {
                // Exactly as read, descriptions included: the emulator matches them on revoke.
                calls.push(ApiCall::new("ec2", revoke, json!({"GroupId": group, "IpPermissions": permissions})));
            }
        }
        if calls.is_empty() {
            return Err(NotPlanned::new(LeftOutReason::ResourceChanged, format!("{group} has no rules now")));
        }
        Ok(Change {
            calls,
            after: json!({"GroupName": "default", "IpPermissions": [], "IpPermissionsEgress": []}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let group = &input.finding.resource_id;
        let mut calls = Vec::new();
        for (key, _, authorize) in DIRECTIONS {
            let present = input.now[key].as_array().cloned().unwrap_or_default();
            let missing: Vec<Value> =
                input.before[key].as_array().into_iter().flatten().filter(|p| !present.contains(p)).cloned().collect();
            if !missing.is_empty() {
                calls.push(ApiCall::new("ec2", authorize, json!({"GroupId": group, "IpPermissions": missing})));
            }
        }
        Ok(Change { calls, after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let group = text_param(call, "GroupId")?;
            let permissions = param(call, "IpPermissions")?
                .as_array()
                .ok_or_else(|| ApiError::new("InvalidPlan", "IpPermissions is not a list"))?
                .iter()
                .map(permission_of)
                .collect::<Result<Vec<_>, _>>()?;
            let ec2 = client(cx);
            let permissions = Some(permissions);
            match call.operation.as_str() {
                "RevokeSecurityGroupIngress" => {
                    let revoke = ec2.revoke_security_group_ingress().group_id(group).set_ip_permissions(permissions);
                    cx.call("ec2", revoke.send()).await.map(|_| ())
                }
                "RevokeSecurityGroupEgress" => {
                    let revoke = ec2.revoke_security_group_egress().group_id(group).set_ip_permissions(permissions);
                    cx.call("ec2", revoke.send()).await.map(|_| ())
                }
                "AuthorizeSecurityGroupIngress" => {
                    let add = ec2.authorize_security_group_ingress().group_id(group).set_ip_permissions(permissions);
                    cx.call("ec2", add.send()).await.map(|_| ())
                }
                "AuthorizeSecurityGroupEgress" => {
                    let add = ec2.authorize_security_group_egress().group_id(group).set_ip_permissions(permissions);
                    cx.call("ec2", add.send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// A permission in the API's member names, each list sorted and empty lists left out, so that
/// two reads of the same rules compare equal.
fn permission_json(permission: &IpPermission) -> Value {
    let mut out = Map::new();
    out.insert("IpProtocol".into(), json!(permission.ip_protocol()));
    if let Some(from) = permission.from_port() {
        out.insert("FromPort".into(), json!(from));
    }
    if let Some(to) = permission.to_port() {
        out.insert("ToPort".into(), json!(to));
    }
    let mut list = |key: &str, mut entries: Vec<Value>| {
        if !entries.is_empty() {
            entries.sort_by_key(Value::to_string);
            out.insert(key.into(), Value::Array(entries));
        }
    };
    let entry = |pairs: &[(&str, Option<&str>)]| {
        Value::Object(pairs.iter().filter_map(|(k, v)| Some(((*k).to_owned(), json!((*v)?)))).collect())
    };
    list(
        "IpRanges",
        permission
            .ip_ranges()
            .iter()
            .map(|r| entry(&[("CidrIp", r.cidr_ip()), ("Description", r.description())]))
            .collect(),
    );
    list(
        "Ipv6Ranges",
        permission
            .ipv6_ranges()
            .iter()
            .map(|r| entry(&[("CidrIpv6", r.cidr_ipv6()), ("Description", r.description())]))
            .collect(),
    );
    list(
        "PrefixListIds",
        permission
            .prefix_list_ids()
            .iter()
            .map(|l| entry(&[("PrefixListId", l.prefix_list_id()), ("Description", l.description())]))
            .collect(),
    );
    list(
        "UserIdGroupPairs",
        permission
            .user_id_group_pairs()
            .iter()
            .map(|p| entry(&[("GroupId", p.group_id()), ("UserId", p.user_id()), ("Description", p.description())]))
            .collect(),
    );
    Value::Object(out)
}

/// The SDK's permission from a planned one.
fn permission_of(value: &Value) -> Result<IpPermission, ApiError> {
    let text = |entry: &Value, key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    let port = |key: &str| value.get(key).and_then(Value::as_i64).map(|p| p as i32);
    let entries = |key: &str| value.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let protocol = text(value, "IpProtocol")
        .ok_or_else(|| ApiError::new("InvalidPlan", format!("a planned permission has no IpProtocol: {value}")))?;
    Ok(IpPermission::builder()
        .ip_protocol(protocol)
        .set_from_port(port("FromPort"))
        .set_to_port(port("ToPort"))
        .set_ip_ranges(non_empty(
            entries("IpRanges")
                .iter()
                .map(|r| {
                    IpRange::builder().set_cidr_ip(text(r, "CidrIp")).set_description(text(r, "Description")).build()
                })
                .collect(),
        ))
        .set_ipv6_ranges(non_empty(
            entries("Ipv6Ranges")
                .iter()
                .map(|r| {
                    Ipv6Range::builder()
                        .set_cidr_ipv6(text(r, "CidrIpv6"))
                        .set_description(text(r, "Description"))
                        .build()
                })
                .collect(),
        ))
        .set_prefix_list_ids(non_empty(
            entries("PrefixListIds")
                .iter()
                .map(|l| {
                    PrefixListId::builder()
                        .set_prefix_list_id(text(l, "PrefixListId"))
                        .set_description(text(l, "Description"))
                        .build()
                })
                .collect(),
        ))
        .set_user_id_group_pairs(non_empty(
            entries("UserIdGroupPairs")
                .iter()
                .map(|p| {
                    UserIdGroupPair::builder()
                        .set_group_id(text(p, "GroupId"))
                        .set_user_id(text(p, "UserId"))
                        .set_description(text(p, "Description"))
                        .build()
                })
                .collect(),
        ))
        .build())
}

/// `None` for an empty list: EC2's query protocol would send an empty member otherwise.
fn non_empty<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}
