//! Fixers of RDS rules.
//!
//! Findings name a DB instance by its `dbiResourceId` (as AWS Config does), while the API
//! names it by identifier: [`instance`] finds it by the identifier in the finding's ARN, or
//! among all instances when the finding has none (a rollback's record keeps only the id). The
//! instance fixers change one attribute with ModifyDBInstance and `ApplyImmediately`, so the
//! change does not wait for the maintenance window.

pub mod db_instance_backup_enabled;
pub mod rds_instance_deletion_protection_enabled;
pub mod rds_instance_public_access_check;
pub mod rds_snapshots_public_prohibited;

use aws_sdk_rds::types::DbInstance;
use aws_sdk_rds::Client;
use serde_json::{json, Value};

use super::{param, text_param, FixCx};
use crate::collect::ApiError;
use mamori_model::remediation::{ApiCall, FindingRef};

/// An RDS client in the fix's region, its retries counted.
pub(crate) fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_rds::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}

/// The finding's DB instance, `None` when it no longer exists.
pub(crate) async fn instance(cx: &FixCx, finding: &FindingRef) -> Result<Option<DbInstance>, ApiError> {
    let rds = client(cx);
    let mine = |i: &DbInstance| i.dbi_resource_id() == Some(finding.resource_id.as_str());
    let named = finding.resource_arn.as_deref().and_then(|arn| arn.split_once(":db:")).map(|(_, name)| name);
    if let Some(name) = named {
        return match cx.call("rds", rds.describe_db_instances().db_instance_identifier(name).send()).await {
            Ok(out) => Ok(out.db_instances().iter().find(|i| mine(i)).cloned()),
            Err(err) if err.is_not_found(&["DBInstanceNotFound", "DBInstanceNotFoundFault"]) => Ok(None),
            Err(err) => Err(err),
        };
    }
    let mut marker = None;
    loop {
        let page = cx.call("rds", rds.describe_db_instances().set_marker(marker.take()).send()).await?;
        if let Some(found) = page.db_instances().iter().find(|i| mine(i)) {
            return Ok(Some(found.clone()));
        }
        match page.marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => return Ok(None),
        }
    }
}

/// The state of one boolean attribute of an instance: its identifier and the value.
pub(crate) fn flag_state(instance: &DbInstance, key: &str, value: Option<bool>) -> Value {
    json!({"DBInstanceIdentifier": instance.db_instance_identifier(), key: value.unwrap_or(false)})
}

/// ModifyDBInstance setting one boolean attribute, applied at once.
pub(crate) fn modify_flag(identifier: &Value, key: &str, value: bool) -> ApiCall {
    ApiCall::new(
        "rds",
        "ModifyDBInstance",
        json!({"DBInstanceIdentifier": identifier, key: value, "ApplyImmediately": true}),
    )
}

/// Makes a planned ModifyDBInstance that sets `DeletionProtection` or `PubliclyAccessible`.
pub(crate) async fn call_modify_flag(cx: &FixCx, call: &ApiCall, key: &str) -> Result<(), ApiError> {
    let identifier = text_param(call, "DBInstanceIdentifier")?;
    let value = param(call, key)?
        .as_bool()
        .ok_or_else(|| ApiError::new("InvalidPlan", format!("{}: `{key}` is not true or false", call.action())))?;
    let modify = client(cx).modify_db_instance().db_instance_identifier(identifier).apply_immediately(true);
    let modify = match key {
        "DeletionProtection" => modify.deletion_protection(value),
        "PubliclyAccessible" => modify.publicly_accessible(value),
        other => return Err(ApiError::new("InvalidPlan", format!("`{other}` is not planned"))),
    };
    cx.call("rds", modify.send()).await.map(|_| ())
}
