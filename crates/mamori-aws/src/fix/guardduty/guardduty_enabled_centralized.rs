//! Fixes `guardduty-enabled-centralized`: gives the region an enabled GuardDuty detector,
//! enabling the region's disabled detector (UpdateDetector) or creating one (CreateDetector).
//!
//! GuardDuty allows one detector per account and region, so "the region's detector" names it
//! without its id; the id exists only once a detector is created, so the state records the
//! detector's status alone and UpdateDetector / DeleteDetector find the id with ListDetectors
//! when they are made. A detector that is enabled but reports to no central account of the
//! rule's `CentralMonitoringAccount` is left out: membership is accepted from the
//! administrator's side, which a fixer in the member cannot do. Undo disables the detector
//! again, or deletes the one it created.

use aws_sdk_guardduty::Client;
use serde_json::{json, Value};

use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct GuarddutyEnabledCentralized;

static META: FixerMeta = FixerMeta {
    rule_id: "guardduty-enabled-centralized",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "detection",
    read_actions: &["guardduty:ListDetectors", "guardduty:GetDetector"],
    write_actions: &["guardduty:CreateDetector", "guardduty:UpdateDetector", "guardduty:DeleteDetector"],
    reversible: true,
    settings: &[],
    summary: "enables the region's GuardDuty detector, creating it when there is none (undo: disables or deletes it)",
};

fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_guardduty::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}

/// The region's detector id, if any.
async fn detector_id(cx: &FixCx) -> Result<Option<String>, ApiError> {
    let out = cx.call("guardduty", client(cx).list_detectors().send()).await?;
    Ok(out.detector_ids().first().cloned())
}

impl Fixer for GuarddutyEnabledCentralized {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let Some(id) = detector_id(cx).await? else { return Ok(Some(json!({"Detector": null}))) };
            let detector = cx.call("guardduty", client(cx).get_detector().detector_id(id).send()).await?;
            Ok(Some(json!({"Detector": detector.status().map(|s| s.as_str())})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let (account, region) = (&input.finding.account_id, &input.finding.region);
        let call = match input.state["Detector"].as_str() {
            None => ApiCall::new("guardduty", "CreateDetector", json!({"Enable": true})),
            Some("ENABLED") => {
                let central = input.params.list("CentralMonitoringAccount");
                let (reason, detail) = if central.is_empty() {
                    (LeftOutReason::ResourceChanged, format!("account {account} has GuardDuty enabled in {region} now"))
                } else {
                    (
                        LeftOutReason::NotFixable,
                        format!(
                            "account {account} has GuardDuty enabled in {region}; membership of {} is accepted by \
                             the administrator account, not fixed from the member",
                            central.join(" or ")
                        ),
                    )
                };
                return Err(NotPlanned::new(reason, detail));
            }
            Some(_) => ApiCall::new("guardduty", "UpdateDetector", json!({"Enable": true})),
        };
        Ok(Change { calls: vec![call], after: json!({"Detector": "ENABLED"}), reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let call = match input.before["Detector"].as_str() {
            None => ApiCall::new("guardduty", "DeleteDetector", json!({})),
            Some(_) => ApiCall::new("guardduty", "UpdateDetector", json!({"Enable": false})),
        };
        Ok(Change { calls: vec![call], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let guardduty = client(cx);
            let enable = call.parameters["Enable"].as_bool();
            let existing = || async {
                detector_id(cx).await?.ok_or_else(|| ApiError::new("InvalidPlan", "the region has no detector now"))
            };
            match call.operation.as_str() {
                "CreateDetector" => {
                    let create = guardduty.create_detector().enable(enable.unwrap_or(true));
                    cx.call("guardduty", create.send()).await.map(|_| ())
                }
                "UpdateDetector" => {
                    let enable =
                        enable.ok_or_else(|| ApiError::new("InvalidPlan", "UpdateDetector without `Enable`"))?;
                    let update = guardduty.update_detector().detector_id(existing().await?).enable(enable);
                    cx.call("guardduty", update.send()).await.map(|_| ())
                }
                "DeleteDetector" => {
                    let delete = guardduty.delete_detector().detector_id(existing().await?);
                    cx.call("guardduty", delete.send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
