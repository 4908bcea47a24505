//! Configuration items as Rego values.
//!
//! The policy sees the item exactly as AWS Config writes it (the shape `mamori collect`
//! writes and the rule fixtures use), so a policy written against AWS Config snapshots works
//! unchanged. The conversion walks the item once instead of going through a JSON text or an
//! intermediate `serde_json::Value`.

use std::collections::BTreeMap;

use mamori_model::ConfigItem;
use regorus::Value;
use serde_json::Value as Json;

pub fn from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::from(*flag),
        Json::Number(number) => {
            if let Some(value) = number.as_u64() {
                Value::from(value)
            } else if let Some(value) = number.as_i64() {
                Value::from(value)
            } else {
                Value::from(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(text) => Value::from(text.as_str()),
        Json::Array(items) => Value::from(items.iter().map(from_json).collect::<Vec<_>>()),
        Json::Object(map) => Value::from(
            map.iter().map(|(key, value)| (Value::from(key.as_str()), from_json(value))).collect::<BTreeMap<_, _>>(),
        ),
    }
}

pub fn from_item(item: &ConfigItem) -> Value {
    let mut object = BTreeMap::new();
    let mut put = |key: &str, value: Value| {
        object.insert(Value::from(key), value);
    };
    put("resourceType", Value::from(item.resource_type.as_str()));
    put("resourceId", Value::from(item.resource_id.as_str()));
    if let Some(name) = &item.resource_name {
        put("resourceName", Value::from(name.as_str()));
    }
    if let Some(arn) = &item.arn {
        put("arn", Value::from(arn.as_str()));
    }
    put("accountId", Value::from(item.account_id.as_str()));
    put("awsRegion", Value::from(item.aws_region.as_str()));
    if let Some(time) = &item.configuration_item_capture_time {
        put("configurationItemCaptureTime", Value::from(time.as_str()));
    }
    if let Some(status) = &item.configuration_item_status {
        put("configurationItemStatus", Value::from(status.as_str()));
    }
    // Tags are always present (possibly empty) so that `input.tags.owner` is simply undefined
    // when the tag is missing, never an error about a missing object.
    put(
        "tags",
        Value::from(
            item.tags
                .iter()
                .map(|(key, value)| (Value::from(key.as_str()), Value::from(value.as_str())))
                .collect::<BTreeMap<_, _>>(),
        ),
    );
    put("relationships", Value::from(item.relationships.iter().map(from_json).collect::<Vec<_>>()));
    put("configuration", from_json(&item.configuration));
    put(
        "supplementaryConfiguration",
        Value::from(
            item.supplementary_configuration
                .iter()
                .map(|(key, value)| (Value::from(key.as_str()), from_json(value)))
                .collect::<BTreeMap<_, _>>(),
        ),
    );
    Value::from(object)
}
