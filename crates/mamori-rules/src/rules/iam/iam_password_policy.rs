//! `iam-password-policy`: the account password policy meets every configured requirement.
//!
//! As the AWS Config managed rule, with its parameters and defaults: each `Require*` set to
//! true must be required by the policy, the minimum length and the reuse prevention must be at
//! least the parameter, and passwords must expire within `MaxPasswordAge` days. An unset
//! parameter (empty string) is not checked. No policy (`null`) is NON_COMPLIANT, listing every
//! requirement. Unlike AWS, boolean parameters are case-insensitive. Home-region record only.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::{Map, Value};

use super::root_account_mfa_enabled::carries_global_settings;
use crate::support::item::{as_bool, required};
use crate::{Cx, ParamKind, ParamSpec, Params, Rule, RuleMeta, Stride};

pub struct IamPasswordPolicy;

static META: RuleMeta = RuleMeta {
    id: "iam-password-policy",
    service: "iam",
    title: "The account password policy requires strong, expiring, non-reused passwords",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE],
    params: &[
        ParamSpec {
            name: "RequireUppercaseCharacters",
            kind: ParamKind::Boolean,
            default: "true",
            description: "Require at least one uppercase letter.",
        },
        ParamSpec {
            name: "RequireLowercaseCharacters",
            kind: ParamKind::Boolean,
            default: "true",
            description: "Require at least one lowercase letter.",
        },
        ParamSpec {
            name: "RequireSymbols",
            kind: ParamKind::Boolean,
            default: "true",
            description: "Require at least one symbol.",
        },
        ParamSpec {
            name: "RequireNumbers",
            kind: ParamKind::Boolean,
            default: "true",
            description: "Require at least one number.",
        },
        ParamSpec {
            name: "MinimumPasswordLength",
            kind: ParamKind::between(6, 128),
            default: "14",
            description: "Minimum password length.",
        },
        ParamSpec {
            name: "PasswordReusePrevention",
            kind: ParamKind::between(1, 24),
            default: "24",
            description: "Number of previous passwords that cannot be reused.",
        },
        ParamSpec {
            name: "MaxPasswordAge",
            kind: ParamKind::between(1, 1095),
            default: "90",
            description: "Number of days after which passwords must expire.",
        },
    ],
    rationale: "IAM users' console passwords are guessed, sprayed and reused from breaches; length, character classes, reuse prevention and expiry make those attacks slower and shorten the life of a stolen password.",
    remediation: "Set the policy: `aws iam update-account-password-policy --minimum-password-length 14 --require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols --password-reuse-prevention 24 --max-password-age 90 --allow-users-to-change-password` (IAM console > Account settings > Password policy). Better still, replace IAM users with IAM Identity Center.",
    stride: Stride::Spoofing,
    cis: &["1.8", "1.9"],
    fsbp: &["IAM.7"],
    notes: "Boolean parameters are read case-insensitively (AWS treats anything but lowercase `true` as false). The message lists every unmet requirement.",
};

/// A policy field in the inventory's camelCase or the API's PascalCase.
fn field<'a>(policy: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    policy.get(key).or_else(|| {
        let mut chars = key.chars();
        let pascal: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
        policy.get(&pascal)
    })
}

fn number(policy: &Map<String, Value>, key: &str) -> Option<i64> {
    match field(policy, key)? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Every requirement of `params` that `policy` does not meet, in words.
fn unmet(policy: &Map<String, Value>, params: &Params) -> Vec<String> {
    let mut unmet = Vec::new();
    for (param, key, what) in [
        ("RequireUppercaseCharacters", "requireUppercaseCharacters", "uppercase letter"),
        ("RequireLowercaseCharacters", "requireLowercaseCharacters", "lowercase letter"),
        ("RequireSymbols", "requireSymbols", "symbol"),
        ("RequireNumbers", "requireNumbers", "number"),
    ] {
        if params.bool(param) == Some(true) && field(policy, key).and_then(as_bool) != Some(true) {
            unmet.push(format!("{what} not required"));
        }
    }
    if let Some(wanted) = params.int("MinimumPasswordLength") {
        match number(policy, "minimumPasswordLength") {
            Some(length) if length >= wanted => {}
            Some(length) => unmet.push(format!("minimum length {length} (required {wanted})")),
            None => unmet.push(format!("no minimum length (required {wanted})")),
        }
    }
    if let Some(wanted) = params.int("PasswordReusePrevention") {
        match number(policy, "passwordReusePrevention") {
            Some(remembered) if remembered >= wanted => {}
            Some(remembered) => {
                unmet.push(format!("reuse prevented for the last {remembered} passwords only (required {wanted})"))
            }
            None => unmet.push(format!("password reuse allowed (required: prevent reuse of the last {wanted})")),
        }
    }
    if let Some(wanted) = params.int("MaxPasswordAge") {
        let expires = field(policy, "expirePasswords").and_then(as_bool) != Some(false);
        match number(policy, "maxPasswordAge").filter(|age| *age > 0 && expires) {
            Some(age) if age <= wanted => {}
            Some(age) => unmet.push(format!("passwords expire after {age} days (required at most {wanted})")),
            None => unmet.push(format!("passwords never expire (required within {wanted} days)")),
        }
    }
    unmet
}

impl Rule for IamPasswordPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if !carries_global_settings(item) {
            return;
        }
        let account = &item.account_id;
        let policy = match required(item, "passwordPolicy") {
            Ok(Value::Object(policy)) => policy,
            Ok(Value::Null) => {
                // No policy: IAM's default, which requires none of this; judged as an empty one.
                let missing = unmet(&Map::new(), cx.params());
                let detail = if missing.is_empty() { String::new() } else { format!(": {}", missing.join("; ")) };
                return cx
                    .fail(item, format!("account {account} has no password policy (IAM's default applies){detail}"));
            }
            Ok(_) => return cx.error(item, format!("the password policy of account {account} is not an object")),
            Err(reason) => return cx.error(item, reason),
        };
        let missing = unmet(policy, cx.params());
        if missing.is_empty() {
            cx.pass(item, format!("account {account}: the password policy meets every requirement"))
        } else {
            cx.fail(item, format!("account {account}: the password policy falls short: {}", missing.join("; ")))
        }
    }
}
