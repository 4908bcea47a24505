//! Fixes `multi-region-cloudtrail-enabled`: gives the account a logging multi-region trail.
//!
//! - When the account has a multi-region trail that is stopped (delivering where the rule's
//!   `s3BucketName` asks, when it asks), it is started (StartLogging): the smallest change.
//! - When it has none, a trail is created in the finding's (home) region (CreateTrail with
//!   `IsMultiRegionTrail`, global service events and log file validation on, AWS's default
//!   selector recording all management events) and started. Its bucket is the rule's
//!   `s3BucketName`, else `[remediation.settings] cloudtrail_bucket` (the bucket must exist and
//!   let CloudTrail write to it); its name `cloudtrail_trail_name`, else `mamori-multi-region`.
//!   Without a bucket the finding is left out.
//! - A multi-region trail that is logging but fails the rule (its event selectors) is left
//!   alone: changing what someone's trail records is their decision.
//!
//! Undo stops the started trail, or stops and deletes the created one (DeleteTrail): the logs
//! delivered meanwhile stay in the bucket.

use serde_json::{json, Value};

use super::{client, own_trails, set_logging};
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};
use crate::regions::partition;

pub struct MultiRegionCloudtrailEnabled;

/// The created trail's name when `cloudtrail_trail_name` is not set.
pub const DEFAULT_TRAIL_NAME: &str = "mamori-multi-region";

static META: FixerMeta = FixerMeta {
    rule_id: "multi-region-cloudtrail-enabled",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "cloudtrail",
    read_actions: &["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"],
    write_actions: &[
        "cloudtrail:CreateTrail",
        "cloudtrail:StartLogging",
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
    ],
    reversible: true,
    settings: &["cloudtrail_bucket"],
    summary: "starts the account's stopped multi-region trail, or creates and starts one to the configured bucket (undo: stops it, deletes a created one)",
};

impl Fixer for MultiRegionCloudtrailEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move { Ok(Some(json!({"Trails": own_trails(cx).await?}))) })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let (account, region) = (&input.finding.account_id, &input.finding.region);
        let wanted_bucket = input.params.text("s3BucketName");
        let trails = input.state["Trails"].as_array().cloned().unwrap_or_default();
        let multi: Vec<&Value> = trails
            .iter()
            .filter(|t| t["IsMultiRegionTrail"] == true)
            .filter(|t| wanted_bucket.is_none_or(|b| t["S3BucketName"] == b))
            .collect();
        if let Some(logging) = multi.iter().find(|t| t["IsLogging"] == true) {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!(
                    "multi-region trail {} is logging; what it records (its event selectors) is not changed by a fixer",
                    logging["Name"]
                ),
            ));
        }
        if let Some(stopped) = multi.first() {
            let arn = stopped["TrailARN"].clone();
            let mut after = trails.clone();
            for trail in &mut after {
                if trail["TrailARN"] == arn {
                    trail["IsLogging"] = json!(true);
                }
            }
            return Ok(Change {
                calls: vec![ApiCall::new("cloudtrail", "StartLogging", json!({"Name": arn}))],
                after: json!({"Trails": after}),
                reversible: true,
            });
        }
        let bucket = match wanted_bucket {
            Some(bucket) => bucket,
            None => input.settings.text("cloudtrail_bucket")?,
        };
        let name = match input.settings.0.get("cloudtrail_trail_name") {
            None => DEFAULT_TRAIL_NAME,
            Some(_) => input.settings.text("cloudtrail_trail_name")?,
        };
        if trails.iter().any(|t| t["Name"] == name) {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!(
                    "account {account} already has a trail named {name}; set cloudtrail_trail_name to another name"
                ),
            ));
        }
        let arn = format!("arn:{}:cloudtrail:{region}:{account}:trail/{name}", partition(region));
        let mut after = trails;
        after.push(json!({
            "Name": name,
            "TrailARN": arn,
            "HomeRegion": region,
            "IsMultiRegionTrail": true,
            "S3BucketName": bucket,
            "IsLogging": true,
        }));
        after.sort_by_key(|trail| trail["TrailARN"].to_string());
        Ok(Change {
            calls: vec![
                ApiCall::new(
                    "cloudtrail",
                    "CreateTrail",
                    json!({
                        "Name": name,
                        "S3BucketName": bucket,
                        "IsMultiRegionTrail": true,
                        "IncludeGlobalServiceEvents": true,
                        "EnableLogFileValidation": true,
                    }),
                ),
                ApiCall::new("cloudtrail", "StartLogging", json!({"Name": arn})),
            ],
            after: json!({"Trails": after}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let before = input.before["Trails"].as_array().cloned().unwrap_or_default();
        let earlier = |arn: &Value| before.iter().find(|t| &t["TrailARN"] == arn);
        let mut calls = Vec::new();
        for trail in input.now["Trails"].as_array().into_iter().flatten() {
            match earlier(&trail["TrailARN"]) {
                None => {
                    calls.push(ApiCall::new("cloudtrail", "StopLogging", json!({"Name": trail["TrailARN"]})));
                    // By name: the emulator deletes by name only; the created trail is homed in
                    // the fix's region, where the name resolves.
                    calls.push(ApiCall::new("cloudtrail", "DeleteTrail", json!({"Name": trail["Name"]})));
                }
                Some(old) if old["IsLogging"] != true && trail["IsLogging"] == true => {
                    calls.push(ApiCall::new("cloudtrail", "StopLogging", json!({"Name": trail["TrailARN"]})));
                }
                Some(_) => {}
            }
        }
        Ok(Change { calls, after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let name = text_param(call, "Name")?;
            match call.operation.as_str() {
                "CreateTrail" => {
                    let flag = |key: &str| call.parameters[key].as_bool();
                    let create = client(cx, None)
                        .create_trail()
                        .name(name)
                        .s3_bucket_name(text_param(call, "S3BucketName")?)
                        .set_is_multi_region_trail(flag("IsMultiRegionTrail"))
                        .set_include_global_service_events(flag("IncludeGlobalServiceEvents"))
                        .set_enable_log_file_validation(flag("EnableLogFileValidation"));
                    cx.call("cloudtrail", create.send()).await.map(|_| ())
                }
                "StartLogging" => set_logging(cx, name, true).await,
                "StopLogging" => set_logging(cx, name, false).await,
                "DeleteTrail" => {
                    let cloudtrail = client(cx, None);
                    cx.call("cloudtrail", cloudtrail.delete_trail().name(name).send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
