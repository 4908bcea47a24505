//! Fixes `rds-instance-deletion-protection-enabled`: turns deletion protection on
//! (ModifyDBInstance `DeletionProtection=true`, applied at once; no restart). Undo turns it off.

use serde_json::{json, Value};

use super::{call_modify_flag, flag_state, instance, modify_flag};
use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct RdsInstanceDeletionProtectionEnabled;

const KEY: &str = "DeletionProtection";

static META: FixerMeta = FixerMeta {
    rule_id: "rds-instance-deletion-protection-enabled",
    resource_types: &["AWS::RDS::DBInstance"],
    collector: "rds",
    read_actions: &["rds:DescribeDBInstances"],
    write_actions: &["rds:ModifyDBInstance"],
    reversible: true,
    settings: &[],
    summary: "enables deletion protection on the DB instance (undo: disables it)",
};

impl Fixer for RdsInstanceDeletionProtectionEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move { Ok(instance(cx, finding).await?.map(|i| flag_state(&i, KEY, i.deletion_protection()))) })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let identifier = &input.state["DBInstanceIdentifier"];
        if input.state[KEY] == true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("DB instance {identifier} has deletion protection enabled now"),
            ));
        }
        let mut after = input.state.clone();
        after[KEY] = json!(true);
        Ok(Change { calls: vec![modify_flag(identifier, KEY, true)], after, reversible: true })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let before = input.before[KEY] == true;
        Ok(Change {
            calls: vec![modify_flag(&input.before["DBInstanceIdentifier"], KEY, before)],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "ModifyDBInstance" {
                return Err(unknown_operation(&META, call));
            }
            call_modify_flag(cx, call, KEY).await
        })
    }
}
