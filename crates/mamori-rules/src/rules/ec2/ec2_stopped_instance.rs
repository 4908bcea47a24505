//! `ec2-stopped-instance`: no EC2 instance has been stopped for longer than `AllowedDays`.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an instance is `stopped` and was stopped
//! more than `AllowedDays` (default 30) days before the item's capture time. When it was stopped
//! is read from `stateTransitionReason` (`User initiated (2024-01-31 10:00:00 GMT)`), as AWS
//! Config's items carry it; a stopped instance without a readable date there is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{capture_time, days_between, required};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct Ec2StoppedInstance;

static META: RuleMeta = RuleMeta {
    id: "ec2-stopped-instance",
    service: "ec2",
    title: "No EC2 instance has been stopped for more than 30 days",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::Instance"],
    params: &[ParamSpec {
        name: "AllowedDays",
        kind: ParamKind::at_least(1),
        default: "30",
        description: "Days an instance may stay stopped.",
    }],
    rationale: "A long-stopped instance misses every patch released meanwhile; started again, it comes back with old vulnerabilities, credentials and configuration nobody has reviewed.",
    remediation: "Terminate instances nobody needs (`aws ec2 terminate-instances --instance-ids ID`), keeping an AMI or snapshot if the data matters; patch before restarting the others.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["EC2.4"],
    notes: "The stop date comes from stateTransitionReason, the only place DescribeInstances gives it.",
};

/// The date inside `User initiated (2024-01-31 10:00:00 GMT)`, as `2024-01-31T10:00:00Z`.
fn stopped_at(reason: &str) -> Option<String> {
    let inner = reason.split_once('(')?.1.split_once(')')?.0.trim();
    let inner = inner.strip_suffix("GMT").or_else(|| inner.strip_suffix("UTC")).unwrap_or(inner).trim();
    let (date, time) = inner.split_once(' ')?;
    Some(format!("{date}T{time}Z"))
}

impl Rule for Ec2StoppedInstance {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let state = match required(item, "state") {
            Ok(state) => state.get("name").and_then(Value::as_str).or(state.as_str()).unwrap_or(""),
            Err(reason) => return cx.error(item, reason),
        };
        if state != "stopped" {
            return cx.pass(item, format!("instance {id} is {}", if state.is_empty() { "not stopped" } else { state }));
        }
        let reason = item.config("stateTransitionReason").and_then(Value::as_str).unwrap_or("");
        let (Some(stopped), Ok(now)) = (stopped_at(reason), capture_time(item)) else {
            return cx.error(
                item,
                format!("instance {id} is stopped but its stateTransitionReason `{reason}` gives no readable date"),
            );
        };
        let Some(days) = days_between(&stopped, now) else {
            return cx.error(
                item,
                format!("instance {id} is stopped but its stateTransitionReason `{reason}` gives no readable date"),
            );
        };
        let allowed = cx.params().int("AllowedDays").unwrap_or(30);
        if days > allowed {
            cx.fail(item, format!("instance {id} has been stopped for {days} days (allowed {allowed})"))
        } else {
            cx.pass(item, format!("instance {id} has been stopped for {days} days (allowed {allowed})"))
        }
    }
}
