//! IAM policy documents (identity policies, bucket policies, key policies, SCPs, Lambda
//! resource policies), parsed once into statements that rules can question.
//!
//! AWS Config stores IAM policy documents URL-encoded (`%7B%22Version%22…`), the APIs return
//! them as JSON strings, snapshots sometimes embed objects; [`PolicyDocument::parse`] takes any.
//! `Action`, `Resource`, `Principal` values may be a string or a list; matching is
//! case-insensitive for actions with `*` and `?` wildcards, as IAM does.

use std::borrow::Cow;

use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyDocument {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub allow: bool,
    pub actions: Vec<String>,
    /// `NotAction`: the statement covers every action except these.
    pub not_actions: Option<Vec<String>>,
    pub resources: Vec<String>,
    pub not_resources: Option<Vec<String>>,
    pub principal: Option<Value>,
    pub not_principal: Option<Value>,
    pub condition: Map<String, Value>,
}

impl PolicyDocument {
    /// Parse a document given as an object, a JSON string, or a URL-encoded JSON string. The
    /// Config APIs encode supplementary values once more, so a string may hold a string that
    /// holds the document; anything that does not end up an object is an error, never an
    /// empty document (an empty document would make a public policy look private).
    pub fn parse(value: &Value) -> Result<PolicyDocument, String> {
        match value {
            Value::Object(map) => Self::from_statements(map.get("Statement").cloned()),
            Value::Null => Ok(PolicyDocument::default()),
            Value::String(text) => Self::decode(text),
            _ => Err("policy document must be a JSON object".to_owned()),
        }
    }

    /// [`parse`](Self::parse) for a value the caller no longer needs: its parts are moved into
    /// the statements rather than copied.
    pub fn parse_owned(value: Value) -> Result<PolicyDocument, String> {
        match value {
            Value::Object(mut map) => Self::from_statements(map.remove("Statement")),
            Value::String(text) => Self::decode(&text),
            other => Self::parse(&other),
        }
    }

    /// [`parse`](Self::parse) for a value that may have been decoded already (and is then owned).
    pub fn parse_cow(value: Cow<'_, Value>) -> Result<PolicyDocument, String> {
        match value {
            Cow::Borrowed(value) => Self::parse(value),
            Cow::Owned(value) => Self::parse_owned(value),
        }
    }

    /// A document given as JSON text, possibly URL-encoded, possibly a string holding the text
    /// again. Three decodings at most; the third must not be needed.
    fn decode(text: &str) -> Result<PolicyDocument, String> {
        let mut text = Cow::Borrowed(text);
        for attempt in 0..3 {
            let trimmed = text.trim();
            let json = if trimmed.starts_with('%') { Cow::Owned(url_decode(trimmed)) } else { Cow::Borrowed(trimmed) };
            let parsed = match serde_json::from_str(&json) {
                Ok(parsed) => parsed,
                // URL-encoded documents may start with a plain `{` and contain escapes.
                Err(_) if json.contains('%') => serde_json::from_str(&url_decode(&json))
                    .map_err(|err| format!("policy document is not valid JSON: {err}"))?,
                Err(err) => return Err(format!("policy document is not valid JSON: {err}")),
            };
            if attempt == 2 {
                break;
            }
            match parsed {
                Value::Object(mut map) => return Self::from_statements(map.remove("Statement")),
                Value::Null => return Ok(PolicyDocument::default()),
                Value::String(inner) => text = Cow::Owned(inner),
                _ => return Err("policy document must be a JSON object".to_owned()),
            }
        }
        Err("policy document is encoded more than three times".to_owned())
    }

    /// The document's `Statement`: a list, one statement, or none.
    fn from_statements(statement: Option<Value>) -> Result<PolicyDocument, String> {
        let statements = match statement {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list,
            Some(single) => vec![single],
        };
        let statements = statements.into_iter().map(Statement::parse).collect::<Result<_, _>>()?;
        Ok(PolicyDocument { statements })
    }

    pub fn allow_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|statement| statement.allow)
    }
}

impl Statement {
    fn parse(value: Value) -> Result<Statement, String> {
        let Value::Object(mut object) = value else { return Err("policy statement must be an object".to_owned()) };
        let allow = match object.get("Effect").and_then(Value::as_str).unwrap_or("") {
            "Allow" => true,
            "Deny" => false,
            other => return Err(format!("policy statement has unknown Effect `{other}`")),
        };
        Ok(Statement {
            sid: match object.remove("Sid") {
                Some(Value::String(sid)) => Some(sid),
                _ => None,
            },
            allow,
            actions: strings(object.remove("Action")),
            not_actions: object.remove("NotAction").map(|v| strings(Some(v))),
            resources: strings(object.remove("Resource")),
            not_resources: object.remove("NotResource").map(|v| strings(Some(v))),
            principal: object.remove("Principal"),
            not_principal: object.remove("NotPrincipal"),
            condition: match object.remove("Condition") {
                Some(Value::Object(condition)) => condition,
                _ => Map::new(),
            },
        })
    }

    /// Whether the statement's action clause covers `action` (e.g. `s3:GetObject`).
    pub fn covers_action(&self, action: &str) -> bool {
        match &self.not_actions {
            Some(excluded) => !excluded.iter().any(|pattern| wildcard_match(pattern, action)),
            None => self.actions.iter().any(|pattern| wildcard_match(pattern, action)),
        }
    }

    /// Whether the action clause grants every action (`*`, or a `NotAction` statement).
    pub fn covers_all_actions(&self) -> bool {
        self.not_actions.is_some() || self.actions.iter().any(|action| action == "*")
    }

    /// Whether the resource clause covers every resource (`*`).
    pub fn covers_all_resources(&self) -> bool {
        self.not_resources.is_some() || self.resources.iter().any(|resource| resource == "*")
    }

    /// Whether the statement's principal is anyone: `"*"`, `{"AWS": "*"}` (alone or in a list).
    pub fn has_public_principal(&self) -> bool {
        fn is_star(value: &Value) -> bool {
            match value {
                Value::String(text) => text == "*",
                Value::Array(items) => items.iter().any(is_star),
                _ => false,
            }
        }
        match &self.principal {
            Some(Value::Object(map)) => map.get("AWS").is_some_and(is_star),
            Some(other) => is_star(other),
            None => self.not_principal.is_some(),
        }
    }

    /// The condition entries: (operator, key, values), keys lower-cased as IAM compares them.
    pub fn conditions(&self) -> Vec<(&str, String, Vec<String>)> {
        let mut out = Vec::new();
        for (operator, block) in &self.condition {
            if let Some(block) = block.as_object() {
                for (key, values) in block {
                    out.push((operator.as_str(), key.to_ascii_lowercase(), strings(Some(values.clone()))));
                }
            }
        }
        out
    }

    /// Whether a condition narrows who can use the statement to something short of the whole
    /// internet: source account, ARN, VPC, VPC endpoint, organization or IP ranges that are not
    /// all addresses. Used to judge whether a `"*"` principal really means public.
    pub fn condition_restricts_principal(&self) -> bool {
        const NARROWING_KEYS: &[&str] = &[
            "aws:sourcearn",
            "aws:sourceaccount",
            "aws:sourceowner",
            "aws:sourcevpc",
            "aws:sourcevpce",
            "aws:principalorgid",
            "aws:principalorgpaths",
            "aws:principalaccount",
            "aws:principalarn",
            "aws:userid",
            "aws:username",
            "aws:resourceorgid",
            "lambda:eventsourcetoken",
            "aws:sourceip",
        ];
        self.conditions().iter().any(|(operator, key, values)| {
            let operator = operator.to_ascii_lowercase();
            if operator.contains("ifexists") || operator.starts_with("forallvalues") || operator == "null" {
                return false;
            }
            if !NARROWING_KEYS.contains(&key.as_str()) {
                return false;
            }
            if key == "aws:sourceip" {
                return !operator.starts_with("notip")
                    && values.iter().all(|cidr| !crate::support::network::is_any_address(cidr));
            }
            !operator.starts_with("stringnot") && !operator.starts_with("arnnot") && values.iter().all(|v| v != "*")
        })
    }
}

fn strings(value: Option<Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => vec![text],
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(text) => Some(text),
                Value::Bool(flag) => Some(flag.to_string()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Bool(flag)) => vec![flag.to_string()],
        Some(Value::Number(number)) => vec![number.to_string()],
        Some(Value::Object(_)) => Vec::new(),
    }
}

/// IAM-style wildcard match: `*` any run, `?` one character, ASCII case-insensitive.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.as_bytes();
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(position) = star {
            p = position + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Decode `%XX` escapes and `+` (AWS Config URL-encodes IAM policy documents).
pub fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => match escaped_byte(bytes[index + 1], bytes[index + 2]) {
                Some(byte) => {
                    out.push(byte);
                    index += 3;
                }
                None => {
                    out.push(b'%');
                    index += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }
}

/// The byte of the escape `%<high><low>`, as `u8::from_str_radix(.., 16)` reads the two
/// characters (which also takes `+` followed by one digit), decided without allocating.
fn escaped_byte(high: u8, low: u8) -> Option<u8> {
    let digit = |byte: u8| (byte as char).to_digit(16).filter(|_| byte.is_ascii()).map(|digit| digit as u8);
    match high {
        b'+' => digit(low),
        _ => Some(digit(high)? * 16 + digit(low)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoded_documents_parse() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let document = PolicyDocument::parse(&json!(encoded)).unwrap();
        assert!(document.statements[0].covers_all_actions());
        assert!(document.statements[0].covers_all_resources());
    }

    #[test]
    fn doubly_encoded_documents_parse_and_non_objects_are_refused() {
        let inner = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}});
        let twice = json!(json!(inner.to_string()).to_string());
        let document = PolicyDocument::parse(&twice).unwrap();
        assert!(document.statements[0].has_public_principal());
        assert!(PolicyDocument::parse(&json!("\"just text\"")).is_err());
        assert!(PolicyDocument::parse(&json!(42)).is_err());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:*", "s3:PutObject"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(wildcard_match("ec2:Describe?nstances", "ec2:DescribeInstances"));
    }

    #[test]
    fn public_principal_and_narrowing_conditions() {
        let document = PolicyDocument::parse(&json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}
        ]}))
        .unwrap();
        assert!(document.statements[0].has_public_principal());
        assert!(!document.statements[0].condition_restricts_principal());
        assert!(document.statements[1].condition_restricts_principal());
    }

    #[test]
    fn escapes_decode_as_from_str_radix_reads_them() {
        for high in 0..=u8::MAX {
            for low in 0..=u8::MAX {
                let expected = std::str::from_utf8(&[high, low]).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok());
                assert_eq!(escaped_byte(high, low), expected, "%{high:02x}{low:02x}");
            }
        }
        assert_eq!(url_decode("%7B%22a%22%3A1%7D+x%zz%"), "{\"a\":1} x%zz%");
    }
}
