//! `ec2-instance-multiple-eni-check`: EC2 instances have a single network interface.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an instance has more than one network
//! interface, unless every extra interface is listed in `NetworkInterfaceIds`. An instance whose
//! `networkInterfaces` is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct Ec2InstanceMultipleEniCheck;

static META: RuleMeta = RuleMeta {
    id: "ec2-instance-multiple-eni-check",
    service: "ec2",
    title: "EC2 instances have a single network interface",
    severity: Severity::Low,
    resource_types: &["AWS::EC2::Instance"],
    params: &[ParamSpec {
        name: "NetworkInterfaceIds",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated network interface ids allowed as additional interfaces.",
    }],
    rationale: "An instance with interfaces in several subnets bridges network segments: a compromise of the instance crosses the boundary the subnets were meant to keep.",
    remediation: "Detach the extra interface (`aws ec2 detach-network-interface --attachment-id ID`) unless the design requires it (appliances), then list it in NetworkInterfaceIds.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["EC2.17"],
    notes: "",
};

impl Rule for Ec2InstanceMultipleEniCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let interfaces = match required(item, "networkInterfaces") {
            Ok(list) => as_list(Some(list)),
            Err(reason) => return cx.error(item, reason),
        };
        if interfaces.len() <= 1 {
            return cx.pass(item, format!("instance {id} has {} network interface", interfaces.len()));
        }
        let allowed = cx.params().list("NetworkInterfaceIds");
        // The primary interface (device index 0) is the instance's own; the others are extras.
        let extra: Vec<&str> = interfaces
            .iter()
            .filter(|eni| eni.pointer("/attachment/deviceIndex").and_then(Value::as_i64) != Some(0))
            .filter_map(|eni| eni.get("networkInterfaceId").and_then(Value::as_str))
            .filter(|eni| !allowed.iter().any(|allowed| allowed == eni))
            .collect();
        if extra.is_empty() {
            cx.pass(
                item,
                format!(
                    "instance {id} has {} network interfaces, the extra ones allowed by NetworkInterfaceIds",
                    interfaces.len()
                ),
            )
        } else {
            cx.fail(
                item,
                format!("instance {id} has {} network interfaces (extra: {})", interfaces.len(), extra.join(", ")),
            )
        }
    }
}
