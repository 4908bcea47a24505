//! What the RDS rules share: naming a DB instance and reading its configuration flags.
//!
//! AWS Config's `resourceId` for a DB instance is the opaque `db-…` resource id, so messages name
//! instances by `dBInstanceIdentifier`, the name people know them by.

use mamori_model::ConfigItem;
use serde_json::Value;

use crate::support::item::{as_bool, required};

pub(super) const INSTANCE_TYPE: &str = "AWS::RDS::DBInstance";

/// The instance's name: `dBInstanceIdentifier`, else the resource name, else the resource id.
pub(super) fn instance_name(item: &ConfigItem) -> &str {
    item.config("dBInstanceIdentifier")
        .and_then(Value::as_str)
        .or(item.resource_name.as_deref())
        .unwrap_or(&item.resource_id)
}

/// A boolean `configuration.<key>` that must be in the inventory (`true`, `false`, `"true"`, `"false"`).
pub(super) fn flag(item: &ConfigItem, key: &str) -> Result<bool, String> {
    let value = required(item, key)?;
    as_bool(value).ok_or_else(|| format!("{} has an unreadable `{key}`: `{value}`", instance_name(item)))
}

/// A non-empty text `configuration.<key>`, if any.
pub(super) fn text<'a>(item: &'a ConfigItem, key: &str) -> Option<&'a str> {
    item.config(key).and_then(Value::as_str).filter(|text| !text.is_empty())
}

/// The cluster the instance belongs to (Aurora, DocumentDB, Neptune, Multi-AZ DB clusters).
pub(super) fn cluster(item: &ConfigItem) -> Option<&str> {
    text(item, "dBClusterIdentifier")
}
