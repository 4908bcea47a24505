//! Fixes `subnet-auto-assign-public-ip-disabled`: stops the subnet from giving new network
//! interfaces a public IPv4 address (ModifySubnetAttribute `MapPublicIpOnLaunch=false`).
//!
//! Instances already running keep their addresses; only launches after the change are
//! affected. Undo turns the attribute back on.

use aws_sdk_ec2::types::AttributeBooleanValue;
use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    param, text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta,
    LeftOutReason, NotPlanned, PlanInput, UndoInput,
};

pub struct SubnetAutoAssignPublicIpDisabled;

static META: FixerMeta = FixerMeta {
    rule_id: "subnet-auto-assign-public-ip-disabled",
    resource_types: &["AWS::EC2::Subnet"],
    collector: "ec2",
    read_actions: &["ec2:DescribeSubnets"],
    write_actions: &["ec2:ModifySubnetAttribute"],
    reversible: true,
    settings: &[],
    summary: "turns off the subnet's auto-assignment of public IPv4 addresses (undo: turns it on)",
};

impl Fixer for SubnetAutoAssignPublicIpDisabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let described = cx.call("ec2", client(cx).describe_subnets().subnet_ids(&finding.resource_id).send()).await;
            let out = match described {
                Ok(out) => out,
                Err(err) if err.is_not_found(&["InvalidSubnetID.NotFound"]) => return Ok(None),
                Err(err) => return Err(err),
            };
            let subnet = out.subnets().iter().find(|s| s.subnet_id() == Some(finding.resource_id.as_str()));
            Ok(subnet.map(|s| json!({"MapPublicIpOnLaunch": s.map_public_ip_on_launch().unwrap_or(false)})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let id = &input.finding.resource_id;
        if input.state["MapPublicIpOnLaunch"] != true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("subnet {id} does not auto-assign public IPv4 addresses now"),
            ));
        }
        Ok(Change { calls: vec![modify(id, false)], after: json!({"MapPublicIpOnLaunch": false}), reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let before = input.before["MapPublicIpOnLaunch"] == true;
        Ok(Change {
            calls: vec![modify(&input.finding.resource_id, before)],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "ModifySubnetAttribute" {
                return Err(unknown_operation(&META, call));
            }
            let subnet = text_param(call, "SubnetId")?;
            let value = param(call, "MapPublicIpOnLaunch")?["Value"]
                .as_bool()
                .ok_or_else(|| ApiError::new("InvalidPlan", "MapPublicIpOnLaunch.Value is not true or false"))?;
            let modify = client(cx)
                .modify_subnet_attribute()
                .subnet_id(subnet)
                .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build());
            cx.call("ec2", modify.send()).await.map(|_| ())
        })
    }
}

fn modify(subnet: &str, value: bool) -> ApiCall {
    ApiCall::new("ec2", "ModifySubnetAttribute", json!({"SubnetId": subnet, "MapPublicIpOnLaunch": {"Value": value}}))
}
