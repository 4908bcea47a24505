//! `iam-customer-policy-blocked-kms-actions`: customer managed policies do not allow decryption
//! with every KMS key.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the default version of a customer managed
//! policy has an `Allow` statement over every resource (`Resource: "*"`) covering one of
//! `blockedActionsPatterns` (default, as Security Hub sets it for KMS.1: `kms:Decrypt`,
//! `kms:ReEncryptFrom`). With `excludePermissionBoundaryPolicy`, boundaries are skipped. AWS
//! managed policies are skipped. [`blocked_in`] is shared with the inline-policy rule.

use mamori_model::{ConfigItem, Severity};

use super::iam_policy_no_statements_with_admin_access::{
    default_document, in_scope, policy_name, EXCLUDE_BOUNDARY, POLICY_TYPE,
};
use crate::support::policy::PolicyDocument;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct IamCustomerPolicyBlockedKmsActions;

pub(super) const BLOCKED_ACTIONS: ParamSpec = ParamSpec {
    name: "blockedActionsPatterns",
    kind: ParamKind::List,
    default: "kms:Decrypt,kms:ReEncryptFrom",
    description: "Comma-separated KMS action patterns that must not be allowed on every key.",
};

static META: RuleMeta = RuleMeta {
    id: "iam-customer-policy-blocked-kms-actions",
    service: "iam",
    title: "Customer managed IAM policies do not allow decryption with every KMS key",
    severity: Severity::Medium,
    resource_types: &[POLICY_TYPE],
    params: &[BLOCKED_ACTIONS, EXCLUDE_BOUNDARY],
    rationale: "kms:Decrypt on every key lets its holder read any data encrypted under any key the key policies delegate to IAM, defeating the separation encryption was meant to provide.",
    remediation: "Restrict the statement's Resource to the key ARNs the holders need (`arn:aws:kms:REGION:ACCOUNT:key/ID`), then `aws iam create-policy-version --policy-arn ARN --policy-document file://policy.json --set-as-default`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["KMS.1"],
    notes: "Only statements over every resource count (as AWS, which treats `*` as every key); NotAction statements count when they do not exclude the action.",
};

/// The blocked patterns an unrestricted Allow statement of the document grants.
pub(super) fn blocked_in<'a>(document: &PolicyDocument, patterns: &'a [String]) -> Vec<&'a str> {
    patterns
        .iter()
        .filter(|pattern| {
            document
                .allow_statements()
                .any(|statement| statement.covers_all_resources() && statement.covers_action(pattern))
        })
        .map(String::as_str)
        .collect()
}

impl Rule for IamCustomerPolicyBlockedKmsActions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        match in_scope(item, cx) {
            Ok(true) => {}
            Ok(false) => return,
            Err(reason) => return cx.error(item, reason),
        }
        let name = policy_name(item);
        let document = match default_document(item) {
            Ok(document) => document,
            Err(reason) => return cx.error(item, reason),
        };
        let blocked = blocked_in(&document, cx.params().list("blockedActionsPatterns"));
        if blocked.is_empty() {
            cx.pass(item, format!("policy {name} allows no blocked KMS action on every key"))
        } else {
            cx.fail(item, format!("policy {name} allows {} on every KMS key", blocked.join(", ")))
        }
    }
}
