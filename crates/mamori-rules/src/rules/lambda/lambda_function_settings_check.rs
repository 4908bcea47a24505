//! `lambda-function-settings-check`: Lambda functions use a supported runtime (and, when asked,
//! a given role, timeout and memory size).
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the function's `runtime` is not one of
//! `runtime`, or, with `role`, `timeout` or `memorySize` set, when the function's value differs.
//! Functions packaged as container images have no runtime and are not evaluated, as in AWS. A
//! zip function whose runtime is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct LambdaFunctionSettingsCheck;

static META: RuleMeta = RuleMeta {
    id: "lambda-function-settings-check",
    service: "lambda",
    title: "Lambda functions use a supported runtime",
    severity: Severity::Medium,
    resource_types: &["AWS::Lambda::Function"],
    params: &[
        ParamSpec {
            name: "runtime",
            kind: ParamKind::List,
            default: "nodejs24.x,nodejs22.x,nodejs20.x,python3.14,python3.13,python3.12,python3.11,python3.10,java25,java21,java17,java11,java8.al2,dotnet10,dotnet8,ruby3.4,ruby3.3,provided.al2023,provided.al2",
            description: "Comma-separated runtimes functions may use.",
        },
        ParamSpec { name: "role", kind: ParamKind::Text, default: "", description: "ARN of the execution role functions must use; empty accepts any." },
        ParamSpec { name: "timeout", kind: ParamKind::between(1, 900), default: "", description: "Required timeout in seconds; empty accepts any." },
        ParamSpec { name: "memorySize", kind: ParamKind::between(128, 10240), default: "", description: "Required memory size in MB; empty accepts any." },
    ],
    rationale: "A deprecated runtime receives no security patches: the language runtime and the OS underneath keep their known vulnerabilities, and AWS eventually blocks updates to the function.",
    remediation: "Upgrade the code and `aws lambda update-function-configuration --function-name NAME --runtime RUNTIME`.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["Lambda.2"],
    notes: "AWS's rule requires runtime and defaults timeout to 3 and memorySize to 128, which would fail most functions; Security Hub sets only runtime, and so does mamori by default (the supported runtimes as of late 2026: edit the list as AWS deprecates runtimes). role, timeout and memorySize are checked only when set.",
};

impl Rule for LambdaFunctionSettingsCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = item.config("functionName").and_then(Value::as_str).unwrap_or(&item.resource_id);
        if item.config("packageType").and_then(Value::as_str) == Some("Image") {
            return;
        }
        let Some(runtime) = item.config("runtime").and_then(Value::as_str).filter(|runtime| !runtime.is_empty()) else {
            return cx.error(item, format!("function {name} has no runtime in the inventory"));
        };
        let mut wrong = Vec::new();
        if !cx.params().list("runtime").iter().any(|allowed| allowed == runtime) {
            wrong.push(format!("runtime {runtime} is not a supported one"));
        }
        if let Some(role) = cx.params().text("role") {
            let actual = item.config("role").and_then(Value::as_str).unwrap_or("none");
            if actual != role {
                wrong.push(format!("role {actual} is not {role}"));
            }
        }
        for (key, unit) in [("timeout", "s"), ("memorySize", "MB")] {
            if let Some(wanted) = cx.params().int(key) {
                let actual = item.config(key).and_then(Value::as_i64);
                if actual != Some(wanted) {
                    wrong.push(format!(
                        "{key} {} is not {wanted} {unit}",
                        actual.map_or("unknown".to_owned(), |v| v.to_string())
                    ));
                }
            }
        }
        if wrong.is_empty() {
            cx.pass(item, format!("function {name} uses runtime {runtime}"))
        } else {
            cx.fail(item, format!("function {name}: {}", wrong.join("; ")))
        }
    }
}
