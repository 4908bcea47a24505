//! `iam-root-access-key-check`: the root user has no access keys.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `AccountAccessKeysPresent` of the account
//! summary is 1. mamori also reads the credential report's `<root_account>` row when it is in
//! the inventory: an active key there is a FAIL even if the summary is missing or disagrees. No
//! summary and no evidence of a key is ERROR. Home-region record only.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use super::root_account_mfa_enabled::{account_summary, carries_global_settings, summary_flag};
use crate::support::item::{as_bool, as_list};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamRootAccessKeyCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-root-access-key-check",
    service: "iam",
    title: "The root user of every account has no access keys",
    severity: Severity::Critical,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "A root access key is a long-lived credential with unrestricted power over the account that no IAM policy or SCP can limit and that MFA does not protect; leaked once, it gives an attacker the whole account.",
    remediation: "Sign in as the root user, open Security credentials > Access keys, deactivate and delete every key, and move automation to IAM roles; with centralized root access, delete it from the management account (`aws sts assume-root --task-policy-arn arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials`).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["1.4"],
    fsbp: &["IAM.4"],
    notes: "Also reads the credential report's <root_account> row when present; an active key there fails the account even without an account summary.",
};

/// The root row's active access keys in the credential report, e.g. `["access key 1"]`.
fn report_active_keys(item: &ConfigItem) -> Vec<&'static str> {
    let rows = as_list(item.config("credentialReport"));
    let Some(root) = rows.into_iter().find(|row| row.get("user").and_then(Value::as_str) == Some("<root_account>"))
    else {
        return Vec::new();
    };
    [("access_key_1_active", "access key 1"), ("access_key_2_active", "access key 2")]
        .into_iter()
        .filter(|(column, _)| root.get(*column).and_then(as_bool) == Some(true))
        .map(|(_, label)| label)
        .collect()
}

impl Rule for IamRootAccessKeyCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if !carries_global_settings(item) {
            return;
        }
        let account = &item.account_id;
        let in_report = report_active_keys(item);
        let in_summary = account_summary(item).map(|summary| summary_flag(summary, "AccountAccessKeysPresent"));
        match (in_summary, in_report.is_empty()) {
            (Ok(Some(true)), _) => cx.fail(item, format!("account {account}: the root user has an access key")),
            (_, false) => cx.fail(
                item,
                format!("account {account}: the credential report shows root {} active", in_report.join(" and ")),
            ),
            (Ok(Some(false)), true) => cx.pass(item, format!("account {account}: the root user has no access keys")),
            (Ok(None), true) => {
                cx.error(item, format!("the account summary of account {account} has no AccountAccessKeysPresent"))
            }
            (Err(reason), true) => cx.error(item, reason),
        }
    }
}
