//! `root-account-mfa-enabled`: the root user signs in with a second factor.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `AccountMFAEnabled` of the account
//! summary is 0. Where AWS answers NOT_APPLICABLE (the root user has no password and no access
//! keys, as with centralized root access) mamori reports PASS, as Security Hub does. Only the
//! home-region `AWS::::Account` record is judged; an absent account summary is ERROR.
//!
//! This file also holds the helpers the other root-user rules share.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RootAccountMfaEnabled;

static META: RuleMeta = RuleMeta {
    id: "root-account-mfa-enabled",
    service: "iam",
    title: "The root user of every account has MFA enabled",
    severity: Severity::Critical,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "The root user can do anything in the account, including closing it and changing its contact details, and no IAM policy or SCP restrains it; a phished or reused root password without a second factor is a full account takeover.",
    remediation: "Sign in as the root user, open Security credentials > Multi-factor authentication (MFA) > Assign MFA device, and register a security key or authenticator; in an organization, consider centralized root access (`aws iam enable-organizations-root-credentials-management`) to remove member-account root credentials altogether.",
    stride: Stride::Spoofing,
    cis: &["1.5"],
    fsbp: &[],
    notes: "AWS answers NOT_APPLICABLE when the root user has no credentials (accountSummary AccountPasswordPresent and AccountAccessKeysPresent both 0); mamori reports PASS, as Security Hub control IAM.9 does.",
};

/// Whether this account record carries the account's global (IAM) settings. Records of other
/// regions carry only regional settings, and global rules emit nothing for them.
pub(super) fn carries_global_settings(item: &ConfigItem) -> bool {
    item.config("homeRegion").and_then(as_bool) == Some(true)
}

/// `configuration.accountSummary` (iam:GetAccountSummary's `SummaryMap`), or why it is unknown.
pub(super) fn account_summary(item: &ConfigItem) -> Result<&Value, String> {
    match required(item, "accountSummary")? {
        summary @ Value::Object(_) => Ok(summary),
        _ => Err(format!("account {} has no readable account summary in the inventory", item.account_id)),
    }
}

/// A summary entry as a flag: the API says 1 or 0; snapshots may hold booleans or strings.
pub(super) fn summary_flag(summary: &Value, key: &str) -> Option<bool> {
    match summary.get(key)? {
        Value::Number(number) => number.as_f64().map(|n| n != 0.0),
        Value::String(text) if text == "1" || text == "0" => Some(text == "1"),
        other => as_bool(other),
    }
}

/// Whether the root user has no credentials at all (centralized root access removed them), so
/// that MFA has nothing to protect. Needs `AccountPasswordPresent`, which older summaries lack.
pub(super) fn root_without_credentials(summary: &Value) -> bool {
    summary_flag(summary, "AccountPasswordPresent") == Some(false)
        && summary_flag(summary, "AccountAccessKeysPresent") == Some(false)
        && summary_flag(summary, "AccountSigningCertificatesPresent") != Some(true)
}

impl Rule for RootAccountMfaEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if !carries_global_settings(item) {
            return;
        }
        let account = &item.account_id;
        let summary = match account_summary(item) {
            Ok(summary) => summary,
            Err(reason) => return cx.error(item, reason),
        };
        if root_without_credentials(summary) {
            return cx.pass(item, format!("account {account}: the root user has no password and no access keys"));
        }
        match summary_flag(summary, "AccountMFAEnabled") {
            Some(true) => cx.pass(item, format!("account {account}: the root user has MFA enabled")),
            Some(false) => cx.fail(item, format!("account {account}: the root user has no MFA device")),
            None => cx.error(item, format!("the account summary of account {account} has no AccountMFAEnabled")),
        }
    }
}
