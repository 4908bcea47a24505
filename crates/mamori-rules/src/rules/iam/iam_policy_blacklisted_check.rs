//! `iam-policy-blacklisted-check`: no IAM user, group or role has a blocked managed policy
//! (by default AdministratorAccess) attached.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when one of `policyArns` (default
//! `arn:aws:iam::aws:policy/AdministratorAccess`) is among the resource's
//! `attachedManagedPolicies`, unless the resource is named in `exceptionList`
//! (`users:[alice;bob],groups:[admins],roles:[break-glass]`). An absent
//! `attachedManagedPolicies` is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, ParamKind, ParamSpec, Params, Rule, RuleMeta, Stride};

pub struct IamPolicyBlacklistedCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-policy-blacklisted-check",
    service: "iam",
    title: "No IAM user, group or role has AdministratorAccess (or another blocked policy) attached",
    severity: Severity::High,
    resource_types: &["AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"],
    params: &[
        ParamSpec {
            name: "policyArns",
            kind: ParamKind::List,
            default: "arn:aws:iam::aws:policy/AdministratorAccess",
            description: "Comma-separated ARNs of managed policies that must not be attached.",
        },
        ParamSpec {
            name: "exceptionList",
            kind: ParamKind::List,
            default: "",
            description: "Resources allowed to have them, as AWS writes it: `users:[alice;bob],groups:[admins],roles:[break-glass]`.",
        },
    ],
    rationale: "AdministratorAccess makes its holder able to do anything, including disabling logging and creating backdoor identities; attached to a workload role or a long-lived user, one compromise becomes a compromise of the account.",
    remediation: "Detach it (`aws iam detach-role-policy --role-name ROLE --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`, or the user/group variant) and attach a policy with the permissions actually used; keep full administration to a break-glass role named in exceptionList.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &[],
    notes: "Service-linked roles (path /aws-service-role/) are skipped: AWS manages their policies. exceptionList entries that are not `users:[…]`, `groups:[…]` or `roles:[…]` are ignored.",
};

/// (kind, name key) of each resource type.
fn shape(resource_type: &str) -> Option<(&'static str, &'static str)> {
    match resource_type {
        "AWS::IAM::User" => Some(("user", "userName")),
        "AWS::IAM::Group" => Some(("group", "groupName")),
        "AWS::IAM::Role" => Some(("role", "roleName")),
        _ => None,
    }
}

/// Whether `exceptionList` names the resource: `users:[a;b]` lists users, and so on.
fn excepted(params: &Params, kind: &str, name: &str) -> bool {
    let prefix = format!("{kind}s:[");
    params.list("exceptionList").iter().any(|entry| {
        entry
            .trim()
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|names| names.split(';').any(|listed| listed.trim() == name))
    })
}

impl Rule for IamPolicyBlacklistedCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let Some((kind, name_key)) = shape(&item.resource_type) else { return };
        if kind == "role"
            && item.config("path").and_then(Value::as_str).is_some_and(|p| p.starts_with("/aws-service-role/"))
        {
            return;
        }
        let name = item
            .config(name_key)
            .and_then(Value::as_str)
            .or(item.resource_name.as_deref())
            .unwrap_or(&item.resource_id);
        let attached = match required(item, "attachedManagedPolicies") {
            Ok(list) => list,
            Err(reason) => return cx.error(item, format!("{kind} {name}: {reason}")),
        };
        let blocked = cx.params().list("policyArns");
        let found: Vec<&str> = as_list(Some(attached))
            .into_iter()
            .filter_map(|policy| policy.get("policyArn").and_then(Value::as_str))
            .filter(|arn| blocked.iter().any(|wanted| wanted == arn))
            .collect();
        if found.is_empty() {
            return cx.pass(item, format!("{kind} {name} has no blocked managed policy attached"));
        }
        if excepted(cx.params(), kind, name) {
            return cx.pass(item, format!("{kind} {name} has {} attached and is in exceptionList", found.join(", ")));
        }
        cx.fail(item, format!("{kind} {name} has {} attached", found.join(", ")))
    }
}
