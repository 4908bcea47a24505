//! Fixes `iam-user-unused-credentials-check`: deactivates the user's active access keys unused
//! for longer than the rule's `maxCredentialUsageAge` (UpdateAccessKey `Status=Inactive`).
//!
//! Deactivation is reversible (undo makes the same keys active again) where deleting is not,
//! and it is what the rule needs: inactive keys do not count. An unused console password is
//! not removed (DeleteLoginProfile loses the password for good): when it is also part of the
//! finding, the finding is left out as not fixable by this fixer. Days are counted from the
//! clock now, as the rule counts them from the inventory's capture time.

use aws_sdk_iam::types::StatusType;
use mamori_model::time::epoch_seconds;
use serde_json::{json, Value};

use super::client;
use crate::collect::{iso, iso_or_null, ApiError};
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct IamUserUnusedCredentialsCheck;

static META: FixerMeta = FixerMeta {
    rule_id: "iam-user-unused-credentials-check",
    resource_types: &["AWS::IAM::User"],
    collector: "iam",
    read_actions: &[
        "iam:ListUsers",
        "iam:GetUser",
        "iam:GetLoginProfile",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
    ],
    write_actions: &["iam:UpdateAccessKey"],
    reversible: true,
    settings: &[],
    summary: "deactivates the user's access keys unused for longer than the rule allows (undo: reactivates them)",
};

/// The user's name: the last part of its ARN (`arn:aws:iam::ACCOUNT:user/PATH/NAME`), or
/// when the finding has no ARN (a rollback's record keeps only the id), the user with the
/// finding's id among ListUsers; `None` when no such user exists.
async fn user_name(cx: &FixCx, finding: &FindingRef) -> Result<Option<String>, ApiError> {
    let from_arn = finding
        .resource_arn
        .as_deref()
        .and_then(|arn| arn.split_once(":user/"))
        .and_then(|(_, path)| path.rsplit('/').next())
        .filter(|name| !name.is_empty());
    if let Some(name) = from_arn {
        return Ok(Some(name.to_owned()));
    }
    let iam = client(cx);
    let mut marker = None;
    loop {
        let page = cx.call("iam", iam.list_users().set_marker(marker.take()).send()).await?;
        if let Some(user) = page.users().iter().find(|u| u.user_id() == finding.resource_id) {
            return Ok(Some(user.user_name().to_owned()));
        }
        match page.marker() {
            Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
            _ => return Ok(None),
        }
    }
}

impl IamUserUnusedCredentialsCheck {
    /// [`Fixer::plan`] with the clock at `now` (seconds since the epoch).
    pub fn plan_at(&self, input: &PlanInput<'_>, now: i64) -> Result<Change, NotPlanned> {
        let user = input.state["UserName"].as_str().unwrap_or(&input.finding.resource_id);
        let limit = input.params.int("maxCredentialUsageAge").unwrap_or(90);
        let idle_days = |used: &Value, created: &Value| -> Result<i64, NotPlanned> {
            let since = used.as_str().or(created.as_str()).and_then(epoch_seconds).ok_or_else(|| {
                NotPlanned::new(LeftOutReason::ReadFailed, format!("user {user}: a credential has no readable date"))
            })?;
            Ok((now - since).div_euclid(86_400))
        };
        let profile = &input.state["LoginProfile"];
        if !profile.is_null() && idle_days(&profile["PasswordLastUsed"], &profile["CreateDate"])? > limit {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!(
                    "user {user}'s console password is unused for more than {limit} days; removing it cannot be \
                     undone, so it is left to its owner"
                ),
            ));
        }
        let mut keys = input.state["AccessKeys"].as_array().cloned().unwrap_or_default();
        let mut calls = Vec::new();
        for key in &mut keys {
            if key["Status"] == "Active" && idle_days(&key["LastUsedDate"], &key["CreateDate"])? > limit {
                calls.push(update(user, &key["AccessKeyId"], "Inactive"));
                key["Status"] = json!("Inactive");
            }
        }
        if calls.is_empty() {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("user {user} has no active access key unused for more than {limit} days now"),
            ));
        }
        let mut after = input.state.clone();
        after["AccessKeys"] = Value::Array(keys);
        Ok(Change { calls, after, reversible: true })
    }
}

impl Fixer for IamUserUnusedCredentialsCheck {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let Some(name) = user_name(cx, finding).await? else { return Ok(None) };
            let name = name.as_str();
            let iam = client(cx);
            let user = match cx.call("iam", iam.get_user().user_name(name).send()).await {
                Ok(out) => out.user,
                Err(err) if err.is_not_found(&["NoSuchEntity"]) => return Ok(None),
                Err(err) => return Err(err),
            };
            // Another user of the same name is not the finding's user.
            let Some(user) = user.filter(|u| u.user_id() == finding.resource_id) else { return Ok(None) };
            let profile = match cx.call("iam", iam.get_login_profile().user_name(name).send()).await {
                Ok(out) => out.login_profile.map_or(Value::Null, |p| {
                    json!({"CreateDate": iso(p.create_date()), "PasswordLastUsed": iso_or_null(user.password_last_used())})
                }),
                Err(err) if err.is_not_found(&["NoSuchEntity"]) => Value::Null,
                Err(err) => return Err(err),
            };
            let listed = cx.call("iam", iam.list_access_keys().user_name(name).send()).await?;
            let mut keys = Vec::new();
            for key in listed.access_key_metadata() {
                let Some(id) = key.access_key_id() else { continue };
                let used = cx.call("iam", iam.get_access_key_last_used().access_key_id(id).send()).await?;
                keys.push(json!({
                    "AccessKeyId": id,
                    "Status": key.status().map(|s| s.as_str()),
                    "CreateDate": iso_or_null(key.create_date()),
                    "LastUsedDate": iso_or_null(used.access_key_last_used().and_then(|u| u.last_used_date())),
                }));
            }
            keys.sort_by_key(|key| key["AccessKeyId"].to_string());
            Ok(Some(json!({"UserName": name, "LoginProfile": profile, "AccessKeys": keys})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        self.plan_at(input, now.as_secs() as i64)
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let user = input.before["UserName"].as_str().unwrap_or_default();
        let was_active = |id: &Value| {
            input.before["AccessKeys"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| &k["AccessKeyId"] == id && k["Status"] == "Active")
        };
        let calls: Vec<ApiCall> = input.now["AccessKeys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|key| key["Status"] == "Inactive" && was_active(&key["AccessKeyId"]))
            .map(|key| update(user, &key["AccessKeyId"], "Active"))
            .collect();
        Ok(Change { calls, after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "UpdateAccessKey" {
                return Err(unknown_operation(&META, call));
            }
            let status = match text_param(call, "Status")? {
                "Active" => StatusType::Active,
                "Inactive" => StatusType::Inactive,
                other => return Err(ApiError::new("InvalidPlan", format!("key status `{other}` is not planned"))),
            };
            let update = client(cx)
                .update_access_key()
                .user_name(text_param(call, "UserName")?)
                .access_key_id(text_param(call, "AccessKeyId")?)
                .status(status);
            cx.call("iam", update.send()).await.map(|_| ())
        })
    }
}

fn update(user: &str, key: &Value, status: &str) -> ApiCall {
    ApiCall::new("iam", "UpdateAccessKey", json!({"UserName": user, "AccessKeyId": key, "Status": status}))
}
