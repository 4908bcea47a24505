//! IAM Access Analyzer (signing name `access-analyzer`, REST-JSON): CreateAnalyzer and
//! ListAnalyzers, per account and region.
//!
//! Shapes as in the service's API model (the one `aws-sdk-accessanalyzer` is generated from):
//! `PUT /analyzer` with `{"analyzerName", "type", "tags", "clientToken", ...}` answers
//! `{"arn"}`; `GET /analyzer?type=&maxResults=&nextToken=` answers `{"analyzers":
//! [AnalyzerSummary], "nextToken"}`, each summary with `arn`, `name`, `type`, `createdAt`
//! (RFC 3339) and `status`. A name used twice in an account and region is a 409
//! `ConflictException`, an unknown type or a bad name a 400 `ValidationException`.
//!
//! Where it differs from AWS, deliberately: an analyzer is `ACTIVE` at once (AWS shows
//! `CREATING` for a moment); an organization analyzer is accepted from any account (AWS
//! requires the management account or the delegated administrator); archive rules and
//! configuration are accepted and not kept (nothing reads them back).

use serde_json::{json, Map, Value};

use super::{json_body, now_rfc3339, page, Answer, Caller, Scoped, StandIn};
use crate::proxy::{query_param, RequestInfo};

/// The analyzer types of the API model.
const TYPES: &[&str] = &[
    "ACCOUNT",
    "ORGANIZATION",
    "ACCOUNT_UNUSED_ACCESS",
    "ORGANIZATION_UNUSED_ACCESS",
    "ACCOUNT_INTERNAL_ACCESS",
    "ORGANIZATION_INTERNAL_ACCESS",
];

/// ListAnalyzers' page size when `maxResults` is not given.
const DEFAULT_PAGE: usize = 100;

/// The stand-in; see the module documentation.
#[derive(Default)]
pub struct AccessAnalyzer {
    analyzers: Scoped<Vec<Analyzer>>,
}

#[derive(Clone, Debug)]
struct Analyzer {
    arn: String,
    name: String,
    kind: String,
    created_at: String,
    tags: Map<String, Value>,
}

impl Analyzer {
    fn summary(&self) -> Value {
        let mut summary = json!({
            "arn": self.arn,
            "name": self.name,
            "type": self.kind,
            "createdAt": self.created_at,
            "status": "ACTIVE",
        });
        if !self.tags.is_empty() {
            summary["tags"] = Value::Object(self.tags.clone());
        }
        summary
    }
}

impl StandIn for AccessAnalyzer {
    fn service(&self) -> &'static str {
        "access-analyzer"
    }

    fn operations(&self) -> &'static [&'static str] {
        &["CreateAnalyzer", "ListAnalyzers"]
    }

    fn answer(&self, request: &RequestInfo, caller: &Caller) -> Option<Answer> {
        if request.path() != "/analyzer" {
            return None;
        }
        match request.method() {
            "PUT" => Some(self.create(request, caller).unwrap_or_else(|answer| answer)),
            "GET" => Some(self.list(request, caller).unwrap_or_else(|answer| answer)),
            _ => None,
        }
    }

    fn reset(&self) {
        self.analyzers.clear();
    }
}

impl AccessAnalyzer {
    fn create(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let body = json_body(request)?;
        let name = body.get("analyzerName").and_then(Value::as_str).unwrap_or("");
        if !valid_name(name) {
            return Err(Answer::validation(&format!(
                "analyzerName `{name}` must be 1 to 255 characters, a letter followed by letters, digits, `_`, `.` or `-`"
            )));
        }
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
        if !TYPES.contains(&kind) {
            return Err(Answer::validation(&format!("type `{kind}` is not one of {}", TYPES.join(", "))));
        }
        let tags = match body.get("tags") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(tags)) if tags.values().all(Value::is_string) => tags.clone(),
            Some(_) => return Err(Answer::validation("tags must map names to strings")),
        };
        let arn = caller.arn("access-analyzer", &format!("analyzer/{name}"));
        self.analyzers.with(caller, |analyzers| {
            if analyzers.iter().any(|a| a.name == name) {
                return Err(Answer::error(409, "ConflictException", &format!("Analyzer {name} already exists")));
            }
            let created_at = now_rfc3339();
            analyzers.push(Analyzer {
                arn: arn.clone(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                created_at,
                tags,
            });
            Ok(Answer::json(200, &json!({ "arn": arn })))
        })
    }

    fn list(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let kind = query_param(request.target(), "type");
        if let Some(kind) = kind.as_deref().filter(|kind| !TYPES.contains(kind)) {
            return Err(Answer::validation(&format!("type `{kind}` is not one of {}", TYPES.join(", "))));
        }
        let max = match query_param(request.target(), "maxResults") {
            None => DEFAULT_PAGE,
            Some(max) => max.parse().map_err(|_| Answer::validation(&format!("maxResults `{max}` is not a number")))?,
        };
        let matching: Vec<Analyzer> = self.analyzers.with(caller, |analyzers| {
            analyzers.iter().filter(|a| kind.as_deref().is_none_or(|kind| a.kind == kind)).cloned().collect()
        });
        let (listed, next) = page(&matching, query_param(request.target(), "nextToken").as_deref(), max)?;
        let mut answer = json!({ "analyzers": listed.iter().map(Analyzer::summary).collect::<Vec<_>>() });
        if let Some(next) = next {
            answer["nextToken"] = json!(next);
        }
        Ok(Answer::json(200, &answer))
    }
}

/// `[A-Za-z][A-Za-z0-9_.-]*`, 1 to 255 characters (the model's pattern for analyzer names).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model_pattern() {
        assert!(valid_name("external-access"));
        assert!(valid_name("a.b_c-1"));
        assert!(!valid_name(""));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("with space"));
        assert!(!valid_name(&"a".repeat(256)));
    }
}
