//! `elb-deletion-protection-enabled`: ELBv2 load balancers have deletion protection enabled.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the attribute
//! `deletion_protection.enabled` is not `true`. Attributes absent from the inventory are ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{load_balancer_name, v2_attribute, LOAD_BALANCER_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct ElbDeletionProtectionEnabled;

static META: RuleMeta = RuleMeta {
    id: "elb-deletion-protection-enabled",
    service: "elb",
    title: "Application, Network and Gateway Load Balancers have deletion protection",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE],
    params: &[],
    rationale: "Deleting a load balancer takes the service behind it offline at once; deletion protection turns a mistaken or malicious delete into a deliberate two-step action.",
    remediation: "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes Key=deletion_protection.enabled,Value=true`.",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["ELB.6"],
    notes: "",
};

impl Rule for ElbDeletionProtectionEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        match v2_attribute(item, "deletion_protection.enabled") {
            Ok(Some(value)) if value == "true" => {
                cx.pass(item, format!("load balancer {name} has deletion protection"))
            }
            Ok(_) => cx.fail(item, format!("load balancer {name} has deletion protection disabled")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
