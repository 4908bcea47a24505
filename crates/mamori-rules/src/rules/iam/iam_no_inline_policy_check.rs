//! `iam-no-inline-policy-check`: no IAM user, role or group has an inline policy.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `userPolicyList`, `rolePolicyList` or
//! `groupPolicyList` is non-empty. Unlike AWS, service-linked roles (path
//! `/aws-service-role/…`) are not judged: the service owns their policies and nobody can
//! change them. A list absent from the inventory is ERROR; `null` counts as empty.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamNoInlinePolicyCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-no-inline-policy-check",
    service: "iam",
    title: "IAM users, roles and groups have no inline policies",
    severity: Severity::Low,
    resource_types: &["AWS::IAM::User", "AWS::IAM::Role", "AWS::IAM::Group"],
    params: &[],
    rationale: "Inline policies live inside one identity, have no versions to roll back to and cannot be reviewed or reused as a set; managed policies make permissions visible, versioned and auditable in one place.",
    remediation: "Recreate the permissions as a customer managed policy and attach it, then delete the inline policy: `aws iam create-policy`, `aws iam attach-role-policy` (or user/group), `aws iam delete-role-policy --role-name ROLE --policy-name NAME` (IAM console > ROLE > Permissions).",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &[],
    notes: "Service-linked roles (path /aws-service-role/) are skipped: their policies belong to the AWS service and cannot be edited.",
};

/// (kind, name key, inline policy list key) for each resource type.
fn shape(resource_type: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match resource_type {
        "AWS::IAM::User" => Some(("user", "userName", "userPolicyList")),
        "AWS::IAM::Role" => Some(("role", "roleName", "rolePolicyList")),
        "AWS::IAM::Group" => Some(("group", "groupName", "groupPolicyList")),
        _ => None,
    }
}

impl Rule for IamNoInlinePolicyCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let Some((kind, name_key, list_key)) = shape(&item.resource_type) else { return };
        let path = item.config("path").and_then(Value::as_str).unwrap_or("");
        if kind == "role" && path.starts_with("/aws-service-role/") {
            return;
        }
        let name = item
            .config(name_key)
            .and_then(Value::as_str)
            .or(item.resource_name.as_deref())
            .unwrap_or(&item.resource_id);
        let list = match required(item, list_key) {
            Ok(list) => list,
            Err(reason) => return cx.error(item, format!("{kind} {name}: {reason}")),
        };
        let inline: Vec<&str> = as_list(Some(list))
            .into_iter()
            .map(|policy| policy.get("policyName").and_then(Value::as_str).unwrap_or("(unnamed)"))
            .collect();
        if inline.is_empty() {
            cx.pass(item, format!("{kind} {name} has no inline policies"))
        } else {
            cx.fail(
                item,
                format!(
                    "{kind} {name} has inline polic{} {}",
                    if inline.len() == 1 { "y" } else { "ies" },
                    inline.join(", ")
                ),
            )
        }
    }
}
