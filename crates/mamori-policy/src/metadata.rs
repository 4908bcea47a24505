//! The metadata every policy declares, and its checks.
//!
//! A policy says what it is in a `metadata` object of its package, plain Rego data, so that
//! `opa eval` and editors see the same thing mamori does:
//!
//! ```rego
//! metadata := {
//!     "id": "org-tag-policy",                 # required, must not be a built-in rule id
//!     "title": "Resources carry owner and environment tags",    # required
//!     "severity": "medium",                   # required: critical|high|medium|low|informational
//!     "resource_types": ["AWS::EC2::Instance"],                 # required, known types only
//!     "input": "item",                        # "item" (default) or "region-inventory"
//!     "inventory_types": ["AWS::IAM::Group"], # region-inventory only: context types
//!     "description": "...", "remediation": "...",
//!     "cis": ["1.4"], "fsbp": ["IAM.3"], "stride": "Tampering",
//! }
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use mamori_model::Severity;
use mamori_rules::Stride;
use regorus::Value;

use crate::PolicyError;

/// What the policy's input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One configuration item; `deny` is a set of messages about it.
    Item,
    /// `{"accountId", "awsRegion", "items": [...]}`: every item of the declared types in one
    /// account and region; `deny` is a set of `{"resourceId", "message"}` objects.
    RegionInventory,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Item => "item",
            InputKind::RegionInventory => "region-inventory",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Metadata {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// The types the policy judges: one finding per item of these types.
    pub resource_types: Vec<String>,
    /// Types a region-inventory policy reads as context without judging them.
    pub inventory_types: Vec<String>,
    pub input: InputKind,
    pub description: String,
    pub remediation: String,
    pub cis: Vec<String>,
    pub fsbp: Vec<String>,
    pub stride: Stride,
}

const FIELDS: &[&str] = &[
    "id",
    "title",
    "severity",
    "resource_types",
    "inventory_types",
    "input",
    "description",
    "remediation",
    "cis",
    "fsbp",
    "stride",
];

fn stride(text: &str) -> Option<Stride> {
    Some(match text.to_ascii_lowercase().replace([' ', '_', '-'], "").as_str() {
        "spoofing" => Stride::Spoofing,
        "tampering" => Stride::Tampering,
        "repudiation" => Stride::Repudiation,
        "informationdisclosure" => Stride::InformationDisclosure,
        "denialofservice" => Stride::DenialOfService,
        "elevationofprivilege" => Stride::ElevationOfPrivilege,
        _ => return None,
    })
}

impl Metadata {
    /// Read and check the `metadata` value of the policy in `path`. `known_types` are the
    /// resource types a policy may name.
    pub fn parse(path: &Path, value: &Value, known_types: &BTreeSet<String>) -> Result<Metadata, PolicyError> {
        let err = |field: &str, message: String| PolicyError::Metadata {
            path: path.to_owned(),
            field: field.to_owned(),
            message,
        };
        let object = match value {
            Value::Undefined => return Err(PolicyError::MissingMetadata { path: path.to_owned() }),
            Value::Object(object) => object,
            _ => return Err(err("metadata", "must be an object".to_owned())),
        };
        for key in object.keys() {
            let name = key.as_string().map(|s| s.to_string()).unwrap_or_else(|_| key.to_string());
            if !FIELDS.contains(&name.as_str()) {
                return Err(err(&name, format!("unknown field (expected one of {})", FIELDS.join(", "))));
            }
        }
        let get = |field: &str| object.get(&Value::from(field));
        let text = |field: &str, required: bool| -> Result<String, PolicyError> {
            match get(field) {
                Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.to_string()),
                Some(Value::String(_)) if !required => Ok(String::new()),
                Some(Value::String(_)) => Err(err(field, "must not be empty".to_owned())),
                None if !required => Ok(String::new()),
                None => Err(err(field, "is required".to_owned())),
                Some(other) => Err(err(field, format!("must be a string, not `{other}`"))),
            }
        };
        let list = |field: &str| -> Result<Vec<String>, PolicyError> {
            match get(field) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text.to_string()),
                        other => Err(err(field, format!("must be a list of strings, found `{other}`"))),
                    })
                    .collect(),
                Some(other) => Err(err(field, format!("must be a list of strings, not `{other}`"))),
            }
        };

        let id = text("id", true)?;
        if !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || id.starts_with('-') {
            return Err(err("id", format!("`{id}` must be lowercase letters, digits and dashes")));
        }
        let title = text("title", true)?;
        let severity_text = text("severity", true)?;
        let severity = Severity::from_str(&severity_text).map_err(|e| err("severity", e.to_string()))?;
        let input = match text("input", false)?.as_str() {
            "" | "item" => InputKind::Item,
            "region-inventory" => InputKind::RegionInventory,
            other => return Err(err("input", format!("`{other}` is neither `item` nor `region-inventory`"))),
        };
        let resource_types = list("resource_types")?;
        if resource_types.is_empty() {
            return Err(err("resource_types", "is required: the resource types the policy judges".to_owned()));
        }
        let inventory_types = list("inventory_types")?;
        if !inventory_types.is_empty() && input == InputKind::Item {
            return Err(err("inventory_types", "only a `region-inventory` policy reads other items".to_owned()));
        }
        for (field, types) in [("resource_types", &resource_types), ("inventory_types", &inventory_types)] {
            if let Some(unknown) = types.iter().find(|t| !known_types.contains(*t)) {
                return Err(PolicyError::UnknownResourceType {
                    path: path.to_owned(),
                    field: field.to_owned(),
                    resource_type: unknown.clone(),
                });
            }
        }
        let stride_text = text("stride", false)?;
        let stride = if stride_text.is_empty() {
            // A custom policy most often states how the organization wants resources
            // configured, so a departure from it is a configuration tampered with.
            Stride::Tampering
        } else {
            stride(&stride_text).ok_or_else(|| err("stride", format!("`{stride_text}` is not a STRIDE category")))?
        };
        Ok(Metadata {
            id,
            title,
            severity,
            resource_types,
            inventory_types,
            input,
            description: text("description", false)?,
            remediation: text("remediation", false)?,
            cis: list("cis")?,
            fsbp: list("fsbp")?,
            stride,
        })
    }
}
