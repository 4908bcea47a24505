//! `iam-policy-no-statements-with-full-access`: no customer managed policy grants a whole service.
//!
//! As the AWS Config managed rule: the default version of each customer managed policy is
//! NON_COMPLIANT when an Allow statement has an action `service:*` (on any resource);
//! `service:Describe*` and other prefixed wildcards are fine. As Security Hub's IAM.21, an
//! Allow with `NotAction` also fails (it grants every other service in full), and so does
//! `Action` `*`. AWS managed policies are skipped; `excludePermissionBoundaryPolicy` as AWS.

use mamori_model::{ConfigItem, Severity};

use super::iam_policy_no_statements_with_admin_access::{
    judged_document, policy_name, statement_label, EXCLUDE_BOUNDARY, POLICY_TYPE,
};
use crate::support::policy::Statement;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamPolicyNoStatementsWithFullAccess;

static META: RuleMeta = RuleMeta {
    id: "iam-policy-no-statements-with-full-access",
    service: "iam",
    title: "No customer managed IAM policy allows every action of an AWS service",
    severity: Severity::Low,
    resource_types: &[POLICY_TYPE],
    params: &[EXCLUDE_BOUNDARY],
    rationale: "`service:*` grants today's and tomorrow's actions of a service, including the destructive and permission-changing ones (`iam:*`, `kms:*`, `s3:*` on every bucket); scoping actions keeps a stolen credential from doing more than its job.",
    remediation: "List the actions the holders use instead of `service:*` (prefixed wildcards such as `ec2:Describe*` are fine; IAM Access Analyzer policy generation lists them from CloudTrail), then `aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default`.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["IAM.21"],
    notes: "Also fails an Allow with `NotAction` (as Security Hub IAM.21 documents) and an Allow of `*`. AWS managed policies (arn:aws:iam::aws:policy/…), which mamori also records, are skipped as AWS skips them.",
};

/// What in the statement grants a whole service, if anything.
fn full_access(statement: &Statement) -> Option<String> {
    if !statement.allow {
        return None;
    }
    if let Some(excluded) = &statement.not_actions {
        return Some(format!("allows every action except {}", excluded.join(", ")));
    }
    statement.actions.iter().find_map(|action| {
        let (service, rest) = action.split_once(':').unwrap_or(("", action));
        let whole = rest == "*" && !service.contains('*') || action == "*";
        whole.then(|| format!("allows {action}"))
    })
}

impl Rule for IamPolicyNoStatementsWithFullAccess {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let Some(document) = judged_document(item, cx) else { return };
        let name = policy_name(item);
        let found: Vec<String> = document
            .statements
            .iter()
            .enumerate()
            .filter_map(|(index, statement)| {
                full_access(statement).map(|what| format!("{} {what}", statement_label(statement, index)))
            })
            .collect();
        if found.is_empty() {
            cx.pass(item, format!("policy {name} allows no service in full"))
        } else {
            cx.fail(item, format!("policy {name}: {}", found.join("; ")))
        }
    }
}
