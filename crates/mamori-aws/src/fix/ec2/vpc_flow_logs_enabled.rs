//! Fixes `vpc-flow-logs-enabled`: creates a flow log for the VPC (CreateFlowLogs) to the
//! destination `mamori.toml` names, capturing the traffic the rule's `trafficType` asks for
//! (ALL when it asks for none).
//!
//! Settings (`[remediation.settings]`): `flow_logs_destination`, the ARN of an S3 bucket
//! (`arn:aws:s3:::bucket[/prefix]`) or of a CloudWatch Logs log group
//! (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`); for a log group also `flow_logs_role_arn`,
//! the role that delivers the logs. Without them the finding is left out.
//!
//! The state lists the VPC's flow logs without their ids, which exist only once a flow log is
//! created, so that the planned state after the fix can be written down. For the same reason
//! undo names the flow log it deletes by VPC, traffic type and destination: its DeleteFlowLogs
//! call looks the id up (DescribeFlowLogs) and deletes exactly the flow log that matches, and
//! refuses when none or several do.

use aws_sdk_ec2::types::{FlowLog, FlowLogsResourceType, LogDestinationType, TrafficType};
use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct VpcFlowLogsEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "vpc-flow-logs-enabled",
    resource_types: &["AWS::EC2::VPC"],
    collector: "ec2",
    read_actions: &["ec2:DescribeVpcs", "ec2:DescribeFlowLogs"],
    // CreateFlowLogs also needs logs:CreateLogDelivery (S3 destinations) and iam:PassRole of
    // the delivery role (log groups); deleting needs logs:DeleteLogDelivery.
    write_actions: &[
        "ec2:CreateFlowLogs",
        "ec2:DeleteFlowLogs",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "iam:PassRole",
    ],
    reversible: true,
    settings: &["flow_logs_destination", "flow_logs_role_arn"],
    summary: "creates a flow log for the VPC to the configured destination (undo: deletes it)",
};

impl Fixer for VpcFlowLogsEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let ec2 = client(cx);
            let described = cx.call("ec2", ec2.describe_vpcs().vpc_ids(&finding.resource_id).send()).await;
            match described {
                Ok(out) if out.vpcs().iter().any(|v| v.vpc_id() == Some(&finding.resource_id)) => {}
                Ok(_) => return Ok(None),
                Err(err) if err.is_not_found(&["InvalidVpcID.NotFound"]) => return Ok(None),
                Err(err) => return Err(err),
            }
            let logs = flow_logs(cx, &finding.resource_id).await?;
            let mut logs: Vec<Value> = logs.iter().map(flow_log_json).collect();
            logs.sort_by_key(Value::to_string);
            Ok(Some(json!({"FlowLogs": logs})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let vpc = &input.finding.resource_id;
        let wanted = input.params.text("trafficType").map(str::to_ascii_uppercase);
        let logs = input.state["FlowLogs"].as_array().cloned().unwrap_or_default();
        let fits = |log: &Value| {
            log["FlowLogStatus"].as_str().is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE"))
                && wanted.as_deref().is_none_or(|w| log["TrafficType"] == w || log["TrafficType"] == "ALL")
        };
        if logs.iter().any(fits) {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("VPC {vpc} has a fitting flow log now"),
            ));
        }
        let destination = input.settings.text("flow_logs_destination")?;
        let traffic = wanted.unwrap_or_else(|| "ALL".to_owned());
        let mut parameters = json!({
            "ResourceType": "VPC",
            "ResourceIds": [vpc],
            "TrafficType": traffic,
            "LogDestination": destination,
        });
        let created = match destination_kind(destination) {
            Some(Kind::S3) => {
                parameters["LogDestinationType"] = json!("s3");
                json!({"TrafficType": traffic, "LogDestinationType": "s3", "Destination": destination, "FlowLogStatus": "ACTIVE"})
            }
            Some(Kind::Logs(group)) => {
                parameters["LogDestinationType"] = json!("cloud-watch-logs");
                parameters["DeliverLogsPermissionArn"] = json!(input.settings.text("flow_logs_role_arn")?);
                json!({"TrafficType": traffic, "LogDestinationType": "cloud-watch-logs", "Destination": group, "FlowLogStatus": "ACTIVE"})
            }
            None => {
                return Err(NotPlanned::new(
                    LeftOutReason::SettingMissing,
                    format!(
                        "[remediation.settings] flow_logs_destination = `{destination}`: expected an S3 bucket ARN \
                         (arn:aws:s3:::BUCKET) or a log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME)"
                    ),
                ))
            }
        };
        let mut after = logs;
        after.push(created);
        after.sort_by_key(Value::to_string);
        Ok(Change {
            calls: vec![ApiCall::new("ec2", "CreateFlowLogs", parameters)],
            after: json!({"FlowLogs": after}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let before = input.before["FlowLogs"].as_array().cloned().unwrap_or_default();
        let added: Vec<&Value> =
            input.now["FlowLogs"].as_array().into_iter().flatten().filter(|log| !before.contains(log)).collect();
        let [log] = added[..] else {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!(
                    "VPC {} has {} flow logs the fix did not find: cannot tell which to delete",
                    input.finding.resource_id,
                    added.len()
                ),
            ));
        };
        Ok(Change {
            calls: vec![ApiCall::new(
                "ec2",
                "DeleteFlowLogs",
                json!({
                    "ResourceId": input.finding.resource_id,
                    "TrafficType": log["TrafficType"],
                    "LogDestinationType": log["LogDestinationType"],
                    "Destination": log["Destination"],
                }),
            )],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let ec2 = client(cx);
            match call.operation.as_str() {
                "CreateFlowLogs" => {
                    let vpcs: Vec<String> = call.parameters["ResourceIds"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    if vpcs.len() != 1 || text_param(call, "ResourceType")? != "VPC" {
                        return Err(ApiError::new("InvalidPlan", "a flow log is planned for exactly one VPC"));
                    }
                    let create = ec2
                        .create_flow_logs()
                        .resource_type(FlowLogsResourceType::Vpc)
                        .set_resource_ids(Some(vpcs))
                        .traffic_type(TrafficType::from(text_param(call, "TrafficType")?))
                        .log_destination_type(LogDestinationType::from(text_param(call, "LogDestinationType")?))
                        .log_destination(text_param(call, "LogDestination")?)
                        .set_deliver_logs_permission_arn(
                            call.parameters["DeliverLogsPermissionArn"].as_str().map(str::to_owned),
                        );
                    let out = cx.call("ec2", create.send()).await?;
                    // CreateFlowLogs answers success with the failures listed inside.
                    if let Some(failed) = out.unsuccessful().first() {
                        let error = failed.error();
                        return Err(ApiError::new(
                            error.and_then(|e| e.code()).unwrap_or("Unsuccessful"),
                            error.and_then(|e| e.message()).unwrap_or_default(),
                        ));
                    }
                    Ok(())
                }
                "DeleteFlowLogs" => {
                    let vpc = text_param(call, "ResourceId")?;
                    let wanted = json!({
                        "TrafficType": call.parameters["TrafficType"],
                        "LogDestinationType": call.parameters["LogDestinationType"],
                        "Destination": call.parameters["Destination"],
                    });
                    let logs = flow_logs(cx, vpc).await?;
                    let matching: Vec<String> = logs
                        .iter()
                        .filter(|log| {
                            let json = flow_log_json(log);
                            ["TrafficType", "LogDestinationType", "Destination"].iter().all(|k| json[k] == wanted[k])
                        })
                        .filter_map(|log| log.flow_log_id().map(str::to_owned))
                        .collect();
                    if matching.len() != 1 {
                        return Err(ApiError::new(
                            "InvalidPlan",
                            format!("{} flow logs of {vpc} match {wanted}; exactly one is deleted", matching.len()),
                        ));
                    }
                    let out = cx.call("ec2", ec2.delete_flow_logs().set_flow_log_ids(Some(matching)).send()).await?;
                    if let Some(failed) = out.unsuccessful().first() {
                        let error = failed.error();
                        return Err(ApiError::new(
                            error.and_then(|e| e.code()).unwrap_or("Unsuccessful"),
                            error.and_then(|e| e.message()).unwrap_or_default(),
                        ));
                    }
                    Ok(())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// Every flow log of `vpc`.
async fn flow_logs(cx: &FixCx, vpc: &str) -> Result<Vec<FlowLog>, ApiError> {
    let filter = aws_sdk_ec2::types::Filter::builder().name("resource-id").values(vpc).build();
    let out = cx.call("ec2", client(cx).describe_flow_logs().filter(filter).send()).await?;
    Ok(out.flow_logs().iter().filter(|log| log.resource_id() == Some(vpc)).cloned().collect())
}

/// A flow log without its id: traffic type, destination (the bucket ARN, or the log group's
/// name however it was given), status.
fn flow_log_json(log: &FlowLog) -> Value {
    let kind = log.log_destination_type().map_or("cloud-watch-logs", |k| k.as_str());
    let destination = match kind {
        "cloud-watch-logs" => log
            .log_group_name()
            .map(str::to_owned)
            .or_else(|| log.log_destination().and_then(|arn| log_group_of(arn)).map(str::to_owned)),
        _ => log.log_destination().map(str::to_owned),
    };
    json!({
        "TrafficType": log.traffic_type().map(|t| t.as_str()),
        "LogDestinationType": kind,
        "Destination": destination,
        "FlowLogStatus": log.flow_log_status(),
    })
}

enum Kind<'a> {
    S3,
    /// The log group's name.
    Logs(&'a str),
}

fn destination_kind(arn: &str) -> Option<Kind<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some(service)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    match service {
        "s3" => Some(Kind::S3),
        "logs" => log_group_of(arn).map(Kind::Logs),
        _ => None,
    }
}

/// The name in `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`.
fn log_group_of(arn: &str) -> Option<&str> {
    let name = arn.split_once(":log-group:")?.1;
    let name = name.strip_suffix(":*").unwrap_or(name);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_buckets_or_log_groups() {
        assert!(matches!(destination_kind("arn:aws:s3:::logs/vpc"), Some(Kind::S3)));
        assert!(matches!(
            destination_kind("arn:aws:logs:us-east-1:123456789012:log-group:flow:*"),
            Some(Kind::Logs("flow"))
        ));
        assert!(destination_kind("arn:aws:logs:us-east-1:123456789012:log-group:").is_none());
        assert!(destination_kind("my-bucket").is_none());
        assert!(destination_kind("arn:aws:sqs:us-east-1:1:q").is_none());
    }
}
