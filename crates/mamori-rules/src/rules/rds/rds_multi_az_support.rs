//! `rds-multi-az-support`: RDS DB instances run Multi-AZ, with a standby in another zone.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `multiAZ` is false; Aurora, DocumentDB
//! and Neptune instances (engine `aurora*`, `docdb`, `neptune`) get no finding, as their
//! availability is the cluster's. mamori also leaves out the member instances of Multi-AZ DB
//! clusters (`dBClusterIdentifier` set), for the same reason. An absent `multiAZ` is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{cluster, flag, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsMultiAzSupport;

static META: RuleMeta = RuleMeta {
    id: "rds-multi-az-support",
    service: "rds",
    title: "RDS DB instances are deployed in multiple Availability Zones",
    severity: Severity::Medium,
    resource_types: &[INSTANCE_TYPE],
    params: &[],
    rationale: "A Single-AZ instance is down for as long as its zone, host or storage is; Multi-AZ keeps a synchronous standby that RDS fails over to within minutes.",
    remediation: "Convert it: `aws rds modify-db-instance --db-instance-identifier NAME --multi-az --apply-immediately` (RDS console > Databases > Modify > Availability & durability).",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["RDS.5"],
    notes: "Instances that belong to any DB cluster (dBClusterIdentifier set) get no finding, not only Aurora, DocumentDB and Neptune ones.",
};

/// Engines whose availability is managed by their cluster (AWS does not evaluate them).
fn cluster_engine(engine: &str) -> bool {
    let engine = engine.to_ascii_lowercase();
    engine.starts_with("aurora") || engine == "docdb" || engine == "neptune"
}

impl Rule for RdsMultiAzSupport {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if text(item, "engine").is_some_and(cluster_engine) || cluster(item).is_some() {
            return;
        }
        let name = instance_name(item);
        match flag(item, "multiAZ") {
            Ok(true) => cx.pass(item, ["DB instance ", name, " is Multi-AZ"].concat()),
            Ok(false) => {
                let zone = text(item, "availabilityZone").map(|zone| format!(" in {zone}")).unwrap_or_default();
                cx.fail(item, format!("DB instance {name} runs in a single Availability Zone{zone}"))
            }
            Err(reason) => cx.error(item, reason),
        }
    }
}
