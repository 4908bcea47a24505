//! Fixes `iam-password-policy`: sets the account password policy to what the rule's
//! parameters require (UpdateAccountPasswordPolicy), keeping every setting that is already
//! stricter and every setting the rule does not judge.
//!
//! UpdateAccountPasswordPolicy replaces the whole policy (an omitted setting falls back to
//! IAM's default), so the planned call writes out every setting. An account without a policy
//! gets `AllowUsersToChangePassword` on, as IAM behaves without one. Undo restores the
//! recorded policy, or deletes the policy when there was none (DeleteAccountPasswordPolicy).

use serde_json::{json, Map, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct IamPasswordPolicy;

static META: FixerMeta = FixerMeta {
    rule_id: "iam-password-policy",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "iam",
    read_actions: &["iam:GetAccountPasswordPolicy"],
    write_actions: &["iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"],
    reversible: true,
    settings: &[],
    summary: "raises the password policy to the rule's parameters, keeping stricter settings (undo: the recorded policy, or none)",
};

/// The rule's boolean requirements: (parameter, policy setting).
const REQUIRED: [(&str, &str); 4] = [
    ("RequireUppercaseCharacters", "RequireUppercaseCharacters"),
    ("RequireLowercaseCharacters", "RequireLowercaseCharacters"),
    ("RequireSymbols", "RequireSymbols"),
    ("RequireNumbers", "RequireNumbers"),
];

impl Fixer for IamPasswordPolicy {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let policy = match cx.call("iam", client(cx).get_account_password_policy().send()).await {
                Ok(out) => out.password_policy,
                Err(err) if err.is_not_found(&["NoSuchEntity"]) => None,
                Err(err) => return Err(err),
            };
            let policy = policy.map_or(Value::Null, |p| {
                json!({
                    "MinimumPasswordLength": p.minimum_password_length(),
                    "RequireSymbols": p.require_symbols(),
                    "RequireNumbers": p.require_numbers(),
                    "RequireUppercaseCharacters": p.require_uppercase_characters(),
                    "RequireLowercaseCharacters": p.require_lowercase_characters(),
                    "AllowUsersToChangePassword": p.allow_users_to_change_password(),
                    // 0 and absent both mean "never expire" / "reuse allowed".
                    "MaxPasswordAge": p.max_password_age().filter(|age| *age > 0),
                    "PasswordReusePrevention": p.password_reuse_prevention().filter(|n| *n > 0),
                    "HardExpiry": p.hard_expiry().unwrap_or(false),
                })
            });
            Ok(Some(json!({"PasswordPolicy": policy})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let account = &input.finding.account_id;
        let current = input.state["PasswordPolicy"].as_object();
        let get = |key: &str| current.and_then(|p| p.get(key)).filter(|v| !v.is_null());
        let number = |key: &str| get(key).and_then(Value::as_i64);
        let mut wanted = Map::new();
        for (param, key) in REQUIRED {
            let required = input.params.bool(param) == Some(true);
            wanted.insert(key.into(), json!(required || get(key) == Some(&Value::Bool(true))));
        }
        let at_least = |current: Option<i64>, required: Option<i64>| match (current, required) {
            (Some(c), Some(r)) => Some(c.max(r)),
            (c, r) => c.or(r),
        };
        let length = at_least(number("MinimumPasswordLength"), input.params.int("MinimumPasswordLength"));
        wanted.insert("MinimumPasswordLength".into(), json!(length.unwrap_or(8)));
        let reuse = at_least(number("PasswordReusePrevention"), input.params.int("PasswordReusePrevention"));
        wanted.insert("PasswordReusePrevention".into(), json!(reuse));
        let age = match (number("MaxPasswordAge"), input.params.int("MaxPasswordAge")) {
            (Some(c), Some(r)) => Some(c.min(r)),
            (c, r) => c.or(r),
        };
        wanted.insert("MaxPasswordAge".into(), json!(age));
        let allow = get("AllowUsersToChangePassword").cloned().unwrap_or(Value::Bool(current.is_none()));
        wanted.insert("AllowUsersToChangePassword".into(), allow);
        wanted.insert("HardExpiry".into(), get("HardExpiry").cloned().unwrap_or(Value::Bool(false)));
        let after = json!({"PasswordPolicy": wanted});
        if &after == input.state {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("account {account}: the password policy meets the rule's parameters now"),
            ));
        }
        Ok(Change { calls: vec![update(&wanted)], after, reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let call = match input.before["PasswordPolicy"].as_object() {
            Some(policy) => update(policy),
            None => ApiCall::new("iam", "DeleteAccountPasswordPolicy", json!({})),
        };
        Ok(Change { calls: vec![call], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let iam = client(cx);
            match call.operation.as_str() {
                "UpdateAccountPasswordPolicy" => {
                    let p = &call.parameters;
                    let flag = |key: &str| p[key].as_bool();
                    let number = |key: &str| p[key].as_i64().map(|n| n as i32);
                    let update = iam
                        .update_account_password_policy()
                        .set_minimum_password_length(number("MinimumPasswordLength"))
                        .set_require_symbols(flag("RequireSymbols"))
                        .set_require_numbers(flag("RequireNumbers"))
                        .set_require_uppercase_characters(flag("RequireUppercaseCharacters"))
                        .set_require_lowercase_characters(flag("RequireLowercaseCharacters"))
                        .set_allow_users_to_change_password(flag("AllowUsersToChangePassword"))
                        .set_max_password_age(number("MaxPasswordAge"))
                        .set_password_reuse_prevention(number("PasswordReusePrevention"))
                        .set_hard_expiry(flag("HardExpiry"));
                    cx.call("iam", update.send()).await.map(|_| ())
                }
                "DeleteAccountPasswordPolicy" => {
                    cx.call("iam", iam.delete_account_password_policy().send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// The call writing out every setting of `policy` (null ones are left to IAM: never expire,
/// reuse allowed).
fn update(policy: &Map<String, Value>) -> ApiCall {
    let parameters: Map<String, Value> =
        policy.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect();
    ApiCall::new("iam", "UpdateAccountPasswordPolicy", Value::Object(parameters))
}
