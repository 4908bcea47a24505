//! `kms-cmk-not-scheduled-for-deletion`: no customer managed KMS key is scheduled for deletion.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a key's `keyState` is `PendingDeletion`
//! (or `PendingReplicaDeletion`). AWS managed keys are skipped, as AWS skips them. A key whose
//! state or manager is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::{Cx, Rule, RuleMeta, Stride};

pub struct KmsCmkNotScheduledForDeletion;

static META: RuleMeta = RuleMeta {
    id: "kms-cmk-not-scheduled-for-deletion",
    service: "kms",
    title: "No customer managed KMS key is scheduled for deletion",
    severity: Severity::Critical,
    resource_types: &["AWS::KMS::Key"],
    params: &[],
    rationale: "Deleting a KMS key makes everything encrypted under it unreadable forever; a deletion scheduled by mistake, or by an attacker as ransom, must be caught within its waiting period.",
    remediation: "If the key is still needed: `aws kms cancel-key-deletion --key-id KEY`, then `aws kms enable-key --key-id KEY`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["KMS.3"],
    notes: "",
};

impl Rule for KmsCmkNotScheduledForDeletion {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let text = |key: &str| item.config(key).and_then(Value::as_str);
        let (Some(manager), Some(state)) = (text("keyManager"), text("keyState")) else {
            return cx.error(item, format!("KMS key {id} lacks keyManager or keyState in the inventory"));
        };
        if manager != "CUSTOMER" {
            return;
        }
        if state.starts_with("Pending") && state.ends_with("Deletion") {
            let when = text("deletionDate").map(|date| format!(" (deletion on {date})")).unwrap_or_default();
            cx.fail(item, format!("KMS key {id} is scheduled for deletion{when}"))
        } else {
            cx.pass(item, format!("KMS key {id} is {state}, not scheduled for deletion"))
        }
    }
}
