//! `mamori-rds-instance-non-default-port`: RDS DB instances do not listen on their engine's
//! default port.
//!
//! AWS has no managed Config rule for FSBP RDS.23 (Security Hub evaluates it itself). FAIL when
//! the instance's endpoint port (else `dbInstancePort`) is the engine's default: 3306 for MySQL,
//! MariaDB and Aurora MySQL, 5432 for PostgreSQL and Aurora PostgreSQL, 1521 for Oracle, 1433
//! for SQL Server, 50000 for Db2. Cluster members are left to the cluster (the cluster's port
//! is theirs). An instance with neither port in the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{cluster, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriRdsInstanceNonDefaultPort;

static META: RuleMeta = RuleMeta {
    id: "mamori-rds-instance-non-default-port",
    service: "rds",
    title: "RDS DB instances do not use their database engine's default port",
    severity: Severity::Low,
    resource_types: &[INSTANCE_TYPE],
    params: &[],
    rationale: "Automated scans look for databases on their well-known ports; a custom port keeps an instance out of the cheapest sweeps (it is no substitute for closed security groups).",
    remediation: "`aws rds modify-db-instance --db-instance-identifier NAME --db-port-number PORT --apply-immediately`, then update clients and security group rules.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["RDS.23"],
    notes: "mamori's own rule: AWS has no managed Config rule for this control. Engines without a known default port (custom engines) pass with the port named.",
};

fn default_port(engine: &str) -> Option<i64> {
    if engine.starts_with("aurora-postgresql") || engine.starts_with("postgres") {
        Some(5432)
    } else if engine.starts_with("aurora") || engine.starts_with("mysql") || engine.starts_with("mariadb") {
        Some(3306)
    } else if engine.starts_with("oracle") {
        Some(1521)
    } else if engine.starts_with("sqlserver") {
        Some(1433)
    } else if engine.starts_with("db2") {
        Some(50000)
    } else {
        None
    }
}

fn port(item: &ConfigItem) -> Option<i64> {
    let endpoint = item.config("endpoint").and_then(|endpoint| endpoint.get("port")).and_then(Value::as_i64);
    endpoint.or_else(|| item.config("dbInstancePort").and_then(Value::as_i64).filter(|port| *port > 0))
}

impl Rule for MamoriRdsInstanceNonDefaultPort {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if cluster(item).is_some() {
            return;
        }
        let name = instance_name(item);
        let Some(engine) = text(item, "engine") else {
            return cx.error(item, format!("DB instance {name} has no engine in the inventory"));
        };
        let Some(port) = port(item) else {
            return cx.error(
                item,
                format!("DB instance {name} has neither an endpoint port nor dbInstancePort in the inventory"),
            );
        };
        match default_port(engine) {
            Some(default) if default == port => {
                cx.fail(item, format!("DB instance {name} ({engine}) listens on the engine's default port {port}"))
            }
            _ => cx.pass(item, format!("DB instance {name} listens on port {port}")),
        }
    }
}
