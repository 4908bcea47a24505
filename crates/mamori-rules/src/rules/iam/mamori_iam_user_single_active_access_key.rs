//! `mamori-iam-user-single-active-access-key`: no IAM user holds more than one active access
//! key.
//!
//! CIS v3.0.0 1.13. AWS has no managed Config rule for it. FAIL when a user has two active
//! access keys (IAM allows at most two); inactive keys do not count. `AccessKeys` absent from
//! the inventory, or its read failed, is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::iam_user_mfa_enabled::{access_keys, user_name, USER_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriIamUserSingleActiveAccessKey;

static META: RuleMeta = RuleMeta {
    id: "mamori-iam-user-single-active-access-key",
    service: "iam",
    title: "No IAM user has more than one active access key",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[],
    rationale: "A second active key doubles what can leak and is usually a rotation that was never finished: the old key keeps working somewhere nobody remembers.",
    remediation: "Find which key is in use (`aws iam get-access-key-last-used --access-key-id ID`), move every consumer to it, then deactivate and delete the other: `aws iam update-access-key --user-name USER --access-key-id OLD --status Inactive`, `aws iam delete-access-key`.",
    stride: Stride::Spoofing,
    cis: &["1.13"],
    fsbp: &[],
    notes: "mamori's own rule: AWS has no managed Config rule for CIS 1.13. A rotation in progress (the new key created, the old one not yet deactivated) fails until it is finished, as CIS intends.",
};

impl Rule for MamoriIamUserSingleActiveAccessKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        let keys = match access_keys(item) {
            Ok(keys) => keys,
            Err(reason) => return cx.error(item, reason),
        };
        let active: Vec<&str> = keys.iter().filter(|key| key.active).map(|key| key.id).collect();
        match active.len() {
            0 => cx.pass(item, format!("user {user} has no active access key")),
            1 => cx.pass(item, format!("user {user} has one active access key")),
            n => cx.fail(item, format!("user {user} has {n} active access keys: {}", active.join(", "))),
        }
    }
}
