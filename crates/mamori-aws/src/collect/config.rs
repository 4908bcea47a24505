//! AWS Config's configuration recorders (account field `configRecorders`): what each records
//! and whether it is recording; and its delivery channels (`configDeliveryChannels`), without
//! which a recorder cannot start (the recorder fixer plans from them).
//!
//! A recorder's settings and its status come from two calls; the field is written only when
//! both answered, since a recorder without its status cannot be judged and one without its
//! settings is not a recorder the rules can read.

use aws_sdk_config::types::{ConfigurationRecorder, ConfigurationRecorderStatus, RecordingGroup};
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, CollectFuture, Cx};
use crate::client;

const FIELD: &str = "configRecorders";
const CHANNELS_FIELD: &str = "configDeliveryChannels";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "config",
    placement: Placement::Regional,
    resource_types: &[],
    account_fields: &[FIELD, CHANNELS_FIELD],
    actions: &[
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let config = client!(cx, aws_sdk_config);
    futures_util::future::join(recorders(cx, &config), delivery_channels(cx, &config)).await;
}

async fn delivery_channels(cx: &Cx, config: &aws_sdk_config::Client) {
    match cx.call("config", config.describe_delivery_channels().send()).await {
        Ok(output) => {
            let channels: Vec<Value> = output
                .delivery_channels()
                .iter()
                .map(|channel| {
                    json!({
                        "name": channel.name(),
                        "s3BucketName": channel.s3_bucket_name(),
                        "s3KeyPrefix": channel.s3_key_prefix(),
                        "snsTopicARN": channel.sns_topic_arn(),
                    })
                })
                .collect();
            cx.account_field(CHANNELS_FIELD, Value::Array(channels));
        }
        Err(err) => cx.account_field_failed(CHANNELS_FIELD, "DescribeDeliveryChannels", &err),
    }
}

async fn recorders(cx: &Cx, config: &aws_sdk_config::Client) {
    let recorders = match cx.call("config", config.describe_configuration_recorders().send()).await {
        Ok(output) => output.configuration_recorders.unwrap_or_default(),
        Err(err) => return cx.account_field_failed(FIELD, "DescribeConfigurationRecorders", &err),
    };
    let statuses = match cx.call("config", config.describe_configuration_recorder_status().send()).await {
        Ok(output) => output.configuration_recorders_status.unwrap_or_default(),
        Err(err) => return cx.account_field_failed(FIELD, "DescribeConfigurationRecorderStatus", &err),
    };
    cx.account_field(FIELD, recorders_field(&recorders, &statuses));
}

/// The recorders with their status merged in by name.
fn recorders_field(recorders: &[ConfigurationRecorder], statuses: &[ConfigurationRecorderStatus]) -> Value {
    let merged = recorders
        .iter()
        .map(|recorder| {
            let status = statuses.iter().find(|status| status.name().is_some_and(|name| Some(name) == recorder.name()));
            recorder_entry(recorder, status)
        })
        .collect();
    Value::Array(merged)
}

fn recorder_entry(recorder: &ConfigurationRecorder, status: Option<&ConfigurationRecorderStatus>) -> Value {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(recorder.name()));
    entry.insert("roleARN".into(), json!(recorder.role_arn()));
    entry.insert("recordingGroup".into(), recorder.recording_group().map_or(Value::Null, recording_group));
    if let Some(arn) = recorder.arn() {
        entry.insert("arn".into(), json!(arn));
    }
    if let Some(principal) = recorder.service_principal() {
        entry.insert("servicePrincipal".into(), json!(principal));
    }
    // Without a status entry, whether the recorder records is unknown: its keys stay absent.
    if let Some(status) = status {
        entry.insert("recording".into(), Value::Bool(status.recording()));
        entry.insert("lastStatus".into(), json!(status.last_status().map(|s| s.as_str())));
        entry.insert("lastErrorCode".into(), json!(status.last_error_code()));
        entry.insert("lastErrorMessage".into(), json!(status.last_error_message()));
        entry.insert("lastStartTime".into(), iso_or_null(status.last_start_time()));
        entry.insert("lastStopTime".into(), iso_or_null(status.last_stop_time()));
        entry.insert("lastStatusChangeTime".into(), iso_or_null(status.last_status_change_time()));
    }
    Value::Object(entry)
}

fn recording_group(group: &RecordingGroup) -> Value {
    json!({
        "allSupported": group.all_supported(),
        "includeGlobalResourceTypes": group.include_global_resource_types(),
        "resourceTypes": group.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "exclusionByResourceTypes": group.exclusion_by_resource_types().map(|exclusion| json!({
            "resourceTypes": exclusion.resource_types().iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        })),
        "recordingStrategy": group.recording_strategy().map(|strategy| json!({
            "useOnly": strategy.use_only().map(|s| s.as_str()),
        })),
    })
}
