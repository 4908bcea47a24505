//! `rds-instance-public-access-check`: RDS DB instances are not publicly accessible.
//!
//! Same semantics as the AWS Config managed rule: NON_COMPLIANT when `publiclyAccessible` is
//! true, whatever the security groups and subnets allow. An absent `publiclyAccessible` is
//! ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{flag, instance_name, INSTANCE_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RdsInstancePublicAccessCheck;

static META: RuleMeta = RuleMeta {
    id: "rds-instance-public-access-check",
    service: "rds",
    title: "RDS DB instances are not publicly accessible",
    severity: Severity::Critical,
    resource_types: &[INSTANCE_TYPE],
    params: &[],
    rationale: "A publicly accessible instance gets a DNS name resolving to a public IP; one permissive security group rule then exposes the database to brute force and engine exploits from the whole internet.",
    remediation: "Turn public access off: `aws rds modify-db-instance --db-instance-identifier NAME --no-publicly-accessible --apply-immediately` (RDS console > Databases > Modify > Connectivity > Not publicly accessible); reach it through a VPN, bastion or PrivateLink.",
    stride: Stride::InformationDisclosure,
    cis: &["2.3.3"],
    fsbp: &["RDS.2"],
    notes: "",
};

impl Rule for RdsInstancePublicAccessCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        match flag(item, "publiclyAccessible") {
            Ok(false) => cx.pass(item, ["DB instance ", name, " is not publicly accessible"].concat()),
            Ok(true) => {
                let endpoint = item
                    .config("endpoint")
                    .and_then(|endpoint| endpoint.get("address"))
                    .and_then(Value::as_str)
                    .map(|address| format!(" at {address}"))
                    .unwrap_or_default();
                cx.fail(item, format!("DB instance {name} is publicly accessible{endpoint}"))
            }
            Err(reason) => cx.error(item, reason),
        }
    }
}
