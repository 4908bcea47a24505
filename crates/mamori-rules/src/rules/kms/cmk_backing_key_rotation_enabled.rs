//! `cmk-backing-key-rotation-enabled`: customer-managed symmetric KMS keys rotate automatically.
//!
//! As the AWS Config managed rule: a key is NON_COMPLIANT when `KeyRotationStatus` is false.
//! Only keys automatic rotation applies to are evaluated: `keyManager` `CUSTOMER`, key spec
//! (`keySpec` or the older `customerMasterKeySpec`) `SYMMETRIC_DEFAULT`, `keyState` `Enabled`,
//! key material from KMS (`origin` absent or `AWS_KMS`: not imported, not in a custom key
//! store). Other keys get no finding. An absent manager, spec, state or rotation status is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_bool, supplementary};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CmkBackingKeyRotationEnabled;

static META: RuleMeta = RuleMeta {
    id: "cmk-backing-key-rotation-enabled",
    service: "kms",
    title: "Customer-managed symmetric KMS keys have automatic rotation enabled",
    severity: Severity::Medium,
    resource_types: &["AWS::KMS::Key"],
    params: &[],
    rationale: "Automatic rotation replaces a key's material yearly, limiting how much data one exposed key version can decrypt and meeting the rotation requirements of most standards.",
    remediation: "Enable rotation: `aws kms enable-key-rotation --key-id KEY_ID` (KMS console > Customer managed keys > key > Key rotation > Automatically rotate this KMS key every year).",
    stride: Stride::InformationDisclosure,
    cis: &["3.6"],
    fsbp: &[],
    notes: "Disabled keys and keys pending deletion or import get no finding, as rotation is not in effect for them.",
};

fn text<'a>(item: &'a ConfigItem, key: &str) -> Option<&'a str> {
    item.config(key).and_then(Value::as_str).filter(|text| !text.is_empty())
}

impl Rule for CmkBackingKeyRotationEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = text(item, "keyId").unwrap_or(&item.resource_id);
        let spec = text(item, "keySpec").or_else(|| text(item, "customerMasterKeySpec"));
        let (Some(manager), Some(spec), Some(state)) = (text(item, "keyManager"), spec, text(item, "keyState")) else {
            return cx.error(item, format!("KMS key {id} lacks keyManager, keySpec or keyState in the inventory"));
        };
        let from_kms = text(item, "origin").is_none_or(|origin| origin == "AWS_KMS");
        if manager != "CUSTOMER" || spec != "SYMMETRIC_DEFAULT" || state != "Enabled" || !from_kms {
            return;
        }
        match supplementary(item, "KeyRotationStatus").map(|status| status.and_then(as_bool)) {
            Ok(Some(true)) => cx.pass(item, ["KMS key ", id, " rotates automatically"].concat()),
            Ok(Some(false)) => cx.fail(item, format!("KMS key {id} does not have automatic rotation enabled")),
            Ok(None) => cx.error(item, format!("KMS key {id} has no readable KeyRotationStatus in the inventory")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
