//! `lambda-inside-vpc`: Lambda functions run inside a VPC.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the function has no VPC configuration
//! (no subnets), or, with `subnetIds`, when one of its subnets is not listed. A function whose
//! `vpcConfig` is absent from the inventory is ERROR (`null` means no VPC).

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct LambdaInsideVpc;

static META: RuleMeta = RuleMeta {
    id: "lambda-inside-vpc",
    service: "lambda",
    title: "Lambda functions run inside a VPC",
    severity: Severity::Low,
    resource_types: &["AWS::Lambda::Function"],
    params: &[ParamSpec {
        name: "subnetIds",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated subnet ids the functions must use; empty accepts any subnet.",
    }],
    rationale: "A function in a VPC reaches the internet and AWS APIs only through the network controls of its subnets (security groups, NACLs, endpoints, egress filtering), so a compromised function cannot exfiltrate freely.",
    remediation: "`aws lambda update-function-configuration --function-name NAME --vpc-config SubnetIds=subnet-a,subnet-b,SecurityGroupIds=sg-x` (add VPC endpoints or a NAT gateway for the services it calls).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["Lambda.3"],
    notes: "",
};

impl Rule for LambdaInsideVpc {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = item.config("functionName").and_then(Value::as_str).unwrap_or(&item.resource_id);
        let vpc = match required(item, "vpcConfig") {
            Ok(vpc) => vpc,
            Err(reason) => return cx.error(item, reason),
        };
        let subnets: Vec<&str> = as_list(vpc.get("subnetIds")).into_iter().filter_map(Value::as_str).collect();
        if subnets.is_empty() {
            return cx.fail(item, format!("function {name} does not run in a VPC"));
        }
        let allowed = cx.params().list("subnetIds");
        let outside: Vec<&str> = subnets
            .iter()
            .copied()
            .filter(|subnet| !allowed.is_empty() && !allowed.iter().any(|a| a == subnet))
            .collect();
        if !outside.is_empty() {
            return cx
                .fail(item, format!("function {name} uses subnet(s) {} not listed in subnetIds", outside.join(", ")));
        }
        cx.pass(item, format!("function {name} runs in subnet(s) {}", subnets.join(", ")))
    }
}
