//! `lambda-function-public-access-prohibited`: no Lambda function policy lets anyone invoke or
//! manage the function.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an Allow statement of the resource policy
//! (supplementary `Policy`) has a public principal (`*`, `{"AWS": "*"}`, any wildcard, or an
//! empty principal) not narrowed by a condition on fixed values (source account or ARN,
//! organization, VPC, IP range...), or names Amazon S3 (`s3.amazonaws.com`) without a fixed
//! `aws:SourceAccount` condition, since any account's bucket could then invoke it. Other service
//! principals are not judged, as in AWS. `Policy` null means no policy; absent is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::supplementary;
use crate::support::policy::{PolicyDocument, Statement};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct LambdaFunctionPublicAccessProhibited;

static META: RuleMeta = RuleMeta {
    id: "lambda-function-public-access-prohibited",
    service: "lambda",
    title: "Lambda function policies do not allow public access",
    severity: Severity::Critical,
    resource_types: &["AWS::Lambda::Function"],
    params: &[],
    rationale: "A function anyone can invoke runs with its execution role's permissions on attacker-chosen input and bills every call to the account; a public policy on management actions hands over the code itself.",
    remediation: "Remove the public statement: `aws lambda remove-permission --function-name NAME --statement-id SID`, then grant access to named accounts or services with a source condition: `aws lambda add-permission ... --principal s3.amazonaws.com --source-account ACCOUNT --source-arn BUCKET_ARN`.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["Lambda.1"],
    notes: "",
};

/// The policy with JSON string layers removed: the Config APIs encode supplementary values as
/// JSON text, so a policy that was already a JSON string arrives encoded twice. Left as a string,
/// it would parse as a document with no statements, that is, as no policy at all.
fn decoded(policy: &Value) -> Value {
    let mut current = policy.clone();
    for _ in 0..3 {
        let Value::String(text) = &current else { break };
        if !text.trim_start().starts_with(['"', '{']) {
            break;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(next) => current = next,
            Err(_) => break,
        }
    }
    current
}

/// Whether a condition value is a wildcard or a policy variable, which narrows nothing.
fn has_wildcard(values: &Value) -> bool {
    match values {
        Value::String(text) => text.contains(['*', '?']) || text.contains("${"),
        Value::Array(items) => items.iter().any(has_wildcard),
        _ => false,
    }
}

/// The statement with only its conditions on fixed values: AWS counts a policy as non-public
/// only when it grants access to fixed values.
fn with_fixed_conditions(statement: &Statement) -> Statement {
    let mut fixed = statement.clone();
    for block in fixed.condition.values_mut() {
        if let Value::Object(entries) = block {
            entries.retain(|_, values| !has_wildcard(values));
        }
    }
    fixed
}

/// Whether the principal is anyone: `*`, `{"AWS": "*"}`, a wildcard anywhere, or empty.
fn public_principal(statement: &Statement) -> bool {
    fn wildcard(value: &Value) -> bool {
        match value {
            Value::String(text) => text.is_empty() || text.contains('*'),
            Value::Array(items) => items.is_empty() || items.iter().any(wildcard),
            Value::Object(map) => map.is_empty() || map.values().any(wildcard),
            _ => false,
        }
    }
    match &statement.principal {
        Some(principal) => statement.has_public_principal() || wildcard(principal),
        None => true,
    }
}

/// Whether the principal names the Amazon S3 service.
fn s3_principal(statement: &Statement) -> bool {
    let service = statement.principal.as_ref().and_then(|principal| principal.get("Service"));
    match service {
        Some(Value::String(name)) => name == "s3.amazonaws.com",
        Some(Value::Array(names)) => names.iter().any(|name| name == "s3.amazonaws.com"),
        _ => false,
    }
}

/// Whether a positive condition pins `aws:SourceAccount` (or the older `aws:SourceOwner`).
fn pins_source_account(statement: &Statement) -> bool {
    statement.conditions().iter().any(|(operator, key, values)| {
        let operator = operator.to_ascii_lowercase();
        matches!(key.as_str(), "aws:sourceaccount" | "aws:sourceowner")
            && operator.starts_with("string")
            && !operator.contains("not")
            && !operator.contains("ifexists")
            && !values.is_empty()
    })
}

impl Rule for LambdaFunctionPublicAccessProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = item
            .config("functionName")
            .and_then(Value::as_str)
            .or(item.resource_name.as_deref())
            .unwrap_or(&item.resource_id);
        let policy = match supplementary(item, "Policy") {
            Ok(Some(policy)) => policy,
            Ok(None) if item.supplementary("Policy").is_some() => {
                return cx.pass(item, ["function ", name, " has no resource policy"].concat())
            }
            Ok(None) => return cx.error(item, format!("function {name} has no Policy in the inventory")),
            Err(reason) => return cx.error(item, reason),
        };
        let document = match PolicyDocument::parse_owned(decoded(policy)) {
            Ok(document) => document,
            Err(reason) => return cx.error(item, format!("function {name}: {reason}")),
        };
        for statement in document.allow_statements() {
            let sid = statement.sid.as_deref().map(|sid| format!(" {sid}")).unwrap_or_default();
            let fixed = with_fixed_conditions(statement);
            if public_principal(statement) && !fixed.condition_restricts_principal() {
                let actions = statement.actions.join(", ");
                return cx.fail(item, format!("function {name} policy statement{sid} allows anyone ({actions})"));
            }
            if s3_principal(statement) && !pins_source_account(&fixed) {
                return cx.fail(
                    item,
                    format!("function {name} policy statement{sid} lets Amazon S3 invoke it without an aws:SourceAccount condition, so any account's bucket can"),
                );
            }
        }
        cx.pass(item, ["function ", name, " policy grants access to named principals only"].concat())
    }
}
