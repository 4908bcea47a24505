//! Fixes `db-instance-backup-enabled`: sets the automated backup retention the rule asks for.
//!
//! The retention is the rule's `backupRetentionPeriod` when set, else its
//! `backupRetentionMinimum`, else `[remediation.settings] rds_backup_retention_days` (1 to 35):
//! how long to keep backups is a cost decision the finding cannot make, so without any of them
//! the finding is left out. A `preferredBackupWindow` the rule asks for is set in the same call.
//! An Aurora (cluster member) instance keeps its cluster's retention, so its fix is
//! ModifyDBCluster on the cluster; any other instance gets ModifyDBInstance. Both apply at once
//! (on an instance whose backups were off, RDS takes a first backup). Undo restores the recorded
//! retention (and window).

use serde_json::{json, Value};

use super::{client, instance};
use crate::collect::ApiError;
use crate::fix::{
    param, text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta,
    LeftOutReason, NotPlanned, PlanInput, UndoInput,
};

pub struct DbInstanceBackupEnabled;

const SETTING: &str = "rds_backup_retention_days";

static META: FixerMeta = FixerMeta {
    rule_id: "db-instance-backup-enabled",
    resource_types: &["AWS::RDS::DBInstance"],
    collector: "rds",
    read_actions: &["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
    write_actions: &["rds:ModifyDBInstance", "rds:ModifyDBCluster"],
    reversible: true,
    settings: &[SETTING],
    summary: "sets the backup retention the rule asks for, on the instance or its Aurora cluster (undo: the recorded retention)",
};

impl Fixer for DbInstanceBackupEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let Some(instance) = instance(cx, finding).await? else { return Ok(None) };
            let mut state = json!({
                "DBInstanceIdentifier": instance.db_instance_identifier(),
                "DBClusterIdentifier": instance.db_cluster_identifier(),
                "BackupRetentionPeriod": instance.backup_retention_period(),
                "PreferredBackupWindow": instance.preferred_backup_window(),
            });
            // A member's retention and window are its cluster's: read them there.
            if let Some(cluster) = instance.db_cluster_identifier() {
                let out =
                    cx.call("rds", client(cx).describe_db_clusters().db_cluster_identifier(cluster).send()).await?;
                let Some(found) = out.db_clusters().iter().find(|c| c.db_cluster_identifier() == Some(cluster)) else {
                    return Ok(None);
                };
                state["BackupRetentionPeriod"] = json!(found.backup_retention_period());
                state["PreferredBackupWindow"] = json!(found.preferred_backup_window());
            }
            Ok(Some(state))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let identifier = &input.state["DBInstanceIdentifier"];
        let current = input.state["BackupRetentionPeriod"].as_i64().unwrap_or(0);
        let exact = input.params.int("backupRetentionPeriod");
        let minimum = input.params.int("backupRetentionMinimum");
        let wanted = match (exact, minimum) {
            (Some(days), _) => days,
            (None, Some(minimum)) => minimum.max(current),
            (None, None) if current > 0 => current,
            (None, None) => setting_days(input)?,
        };
        let window = input.params.text("preferredBackupWindow");
        let window_ok = window.is_none_or(|w| input.state["PreferredBackupWindow"] == w);
        if wanted == current && window_ok {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("DB instance {identifier} keeps backups as the rule asks now"),
            ));
        }
        let mut after = input.state.clone();
        after["BackupRetentionPeriod"] = json!(wanted);
        if let Some(window) = window {
            after["PreferredBackupWindow"] = json!(window);
        }
        let call = modify(input.state, wanted, window.filter(|_| !window_ok));
        Ok(Change { calls: vec![call], after, reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let days = input.before["BackupRetentionPeriod"].as_i64().unwrap_or(0);
        let window =
            input.before["PreferredBackupWindow"].as_str().filter(|w| input.now["PreferredBackupWindow"] != *w);
        Ok(Change { calls: vec![modify(input.before, days, window)], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let days = param(call, "BackupRetentionPeriod")?
                .as_i64()
                .ok_or_else(|| ApiError::new("InvalidPlan", "BackupRetentionPeriod is not a number"))?
                as i32;
            let window = call.parameters["PreferredBackupWindow"].as_str().map(str::to_owned);
            let rds = client(cx);
            match call.operation.as_str() {
                "ModifyDBInstance" => {
                    let modify = rds
                        .modify_db_instance()
                        .db_instance_identifier(text_param(call, "DBInstanceIdentifier")?)
                        .backup_retention_period(days)
                        .set_preferred_backup_window(window)
                        .apply_immediately(true);
                    cx.call("rds", modify.send()).await.map(|_| ())
                }
                "ModifyDBCluster" => {
                    let modify = rds
                        .modify_db_cluster()
                        .db_cluster_identifier(text_param(call, "DBClusterIdentifier")?)
                        .backup_retention_period(days)
                        .set_preferred_backup_window(window)
                        .apply_immediately(true);
                    cx.call("rds", modify.send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// `rds_backup_retention_days`: a whole number of days from 1 to 35 (RDS's range).
fn setting_days(input: &PlanInput<'_>) -> Result<i64, NotPlanned> {
    let value = input.settings.0.get(SETTING).ok_or_else(|| {
        NotPlanned::new(
            LeftOutReason::SettingMissing,
            format!(
                "[remediation.settings] {SETTING} is not set (and the rule sets neither backupRetentionPeriod nor \
                 backupRetentionMinimum)"
            ),
        )
    })?;
    match value.as_i64().or_else(|| value.as_str().and_then(|t| t.trim().parse().ok())) {
        Some(days @ 1..=35) => Ok(days),
        _ => Err(NotPlanned::new(
            LeftOutReason::SettingMissing,
            format!("[remediation.settings] {SETTING} = {value}: expected a number of days from 1 to 35"),
        )),
    }
}

/// The call setting `days` (and `window`) where the retention lives: the cluster of a member,
/// else the instance.
fn modify(state: &Value, days: i64, window: Option<&str>) -> ApiCall {
    let mut call = match state["DBClusterIdentifier"].as_str() {
        Some(cluster) => ApiCall::new(
            "rds",
            "ModifyDBCluster",
            json!({"DBClusterIdentifier": cluster, "BackupRetentionPeriod": days, "ApplyImmediately": true}),
        ),
        None => ApiCall::new(
            "rds",
            "ModifyDBInstance",
            json!({"DBInstanceIdentifier": state["DBInstanceIdentifier"], "BackupRetentionPeriod": days, "ApplyImmediately": true}),
        ),
    };
    if let Some(window) = window {
        call.parameters["PreferredBackupWindow"] = json!(window);
    }
    call
}
