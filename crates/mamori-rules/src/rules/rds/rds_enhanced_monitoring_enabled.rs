//! `rds-enhanced-monitoring-enabled`: RDS DB instances have Enhanced Monitoring.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `monitoringInterval` is 0 or absent from
//! the configuration, or, with `monitoringInterval` set, when the instance's interval differs.
//! An instance whose configuration lacks the field entirely is ERROR (not collected).

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{instance_name, INSTANCE_TYPE};
use crate::support::item::required;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct RdsEnhancedMonitoringEnabled;

static META: RuleMeta = RuleMeta {
    id: "rds-enhanced-monitoring-enabled",
    service: "rds",
    title: "RDS DB instances have Enhanced Monitoring enabled",
    severity: Severity::Low,
    resource_types: &[INSTANCE_TYPE],
    params: &[ParamSpec {
        name: "monitoringInterval",
        kind: ParamKind::between(1, 60),
        default: "",
        description: "Required interval in seconds (1, 5, 10, 15, 30 or 60); empty accepts any non-zero interval.",
    }],
    rationale: "Operating-system metrics of the database host show resource exhaustion and unusual processes that the hypervisor-level CloudWatch metrics miss, which shortens incident diagnosis.",
    remediation: "`aws rds modify-db-instance --db-instance-identifier NAME --monitoring-interval 60 --monitoring-role-arn ROLE_ARN --apply-immediately`.",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["RDS.6"],
    notes: "",
};

impl Rule for RdsEnhancedMonitoringEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        let interval = match required(item, "monitoringInterval") {
            Ok(Value::Null) => 0,
            Ok(value) => match value.as_i64().or_else(|| value.as_str().and_then(|text| text.parse().ok())) {
                Some(interval) => interval,
                None => {
                    return cx.error(item, format!("DB instance {name} has an unreadable monitoringInterval `{value}`"))
                }
            },
            Err(reason) => return cx.error(item, reason),
        };
        if interval <= 0 {
            return cx.fail(item, format!("DB instance {name} has Enhanced Monitoring disabled"));
        }
        if let Some(wanted) = cx.params().int("monitoringInterval") {
            if wanted != interval {
                return cx
                    .fail(item, format!("DB instance {name} is monitored every {interval} s, not every {wanted} s"));
            }
        }
        cx.pass(item, format!("DB instance {name} has Enhanced Monitoring every {interval} s"));
    }
}
