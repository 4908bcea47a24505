//! `iam-user-unused-credentials-check`: no console password or active access key has gone
//! unused for more than `maxCredentialUsageAge` days.
//!
//! As the AWS Config managed rule. A credential never used counts from its creation (the login
//! profile's `createDate`, the key's `createDate`), as AWS's remediation runbook
//! AWSConfigRemediation-RevokeUnusedIAMUserCredentials does; a credential exactly at the limit
//! passes (the runbook revokes at the limit). Inactive keys are ignored; days count from the
//! capture time. `LoginProfile` or `AccessKeys` absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::iam_user_mfa_enabled::{access_keys, login_profile, text, user_name, USER_TYPE};
use crate::support::item::{capture_time, days_between};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct IamUserUnusedCredentialsCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-user-unused-credentials-check",
    service: "iam",
    title: "IAM users' passwords and active access keys have been used within 90 days",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[ParamSpec {
        name: "maxCredentialUsageAge",
        kind: ParamKind::at_least(1),
        default: "90",
        description: "Maximum number of days a credential may go unused (CIS 1.12 asks for 45).",
    }],
    rationale: "A credential nobody uses belongs to someone who left or to a system that was retired; it still works for whoever holds a copy, and its misuse stands out to no one.",
    remediation: "Remove the console password (`aws iam delete-login-profile --user-name USER`) and deactivate unused keys (`aws iam update-access-key --user-name USER --access-key-id KEY --status Inactive`), or run the AWSConfigRemediation-RevokeUnusedIAMUserCredentials runbook; delete the user if it is no longer needed.",
    stride: Stride::Spoofing,
    cis: &["1.12"],
    fsbp: &["IAM.8"],
    notes: "Never-used credentials count from their creation date. CIS 1.12 (Security Hub IAM.22) requires maxCredentialUsageAge = 45; the default 90 matches IAM.8.",
};

/// Days since `last_used`, or since `created` if never used; the phrase says which.
fn idle(what: &str, last_used: Option<&str>, created: Option<&str>, now: &str) -> Result<(i64, String), String> {
    let (since, how) = match last_used {
        Some(used) => (used, "last used"),
        None => (created.ok_or_else(|| format!("{what} was never used and has no createDate"))?, "never used, created"),
    };
    let days = days_between(since, now).ok_or_else(|| format!("{what} has an unreadable date `{since}`"))?;
    Ok((days, format!("{what} {how} {days} days ago")))
}

impl Rule for IamUserUnusedCredentialsCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        let (profile, keys) = match (login_profile(item), access_keys(item)) {
            (Ok(profile), Ok(keys)) => (profile, keys),
            (Err(reason), _) | (_, Err(reason)) => return cx.error(item, reason),
        };
        let active: Vec<_> = keys.into_iter().filter(|key| key.active).collect();
        if profile.is_none() && active.is_empty() {
            return cx.pass(item, format!("user {user} has no console password and no active access keys"));
        }
        let now = match capture_time(item) {
            Ok(now) => now,
            Err(reason) => return cx.error(item, reason),
        };
        let limit = cx.params().int("maxCredentialUsageAge").unwrap_or(90);
        let mut idle_times = Vec::new();
        if let Some(profile) = profile {
            let Some(last_used) = profile.get("passwordLastUsed").or_else(|| profile.get("PasswordLastUsed")) else {
                return cx
                    .error(item, format!("the login profile of user {user} has no passwordLastUsed in the inventory"));
            };
            idle_times.push(idle("console password", last_used.as_str(), text(profile, "createDate"), now));
        }
        for key in &active {
            let Some(last_used) = key.last_used else {
                return cx
                    .error(item, format!("access key {} of user {user} has no lastUsedDate in the inventory", key.id));
            };
            idle_times.push(idle(&format!("access key {}", key.id), last_used, key.created, now));
        }
        let mut unused = Vec::new();
        for idle in idle_times {
            match idle {
                Ok((days, phrase)) if days > limit => unused.push(phrase),
                Ok(_) => {}
                Err(reason) => return cx.error(item, format!("user {user}: {reason}")),
            }
        }
        if unused.is_empty() {
            cx.pass(item, format!("user {user} used each of its credentials within the last {limit} days"))
        } else {
            cx.fail(
                item,
                format!("user {user} has credentials unused for more than {limit} days: {}", unused.join("; ")),
            )
        }
    }
}
