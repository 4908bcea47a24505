//! Fixes `ec2-ebs-encryption-by-default`: turns EBS encryption by default on in the finding's
//! region (EnableEbsEncryptionByDefault), with the account's current default key.
//!
//! The setting is per account and region; choosing another default key is left to the owner.
//! Undo turns it off again (DisableEbsEncryptionByDefault): volumes encrypted meanwhile stay
//! encrypted.

use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct Ec2EbsEncryptionByDefault;

static META: FixerMeta = FixerMeta {
    rule_id: "ec2-ebs-encryption-by-default",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "ec2",
    read_actions: &["ec2:GetEbsEncryptionByDefault"],
    write_actions: &["ec2:EnableEbsEncryptionByDefault", "ec2:DisableEbsEncryptionByDefault"],
    reversible: true,
    settings: &[],
    summary: "enables EBS encryption by default in the region (undo: disables it)",
};

impl Fixer for Ec2EbsEncryptionByDefault {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let out = cx.call("ec2", client(cx).get_ebs_encryption_by_default().send()).await?;
            Ok(Some(json!({"EbsEncryptionByDefault": out.ebs_encryption_by_default().unwrap_or(false)})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        if input.state["EbsEncryptionByDefault"] == true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!(
                    "account {} has EBS encryption by default enabled in {} now",
                    input.finding.account_id, input.finding.region
                ),
            ));
        }
        Ok(Change {
            calls: vec![ApiCall::new("ec2", "EnableEbsEncryptionByDefault", json!({}))],
            after: json!({"EbsEncryptionByDefault": true}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        Ok(Change {
            calls: vec![ApiCall::new("ec2", "DisableEbsEncryptionByDefault", json!({}))],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let ec2 = client(cx);
            match call.operation.as_str() {
                "EnableEbsEncryptionByDefault" => {
                    cx.call("ec2", ec2.enable_ebs_encryption_by_default().send()).await.map(|_| ())
                }
                "DisableEbsEncryptionByDefault" => {
                    cx.call("ec2", ec2.disable_ebs_encryption_by_default().send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
