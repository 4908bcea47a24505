//! Fixes `ec2-imdsv2-check`: requires session tokens on the instance's metadata service
//! (ModifyInstanceMetadataOptions `HttpTokens=required`), leaving every other metadata option
//! as it is.
//!
//! Software on the instance that still speaks IMDSv1 stops getting answers: that is the point
//! of the rule, and why the mode is the owner's decision (`[remediation.rule.ec2-imdsv2-check]`).
//! Undo sets `HttpTokens` back to the recorded value.

use aws_sdk_ec2::types::HttpTokensState;
use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct Ec2Imdsv2Check;

static META: FixerMeta = FixerMeta {
    rule_id: "ec2-imdsv2-check",
    resource_types: &["AWS::EC2::Instance"],
    collector: "ec2",
    read_actions: &["ec2:DescribeInstances"],
    write_actions: &["ec2:ModifyInstanceMetadataOptions"],
    reversible: true,
    settings: &[],
    summary: "requires IMDSv2 session tokens on the instance (undo: the recorded HttpTokens)",
};

impl Fixer for Ec2Imdsv2Check {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let described =
                cx.call("ec2", client(cx).describe_instances().instance_ids(&finding.resource_id).send()).await;
            let out = match described {
                Ok(out) => out,
                Err(err) if err.is_not_found(&["InvalidInstanceID.NotFound"]) => return Ok(None),
                Err(err) => return Err(err),
            };
            let instance = out
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .find(|i| i.instance_id() == Some(finding.resource_id.as_str()));
            let Some(instance) = instance else { return Ok(None) };
            if instance.state().and_then(|s| s.name()).is_some_and(|s| s.as_str() == "terminated") {
                return Ok(None);
            }
            let tokens = instance.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str());
            Ok(Some(json!({"HttpTokens": tokens})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let id = &input.finding.resource_id;
        match input.state["HttpTokens"].as_str() {
            Some("required") => {
                Err(NotPlanned::new(LeftOutReason::ResourceChanged, format!("instance {id} requires IMDSv2 now")))
            }
            _ => Ok(Change {
                calls: vec![modify(id, "required")],
                after: json!({"HttpTokens": "required"}),
                reversible: true,
            }),
        }
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let Some(tokens) = input.before["HttpTokens"].as_str() else {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("instance {} had no recorded HttpTokens to restore", input.finding.resource_id),
            ));
        };
        Ok(Change {
            calls: vec![modify(&input.finding.resource_id, tokens)],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "ModifyInstanceMetadataOptions" {
                return Err(unknown_operation(&META, call));
            }
            let instance = text_param(call, "InstanceId")?;
            let tokens = match text_param(call, "HttpTokens")? {
                "required" => HttpTokensState::Required,
                "optional" => HttpTokensState::Optional,
                other => return Err(ApiError::new("InvalidPlan", format!("HttpTokens `{other}` is not planned"))),
            };
            let modify = client(cx).modify_instance_metadata_options().instance_id(instance).http_tokens(tokens);
            cx.call("ec2", modify.send()).await.map(|_| ())
        })
    }
}

fn modify(instance: &str, tokens: &str) -> ApiCall {
    ApiCall::new("ec2", "ModifyInstanceMetadataOptions", json!({"InstanceId": instance, "HttpTokens": tokens}))
}
