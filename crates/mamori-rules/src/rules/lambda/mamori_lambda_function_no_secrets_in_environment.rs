//! `mamori-lambda-function-no-secrets-in-environment`: no Lambda function holds AWS credentials
//! in its environment variables.
//!
//! The collector runs the secret scanner's detector (mamori-secrets) on each variable as it
//! reads it and records only the findings, redacted, as `supplementaryConfiguration.
//! EnvironmentSecrets` (`[{"variable", "kind", "redacted"}]`). FAIL when that list is not
//! empty; ERROR when it is absent (not collected, or the variables could not be decrypted).

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{as_list, supplementary};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriLambdaFunctionNoSecretsInEnvironment;

static META: RuleMeta = RuleMeta {
    id: "mamori-lambda-function-no-secrets-in-environment",
    service: "lambda",
    title: "No Lambda function holds AWS credentials in its environment variables",
    severity: Severity::Critical,
    resource_types: &["AWS::Lambda::Function"],
    params: &[],
    rationale: "Environment variables are readable by anyone with lambda:GetFunctionConfiguration and end up in logs, CI output and support cases; long-lived keys there outlive every rotation, while the function's execution role already gives it credentials.",
    remediation: "Grant the permissions to the function's execution role instead, or keep the secret in Secrets Manager and read it at run time; remove the variable (`aws lambda update-function-configuration --function-name NAME --environment Variables={...}`) and deactivate the exposed key (`aws iam update-access-key --status Inactive`).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. Detection is the secret scanner's (access key ids, secret access keys and session tokens in assignments); AWS's documented example keys are ignored. The inventory never holds the values, only their redacted form.",
};

impl Rule for MamoriLambdaFunctionNoSecretsInEnvironment {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = item.config("functionName").and_then(Value::as_str).unwrap_or(&item.resource_id);
        let found = match supplementary(item, "EnvironmentSecrets") {
            Ok(Some(found)) => as_list(Some(found)),
            Ok(None) => return cx.error(item, format!("function {name} has no EnvironmentSecrets in the inventory")),
            Err(reason) => return cx.error(item, reason),
        };
        if found.is_empty() {
            return cx.pass(item, format!("function {name} has no AWS credentials in its environment"));
        }
        let listed: Vec<String> = found
            .iter()
            .map(|hit| {
                let text = |key: &str| hit.get(key).and_then(Value::as_str).unwrap_or("?");
                format!("{} in {} ({})", text("kind"), text("variable"), text("redacted"))
            })
            .collect();
        cx.fail(item, format!("function {name} has AWS credentials in its environment: {}", listed.join(", ")))
    }
}
