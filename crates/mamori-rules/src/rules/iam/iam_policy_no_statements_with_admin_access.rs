//! `iam-policy-no-statements-with-admin-access`: no customer managed policy grants `*` on `*`.
//!
//! As the AWS Config managed rule: the default version of each customer managed policy
//! (`policyVersionList` entry with `isDefaultVersion`, URL-encoded document) is NON_COMPLIANT
//! when an Allow statement has `Action` `*` (or `*:*`) over `Resource` `*`. AWS managed
//! policies, which mamori's inventory may hold too, are skipped as AWS skips them; with
//! `excludePermissionBoundaryPolicy`, policies used as permissions boundaries are skipped.

use std::sync::Arc;

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, required};
use crate::support::policy::{PolicyDocument, Statement};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct IamPolicyNoStatementsWithAdminAccess;

pub(super) const POLICY_TYPE: &str = "AWS::IAM::Policy";

pub(super) const EXCLUDE_BOUNDARY: ParamSpec = ParamSpec {
    name: "excludePermissionBoundaryPolicy",
    kind: ParamKind::Boolean,
    default: "false",
    description:
        "When true, policies used as permissions boundaries (permissionsBoundaryUsageCount > 0) are not evaluated.",
};

static META: RuleMeta = RuleMeta {
    id: "iam-policy-no-statements-with-admin-access",
    service: "iam",
    title: "No customer managed IAM policy allows every action on every resource",
    severity: Severity::High,
    resource_types: &[POLICY_TYPE],
    params: &[EXCLUDE_BOUNDARY],
    rationale: "A policy allowing `*` on `*` makes whoever holds it an administrator of the account: one leaked credential or one compromised workload with that policy gives an attacker everything, including the power to erase their tracks.",
    remediation: "Replace the statement with the actions and resources the holders need (IAM Access Analyzer can generate a policy from CloudTrail activity), then `aws iam create-policy-version --policy-arn ARN --policy-document file://least-privilege.json --set-as-default` (IAM console > Policies > POLICY > Edit).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["1.16"],
    fsbp: &["IAM.1"],
    notes: "AWS managed policies (arn:aws:iam::aws:policy/…), which mamori also records when attached, are skipped as the AWS Config rule skips them. `*:*` counts as `*`. Security Hub runs IAM.1 with excludePermissionBoundaryPolicy=true; the AWS Config default (false) is kept here.",
};

/// The policy's ARN, from the configuration or the item.
pub(super) fn policy_arn(item: &ConfigItem) -> &str {
    item.config("arn").and_then(Value::as_str).or(item.arn.as_deref()).unwrap_or(&item.resource_id)
}

pub(super) fn policy_name(item: &ConfigItem) -> &str {
    item.config("policyName").and_then(Value::as_str).or(item.resource_name.as_deref()).unwrap_or(&item.resource_id)
}

pub(super) fn is_aws_managed(arn: &str) -> bool {
    arn.contains(":iam::aws:policy/")
}

/// The document of the policy's default version.
pub(super) fn default_document(item: &ConfigItem) -> Result<PolicyDocument, String> {
    let name = policy_name(item);
    let versions =
        as_list(Some(required(item, "policyVersionList").map_err(|reason| format!("policy {name}: {reason}"))?));
    let default_id = item.config("defaultVersionId").and_then(Value::as_str);
    let flagged = versions.iter().find(|v| v.get("isDefaultVersion").and_then(as_bool) == Some(true));
    let by_id =
        || versions.iter().find(|v| default_id.is_some() && v.get("versionId").and_then(Value::as_str) == default_id);
    let version = flagged
        .or_else(by_id)
        .ok_or_else(|| format!("policy {name} has no default version in its policyVersionList"))?;
    let document =
        version.get("document").ok_or_else(|| format!("the default version of policy {name} has no document"))?;
    PolicyDocument::parse(document).map_err(|err| format!("policy {name}: {err}"))
}

/// Whether the customer managed policy is one the rule judges: `Ok(false)` for AWS managed
/// policies and, when the parameter says so, permissions boundaries.
pub(super) fn in_scope(item: &ConfigItem, cx: &Cx<'_>) -> Result<bool, String> {
    if is_aws_managed(policy_arn(item)) {
        return Ok(false);
    }
    if cx.params().bool(EXCLUDE_BOUNDARY.name) != Some(true) {
        return Ok(true);
    }
    let count = required(item, "permissionsBoundaryUsageCount")
        .map_err(|reason| format!("policy {}: {reason}", policy_name(item)))?;
    let count = count.as_i64().or_else(|| count.as_str().and_then(|text| text.trim().parse().ok()));
    match count {
        Some(count) => Ok(count == 0),
        None => Err(format!("policy {} has an unreadable permissionsBoundaryUsageCount", policy_name(item))),
    }
}

/// The memo slot of [`judged_document`].
struct DefaultDocument(Result<Arc<PolicyDocument>, String>);

/// The default-version document of a policy the rule judges, parsed once per policy for all
/// the policy rules; `None` when the policy is out of scope, or after reporting ERROR.
pub(super) fn judged_document(item: &ConfigItem, cx: &mut Cx<'_>) -> Option<Arc<PolicyDocument>> {
    match in_scope(item, cx) {
        Ok(true) => {}
        Ok(false) => return None,
        Err(reason) => {
            cx.error(item, reason);
            return None;
        }
    }
    let parsed = cx.memo(item, || DefaultDocument(default_document(item).map(Arc::new)));
    match &parsed.0 {
        Ok(document) => Some(document.clone()),
        Err(reason) => {
            cx.error(item, reason.clone());
            None
        }
    }
}

/// How a statement is named in messages: its Sid, or its position.
pub(super) fn statement_label(statement: &Statement, index: usize) -> String {
    match &statement.sid {
        Some(sid) if !sid.is_empty() => format!("statement {sid}"),
        _ => format!("statement #{}", index + 1),
    }
}

fn grants_admin(statement: &Statement) -> bool {
    statement.allow
        && statement.not_actions.is_none()
        && statement.actions.iter().any(|action| action == "*" || action == "*:*")
        && statement.not_resources.is_none()
        && statement.resources.iter().any(|resource| resource == "*")
}

impl Rule for IamPolicyNoStatementsWithAdminAccess {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let Some(document) = judged_document(item, cx) else { return };
        let name = policy_name(item);
        match document.statements.iter().enumerate().find(|(_, statement)| grants_admin(statement)) {
            Some((index, statement)) => cx.fail(
                item,
                format!("policy {name} allows every action on every resource ({})", statement_label(statement, index)),
            ),
            None => cx.pass(item, format!("policy {name} does not allow every action on every resource")),
        }
    }
}
