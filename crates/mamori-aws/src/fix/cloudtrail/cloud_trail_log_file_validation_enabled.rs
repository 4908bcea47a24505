//! Fixes `cloud-trail-log-file-validation-enabled`: turns on log file validation of the trail
//! (UpdateTrail `EnableLogFileValidation=true`), in the trail's home region; nothing else of the
//! trail changes. Undo turns it off again; digest files delivered meanwhile stay.

use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    param, text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta,
    LeftOutReason, NotPlanned, PlanInput, UndoInput,
};

pub struct CloudTrailLogFileValidationEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "cloud-trail-log-file-validation-enabled",
    resource_types: &["AWS::CloudTrail::Trail"],
    collector: "cloudtrail",
    read_actions: &["cloudtrail:DescribeTrails"],
    write_actions: &["cloudtrail:UpdateTrail"],
    reversible: true,
    settings: &[],
    summary: "enables log file validation of the trail (undo: disables it)",
};

impl Fixer for CloudTrailLogFileValidationEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let cloudtrail = client(cx, None);
            let described =
                cloudtrail.describe_trails().trail_name_list(&finding.resource_id).include_shadow_trails(false).send();
            let out = cx.call("cloudtrail", described).await?;
            let trail = out.trail_list().iter().find(|t| t.name() == Some(finding.resource_id.as_str()));
            Ok(trail.map(|t| {
                json!({
                    "TrailARN": t.trail_arn(),
                    "LogFileValidationEnabled": t.log_file_validation_enabled().unwrap_or(false),
                })
            }))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let name = &input.finding.resource_id;
        if input.state["LogFileValidationEnabled"] == true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("trail {name} has log file validation enabled now"),
            ));
        }
        let mut after = input.state.clone();
        after["LogFileValidationEnabled"] = json!(true);
        Ok(Change { calls: vec![update(name, true)], after, reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let before = input.before["LogFileValidationEnabled"] == true;
        Ok(Change {
            calls: vec![update(&input.finding.resource_id, before)],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "UpdateTrail" {
                return Err(unknown_operation(&META, call));
            }
            let name = text_param(call, "Name")?;
            let enable = param(call, "EnableLogFileValidation")?
                .as_bool()
                .ok_or_else(|| ApiError::new("InvalidPlan", "EnableLogFileValidation is not true or false"))?;
            let update = client(cx, None).update_trail().name(name).enable_log_file_validation(enable);
            cx.call("cloudtrail", update.send()).await.map(|_| ())
        })
    }
}

fn update(name: &str, enable: bool) -> ApiCall {
    ApiCall::new("cloudtrail", "UpdateTrail", json!({"Name": name, "EnableLogFileValidation": enable}))
}
