//! `ec2-paravirtual-instance-check`: EC2 instances do not use paravirtual virtualization.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `virtualizationType` is `paravirtual`.
//! An instance whose virtualization type is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::required;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct Ec2ParavirtualInstanceCheck;

static META: RuleMeta = RuleMeta {
    id: "ec2-paravirtual-instance-check",
    service: "ec2",
    title: "EC2 instances do not use paravirtual virtualization",
    severity: Severity::Medium,
    resource_types: &["AWS::EC2::Instance"],
    params: &[],
    rationale: "Paravirtual (PV) AMIs run on previous-generation instance types and kernels that no longer receive the hypervisor's security and performance improvements; HVM is the supported path.",
    remediation: "Rebuild the workload on an HVM AMI and a current-generation instance type, then terminate the PV instance.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["EC2.24"],
    notes: "",
};

impl Rule for Ec2ParavirtualInstanceCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        match required(item, "virtualizationType") {
            Ok(Value::String(kind)) if kind == "paravirtual" => {
                cx.fail(item, format!("instance {id} uses paravirtual virtualization"))
            }
            Ok(Value::String(kind)) => cx.pass(item, format!("instance {id} uses {kind} virtualization")),
            Ok(other) => cx.error(item, format!("instance {id} has an unreadable virtualizationType `{other}`")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
