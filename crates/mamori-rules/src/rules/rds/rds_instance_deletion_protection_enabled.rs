//! `rds-instance-deletion-protection-enabled`: RDS DB instances cannot be deleted by one call.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `deletionProtection` is false; with
//! `databaseEngines` set, only instances of those engines are evaluated. Instances that belong
//! to a DB cluster (Aurora, DocumentDB, Neptune, Multi-AZ DB clusters) get no finding, because
//! their deletion protection is set on the cluster (AWS documents them as not applicable).
//! An absent `deletionProtection` is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{cluster, flag, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct RdsInstanceDeletionProtectionEnabled;

static META: RuleMeta = RuleMeta {
    id: "rds-instance-deletion-protection-enabled",
    service: "rds",
    title: "RDS DB instances have deletion protection enabled",
    severity: Severity::Low,
    resource_types: &[INSTANCE_TYPE],
    params: &[ParamSpec {
        name: "databaseEngines",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated RDS engines to evaluate (e.g. `mysql,postgres,mariadb`); empty evaluates every engine.",
    }],
    rationale: "Without deletion protection a single DeleteDBInstance call, from a mistaken script or a compromised principal, destroys the database and, unless a final snapshot is taken, its data.",
    remediation: "Enable it: `aws rds modify-db-instance --db-instance-identifier NAME --deletion-protection --apply-immediately` (RDS console > Databases > Modify > Deletion protection).",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["RDS.8"],
    notes: "Instances that belong to a DB cluster get no finding: their deletion protection is the cluster's.",
};

impl Rule for RdsInstanceDeletionProtectionEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let engines = cx.params().list("databaseEngines");
        if !engines.is_empty() {
            let Some(engine) = text(item, "engine") else {
                return cx
                    .error(item, format!("{} has no `configuration.engine` in the inventory", instance_name(item)));
            };
            if !engines.iter().any(|wanted| wanted.eq_ignore_ascii_case(engine)) {
                return;
            }
        }
        if cluster(item).is_some() {
            return;
        }
        let name = instance_name(item);
        match flag(item, "deletionProtection") {
            Ok(true) => cx.pass(item, ["DB instance ", name, " has deletion protection enabled"].concat()),
            Ok(false) => cx.fail(item, format!("DB instance {name} has deletion protection disabled")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
