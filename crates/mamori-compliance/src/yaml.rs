//! Reading YAML with positions: every problem in a hand-written file is reported with the line
//! it is on, so the loaders walk a span-annotated tree (saphyr's `MarkedYaml`) by hand rather
//! than deserializing, which would lose the positions of values once parsing succeeded.

use std::fmt;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A syntax error: where the parser stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parse one YAML document; an empty text is an empty mapping's absence (`None`).
pub fn parse(text: &str) -> Result<Option<MarkedYaml<'_>>, SyntaxError> {
    let documents = MarkedYaml::load_from_str(text).map_err(|err| SyntaxError {
        line: err.marker().line(),
        column: err.marker().col() + 1,
        message: err.info().to_owned(),
    })?;
    Ok(documents.into_iter().next())
}

pub fn line(node: &MarkedYaml<'_>) -> usize {
    node.span.start.line()
}

/// What a node is, for messages ("expected a list, found a number").
pub fn kind(node: &MarkedYaml<'_>) -> &'static str {
    match &node.data {
        YamlData::Value(Scalar::Null) => "nothing",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(Scalar::Integer(_)) | YamlData::Value(Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "a string",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        _ => "an unsupported value",
    }
}

/// The text of a string scalar.
pub fn string<'a>(node: &'a MarkedYaml<'_>) -> Option<&'a str> {
    match &node.data {
        YamlData::Value(Scalar::String(text)) => Some(text),
        YamlData::Representation(text, ..) => Some(text),
        _ => None,
    }
}

/// The entries of a mapping in file order; a key that is not a string is named
/// `<non-string key>`, which no field is, so it is reported as unknown.
pub fn mapping<'a, 'i>(node: &'a MarkedYaml<'i>) -> Option<Vec<(&'a str, &'a MarkedYaml<'i>)>> {
    let YamlData::Mapping(entries) = &node.data else { return None };
    Some(entries.iter().map(|(key, value)| (string(key).unwrap_or("<non-string key>"), value)).collect())
}

/// The line of each key of a mapping: an unknown field is reported where its name is, even
/// when its value starts on a later line.
pub fn key_line(node: &MarkedYaml<'_>, name: &str) -> Option<usize> {
    let YamlData::Mapping(entries) = &node.data else { return None };
    entries.keys().find(|key| string(key) == Some(name)).map(line)
}

pub fn sequence<'a, 'i>(node: &'a MarkedYaml<'i>) -> Option<&'a [MarkedYaml<'i>]> {
    match &node.data {
        YamlData::Sequence(items) => Some(items),
        _ => None,
    }
}

pub fn is_null(node: &MarkedYaml<'_>) -> bool {
    matches!(node.data, YamlData::Value(Scalar::Null))
}

/// A string, or a list of strings, collected into `out`; problems name `field`.
pub fn strings(node: &MarkedYaml<'_>, field: &str, problems: &mut Vec<Problem>) -> Vec<(String, usize)> {
    let one = |item: &MarkedYaml<'_>, problems: &mut Vec<Problem>| match string(item) {
        Some(text) => Some((text.to_owned(), line(item))),
        None => {
            problems.push(Problem {
                line: line(item),
                message: format!("`{field}` must hold strings, found {} (quote it)", kind(item)),
            });
            None
        }
    };
    match sequence(node) {
        Some(items) => items.iter().filter_map(|item| one(item, problems)).collect(),
        None => one(node, problems).into_iter().collect(),
    }
}
