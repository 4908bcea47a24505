//! `cloud-trail-cloud-watch-logs-enabled`: every trail also sends its events to CloudWatch Logs.
//!
//! As the AWS Config managed rule (CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED): a trail is
//! NON_COMPLIANT when `cloudWatchLogsLogGroupArn` is empty. With `expectedDeliveryWindowAge`
//! (hours), the latest delivery to CloudWatch Logs (`TrailStatus.latestCloudWatchLogsDeliveryTime`)
//! must also be at most that old, counted from the item's capture time rather than the clock.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::trail::{field, is_shadow_copy, trail_name, TRAIL_TYPE};
use crate::support::item::{capture_time, epoch_seconds, required, supplementary};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct CloudTrailCloudWatchLogsEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloud-trail-cloud-watch-logs-enabled",
    service: "cloudtrail",
    title: "CloudTrail trails deliver their events to CloudWatch Logs",
    severity: Severity::Low,
    resource_types: &[TRAIL_TYPE],
    params: &[ParamSpec {
        name: "expectedDeliveryWindowAge",
        kind: ParamKind::at_least(1),
        default: "",
        description: "Maximum age in hours of the latest delivery to CloudWatch Logs; empty does not check delivery.",
    }],
    rationale: "Events in CloudWatch Logs can drive metric filters and alarms within minutes (root sign-in, policy changes, trail tampering); events only in S3 are seen when someone goes looking.",
    remediation: "`aws cloudtrail update-trail --name NAME --cloud-watch-logs-log-group-arn LOG_GROUP_ARN --cloud-watch-logs-role-arn ROLE_ARN` with a role that cloudtrail.amazonaws.com can assume to write to the group (CloudTrail console > Trails > NAME > CloudWatch Logs > Edit).",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["CloudTrail.5"],
    notes: "Delivery age is counted from configurationItemCaptureTime. Shadow copies (a multi-region trail listed outside its home region, an organization trail listed in a member account) are not judged again.",
};

/// Seconds since 1970 of a GetTrailStatus time: ISO text, or epoch seconds as the raw API gives.
fn seconds(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => epoch_seconds(text),
        Value::Number(number) => number.as_f64().map(|seconds| seconds as i64),
        _ => None,
    }
}

impl Rule for CloudTrailCloudWatchLogsEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if is_shadow_copy(item) {
            return;
        }
        let name = trail_name(item);
        let group = match required(item, "cloudWatchLogsLogGroupArn") {
            Ok(Value::String(group)) if !group.is_empty() => group,
            Ok(Value::Null | Value::String(_)) => {
                return cx.fail(item, format!("trail {name} does not send its events to CloudWatch Logs"))
            }
            Ok(_) => return cx.error(item, format!("trail {name} has an unreadable cloudWatchLogsLogGroupArn")),
            Err(reason) => return cx.error(item, reason),
        };
        let Some(limit) = cx.params().int("expectedDeliveryWindowAge") else {
            return cx.pass(item, format!("trail {name} sends its events to CloudWatch Logs log group {group}"));
        };
        let status = match supplementary(item, "TrailStatus") {
            Ok(Some(status)) => status,
            Ok(None) => return cx.error(item, format!("trail {name} has no TrailStatus in the inventory")),
            Err(reason) => return cx.error(item, reason),
        };
        let latest = match field(status, "latestCloudWatchLogsDeliveryTime") {
            None => {
                return cx
                    .error(item, format!("the TrailStatus of trail {name} has no latestCloudWatchLogsDeliveryTime"))
            }
            Some(Value::Null) => {
                return cx.fail(item, format!("trail {name} has never delivered events to CloudWatch Logs"))
            }
            Some(latest) => latest,
        };
        let now = match capture_time(item) {
            Ok(now) => now,
            Err(reason) => return cx.error(item, reason),
        };
        let (Some(latest), Some(now)) = (seconds(latest), epoch_seconds(now)) else {
            return cx.error(item, format!("trail {name} has an unreadable latestCloudWatchLogsDeliveryTime"));
        };
        let hours = (now - latest).div_euclid(3600);
        if hours > limit {
            cx.fail(
                item,
                format!("trail {name} last delivered to CloudWatch Logs {hours} hours before capture (limit {limit})"),
            );
        } else {
            cx.pass(
                item,
                format!("trail {name} delivered to CloudWatch Logs {hours} hours before capture (limit {limit})"),
            );
        }
    }
}
