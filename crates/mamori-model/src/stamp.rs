//! Which resource an item records, and which of its states: what decides, when the inventory
//! holds several items of one resource, the one that stands.
//!
//! AWS Config history files and `GetResourceConfigHistory` results list every state a resource
//! went through, change notifications arrive one per change, and two snapshots (or two runs of
//! the collector) overlap. A resource is identified by account, region, type and id; among its
//! items the latest capture time wins, then the greater `configurationStateId` (AWS Config's
//! own ordering of a resource's states), then the later place in the input, so that exact
//! repeats count once. [`RawStamp`] reads only those fields, a fraction of the cost of a whole
//! item, for the engine's pre-scan of inputs that hold such repeats.

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::item::{ConfigItem, ItemError};
use crate::time::epoch_millis;

/// A resource's identity: SHA-256 over its account, region, type and id, cut to 128 bits.
/// Resource ids are chosen by whoever names the resource, so a fingerprint that someone could
/// make collide would let one resource hide another's state; SHA-256 cannot be steered so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey([u8; 16]);

impl ResourceKey {
    pub fn new(account_id: &str, region: &str, resource_type: &str, resource_id: &str) -> ResourceKey {
        let mut hasher = Sha256::new();
        // Length prefixes keep (`ab`, `c`) and (`a`, `bc`) apart.
        for part in [account_id, region, resource_type, resource_id] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ResourceKey(key)
    }

    pub fn of(item: &ConfigItem) -> ResourceKey {
        ResourceKey::new(&item.account_id, &item.aws_region, &item.resource_type, &item.resource_id)
    }
}

/// When a state was recorded: capture time in milliseconds, then `configurationStateId`.
/// Ordered: the greater version is the later state. Unknown parts order before every known
/// value, so an item without a capture time never replaces one that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    capture_millis: i64,
    state_id: u64,
}

impl Version {
    /// From the fields as AWS writes them: text or numbers, either may be missing.
    pub fn new(capture_time: Option<&Value>, state_id: Option<&Value>) -> Version {
        let capture_millis = capture_time
            .and_then(|value| match value {
                Value::String(text) => epoch_millis(text),
                Value::Number(number) => epoch_millis(&number.to_string()),
                _ => None,
            })
            .unwrap_or(i64::MIN);
        // State ids are decimal counters (`"1709287200000"` or a number); anything else is
        // unknown rather than compared as text, where `"9"` would come after `"10"`.
        let state_id = state_id
            .and_then(|value| match value {
                Value::String(text) => text.trim().parse().ok(),
                Value::Number(number) => number.as_u64(),
                _ => None,
            })
            .unwrap_or(0);
        Version { capture_millis, state_id }
    }
}

/// What the pre-scan keeps of one item. Whether the item is a deletion does not matter there:
/// a deletion that stands leaves its resource out of the evaluation like any deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemStamp {
    pub key: ResourceKey,
    pub version: Version,
}

/// The fields of a record that identify and order it, and the envelopes that carry items, as
/// [`RawItem`](crate::RawItem) reads them; everything else is skipped unread. It must expand
/// a record into exactly the items, in the same order, that `RawItem::into_items` does: the
/// engine finds an item of the evaluation by its place among them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawStamp {
    resource_type: Option<String>,
    resource_id: Option<String>,
    #[serde(alias = "awsAccountId")]
    account_id: Option<String>,
    aws_region: Option<String>,
    configuration_item_capture_time: Option<Value>,
    configuration_state_id: Option<Value>,
    configuration_item: Option<Box<RawStamp>>,
    configuration_items: Option<Vec<RawStamp>>,
    base_configuration_items: Option<Vec<RawStamp>>,
    #[serde(rename = "Results")]
    results: Option<Vec<String>>,
    message_type: Option<String>,
}

impl RawStamp {
    fn is_envelope(&self) -> bool {
        self.configuration_item.is_some()
            || self.configuration_items.is_some()
            || self.base_configuration_items.is_some()
            || self.results.is_some()
            || self.message_type.is_some()
    }

    /// The stamps of the items this record stands for, appended to `out`.
    pub fn into_stamps(self, out: &mut Vec<ItemStamp>) -> Result<(), ItemError> {
        if !self.is_envelope() {
            out.push(self.stamp()?);
            return Ok(());
        }
        if let Some(inner) = self.configuration_item {
            out.push(inner.stamp()?);
            return Ok(());
        }
        if let Some(message_type) = &self.message_type {
            if self.configuration_items.is_none() && self.base_configuration_items.is_none() {
                return Err(crate::item::empty_notification(message_type));
            }
        }
        for raw in self.configuration_items.into_iter().chain(self.base_configuration_items).flatten() {
            out.push(raw.stamp()?);
        }
        for encoded in self.results.into_iter().flatten() {
            let raw: RawStamp = serde_json::from_str(&encoded)
                .map_err(|err| ItemError::EncodedJson { field: "Results".to_owned(), message: err.to_string() })?;
            out.push(raw.stamp()?);
        }
        Ok(())
    }

    /// Checked as `RawItem::normalize` checks, in the same order, so both fail alike.
    fn stamp(self) -> Result<ItemStamp, ItemError> {
        let present = |value: Option<String>, field| match value {
            Some(text) if !text.is_empty() => Ok(text),
            _ => Err(ItemError::MissingField(field)),
        };
        let resource_type = present(self.resource_type, "resourceType")?;
        let account_id = present(self.account_id, "accountId")?;
        let aws_region = present(self.aws_region, "awsRegion")?;
        let resource_id = present(self.resource_id, "resourceId")?;
        Ok(ItemStamp {
            key: ResourceKey::new(&account_id, &aws_region, &resource_type, &resource_id),
            version: Version::new(self.configuration_item_capture_time.as_ref(), self.configuration_state_id.as_ref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::item::RawItem;

    fn item(id: &str, captured: Value, state: Value) -> Value {
        json!({"resourceType": "AWS::S3::Bucket", "resourceId": id, "accountId": "111122223333",
               "awsRegion": "us-east-1", "configurationItemCaptureTime": captured,
               "configurationStateId": state, "configuration": {"name": id, "deep": [1, {"resourceId": "x"}]}})
    }

    /// Stamps and items of every shape AWS writes come out one for one, in the same order.
    #[test]
    fn stamps_follow_items_through_every_envelope() {
        let a = item("a", json!("2024-03-01T10:00:00Z"), json!(1));
        let b = item("b", json!(1709287200.5), json!("2"));
        let c = item("c", Value::Null, Value::Null);
        let shapes = [
            a.clone(),
            json!({"configurationItem": b.clone(), "messageType": "ConfigurationItemChangeNotification"}),
            json!({"fileVersion": "1.0", "configurationItems": [a.clone(), b.clone(), c.clone()]}),
            json!({"baseConfigurationItems": [c.clone(), a.clone()], "configurationItems": [b.clone()]}),
            json!({"Results": [a.to_string(), c.to_string()]}),
            json!({"configurationItems": [], "messageType": "ConfigurationSnapshotDeliveryCompleted"}),
        ];
        for shape in shapes {
            let items = serde_json::from_value::<RawItem>(shape.clone()).unwrap().into_items().unwrap();
            let mut stamps = Vec::new();
            serde_json::from_value::<RawStamp>(shape.clone()).unwrap().into_stamps(&mut stamps).unwrap();
            let keys: Vec<ResourceKey> = items.iter().map(ResourceKey::of).collect();
            let stamped: Vec<ResourceKey> = stamps.iter().map(|stamp| stamp.key).collect();
            assert_eq!(keys, stamped, "{shape}");
        }
        for broken in [
            json!({"messageType": "OversizedConfigurationItemChangeNotification"}),
            json!({"configurationItems": [{"resourceId": "a"}]}),
            json!({"Results": ["{not json"]}),
        ] {
            let item_error = serde_json::from_value::<RawItem>(broken.clone()).unwrap().into_items().unwrap_err();
            let stamp_error =
                serde_json::from_value::<RawStamp>(broken.clone()).unwrap().into_stamps(&mut Vec::new()).unwrap_err();
            assert_eq!(item_error, stamp_error, "{broken}");
        }
    }

    #[test]
    fn versions_order_by_capture_time_then_state_id() {
        let version = |captured: Value, state: Value| Version::new(Some(&captured), Some(&state));
        let earlier = version(json!("2024-03-01T10:00:00.000Z"), json!(9));
        let later = version(json!(1709287200.001), json!(1));
        assert!(later > earlier, "a millisecond later wins over a greater state id");
        assert!(
            version(json!("2024-03-01T10:00:00Z"), json!("10")) > version(json!("2024-03-01T10:00:00Z"), json!("9"))
        );
        assert!(Version::new(None, None) < version(json!("1970-01-01T00:00:00Z"), Value::Null));
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(
            ResourceKey::new("1", "us-east-1", "AWS::S3::Bucket", "ab"),
            ResourceKey::new("1", "us-east-1", "AWS::S3::Bucket", "a")
        );
        assert_ne!(ResourceKey::new("1", "ab", "c", "d"), ResourceKey::new("1", "a", "bc", "d"));
    }
}
