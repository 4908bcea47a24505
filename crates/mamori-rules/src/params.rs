//! Rule parameters: declared with defaults next to each rule, set by users in `mamori.toml`.
//!
//! AWS Config passes every managed-rule parameter as a string (`"90"`, `"443,1020-1025"`), so
//! defaults are written the same way and users may give either a string or a TOML value of
//! the right kind. Values are checked once, when the rule set is built, so that a rule reading
//! a parameter during evaluation cannot meet a bad one.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use mamori_model::suggest::DidYouMean;

/// The kind of value a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer within inclusive bounds; `None` leaves a side open. AWS Config refuses
    /// values outside the documented range (a negative key age, a password age beyond 1095
    /// days), and such a value would quietly turn verdicts around, so every integer parameter
    /// of the catalog declares at least its lower bound.
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Boolean,
    Text,
    /// Comma-separated strings (ports, port ranges, CIDRs, ids).
    List,
}

impl ParamKind {
    /// An integer of at least `min`.
    pub const fn at_least(min: i64) -> ParamKind {
        ParamKind::Integer { min: Some(min), max: None }
    }

    /// An integer from `min` to `max`, both included.
    pub const fn between(min: i64, max: i64) -> ParamKind {
        ParamKind::Integer { min: Some(min), max: Some(max) }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParamKind::Integer { .. } => "an integer",
            ParamKind::Boolean => "true or false",
            ParamKind::Text => "a string",
            ParamKind::List => "a comma-separated list",
        }
    }

    /// The accepted range of an integer parameter in words (`from 1 to 1095`, `at least 1`);
    /// `None` for other kinds and for integers without bounds.
    pub fn range_text(self) -> Option<String> {
        match self {
            ParamKind::Integer { min: Some(min), max: Some(max) } => Some(format!("from {min} to {max}")),
            ParamKind::Integer { min: Some(min), max: None } => Some(format!("at least {min}")),
            ParamKind::Integer { min: None, max: Some(max) } => Some(format!("at most {max}")),
            _ => None,
        }
    }

    fn admits(self, value: i64) -> bool {
        match self {
            ParamKind::Integer { min, max } => min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max),
            _ => true,
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
    #[error("rule `{rule}` has no parameter `{param}`{did_you_mean} (it takes: {known})")]
    Unknown { rule: String, param: String, did_you_mean: DidYouMean, known: String },
    #[error("parameter `{param}` of rule `{rule}` must be {expected}, got `{value}`")]
    Invalid { rule: String, param: String, expected: &'static str, value: String },
    #[error("parameter `{param}` of rule `{rule}` must be {range}, got `{value}`")]
    OutOfRange { rule: String, param: String, range: String, value: i64 },
}

/// The checked parameters of one rule, defaults filled in.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// Every declared parameter, [`ParamValue::Unset`] included, so the keys are exactly the
    /// names the rule may read.
    values: BTreeMap<&'static str, ParamValue>,
    /// The rule's id, for the message of a read of an undeclared parameter.
    rule: String,
    derived: Derived,
}

/// What a rule derives from its parameters (parsed port ranges, a message fragment), kept so
/// that it is computed once per run rather than once per item. One slot: a rule derives one
/// value (a struct of its own when it needs several).
#[derive(Clone, Default)]
struct Derived(Arc<OnceLock<Box<dyn Any + Send + Sync>>>);

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "Derived(set)" } else { "Derived(unset)" })
    }
}

impl Params {
    /// `compute(self)`, computed on first use and kept for the rest of the run (the values
    /// never change once built). Give the value a type of its own; a rule that asked for
    /// another type first gets its value computed afresh each time, never a wrong one.
    pub fn derived<T: Any + Send + Sync + Clone>(&self, compute: impl Fn(&Params) -> T) -> Cow<'_, T> {
        if let Some(value) = self.derived.0.get() {
            return match value.downcast_ref::<T>() {
                Some(value) => Cow::Borrowed(value),
                None => Cow::Owned(compute(self)),
            };
        }
        let value = self.derived.0.get_or_init(|| Box::new(compute(self)));
        match value.downcast_ref::<T>() {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(compute(self)),
        }
    }

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
                    did_you_mean: DidYouMean::among(name, known.iter().copied()),
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
            if let ParamValue::Integer(number) = value {
                if !spec.kind.admits(number) {
                    return Err(ParamError::OutOfRange {
                        rule: rule.to_owned(),
                        param: spec.name.to_owned(),
                        range: spec.kind.range_text().unwrap_or_default(),
                        value: number,
                    });
                }
            }
            values.insert(spec.name, value);
        }
        Ok(Params { values, rule: rule.to_owned(), derived: Derived::default() })
    }

    /// Defaults only.
    pub fn defaults(rule: &str, specs: &'static [ParamSpec]) -> Result<Params, ParamError> {
        Params::build(rule, specs, &BTreeMap::new())
    }

    /// The value of `name`, which must be one of the rule's declared parameters: reading
    /// another one (a typo in the rule, or a parameter removed from its `META`) would silently
    /// read as unset, so debug builds (every test) stop there instead.
    pub fn get(&self, name: &str) -> &ParamValue {
        debug_assert!(
            self.values.contains_key(name),
            "rule `{}` reads parameter `{name}`, which it does not declare (declared: {:?})",
            self.rule,
            self.values.keys().collect::<Vec<_>>()
        );
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
        ParamKind::Integer { .. } => ParamValue::Integer(text.parse().ok()?),
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
        ParamSpec { name: "maxAccessKeyAge", kind: ParamKind::at_least(1), default: "90", description: "" },
        ParamSpec { name: "length", kind: ParamKind::between(6, 128), default: "", description: "" },
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
        assert_eq!(
            Params::build("r", SPECS, &given).unwrap_err().to_string(),
            "rule `r` has no parameter `maxAge` (it takes: maxAccessKeyAge, length, ports)"
        );
    }

    #[test]
    fn unknown_parameters_suggest_a_close_name() {
        let given = BTreeMap::from([("maxAccessKeyAg".to_owned(), "1".to_owned())]);
        let err = Params::build("r", SPECS, &given).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rule `r` has no parameter `maxAccessKeyAg`: did you mean `maxAccessKeyAge`? (it takes: maxAccessKeyAge, length, ports)"
        );
        let ParamError::Unknown { did_you_mean, .. } = err else { panic!("not an unknown parameter: {err:?}") };
        assert_eq!(did_you_mean.suggestion(), Some("maxAccessKeyAge"));
    }

    #[test]
    fn declared_parameters_read_even_when_unset() {
        let params = Params::defaults("r", SPECS).unwrap();
        assert_eq!(params.get("ports"), &ParamValue::Unset);
        assert_eq!(params.text("ports"), None);
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "rule `r` reads parameter `maxAccesKeyAge`, which it does not declare")]
    fn reading_an_undeclared_parameter_panics_in_debug_builds() {
        let params = Params::defaults("r", SPECS).unwrap();
        let _ = params.int("maxAccesKeyAge");
    }

    #[test]
    fn integers_outside_their_range_are_refused_with_the_range() {
        let build = |name: &str, value: &str| {
            Params::build("r", SPECS, &BTreeMap::from([(name.to_owned(), value.to_owned())]))
                .map(|params| params.int(name))
                .map_err(|err| err.to_string())
        };
        assert_eq!(
            build("maxAccessKeyAge", "-45").unwrap_err(),
            "parameter `maxAccessKeyAge` of rule `r` must be at least 1, got `-45`"
        );
        assert_eq!(build("maxAccessKeyAge", "1"), Ok(Some(1)));
        assert_eq!(
            build("length", "129").unwrap_err(),
            "parameter `length` of rule `r` must be from 6 to 128, got `129`"
        );
        assert_eq!(build("length", "128"), Ok(Some(128)));
        // Unset stays unset: the range applies to values, not to the absence of one.
        assert_eq!(build("length", ""), Ok(None));
    }

    #[test]
    fn derived_values_are_computed_once_and_typed() {
        let params = Params::defaults("r", SPECS).unwrap();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let age = |params: &Params| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            params.int("maxAccessKeyAge").unwrap_or(0) * 2
        };
        assert_eq!(*params.derived(age), 180);
        assert_eq!(*params.derived(age), 180);
        assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Another type than the one kept is computed, not mistaken for the kept value.
        assert_eq!(params.derived(|_| String::from("other")).as_str(), "other");
    }
}
