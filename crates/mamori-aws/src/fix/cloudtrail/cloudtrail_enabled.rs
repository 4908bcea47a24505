//! Fixes `cloudtrail-enabled`: starts logging (StartLogging) on a trail of the account that
//! covers the region but was stopped, the CloudTrail fix the seeds ask for ("re-enabled when
//! stopped").
//!
//! The trail started is the account's own, covering the finding's region (homed there, or
//! multi-region), delivering where the rule's `s3BucketName` asks when it asks; multi-region
//! trails first, then by ARN. An account with no such trail is left out: creating one is
//! `multi-region-cloudtrail-enabled`'s fix, which needs a bucket from `mamori.toml`. Undo stops
//! the trail again (StopLogging).

use serde_json::{json, Value};

use super::{own_trails, set_logging};
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct CloudtrailEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "cloudtrail-enabled",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "cloudtrail",
    read_actions: &["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"],
    write_actions: &["cloudtrail:StartLogging", "cloudtrail:StopLogging"],
    reversible: true,
    settings: &[],
    summary: "starts logging on the account's stopped trail covering the region (undo: stops it)",
};

impl Fixer for CloudtrailEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move { Ok(Some(json!({"Trails": own_trails(cx).await?}))) })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let (account, region) = (&input.finding.account_id, &input.finding.region);
        let bucket = input.params.text("s3BucketName");
        let trails = input.state["Trails"].as_array().cloned().unwrap_or_default();
        let covering: Vec<&Value> = trails
            .iter()
            .filter(|t| t["IsMultiRegionTrail"] == true || t["HomeRegion"] == region.as_str())
            .filter(|t| bucket.is_none_or(|b| t["S3BucketName"] == b))
            .collect();
        if let Some(logging) = covering.iter().find(|t| t["IsLogging"] == true) {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("trail {} covers {region} and is logging now", logging["Name"]),
            ));
        }
        let chosen =
            covering.iter().find(|t| t["IsMultiRegionTrail"] == true).or(covering.first()).ok_or_else(|| {
                NotPlanned::new(
                    LeftOutReason::NotFixable,
                    format!(
                        "account {account} has no trail covering {region} to start; \
                         multi-region-cloudtrail-enabled's fixer creates one"
                    ),
                )
            })?;
        let arn = chosen["TrailARN"].as_str().unwrap_or_default().to_owned();
        let mut after = trails.clone();
        for trail in &mut after {
            if trail["TrailARN"] == arn.as_str() {
                trail["IsLogging"] = json!(true);
            }
        }
        Ok(Change {
            calls: vec![ApiCall::new("cloudtrail", "StartLogging", json!({"Name": arn}))],
            after: json!({"Trails": after}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let was_logging = |arn: &Value| {
            input.before["Trails"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| &t["TrailARN"] == arn && t["IsLogging"] == true)
        };
        let calls = input.now["Trails"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["IsLogging"] == true && !was_logging(&t["TrailARN"]))
            .map(|t| ApiCall::new("cloudtrail", "StopLogging", json!({"Name": t["TrailARN"]})))
            .collect();
        Ok(Change { calls, after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let name = text_param(call, "Name")?;
            match call.operation.as_str() {
                "StartLogging" => set_logging(cx, name, true).await,
                "StopLogging" => set_logging(cx, name, false).await,
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
