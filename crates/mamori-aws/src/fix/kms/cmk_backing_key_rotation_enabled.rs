//! Fixes `cmk-backing-key-rotation-enabled`: turns on yearly automatic rotation of the
//! customer-managed key's material (EnableKeyRotation).
//!
//! Rotation keeps every earlier key version for decryption, so nothing encrypted becomes
//! unreadable. Undo turns automatic rotation off again (DisableKeyRotation); versions made
//! meanwhile stay.

use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct CmkBackingKeyRotationEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "cmk-backing-key-rotation-enabled",
    resource_types: &["AWS::KMS::Key"],
    collector: "kms",
    read_actions: &["kms:GetKeyRotationStatus"],
    write_actions: &["kms:EnableKeyRotation", "kms:DisableKeyRotation"],
    reversible: true,
    settings: &[],
    summary: "enables automatic yearly rotation of the key (undo: disables it)",
};

impl Fixer for CmkBackingKeyRotationEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            match cx.call("kms", client(cx).get_key_rotation_status().key_id(&finding.resource_id).send()).await {
                Ok(out) => Ok(Some(json!({"KeyRotationEnabled": out.key_rotation_enabled()}))),
                Err(err) if err.is_not_found(&["NotFoundException"]) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let key = &input.finding.resource_id;
        if input.state["KeyRotationEnabled"] == true {
            return Err(NotPlanned::new(LeftOutReason::ResourceChanged, format!("KMS key {key} rotates now")));
        }
        Ok(Change {
            calls: vec![ApiCall::new("kms", "EnableKeyRotation", json!({"KeyId": key}))],
            after: json!({"KeyRotationEnabled": true}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        Ok(Change {
            calls: vec![ApiCall::new("kms", "DisableKeyRotation", json!({"KeyId": input.finding.resource_id}))],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let key = text_param(call, "KeyId")?;
            let kms = client(cx);
            match call.operation.as_str() {
                "EnableKeyRotation" => cx.call("kms", kms.enable_key_rotation().key_id(key).send()).await.map(|_| ()),
                "DisableKeyRotation" => cx.call("kms", kms.disable_key_rotation().key_id(key).send()).await.map(|_| ()),
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
