//! `iam-user-mfa-enabled`: every IAM user has an MFA device.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the user has no MFA device, whether or
//! not it has a console password (`mfa-enabled-for-iam-console-access` judges only console
//! users). Reads mamori's `supplementaryConfiguration.MfaDevices`; absent is ERROR.
//!
//! This file also holds the helpers the other IAM user rules share.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::as_list;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamUserMfaEnabled;

pub(super) const USER_TYPE: &str = "AWS::IAM::User";

static META: RuleMeta = RuleMeta {
    id: "iam-user-mfa-enabled",
    service: "iam",
    title: "Every IAM user has an MFA device",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[],
    rationale: "A user without MFA is one leaked password away from being impersonated, and MFA-conditioned policies (`aws:MultiFactorAuthPresent`) cannot protect anything for it.",
    remediation: "Assign an MFA device: IAM console > Users > USER > Security credentials > Assign MFA device (a FIDO security key preferably), or `aws iam create-virtual-mfa-device` then `aws iam enable-mfa-device --user-name USER ...`. Users that are machines should become IAM roles instead.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &[],
    notes: "",
};

/// The user's name, which messages use (AWS Config's resource id is the opaque user id).
pub(super) fn user_name(item: &ConfigItem) -> &str {
    item.config("userName").and_then(Value::as_str).or(item.resource_name.as_deref()).unwrap_or(&item.resource_id)
}

/// `supplementaryConfiguration.<key>` that must be present; `null` is returned as such.
pub(super) fn attribute<'a>(item: &'a ConfigItem, key: &str) -> Result<&'a Value, String> {
    if let Some(reason) = item.collection_error(key) {
        return Err(format!("{key} of user {} could not be read: {reason}", user_name(item)));
    }
    item.supplementary(key).ok_or_else(|| format!("user {} has no {key} in the inventory", user_name(item)))
}

/// A field in the inventory's camelCase or the API's PascalCase.
pub(super) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    let mut chars = key.chars();
    let pascal: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
    value.get(key).or_else(|| value.get(&pascal)).and_then(Value::as_str)
}

/// The console password (`LoginProfile`): `None` when the user has none.
pub(super) fn login_profile(item: &ConfigItem) -> Result<Option<&Value>, String> {
    attribute(item, "LoginProfile").map(|profile| Some(profile).filter(|profile| !profile.is_null()))
}

pub(super) fn mfa_device_count(item: &ConfigItem) -> Result<usize, String> {
    attribute(item, "MfaDevices").map(|devices| as_list(Some(devices)).len())
}

/// One of a user's access keys, as far as the rules need it.
pub(super) struct AccessKey<'a> {
    pub id: &'a str,
    pub active: bool,
    pub created: Option<&'a str>,
    /// `None` inside: never used; outer `None`: not in the inventory.
    pub last_used: Option<Option<&'a str>>,
}

pub(super) fn access_keys(item: &ConfigItem) -> Result<Vec<AccessKey<'_>>, String> {
    let mut keys = Vec::new();
    for key in as_list(Some(attribute(item, "AccessKeys")?)) {
        let id = text(key, "accessKeyId").unwrap_or("(unknown id)");
        let Some(status) = text(key, "status") else {
            return Err(format!("access key {id} of user {} has no status in the inventory", user_name(item)));
        };
        let last_used = key.get("lastUsedDate").or_else(|| key.get("LastUsedDate")).map(Value::as_str);
        keys.push(AccessKey {
            id,
            active: status.eq_ignore_ascii_case("Active"),
            created: text(key, "createDate"),
            last_used,
        });
    }
    Ok(keys)
}

impl Rule for IamUserMfaEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        match mfa_device_count(item) {
            Ok(0) => cx.fail(item, format!("user {user} has no MFA device")),
            Ok(count) => cx.pass(item, format!("user {user} has {count} MFA device(s)")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
