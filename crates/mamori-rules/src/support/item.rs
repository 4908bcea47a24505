//! Reading fields of a configuration item, telling "absent" from "collection failed".
//!
//! mamori's convention (see DESIGN.md): an attribute that is absent was not collected, so a
//! rule that needs it reports ERROR; an attribute present as `null` means "none configured".
//! A collector that failed to read one attribute records why under
//! `supplementaryConfiguration.mamoriCollectionErrors`, and [`supplementary`] returns that
//! reason as the error.

use mamori_model::ConfigItem;
use serde_json::Value;

/// `supplementaryConfiguration.<key>`, or why it is not known.
pub fn supplementary<'a>(item: &'a ConfigItem, key: &str) -> Result<Option<&'a Value>, String> {
    if let Some(reason) = item.collection_error(key) {
        return Err(format!("{key} of {} could not be read: {reason}", item.resource_id));
    }
    Ok(item.supplementary(key).filter(|value| !value.is_null()))
}

/// `configuration.<key>` that must be present (possibly `null`).
pub fn required<'a>(item: &'a ConfigItem, key: &str) -> Result<&'a Value, String> {
    if let Some(reason) = item.collection_error(key) {
        return Err(format!("{key} of {} could not be read: {reason}", item.resource_id));
    }
    item.config(key).ok_or_else(|| format!("{} has no `configuration.{key}` in the inventory", item.resource_id))
}

/// A JSON value as a boolean, accepting AWS's `"true"`/`"false"` strings.
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A JSON value as a list: arrays as they are, a single value as a one-item list, null as empty.
pub fn as_list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// Days from an ISO-8601 timestamp (`2024-01-31T10:00:00Z`, `2024-01-31T10:00:00+00:00`,
/// `2024-01-31 10:00:00+00:00`) to `now` (same format). `None` when either is unreadable.
pub fn days_between(earlier: &str, now: &str) -> Option<i64> {
    Some((epoch_seconds(now)? - epoch_seconds(earlier)?).div_euclid(86_400))
}

pub use mamori_model::time::epoch_seconds;

/// The evaluation time of an item: when AWS Config captured it. Rules that count days use it
/// (not the wall clock), so that evaluating the same inventory twice gives the same result.
pub fn capture_time(item: &ConfigItem) -> Result<&str, String> {
    item.configuration_item_capture_time
        .as_deref()
        .filter(|time| epoch_seconds(time).is_some())
        .ok_or_else(|| format!("{} has no readable configurationItemCaptureTime to count days from", item.resource_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(epoch_seconds("1970-01-02T00:00:00Z"), Some(86_400));
        assert_eq!(epoch_seconds("1970-01-02T01:00:00+01:00"), Some(86_400));
        assert_eq!(epoch_seconds("2024-03-01T00:00:00.123Z"), Some(1_709_251_200));
        assert_eq!(days_between("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z"), Some(60));
        assert_eq!(epoch_seconds("not a date"), None);
    }
}
