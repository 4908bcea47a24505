//! `rds-instance-default-admin-check`: RDS DB instances do not keep the default administrator
//! user name.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `masterUsername` is a default (`admin`,
//! `postgres`), or, with `validAdminUserNames`, when it is not one of them. Instances that are
//! members of a cluster (Aurora, Multi-AZ DB clusters) get no finding: the cluster owns the
//! user name. An absent `masterUsername` is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{cluster, instance_name, text, INSTANCE_TYPE};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct RdsInstanceDefaultAdminCheck;

static META: RuleMeta = RuleMeta {
    id: "rds-instance-default-admin-check",
    service: "rds",
    title: "RDS DB instances use a custom administrator user name",
    severity: Severity::Medium,
    resource_types: &[INSTANCE_TYPE],
    params: &[ParamSpec {
        name: "validAdminUserNames",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated administrator user names instances may use ('admin' and 'postgres' are never valid).",
    }],
    rationale: "Password-guessing attacks against exposed databases start with the default administrator names; a custom name makes the attacker guess both halves of the credential.",
    remediation: "The master user name cannot be changed in place: create a new administrator with a custom name, move tooling to it, and restrict the default one; new instances take `--master-username` with a non-default value.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &["RDS.25"],
    notes: "The defaults are the names AWS's rule treats as default (`admin`, `postgres`), compared case-insensitively. Cluster members are left to the cluster, as in AWS.",
};

const DEFAULT_NAMES: [&str; 2] = ["admin", "postgres"];

impl Rule for RdsInstanceDefaultAdminCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if cluster(item).is_some() {
            return;
        }
        let name = instance_name(item);
        let Some(user) = text(item, "masterUsername") else {
            return cx.error(item, format!("DB instance {name} has no masterUsername in the inventory"));
        };
        if DEFAULT_NAMES.iter().any(|default| default.eq_ignore_ascii_case(user)) {
            return cx.fail(item, format!("DB instance {name} keeps the default administrator user name `{user}`"));
        }
        let valid = cx.params().list("validAdminUserNames");
        if !valid.is_empty() && !valid.iter().any(|allowed| allowed == user) {
            return cx.fail(
                item,
                format!(
                    "DB instance {name} has administrator `{user}`, not one of validAdminUserNames ({})",
                    valid.join(", ")
                ),
            );
        }
        cx.pass(item, format!("DB instance {name} has a custom administrator user name"));
    }
}
