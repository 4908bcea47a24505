//! Fixes `mamori-config-recorder-enabled`: starts the region's stopped configuration recorder
//! (StartConfigurationRecorder) when it records every supported resource type.
//!
//! Only starting is a fix without choices: a region without a recorder, a recorder that records
//! selected types only, or no delivery channel (without which AWS Config cannot start) need a
//! role, a bucket and a scope from the owner, and are left out. The recorder started is the one
//! that also records global resource types when there is one, since the account's home region
//! asks for them. Undo stops it again (StopConfigurationRecorder).

use aws_sdk_config::Client;
use serde_json::{json, Value};

use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct MamoriConfigRecorderEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "mamori-config-recorder-enabled",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "config",
    read_actions: &[
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ],
    write_actions: &["config:StartConfigurationRecorder", "config:StopConfigurationRecorder"],
    reversible: true,
    settings: &[],
    summary: "starts the region's stopped recorder that records all resource types (undo: stops it)",
};

fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_config::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}

impl Fixer for MamoriConfigRecorderEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let config = client(cx);
            let (recorders, statuses, channels) = tokio::join!(
                cx.call("config", config.describe_configuration_recorders().send()),
                cx.call("config", config.describe_configuration_recorder_status().send()),
                cx.call("config", config.describe_delivery_channels().send()),
            );
            let statuses = statuses?;
            let mut all: Vec<Value> = recorders?
                .configuration_recorders()
                .iter()
                .map(|recorder| {
                    let name = recorder.name();
                    let recording = statuses
                        .configuration_recorders_status()
                        .iter()
                        .find(|s| s.name() == name)
                        .is_some_and(|s| s.recording());
                    let group = recorder.recording_group();
                    json!({
                        "Name": name,
                        "Recording": recording,
                        "AllSupported": group.is_some_and(|g| g.all_supported()),
                        "IncludeGlobalResourceTypes": group.is_some_and(|g| g.include_global_resource_types()),
                    })
                })
                .collect();
            all.sort_by_key(|recorder| recorder["Name"].to_string());
            Ok(Some(json!({"Recorders": all, "DeliveryChannels": channels?.delivery_channels().len()})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let (account, region) = (&input.finding.account_id, &input.finding.region);
        let recorders = input.state["Recorders"].as_array().cloned().unwrap_or_default();
        let complete: Vec<&Value> = recorders.iter().filter(|r| r["AllSupported"] == true).collect();
        if let Some(running) = complete.iter().find(|r| r["Recording"] == true) {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("recorder {} records all resource types in {region} now", running["Name"]),
            ));
        }
        let Some(chosen) =
            complete.iter().find(|r| r["IncludeGlobalResourceTypes"] == true).or(complete.first()).copied()
        else {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!(
                    "account {account} has no recorder recording all resource types in {region}; creating one \
                     needs a role and a delivery channel chosen by its owner"
                ),
            ));
        };
        if input.state["DeliveryChannels"].as_u64() == Some(0) {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("account {account} has no AWS Config delivery channel in {region}, without which a recorder cannot start"),
            ));
        }
        let name = chosen["Name"].clone();
        let mut after = input.state.clone();
        for recorder in after["Recorders"].as_array_mut().into_iter().flatten() {
            if recorder["Name"] == name {
                recorder["Recording"] = json!(true);
            }
        }
        Ok(Change {
            calls: vec![ApiCall::new(
                "config",
                "StartConfigurationRecorder",
                json!({"ConfigurationRecorderName": name}),
            )],
            after,
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let was_recording = |name: &Value| {
            input.before["Recorders"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| &r["Name"] == name && r["Recording"] == true)
        };
        let calls = input.now["Recorders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["Recording"] == true && !was_recording(&r["Name"]))
            .map(|r| {
                ApiCall::new("config", "StopConfigurationRecorder", json!({"ConfigurationRecorderName": r["Name"]}))
            })
            .collect();
        Ok(Change { calls, after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let name = text_param(call, "ConfigurationRecorderName")?;
            let config = client(cx);
            match call.operation.as_str() {
                "StartConfigurationRecorder" => {
                    let start = config.start_configuration_recorder().configuration_recorder_name(name);
                    cx.call("config", start.send()).await.map(|_| ())
                }
                "StopConfigurationRecorder" => {
                    let stop = config.stop_configuration_recorder().configuration_recorder_name(name);
                    cx.call("config", stop.send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
