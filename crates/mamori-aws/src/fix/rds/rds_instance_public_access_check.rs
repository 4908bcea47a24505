//! Fixes `rds-instance-public-access-check`: makes the instance not publicly accessible
//! (ModifyDBInstance `PubliclyAccessible=false`, applied at once): its DNS name then resolves to
//! its private address only, and clients reaching it over the internet lose access, which is
//! the point. Undo makes it publicly accessible again.

use serde_json::{json, Value};

use super::{call_modify_flag, flag_state, instance, modify_flag};
use crate::collect::ApiError;
use crate::fix::{
    unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason, NotPlanned,
    PlanInput, UndoInput,
};

pub struct RdsInstancePublicAccessCheck;

const KEY: &str = "PubliclyAccessible";

static META: FixerMeta = FixerMeta {
    rule_id: "rds-instance-public-access-check",
    resource_types: &["AWS::RDS::DBInstance"],
    collector: "rds",
    read_actions: &["rds:DescribeDBInstances"],
    write_actions: &["rds:ModifyDBInstance"],
    reversible: true,
    settings: &[],
    summary: "makes the DB instance not publicly accessible (undo: publicly accessible again)",
};

impl Fixer for RdsInstancePublicAccessCheck {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move { Ok(instance(cx, finding).await?.map(|i| flag_state(&i, KEY, i.publicly_accessible()))) })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let identifier = &input.state["DBInstanceIdentifier"];
        if input.state[KEY] != true {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("DB instance {identifier} is not publicly accessible now"),
            ));
        }
        let mut after = input.state.clone();
        after[KEY] = json!(false);
        Ok(Change { calls: vec![modify_flag(identifier, KEY, false)], after, reversible: true })
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
