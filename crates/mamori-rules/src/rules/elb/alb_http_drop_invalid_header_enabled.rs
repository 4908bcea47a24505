//! `alb-http-drop-invalid-header-enabled`: Application Load Balancers drop HTTP headers with
//! invalid names.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the attribute
//! `routing.http.drop_invalid_header_fields.enabled` is not `true`. Network and Gateway Load
//! Balancers are not evaluated. Attributes absent from the inventory are ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{is_application, load_balancer_name, v2_attribute, LOAD_BALANCER_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct AlbHttpDropInvalidHeaderEnabled;

static META: RuleMeta = RuleMeta {
    id: "alb-http-drop-invalid-header-enabled",
    service: "elb",
    title: "Application Load Balancers drop invalid HTTP headers",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE],
    params: &[],
    rationale: "Headers with invalid names are a vehicle for request smuggling and header injection against the targets behind the load balancer.",
    remediation: "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes Key=routing.http.drop_invalid_header_fields.enabled,Value=true`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["ELB.4"],
    notes: "",
};

impl Rule for AlbHttpDropInvalidHeaderEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        if !is_application(item, cx) {
            return;
        }
        match v2_attribute(item, "routing.http.drop_invalid_header_fields.enabled") {
            Ok(Some(value)) if value == "true" => cx.pass(item, format!("ALB {name} drops invalid HTTP headers")),
            Ok(_) => cx.fail(item, format!("ALB {name} forwards HTTP headers with invalid names")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
