//! `clb-desync-mode-check`: Classic Load Balancers mitigate HTTP desync.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the additional attribute
//! `elb.http.desyncmitigationmode` is not one of `desyncMode` (default `defensive` and
//! `strictest`; an absent attribute counts as AWS's default, `defensive`). Attributes absent
//! from the inventory are ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{classic_attributes, field, field_str, load_balancer_name, CLASSIC_TYPE};
use crate::support::item::as_list;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct ClbDesyncModeCheck;

static META: RuleMeta = RuleMeta {
    id: "clb-desync-mode-check",
    service: "elb",
    title: "Classic Load Balancers use defensive or strictest desync mitigation",
    severity: Severity::Medium,
    resource_types: &[CLASSIC_TYPE],
    params: &[ParamSpec {
        name: "desyncMode",
        kind: ParamKind::List,
        default: "defensive,strictest",
        description: "Comma-separated desync mitigation modes accepted (monitor, defensive, strictest).",
    }],
    rationale: "Desync (HTTP request smuggling) lets an attacker slip a request past the load balancer's view to the instances, poisoning caches or hijacking other users' requests.",
    remediation: "`aws elb modify-load-balancer-attributes --load-balancer-name NAME --load-balancer-attributes '{\"AdditionalAttributes\":[{\"Key\":\"elb.http.desyncmitigationmode\",\"Value\":\"defensive\"}]}'`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["ELB.14"],
    notes: "",
};

impl Rule for ClbDesyncModeCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let attributes = match classic_attributes(item) {
            Ok(attributes) => attributes,
            Err(reason) => return cx.error(item, reason),
        };
        let mode = field(attributes, "additionalAttributes")
            .map(|list| as_list(Some(list)))
            .unwrap_or_default()
            .into_iter()
            .find(|attribute| field_str(attribute, "key") == Some("elb.http.desyncmitigationmode"))
            .and_then(|attribute| field_str(attribute, "value"))
            .unwrap_or("defensive")
            .to_owned();
        if cx.params().list("desyncMode").iter().any(|accepted| accepted.eq_ignore_ascii_case(&mode)) {
            cx.pass(item, format!("Classic Load Balancer {name} uses desync mitigation mode {mode}"))
        } else {
            cx.fail(item, format!("Classic Load Balancer {name} uses desync mitigation mode {mode}"))
        }
    }
}
