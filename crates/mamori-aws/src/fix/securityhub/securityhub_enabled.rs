//! Fixes `securityhub-enabled`: enables Security Hub in the region (EnableSecurityHub), without
//! its default standards: which standards to run is the owner's choice, and the rule asks only
//! that the hub is on. Undo disables it again (DisableSecurityHub).

use aws_sdk_securityhub::Client;
use serde_json::{json, Value};

use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct SecurityhubEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "securityhub-enabled",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "detection",
    read_actions: &["securityhub:DescribeHub"],
    write_actions: &["securityhub:EnableSecurityHub", "securityhub:DisableSecurityHub"],
    reversible: true,
    settings: &[],
    summary: "enables Security Hub in the region, without default standards (undo: disables it)",
};

fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_securityhub::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}

impl Fixer for SecurityhubEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            match cx.call("securityhub", client(cx).describe_hub().send()).await {
                Ok(_) => Ok(Some(json!({"Enabled": true}))),
                // Security Hub's answer for an account that is not subscribed.
                Err(err) if err.is_not_found(&["InvalidAccessException", "ResourceNotFoundException"]) => {
                    Ok(Some(json!({"Enabled": false})))
                }
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        if input.state["Enabled"] == true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!(
                    "account {} has Security Hub enabled in {} now",
                    input.finding.account_id, input.finding.region
                ),
            ));
        }
        Ok(Change {
            calls: vec![ApiCall::new("securityhub", "EnableSecurityHub", json!({"EnableDefaultStandards": false}))],
            after: json!({"Enabled": true}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        Ok(Change {
            calls: vec![ApiCall::new("securityhub", "DisableSecurityHub", json!({}))],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let hub = client(cx);
            match call.operation.as_str() {
                "EnableSecurityHub" => {
                    let standards = call.parameters["EnableDefaultStandards"].as_bool().unwrap_or(false);
                    let enable = hub.enable_security_hub().enable_default_standards(standards);
                    cx.call("securityhub", enable.send()).await.map(|_| ())
                }
                "DisableSecurityHub" => cx.call("securityhub", hub.disable_security_hub().send()).await.map(|_| ()),
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
