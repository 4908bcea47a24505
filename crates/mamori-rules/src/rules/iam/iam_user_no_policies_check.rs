//! `iam-user-no-policies-check`: no IAM user has a policy of its own.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a user has a managed policy attached
//! (`attachedManagedPolicies`) or an inline policy (`userPolicyList`); users should get their
//! permissions from groups or roles. Either list absent from the inventory is ERROR (`null`
//! counts as empty).

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::iam_user_mfa_enabled::{user_name, USER_TYPE};
use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamUserNoPoliciesCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-user-no-policies-check",
    service: "iam",
    title: "IAM users get their permissions only through groups or roles, with no policy attached to the user",
    severity: Severity::Low,
    resource_types: &[USER_TYPE],
    params: &[],
    rationale: "Permissions granted user by user drift apart and are forgotten when people change jobs; granting them through groups and roles keeps access reviewable and makes least privilege manageable as the number of users grows.",
    remediation: "Put the user in a group that carries the policy, then detach it from the user: `aws iam add-user-to-group --group-name GROUP --user-name USER`, `aws iam detach-user-policy --user-name USER --policy-arn ARN`, `aws iam delete-user-policy --user-name USER --policy-name NAME` (IAM console > Users > USER > Permissions).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["1.15"],
    fsbp: &["IAM.2"],
    notes: "",
};

/// The names of the policies in one of the user's policy lists.
fn names(list: &Value, key: &str) -> Vec<String> {
    as_list(Some(list))
        .into_iter()
        .map(|policy| policy.get(key).and_then(Value::as_str).unwrap_or("(unnamed)").to_owned())
        .collect()
}

impl Rule for IamUserNoPoliciesCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        let lists = required(item, "attachedManagedPolicies").and_then(|managed| {
            required(item, "userPolicyList").map(|inline| (names(managed, "policyArn"), names(inline, "policyName")))
        });
        let (managed, inline) = match lists {
            Ok(lists) => lists,
            Err(reason) => return cx.error(item, format!("user {user}: {reason}")),
        };
        let mut found = Vec::new();
        if !managed.is_empty() {
            found.push(format!("managed polic{} {} attached", plural(managed.len()), managed.join(", ")));
        }
        if !inline.is_empty() {
            found.push(format!("inline polic{} {}", plural(inline.len()), inline.join(", ")));
        }
        if found.is_empty() {
            cx.pass(item, format!("user {user} has no policies of its own"))
        } else {
            cx.fail(item, format!("user {user} has {}", found.join(" and ")))
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        "y"
    } else {
        "ies"
    }
}
