//! `alb-desync-mode-check`: Application Load Balancers mitigate HTTP desync.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the attribute
//! `routing.http.desync_mitigation_mode` is not one of `desyncMode` (default `defensive` and
//! `strictest`; AWS's default mode is `defensive`, so an absent attribute counts as that).
//! Network and Gateway Load Balancers are not evaluated.

use mamori_model::{ConfigItem, Severity};

use super::shared::{is_application, load_balancer_name, v2_attribute, LOAD_BALANCER_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct AlbDesyncModeCheck;

static META: RuleMeta = RuleMeta {
    id: "alb-desync-mode-check",
    service: "elb",
    title: "Application Load Balancers use defensive or strictest desync mitigation",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE],
    params: &[ParamSpec {
        name: "desyncMode",
        kind: ParamKind::List,
        default: "defensive,strictest",
        description: "Comma-separated desync mitigation modes accepted (monitor, defensive, strictest).",
    }],
    rationale: "Desync (HTTP request smuggling) lets an attacker slip a request past the load balancer's view to the target, poisoning caches or hijacking other users' requests.",
    remediation: "`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes Key=routing.http.desync_mitigation_mode,Value=defensive`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["ELB.12"],
    notes: "",
};

impl Rule for AlbDesyncModeCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        if !is_application(item, cx) {
            return;
        }
        let mode = match v2_attribute(item, "routing.http.desync_mitigation_mode") {
            Ok(mode) => mode.unwrap_or_else(|| "defensive".to_owned()),
            Err(reason) => return cx.error(item, reason),
        };
        if cx.params().list("desyncMode").iter().any(|accepted| accepted.eq_ignore_ascii_case(&mode)) {
            cx.pass(item, format!("ALB {name} uses desync mitigation mode {mode}"))
        } else {
            cx.fail(item, format!("ALB {name} uses desync mitigation mode {mode}"))
        }
    }
}
