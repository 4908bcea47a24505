//! Rule parameters: declared with defaults next to each rule, set by users in `mamori.toml`.
//!
//! AWS Config passes every managed-rule parameter as a string (`"90"`, `"443,1020-1025"`), so
//! defaults are written the same way and users may give either a string or a TOML value of
//! the right kind. Values are checked once, when the rule set is built, so that a rule reading
//! a parameter during evaluation cannot meet a bad one.

use std::collections::BTreeMap;

/// The kind of value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Integer,
    Boolean,
    Text,
    /// Comma-separated strings (ports, port ranges, CIDRs, ids).
    List,
}

impl ParamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::Integer => "an integer",
            ParamKind::Boolean => "true or false",
            ParamKind::Text => "a string",
            ParamKind::List => "a comma-separated list",
        }
    }
}

/// A parameter as a rule declares it.
#[derive(Debug)]
pub struct ParamSpec {
    /// The AWS Config parameter name where the rule has an AWS equivalent.
    pub name: &'static str,
    pub kind: ParamKind,
    /// Default in AWS Config's string form; empty means "not set".
    pub default: &'static str,
    pub description: &'static str,
}

/// A parameter value after checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Integer(i64),
    Boolean(bool),
    Text(String),
    List(Vec<String>),
    Unset,
}

/// Why a parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("rule `{rule}` has no parameter `{param}` (it takes: {known})")]
    Unknown { rule: String, param: String, known: String },
    #[error("parameter `{param}` of rule `{rule}` must be {expected}, got `{value}`")]
    Invalid { rule: String, param: String, expected: &'static str, value: String },
}

/// The checked parameters of one rule, defaults filled in.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<&'static str, ParamValue>,
}

impl Params {
    /// Check `given` (name → value in string form) against `specs`, filling in defaults.
    pub fn build(
        rule: &str,
        specs: &'static [ParamSpec],
        given: &BTreeMap<String, String>,
    ) -> Result<Params, ParamError> {
        for name in given.keys() {
            if !specs.iter().any(|spec| spec.name == name) {
                let known: Vec<_> = specs.iter().map(|spec| spec.name).collect();
                return Err(ParamError::Unknown {
                    rule: rule.to_owned(),
                    param: name.clone(),
                    known: if known.is_empty() { "no parameters".to_owned() } else { known.join(", ") },
                });
            }
        }
        let mut values = BTreeMap::new();
        for spec in specs {
            let text = given.get(spec.name).map(String::as_str).unwrap_or(spec.default);
            let value = parse(spec.kind, text).ok_or_else(|| ParamError::Invalid {
                rule: rule.to_owned(),
                param: spec.name.to_owned(),
                expected: spec.kind.as_str(),
                value: text.to_owned(),
            })?;
            values.insert(spec.name, value);
        }
        Ok(Params { values })
    }

    /// Defaults only.
    pub fn defaults(rule: &str, specs: &'static [ParamSpec]) -> Result<Params, ParamError> {
        Params::build(rule, specs, &BTreeMap::new())
    }

    pub fn get(&self, name: &str) -> &ParamValue {
        self.values.get(name).unwrap_or(&ParamValue::Unset)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            ParamValue::Integer(value) => Some(*value),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            ParamValue::Boolean(value) => Some(*value),
            _ => None,
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            ParamValue::Text(value) => Some(value),
            _ => None,
        }
    }

    /// A list parameter; empty when unset.
    pub fn list(&self, name: &str) -> &[String] {
        match self.get(name) {
            ParamValue::List(values) => values,
            _ => &[],
        }
    }
}

fn parse(kind: ParamKind, text: &str) -> Option<ParamValue> {
    let text = text.trim();
    if text.is_empty() {
        return Some(ParamValue::Unset);
    }
    Some(match kind {
        ParamKind::Integer => ParamValue::Integer(text.parse().ok()?),
        ParamKind::Boolean => ParamValue::Boolean(match text.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => return None,
        }),
        ParamKind::Text => ParamValue::Text(text.to_owned()),
        ParamKind::List => ParamValue::List(
            text.split(',').map(str::trim).filter(|part| !part.is_empty()).map(str::to_owned).collect(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: &[ParamSpec] = &[
        ParamSpec { name: "maxAccessKeyAge", kind: ParamKind::Integer, default: "90", description: "" },
        ParamSpec { name: "ports", kind: ParamKind::List, default: "", description: "" },
    ];

    #[test]
    fn defaults_and_overrides() {
        let defaults = Params::defaults("r", SPECS).unwrap();
        assert_eq!(defaults.int("maxAccessKeyAge"), Some(90));
        assert!(defaults.list("ports").is_empty());
        let given = BTreeMap::from([("ports".to_owned(), "22, 3389".to_owned())]);
        assert_eq!(Params::build("r", SPECS, &given).unwrap().list("ports"), ["22", "3389"]);
    }

    #[test]
    fn bad_values_are_named() {
        let given = BTreeMap::from([("maxAccessKeyAge".to_owned(), "ninety".to_owned())]);
        let err = Params::build("r", SPECS, &given).unwrap_err().to_string();
        assert_eq!(err, "parameter `maxAccessKeyAge` of rule `r` must be an integer, got `ninety`");
        let given = BTreeMap::from([("maxAge".to_owned(), "1".to_owned())]);
        assert!(Params::build("r", SPECS, &given).unwrap_err().to_string().contains("no parameter `maxAge`"));
    }
}
