//! `access-keys-rotated`: no active access key is older than `maxAccessKeyAge` days.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an active key was created more than
//! `maxAccessKeyAge` days (default 90) before the item's capture time; a key exactly at the
//! limit passes, inactive keys are ignored. Ages count from `configurationItemCaptureTime`,
//! not the wall clock. `AccessKeys` absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::iam_user_mfa_enabled::{access_keys, user_name, USER_TYPE};
use crate::support::item::{capture_time, days_between};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct AccessKeysRotated;

static META: RuleMeta = RuleMeta {
    id: "access-keys-rotated",
    service: "iam",
    title: "Active IAM access keys are rotated within 90 days",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[ParamSpec {
        name: "maxAccessKeyAge",
        kind: ParamKind::at_least(1),
        default: "90",
        description: "Maximum age in days of an active access key.",
    }],
    rationale: "Access keys leak through source code, CI logs, laptops and backups; rotation bounds how long a leaked key keeps working, and an old key is usually one nobody remembers handing out.",
    remediation: "Create a second key (`aws iam create-access-key --user-name USER`), move every consumer to it, deactivate the old one (`aws iam update-access-key --user-name USER --access-key-id OLD --status Inactive`), then delete it. Prefer IAM roles, which need no long-lived keys.",
    stride: Stride::Spoofing,
    cis: &["1.14"],
    fsbp: &["IAM.3"],
    notes: "",
};

impl Rule for AccessKeysRotated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        let keys = match access_keys(item) {
            Ok(keys) => keys,
            Err(reason) => return cx.error(item, reason),
        };
        let active: Vec<_> = keys.iter().filter(|key| key.active).collect();
        if active.is_empty() {
            return cx.pass(item, format!("user {user} has no active access keys"));
        }
        let now = match capture_time(item) {
            Ok(now) => now,
            Err(reason) => return cx.error(item, reason),
        };
        let limit = cx.params().int("maxAccessKeyAge").unwrap_or(90);
        let mut old = Vec::new();
        for key in active {
            let Some(age) = key.created.and_then(|created| days_between(created, now)) else {
                return cx.error(item, format!("access key {} of user {user} has no readable createDate", key.id));
            };
            if age > limit {
                old.push(format!("access key {} {age} days old", key.id));
            }
        }
        if old.is_empty() {
            cx.pass(item, format!("user {user}: every active access key is at most {limit} days old"))
        } else {
            cx.fail(item, format!("user {user} has an {} (limit {limit})", old.join(" and an ")))
        }
    }
}
