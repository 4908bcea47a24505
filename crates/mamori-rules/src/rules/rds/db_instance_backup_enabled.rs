//! `db-instance-backup-enabled`: RDS DB instances keep automated backups.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `backupRetentionPeriod` is 0 (backups
//! off), when `backupRetentionPeriod` is set and the instance's period differs from it, when
//! `backupRetentionMinimum` is set and the period is shorter, or when `preferredBackupWindow`
//! is set and the instance's window differs. Read replicas (`readReplicaSourceDBInstanceIdentifier`
//! set) get no finding unless `checkReadReplicas` is true. An absent retention period is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{instance_name, text, INSTANCE_TYPE};
use crate::support::item::required;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct DbInstanceBackupEnabled;

static META: RuleMeta = RuleMeta {
    id: "db-instance-backup-enabled",
    service: "rds",
    title: "RDS DB instances have automated backups enabled",
    severity: Severity::Medium,
    resource_types: &[INSTANCE_TYPE],
    params: &[
        ParamSpec {
            name: "backupRetentionPeriod",
            kind: ParamKind::between(1, 35),
            default: "",
            description: "Exact backup retention period, in days, the instances must have; empty accepts any non-zero period.",
        },
        ParamSpec {
            name: "backupRetentionMinimum",
            kind: ParamKind::between(1, 35),
            default: "",
            description: "Minimum backup retention period, in days; empty accepts any non-zero period.",
        },
        ParamSpec {
            name: "preferredBackupWindow",
            kind: ParamKind::Text,
            default: "",
            description: "Daily backup window the instances must use, as RDS writes it (`03:00-04:00`, UTC); empty accepts any.",
        },
        ParamSpec {
            name: "checkReadReplicas",
            kind: ParamKind::Boolean,
            default: "",
            description: "When true, read replicas are evaluated too; otherwise they get no finding.",
        },
    ],
    rationale: "Automated backups give point-in-time recovery after an accidental delete, a bad migration or ransomware; with a retention of 0 there is nothing to restore from.",
    remediation: "Set a retention period: `aws rds modify-db-instance --db-instance-identifier NAME --backup-retention-period 7 --apply-immediately` (RDS console > Databases > Modify > Backup).",
    stride: Stride::DenialOfService,
    cis: &[],
    fsbp: &["RDS.11"],
    notes: "",
};

impl Rule for DbInstanceBackupEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = instance_name(item);
        let replica = text(item, "readReplicaSourceDBInstanceIdentifier").is_some();
        if replica && cx.params().bool("checkReadReplicas") != Some(true) {
            return;
        }
        let retention = match required(item, "backupRetentionPeriod").map(Value::as_i64) {
            Ok(Some(days)) => days,
            Ok(None) => return cx.error(item, format!("DB instance {name} has an unreadable backupRetentionPeriod")),
            Err(reason) => return cx.error(item, reason),
        };
        if retention <= 0 {
            return cx.fail(item, format!("DB instance {name} has automated backups disabled (retention 0 days)"));
        }
        if let Some(wanted) = cx.params().int("backupRetentionPeriod") {
            if retention != wanted {
                return cx.fail(
                    item,
                    format!("DB instance {name} keeps backups {retention} days, not the required {wanted}"),
                );
            }
        }
        if let Some(minimum) = cx.params().int("backupRetentionMinimum") {
            if retention < minimum {
                return cx.fail(item, format!("DB instance {name} keeps backups {retention} days (minimum {minimum})"));
            }
        }
        if let Some(wanted) = cx.params().text("preferredBackupWindow") {
            let window = match required(item, "preferredBackupWindow") {
                Ok(window) => window.as_str().unwrap_or(""),
                Err(reason) => return cx.error(item, reason),
            };
            if window != wanted {
                let window = if window.is_empty() { "none" } else { window };
                return cx
                    .fail(item, format!("DB instance {name} has backup window {window}, not the required {wanted}"));
            }
        }
        cx.pass(item, format!("DB instance {name} keeps automated backups {retention} days"))
    }
}
