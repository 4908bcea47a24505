//! `rds-instance-iam-authentication-enabled`: RDS DB instances accept IAM database
//! authentication.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `iAMDatabaseAuthenticationEnabled` is
//! false. AWS evaluates only the engines that support it (MySQL, MariaDB, PostgreSQL and their
//! Aurora editions); instances of other engines (Oracle, SQL Server, Db2) get no finding. An
//! absent flag is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{flag, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsInstanceIamAuthenticationEnabled;

static META: RuleMeta = RuleMeta {
    id: "rds-instance-iam-authentication-enabled",
    service: "rds",
    title: "RDS DB instances have IAM database authentication enabled",
    severity: Severity::Medium,
    resource_types: &[INSTANCE_TYPE],
    params: &[],
    rationale: "With IAM authentication, database logins use short-lived tokens tied to IAM principals instead of long-lived passwords shared in configuration files, and access is revoked with the principal.",
    remediation: "`aws rds modify-db-instance --db-instance-identifier NAME --enable-iam-database-authentication --apply-immediately`, then `GRANT rds_iam` (PostgreSQL) or create users `IDENTIFIED WITH AWSAuthenticationPlugin` (MySQL).",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &["RDS.10"],
    notes: "Instances of engines without IAM authentication (Oracle, SQL Server, Db2, custom engines) get no finding, as in AWS. Aurora cluster members are judged on their own flag, which mirrors the cluster's.",
};

/// The engines with IAM database authentication.
fn supports_iam(engine: &str) -> bool {
    ["mysql", "mariadb", "postgres", "aurora"].iter().any(|prefix| engine.starts_with(prefix))
}

impl Rule for RdsInstanceIamAuthenticationEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        let Some(engine) = text(item, "engine") else {
            return cx.error(item, format!("DB instance {name} has no engine in the inventory"));
        };
        if !supports_iam(engine) {
            return;
        }
        match flag(item, "iAMDatabaseAuthenticationEnabled") {
            Ok(true) => cx.pass(item, ["DB instance ", name, " accepts IAM database authentication"].concat()),
            Ok(false) => {
                cx.fail(item, format!("DB instance {name} ({engine}) has IAM database authentication disabled"))
            }
            Err(reason) => cx.error(item, reason),
        }
    }
}
