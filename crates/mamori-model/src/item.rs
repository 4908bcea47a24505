//! The configuration item (CI): one resource, as AWS Config records it.
//!
//! AWS writes the same record in several spellings: snapshot and history files say
//! `accountId`, `arn` and `configurationItemVersion` and embed `configuration` as an object;
//! the Config APIs (BatchGetResourceConfig, GetResourceConfigHistory, aggregator queries) say
//! `accountId` or `awsAccountId`, `arn` or `ARN`, `version`, and encode `configuration` and each
//! `supplementaryConfiguration` value as a JSON string. [`RawItem`] accepts all of them and
//! [`ConfigItem`] is the one normalised shape the rest of mamori reads and writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The resource type of the per-account, per-region settings record (password policy, root
/// MFA, S3 account public access block, EBS encryption by default, GuardDuty, ...).
pub const ACCOUNT_TYPE: &str = "AWS::::Account";

/// The resource type of a record saying that some part of the inventory could not be read.
pub const COLLECTION_ERROR_TYPE: &str = "Mamori::Collection::Error";

/// The region of a global resource (IAM, CloudFront, Organizations, the S3 bucket list) in
/// the configuration items mamori writes, as AWS Config records them; also the region of a
/// collection error for a whole account.
pub const GLOBAL_REGION: &str = "global";

/// One resource, normalised. Field names serialise as AWS Config writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigItem {
    pub resource_type: String,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub account_id: String,
    pub aws_region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_item_capture_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_item_status: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Value>,
    #[serde(default)]
    pub configuration: Value,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub supplementary_configuration: Map<String, Value>,
}

impl ConfigItem {
    /// Whether AWS Config says the resource no longer exists (or was never recorded): such
    /// items appear in history files and notifications and are not evaluated.
    pub fn is_deleted_or_unrecorded(&self) -> bool {
        matches!(
            self.configuration_item_status.as_deref(),
            Some("ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded")
        )
    }

    /// `configuration.<key>`.
    pub fn config(&self, key: &str) -> Option<&Value> {
        self.configuration.get(key)
    }

    /// `supplementaryConfiguration.<key>`.
    pub fn supplementary(&self, key: &str) -> Option<&Value> {
        self.supplementary_configuration.get(key)
    }

    /// The ARN if known, otherwise the resource id: what a finding names the resource by.
    pub fn arn_or_id(&self) -> &str {
        self.arn.as_deref().unwrap_or(&self.resource_id)
    }

    /// The error a collector recorded for one attribute of this resource (for example the
    /// bucket policy of one bucket could not be read), kept under
    /// `supplementaryConfiguration.mamoriCollectionErrors.<key>`.
    pub fn collection_error(&self, key: &str) -> Option<&str> {
        self.supplementary("mamoriCollectionErrors")?.get(key)?.as_str()
    }
}

/// The error for a notification envelope that carries no item.
pub(crate) fn empty_notification(message_type: &str) -> ItemError {
    ItemError::Envelope(match message_type {
        "OversizedConfigurationItemChangeNotification" => {
            "an oversized change notification carries no configuration item (fetch it with GetResourceConfigHistory)"
                .to_owned()
        }
        other => format!("notification of type `{other}` carries no configuration item"),
    })
}

/// Why a raw record could not become a [`ConfigItem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("missing required field `{0}`")]
    MissingField(&'static str),
    #[error("field `{field}` must be {expected}")]
    WrongType { field: &'static str, expected: &'static str },
    #[error("field `{field}` holds a JSON string that is not valid JSON: {message}")]
    EncodedJson { field: String, message: String },
    #[error("{0}")]
    Envelope(String),
}

/// A configuration item as any AWS source spells it, before normalisation. Unknown fields are
/// ignored, as AWS adds fields over time.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawItem {
    resource_type: Option<String>,
    resource_id: Option<String>,
    resource_name: Option<String>,
    #[serde(alias = "ARN")]
    arn: Option<String>,
    #[serde(alias = "awsAccountId")]
    account_id: Option<String>,
    aws_region: Option<String>,
    configuration_item_capture_time: Option<Value>,
    configuration_item_status: Option<String>,
    tags: Option<Value>,
    relationships: Option<Vec<Value>>,
    configuration: Option<Value>,
    supplementary_configuration: Option<Value>,
    // Envelopes that carry items rather than being one: a change notification
    // (`configurationItem`), snapshot and history files and GetResourceConfigHistory
    // (`configurationItems`), BatchGetResourceConfig (`baseConfigurationItems`), and an
    // aggregator query (`Results`, each a JSON-encoded item).
    configuration_item: Option<Box<RawItem>>,
    configuration_items: Option<Vec<RawItem>>,
    base_configuration_items: Option<Vec<RawItem>>,
    #[serde(rename = "Results")]
    results: Option<Vec<String>>,
    message_type: Option<String>,
}

impl RawItem {
    /// Whether this record is an envelope of items rather than an item.
    pub fn is_envelope(&self) -> bool {
        self.configuration_item.is_some()
            || self.configuration_items.is_some()
            || self.base_configuration_items.is_some()
            || self.results.is_some()
            || self.message_type.is_some()
    }

    /// The items this record stands for: itself, or what its envelope carries.
    pub fn into_items(self) -> Result<Vec<ConfigItem>, ItemError> {
        if !self.is_envelope() {
            return Ok(vec![self.normalize()?]);
        }
        if let Some(inner) = self.configuration_item {
            return Ok(vec![inner.normalize()?]);
        }
        if let Some(message_type) = &self.message_type {
            if self.configuration_items.is_none() && self.base_configuration_items.is_none() {
                return Err(empty_notification(message_type));
            }
        }
        let mut items = Vec::new();
        for raw in self.configuration_items.into_iter().chain(self.base_configuration_items).flatten() {
            items.push(raw.normalize()?);
        }
        for encoded in self.results.into_iter().flatten() {
            let raw: RawItem = serde_json::from_str(&encoded)
                .map_err(|err| ItemError::EncodedJson { field: "Results".to_owned(), message: err.to_string() })?;
            items.push(raw.normalize()?);
        }
        Ok(items)
    }

    /// Normalise into the one shape mamori works with.
    pub fn normalize(self) -> Result<ConfigItem, ItemError> {
        let resource_type = required_string(self.resource_type, "resourceType")?;
        let account_id = required_string(self.account_id, "accountId")?;
        let aws_region = required_string(self.aws_region, "awsRegion")?;
        let resource_id = required_string(self.resource_id, "resourceId")?;
        let configuration = match self.configuration {
            Some(Value::String(encoded)) => decode_json("configuration", &encoded)?,
            Some(value) => value,
            None => Value::Null,
        };
        let supplementary_configuration = match self.supplementary_configuration {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.into_iter().map(|(key, value)| (key, decode_if_encoded(value))).collect(),
            Some(_) => return Err(ItemError::WrongType { field: "supplementaryConfiguration", expected: "an object" }),
        };
        Ok(ConfigItem {
            resource_type,
            resource_id,
            resource_name: self.resource_name.filter(|name| !name.is_empty()),
            arn: self.arn.filter(|arn| !arn.is_empty()),
            account_id,
            aws_region,
            configuration_item_capture_time: self.configuration_item_capture_time.and_then(capture_time_text),
            configuration_item_status: self.configuration_item_status,
            tags: normalize_tags(self.tags)?,
            relationships: self.relationships.unwrap_or_default(),
            configuration,
            supplementary_configuration,
        })
    }
}

fn required_string(value: Option<String>, field: &'static str) -> Result<String, ItemError> {
    match value {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(ItemError::MissingField(field)),
    }
}

fn decode_json(field: &str, encoded: &str) -> Result<Value, ItemError> {
    if encoded.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(encoded)
        .map_err(|err| ItemError::EncodedJson { field: field.to_owned(), message: err.to_string() })
}

/// The APIs encode supplementary values as JSON text; snapshots embed them. A string that is
/// not JSON (or decodes to a plain string) is kept as it is.
fn decode_if_encoded(value: Value) -> Value {
    match &value {
        Value::String(text) => {
            let trimmed = text.trim_start();
            let looks_encoded = trimmed.starts_with('{')
                || trimmed.starts_with('[')
                || matches!(trimmed, "true" | "false" | "null")
                || trimmed.starts_with(|c: char| c.is_ascii_digit() || c == '-');
            if looks_encoded {
                if let Ok(decoded) = serde_json::from_str::<Value>(text) {
                    return decoded;
                }
            }
            value
        }
        _ => value,
    }
}

/// Snapshot files write ISO-8601 text; the raw API JSON writes epoch seconds.
fn capture_time_text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Tags come as `{"key": "value"}` (snapshots) or `[{"key":..,"value":..}]` (some APIs).
fn normalize_tags(tags: Option<Value>) -> Result<BTreeMap<String, String>, ItemError> {
    let wrong = ItemError::WrongType { field: "tags", expected: "an object of strings or a list of {key, value}" };
    let mut out = BTreeMap::new();
    match tags {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                out.insert(key, scalar_text(value).ok_or_else(|| wrong.clone())?);
            }
        }
        Some(Value::Array(list)) => {
            for entry in list {
                let key = entry
                    .get("key")
                    .or_else(|| entry.get("Key"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| wrong.clone())?;
                let value = entry
                    .get("value")
                    .or_else(|| entry.get("Value"))
                    .cloned()
                    .and_then(scalar_text)
                    .unwrap_or_default();
                out.insert(key.to_owned(), value);
            }
        }
        Some(_) => return Err(wrong),
    }
    Ok(out)
}

fn scalar_text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        Value::Null => Some(String::new()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn normalize(value: Value) -> Result<ConfigItem, ItemError> {
        serde_json::from_value::<RawItem>(value).unwrap().normalize()
    }

    #[test]
    fn api_shape_is_normalised_to_snapshot_shape() {
        let api = normalize(json!({
            "version": "1.3", "awsAccountId": "111122223333", "ARN": "arn:aws:s3:::b",
            "resourceType": "AWS::S3::Bucket", "resourceId": "b", "awsRegion": "us-east-1",
            "configuration": "{\"name\":\"b\"}",
            "supplementaryConfiguration": {"BucketVersioningConfiguration": "{\"status\":\"Enabled\"}",
                                           "IsRequesterPaysEnabled": "false"}
        }))
        .unwrap();
        let snapshot = normalize(json!({
            "configurationItemVersion": "1.3", "accountId": "111122223333", "arn": "arn:aws:s3:::b",
            "resourceType": "AWS::S3::Bucket", "resourceId": "b", "awsRegion": "us-east-1",
            "configuration": {"name": "b"},
            "supplementaryConfiguration": {"BucketVersioningConfiguration": {"status": "Enabled"},
                                           "IsRequesterPaysEnabled": false}
        }))
        .unwrap();
        assert_eq!(api, snapshot);
    }

    #[test]
    fn missing_account_is_named() {
        let err = normalize(json!({"resourceType": "AWS::S3::Bucket", "resourceId": "b", "awsRegion": "us-east-1"}))
            .unwrap_err();
        assert_eq!(err.to_string(), "missing required field `accountId`");
    }

    #[test]
    fn broken_encoded_configuration_is_an_error() {
        let err = normalize(json!({"resourceType": "AWS::S3::Bucket", "resourceId": "b",
            "awsRegion": "us-east-1", "accountId": "1", "configuration": "{not json"}))
        .unwrap_err();
        assert!(err.to_string().starts_with("field `configuration` holds"), "{err}");
    }

    #[test]
    fn tag_lists_become_maps() {
        let item = normalize(json!({"resourceType": "AWS::EC2::Instance", "resourceId": "i-1",
            "awsRegion": "us-east-1", "accountId": "1",
            "tags": [{"key": "owner", "value": "team-a"}]}))
        .unwrap();
        assert_eq!(item.tags["owner"], "team-a");
    }
}
