//! CloudTrail trails (`AWS::CloudTrail::Trail`) with their logging status and event selectors.
//!
//! DescribeTrails would list a multi-region trail in every region and an organization trail in
//! every member account (shadow copies). Each trail is recorded once, where its status can be
//! read: in its home region, in the account that owns it. The rules find the organization trails
//! covering a member account through the management account's items.

use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, Trail};
use futures_util::future::{join, join_all};
use mamori_model::ConfigItem;
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, CollectFuture, Cx};
use crate::client;

const TRAIL_TYPE: &str = "AWS::CloudTrail::Trail";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "cloudtrail",
    placement: Placement::Regional,
    resource_types: &[TRAIL_TYPE],
    account_fields: &[],
    actions: &["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let cloudtrail = client!(cx, aws_sdk_cloudtrail);
    let trails = match cx.call("cloudtrail", cloudtrail.describe_trails().include_shadow_trails(false).send()).await {
        Ok(output) => output.trail_list.unwrap_or_default(),
        Err(err) => return cx.list_failed(TRAIL_TYPE, "DescribeTrails", &err),
    };
    let own = trails.iter().filter(|trail| is_home_copy(cx, trail));
    let items = join_all(own.map(|trail| read_trail(cx, &cloudtrail, trail))).await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

/// Whether the trail was read where it lives. `includeShadowTrails=false` already asks for
/// exactly those; the check keeps a copy out should a service answer otherwise, since a
/// shadow's status cannot be read outside the home region.
fn is_home_copy(cx: &Cx, trail: &Trail) -> bool {
    let home = trail.home_region().is_none_or(|home| home == cx.region());
    let owner = trail.trail_arn().and_then(arn_account).is_none_or(|owner| owner == cx.account_id());
    home && owner
}

/// The account id of an ARN (`arn:aws:cloudtrail:us-east-1:111122223333:trail/x`).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|account| !account.is_empty())
}

async fn read_trail(cx: &Cx, cloudtrail: &aws_sdk_cloudtrail::Client, trail: &Trail) -> Option<ConfigItem> {
    let name = trail.name()?;
    // The ARN names the trail unambiguously; the name alone is resolved in the caller's region.
    let id = trail.trail_arn().unwrap_or(name);
    let mut item = cx.item(TRAIL_TYPE, name);
    item.resource_name = Some(name.to_owned());
    item.arn = trail.trail_arn().map(str::to_owned);
    item.configuration = trail_configuration(trail);
    let (status, selectors) = join(
        cx.call("cloudtrail", cloudtrail.get_trail_status().name(id).send()),
        cx.call("cloudtrail", cloudtrail.get_event_selectors().trail_name(id).send()),
    )
    .await;
    match status {
        Ok(status) => {
            item.supplementary_configuration.insert("TrailStatus".into(), trail_status(&status));
        }
        Err(err) => Cx::attribute_failed(&mut item, "TrailStatus", "GetTrailStatus", &err),
    }
    match selectors {
        Ok(selectors) => {
            item.supplementary_configuration.insert("EventSelectors".into(), event_selectors(&selectors));
        }
        Err(err) => Cx::attribute_failed(&mut item, "EventSelectors", "GetEventSelectors", &err),
    }
    Some(item)
}

/// DescribeTrails' fields in AWS Config's camelCase.
#[allow(
    deprecated,
    reason = "`SnsTopicName` is deprecated in favour of the ARN, but AWS Config's items still carry it"
)]
fn trail_configuration(trail: &Trail) -> Value {
    json!({
        "name": trail.name(),
        "s3BucketName": trail.s3_bucket_name(),
        "s3KeyPrefix": trail.s3_key_prefix(),
        "snsTopicName": trail.sns_topic_name(),
        "snsTopicARN": trail.sns_topic_arn(),
        "includeGlobalServiceEvents": trail.include_global_service_events(),
        "isMultiRegionTrail": trail.is_multi_region_trail(),
        "homeRegion": trail.home_region(),
        "trailARN": trail.trail_arn(),
        "logFileValidationEnabled": trail.log_file_validation_enabled(),
        "cloudWatchLogsLogGroupArn": trail.cloud_watch_logs_log_group_arn(),
        "cloudWatchLogsRoleArn": trail.cloud_watch_logs_role_arn(),
        "kmsKeyId": trail.kms_key_id(),
        "hasCustomEventSelectors": trail.has_custom_event_selectors(),
        "hasInsightSelectors": trail.has_insight_selectors(),
        "isOrganizationTrail": trail.is_organization_trail(),
    })
}

fn trail_status(status: &GetTrailStatusOutput) -> Value {
    json!({
        "isLogging": status.is_logging(),
        "latestDeliveryTime": iso_or_null(status.latest_delivery_time()),
        "latestDeliveryError": status.latest_delivery_error(),
        "latestCloudWatchLogsDeliveryTime": iso_or_null(status.latest_cloud_watch_logs_delivery_time()),
        "latestCloudWatchLogsDeliveryError": status.latest_cloud_watch_logs_delivery_error(),
        "startLoggingTime": iso_or_null(status.start_logging_time()),
        "stopLoggingTime": iso_or_null(status.stop_logging_time()),
    })
}

/// GetEventSelectors' answer: basic selectors, advanced ones, `null` for a kind not answered.
fn event_selectors(output: &GetEventSelectorsOutput) -> Value {
    json!({
        "eventSelectors": output.event_selectors.as_ref().map(|all| all.iter().map(basic_selector).collect::<Vec<_>>()),
        "advancedEventSelectors": output
            .advanced_event_selectors
            .as_ref()
            .map(|all| all.iter().map(advanced_selector).collect::<Vec<_>>()),
    })
}

fn basic_selector(selector: &EventSelector) -> Value {
    json!({
        "readWriteType": selector.read_write_type().map(|kind| kind.as_str()),
        "includeManagementEvents": selector.include_management_events(),
        "dataResources": selector
            .data_resources()
            .iter()
            .map(|resource| json!({"type": resource.r#type(), "values": resource.values()}))
            .collect::<Vec<_>>(),
        "excludeManagementEventSources": selector.exclude_management_event_sources(),
    })
}

fn advanced_selector(selector: &AdvancedEventSelector) -> Value {
    let fields = selector
        .field_selectors()
        .iter()
        .map(|field| {
            let mut out = Map::new();
            out.insert("field".into(), Value::from(field.field()));
            // Only the operators the selector uses: an absent operator is no condition, while
            // an empty list would read as "matches nothing".
            let operators = [
                ("equals", &field.equals),
                ("startsWith", &field.starts_with),
                ("endsWith", &field.ends_with),
                ("notEquals", &field.not_equals),
                ("notStartsWith", &field.not_starts_with),
                ("notEndsWith", &field.not_ends_with),
            ];
            for (key, values) in operators {
                if let Some(values) = values {
                    out.insert(key.into(), json!(values));
                }
            }
            Value::Object(out)
        })
        .collect::<Vec<_>>();
    json!({"name": selector.name(), "fieldSelectors": fields})
}
