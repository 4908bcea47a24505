//! Fixes `rds-snapshots-public-prohibited`: makes a public DB snapshot or DB cluster snapshot
//! private by removing `all` from its `restore` attribute (ModifyDBSnapshotAttribute /
//! ModifyDBClusterSnapshotAttribute `ValuesToRemove=[all]`); the accounts it is shared with by
//! name keep their access. Undo adds `all` back.

use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct RdsSnapshotsPublicProhibited;

const CLUSTER_SNAPSHOT: &str = "AWS::RDS::DBClusterSnapshot";

static META: FixerMeta = FixerMeta {
    rule_id: "rds-snapshots-public-prohibited",
    resource_types: &["AWS::RDS::DBSnapshot", CLUSTER_SNAPSHOT],
    collector: "rds",
    read_actions: &["rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes"],
    write_actions: &["rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"],
    reversible: true,
    settings: &[],
    summary: "stops sharing the snapshot publicly, keeping the accounts it is shared with (undo: public again)",
};

impl Fixer for RdsSnapshotsPublicProhibited {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let rds = client(cx);
            let id = &finding.resource_id;
            let attributes: Vec<(String, Vec<String>)> = if finding.resource_type == CLUSTER_SNAPSHOT {
                let read = rds.describe_db_cluster_snapshot_attributes().db_cluster_snapshot_identifier(id).send();
                match cx.call("rds", read).await {
                    Ok(out) => out
                        .db_cluster_snapshot_attributes_result()
                        .map(|r| r.db_cluster_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .map(|a| (a.attribute_name().unwrap_or_default().to_owned(), a.attribute_values().to_vec()))
                        .collect(),
                    Err(err) if err.is_not_found(&["DBClusterSnapshotNotFoundFault"]) => return Ok(None),
                    Err(err) => return Err(err),
                }
            } else {
                match cx.call("rds", rds.describe_db_snapshot_attributes().db_snapshot_identifier(id).send()).await {
                    Ok(out) => out
                        .db_snapshot_attributes_result()
                        .map(|r| r.db_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .map(|a| (a.attribute_name().unwrap_or_default().to_owned(), a.attribute_values().to_vec()))
                        .collect(),
                    Err(err) if err.is_not_found(&["DBSnapshotNotFound", "DBSnapshotNotFoundFault"]) => {
                        return Ok(None)
                    }
                    Err(err) => return Err(err),
                }
            };
            let mut restore: Vec<String> = attributes
                .into_iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case("restore"))
                .flat_map(|(_, values)| values)
                .collect();
            restore.sort();
            Ok(Some(json!({"Restore": restore})))
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let id = &input.finding.resource_id;
        let restore: Vec<Value> = input.state["Restore"].as_array().cloned().unwrap_or_default();
        if !restore.iter().any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case("all"))) {
            return Err(NotPlanned::new(LeftOutReason::ResourceChanged, format!("snapshot {id} is not public now")));
        }
        let kept: Vec<Value> =
            restore.into_iter().filter(|v| !v.as_str().is_some_and(|v| v.eq_ignore_ascii_case("all"))).collect();
        Ok(Change {
            calls: vec![modify(input.finding, "ValuesToRemove")],
            after: json!({"Restore": kept}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        Ok(Change { calls: vec![modify(input.finding, "ValuesToAdd")], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if text_param(call, "AttributeName")? != "restore" {
                return Err(ApiError::new("InvalidPlan", "only the restore attribute is ever planned"));
            }
            let values = |key: &str| -> Option<Vec<String>> {
                call.parameters[key]
                    .as_array()
                    .map(|v| v.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            };
            let (add, remove) = (values("ValuesToAdd"), values("ValuesToRemove"));
            let only_all = |v: &Option<Vec<String>>| v.as_ref().is_none_or(|v| v == &["all"]);
            if !only_all(&add) || !only_all(&remove) {
                return Err(ApiError::new("InvalidPlan", "only `all` is ever added or removed"));
            }
            let rds = client(cx);
            match call.operation.as_str() {
                "ModifyDBSnapshotAttribute" => {
                    let modify = rds
                        .modify_db_snapshot_attribute()
                        .db_snapshot_identifier(text_param(call, "DBSnapshotIdentifier")?)
                        .attribute_name("restore")
                        .set_values_to_add(add)
                        .set_values_to_remove(remove);
                    cx.call("rds", modify.send()).await.map(|_| ())
                }
                "ModifyDBClusterSnapshotAttribute" => {
                    let modify = rds
                        .modify_db_cluster_snapshot_attribute()
                        .db_cluster_snapshot_identifier(text_param(call, "DBClusterSnapshotIdentifier")?)
                        .attribute_name("restore")
                        .set_values_to_add(add)
                        .set_values_to_remove(remove);
                    cx.call("rds", modify.send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// Adds (`ValuesToAdd`) or removes (`ValuesToRemove`) `all` in the snapshot's restore attribute.
fn modify(finding: &FindingRef, direction: &str) -> ApiCall {
    let id = &finding.resource_id;
    if finding.resource_type == CLUSTER_SNAPSHOT {
        ApiCall::new(
            "rds",
            "ModifyDBClusterSnapshotAttribute",
            json!({"DBClusterSnapshotIdentifier": id, "AttributeName": "restore", direction: ["all"]}),
        )
    } else {
        ApiCall::new(
            "rds",
            "ModifyDBSnapshotAttribute",
            json!({"DBSnapshotIdentifier": id, "AttributeName": "restore", direction: ["all"]}),
        )
    }
}
