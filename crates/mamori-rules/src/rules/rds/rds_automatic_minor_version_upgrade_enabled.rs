//! `rds-automatic-minor-version-upgrade-enabled`: RDS DB instances take minor engine upgrades
//! automatically.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `autoMinorVersionUpgrade` is false. An
//! instance whose flag is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{flag, instance_name, INSTANCE_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsAutomaticMinorVersionUpgradeEnabled;

static META: RuleMeta = RuleMeta {
    id: "rds-automatic-minor-version-upgrade-enabled",
    service: "rds",
    title: "RDS DB instances have automatic minor version upgrades enabled",
    severity: Severity::High,
    resource_types: &[INSTANCE_TYPE],
    params: &[],
    rationale: "Minor engine versions carry security fixes; an instance that never takes them keeps known vulnerabilities until someone remembers to patch it by hand.",
    remediation: "`aws rds modify-db-instance --db-instance-identifier NAME --auto-minor-version-upgrade --apply-immediately` (RDS console > Databases > NAME > Modify > Maintenance).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["2.3.2"],
    fsbp: &["RDS.13"],
    notes: "",
};

impl Rule for RdsAutomaticMinorVersionUpgradeEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        match flag(item, "autoMinorVersionUpgrade") {
            Ok(true) => cx.pass(item, ["DB instance ", name, " upgrades minor versions automatically"].concat()),
            Ok(false) => cx.fail(item, format!("DB instance {name} has automatic minor version upgrades disabled")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
