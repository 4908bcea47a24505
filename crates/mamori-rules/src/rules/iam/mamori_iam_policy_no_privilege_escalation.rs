//! `mamori-iam-policy-no-privilege-escalation`: no customer managed or inline IAM policy grants
//! permissions that let its holder raise its own privileges.
//!
//! AWS has no managed Config rule for this. FAIL when an Allow statement over every resource
//! (`Resource: "*"` or a `NotResource`) grants an action that edits or attaches policies, or
//! creates credentials for other identities (`iam:CreatePolicyVersion`,
//! `iam:SetDefaultPolicyVersion`, `iam:Attach{User,Group,Role}Policy`,
//! `iam:Put{User,Group,Role}Policy`, `iam:AddUserToGroup`, `iam:UpdateAssumeRolePolicy`,
//! `iam:CreateAccessKey`, `iam:CreateLoginProfile`, `iam:UpdateLoginProfile`,
//! `lambda:UpdateFunctionCode`), or `iam:PassRole` together with an action that starts compute
//! under a passed role (`ec2:RunInstances`, `lambda:CreateFunction`,
//! `cloudformation:CreateStack`, `glue:CreateDevEndpoint`, `ecs:RunTask`,
//! `codebuild:CreateProject`, `sagemaker:CreateNotebookInstance`,
//! `datapipeline:CreatePipeline`). Read: the default version of customer managed policies (AWS
//! managed ones are skipped) and the inline policies of users, groups and roles.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::iam_policy_no_statements_with_admin_access::{
    default_document, is_aws_managed, policy_arn, policy_name, POLICY_TYPE,
};
use crate::support::item::{as_list, required};
use crate::support::policy::PolicyDocument;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriIamPolicyNoPrivilegeEscalation;

static META: RuleMeta = RuleMeta {
    id: "mamori-iam-policy-no-privilege-escalation",
    service: "iam",
    title: "No customer managed or inline IAM policy allows privilege escalation",
    severity: Severity::High,
    resource_types: &[POLICY_TYPE, "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role"],
    params: &[],
    rationale: "Whoever can rewrite or attach policies, mint credentials for other users, or pass a powerful role to compute they start can make themselves an administrator: a developer policy with one of these actions on `*` is an administrator policy with extra steps.",
    remediation: "Scope the actions to the resources that need them (specific policy ARNs, users or roles, with `iam:PassedToService` conditions on iam:PassRole), or remove them and grant them only to an administration role.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. Only statements over every resource count, so a statement scoped to named ARNs (or with a resource wildcard other than `*`) passes; conditions are not read. Policies that allow `*` fail here too (iam-policy-no-statements-with-admin-access judges those as well). AWS managed policies and service-linked roles are skipped.",
};

/// Actions that escalate on their own.
const ALONE: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "lambda:UpdateFunctionCode",
];

/// Actions that start compute under a role passed with iam:PassRole.
const WITH_PASS_ROLE: &[&str] = &[
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
    "ecs:RunTask",
    "codebuild:CreateProject",
    "sagemaker:CreateNotebookInstance",
    "datapipeline:CreatePipeline",
];

/// The escalation paths a document opens, as text for messages; empty when none.
fn escalations(document: &PolicyDocument) -> Vec<String> {
    let unrestricted: Vec<_> = document.allow_statements().filter(|s| s.covers_all_resources()).collect();
    let granted = |action: &str| unrestricted.iter().any(|statement| statement.covers_action(action));
    let mut found: Vec<String> =
        ALONE.iter().filter(|action| granted(action)).map(|action| (*action).to_owned()).collect();
    if granted("iam:PassRole") {
        let compute: Vec<&str> = WITH_PASS_ROLE.iter().copied().filter(|action| granted(action)).collect();
        if !compute.is_empty() {
            found.push(format!("iam:PassRole with {}", compute.join(", ")));
        }
    }
    found
}

/// (kind, name key, inline list key) of the identities.
fn identity(resource_type: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match resource_type {
        "AWS::IAM::User" => Some(("user", "userName", "userPolicyList")),
        "AWS::IAM::Group" => Some(("group", "groupName", "groupPolicyList")),
        "AWS::IAM::Role" => Some(("role", "roleName", "rolePolicyList")),
        _ => None,
    }
}

/// At most five paths named, then how many more.
fn summary(paths: &[String]) -> String {
    if paths.len() <= 5 {
        paths.join(", ")
    } else {
        format!("{} and {} more", paths[..5].join(", "), paths.len() - 5)
    }
}

impl Rule for MamoriIamPolicyNoPrivilegeEscalation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if item.resource_type == POLICY_TYPE {
            if is_aws_managed(policy_arn(item)) {
                return;
            }
            let name = policy_name(item);
            return match default_document(item) {
                Ok(document) => match escalations(&document).as_slice() {
                    [] => cx.pass(item, format!("policy {name} allows no privilege escalation")),
                    paths => cx.fail(
                        item,
                        format!("policy {name} allows privilege escalation on every resource: {}", summary(paths)),
                    ),
                },
                Err(reason) => cx.error(item, reason),
            };
        }
        let Some((kind, name_key, list_key)) = identity(&item.resource_type) else { return };
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
            let Some(document) = policy.get("policyDocument") else {
                return cx.error(
                    item,
                    format!("inline policy {policy_name} of {kind} {name} has no policyDocument in the inventory"),
                );
            };
            match PolicyDocument::parse(document) {
                Ok(document) => {
                    let paths = escalations(&document);
                    if !paths.is_empty() {
                        failing.push(format!("inline policy {policy_name} ({})", summary(&paths)));
                    }
                }
                Err(reason) => {
                    return cx.error(item, format!("inline policy {policy_name} of {kind} {name}: {reason}"))
                }
            }
        }
        if failing.is_empty() {
            cx.pass(item, format!("{kind} {name} has no inline policy allowing privilege escalation"))
        } else {
            cx.fail(item, format!("{kind} {name} has privilege escalation on every resource in {}", failing.join("; ")))
        }
    }
}
