//! `iam-inline-policy-blocked-kms-actions`: inline policies of users, groups and roles do not
//! allow decryption with every KMS key.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an inline policy has an `Allow` statement
//! over every resource covering one of `blockedActionsPatterns` (default `kms:Decrypt`,
//! `kms:ReEncryptFrom`, as Security Hub sets it for KMS.2). Service-linked roles are skipped. An
//! inline list absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::iam_customer_policy_blocked_kms_actions::{blocked_in, BLOCKED_ACTIONS};
use crate::support::item::{as_list, required};
use crate::support::policy::PolicyDocument;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamInlinePolicyBlockedKmsActions;

static META: RuleMeta = RuleMeta {
    id: "iam-inline-policy-blocked-kms-actions",
    service: "iam",
    title: "Inline IAM policies do not allow decryption with every KMS key",
    severity: Severity::Medium,
    resource_types: &["AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"],
    params: &[BLOCKED_ACTIONS],
    rationale: "kms:Decrypt on every key in an inline policy gives one identity the ability to read any data encrypted under keys that delegate to IAM, and inline policies escape the review customer managed ones get.",
    remediation: "Restrict the statement's Resource to the needed key ARNs: `aws iam put-role-policy --role-name ROLE --policy-name NAME --policy-document file://policy.json` (or the user/group variant).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["KMS.2"],
    notes: "AWS's optional excludeRoleByManagementAccount parameter is not offered: a role's item alone does not say whether its account is the organization's management account.",
};

impl Rule for IamInlinePolicyBlockedKmsActions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (kind, name_key, list_key) = match item.resource_type.as_str() {
            "AWS::IAM::User" => ("user", "userName", "userPolicyList"),
            "AWS::IAM::Group" => ("group", "groupName", "groupPolicyList"),
            "AWS::IAM::Role" => ("role", "roleName", "rolePolicyList"),
            _ => return,
        };
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
        let list = match required(item, list_key) {
            Ok(list) => list,
            Err(reason) => return cx.error(item, format!("{kind} {name}: {reason}")),
        };
        let mut failing = Vec::new();
        for policy in as_list(Some(list)) {
            let policy_name = policy.get("policyName").and_then(Value::as_str).unwrap_or("(unnamed)");
            let document = match policy.get("policyDocument").map(PolicyDocument::parse) {
                Some(Ok(document)) => document,
                Some(Err(reason)) => {
                    return cx.error(item, format!("inline policy {policy_name} of {kind} {name}: {reason}"))
                }
                None => {
                    return cx.error(
                        item,
                        format!("inline policy {policy_name} of {kind} {name} has no policyDocument in the inventory"),
                    )
                }
            };
            let blocked = blocked_in(&document, cx.params().list("blockedActionsPatterns"));
            if !blocked.is_empty() {
                failing.push(format!("{policy_name} ({})", blocked.join(", ")));
            }
        }
        if failing.is_empty() {
            cx.pass(item, format!("{kind} {name} has no inline policy allowing blocked KMS actions on every key"))
        } else {
            cx.fail(
                item,
                format!(
                    "{kind} {name} has inline policies allowing blocked KMS actions on every key: {}",
                    failing.join("; ")
                ),
            )
        }
    }
}
