//! Lambda functions (`AWS::Lambda::Function`) with their resource-based policy.
//!
//! The function's environment variables are not recorded: they often hold credentials, and
//! an inventory is a file people copy around. Only whether they are encrypted with a
//! customer key (`kmsKeyArn`) is kept, and the credentials the secret scanner finds in them,
//! redacted (`EnvironmentSecrets`, see `secrets.rs`).

use aws_sdk_lambda::types::FunctionConfiguration;
use futures_util::future::join_all;
use mamori_model::ConfigItem;
use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{secrets, ApiError, CollectFuture, Cx};
use crate::client;

const FUNCTION_TYPE: &str = "AWS::Lambda::Function";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "lambda",
    placement: Placement::Regional,
    resource_types: &[FUNCTION_TYPE],
    account_fields: &[],
    actions: &["lambda:ListFunctions", "lambda:GetPolicy"],
    run,
};

/// GetPolicy's answer for a function without a resource policy.
const NO_POLICY: &[&str] = &["ResourceNotFoundException"];

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let lambda = client!(cx, aws_sdk_lambda);
    let pages = match cx.pages("lambda", lambda.list_functions().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(FUNCTION_TYPE, "ListFunctions", &err),
    };
    let functions = pages.iter().flat_map(|page| page.functions());
    let items = join_all(functions.map(|function| function_item(cx, &lambda, function))).await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

async fn function_item(cx: &Cx, lambda: &aws_sdk_lambda::Client, f: &FunctionConfiguration) -> Option<ConfigItem> {
    let name = f.function_name()?;
    let mut item = cx.item(FUNCTION_TYPE, name);
    item.resource_name = Some(name.to_owned());
    item.arn = f.function_arn().map(str::to_owned);
    item.configuration = function_configuration(f);
    // ListFunctions answers the variables, or why it could not decrypt them.
    match f.environment() {
        Some(environment) if environment.error().is_some() => {
            let error = environment.error();
            let err = ApiError::new(
                error.and_then(|e| e.error_code()).unwrap_or("EnvironmentError"),
                error.and_then(|e| e.message()).unwrap_or("the environment variables could not be read"),
            );
            Cx::attribute_failed(&mut item, "EnvironmentSecrets", "ListFunctions", &err);
        }
        environment => {
            let variables = environment.and_then(|e| e.variables());
            let found = secrets::in_variables(variables.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())));
            item.supplementary_configuration.insert("EnvironmentSecrets".into(), Value::Array(found));
        }
    }
    // The ARN rather than the name: a name is resolved in the client's region and account.
    let target = f.function_arn().unwrap_or(name);
    match cx.call("lambda", lambda.get_policy().function_name(target).send()).await {
        Ok(output) => {
            item.supplementary_configuration.insert("Policy".into(), json!(output.policy()));
        }
        Err(err) if err.is_not_found(NO_POLICY) => {
            item.supplementary_configuration.insert("Policy".into(), Value::Null);
        }
        Err(err) => Cx::attribute_failed(&mut item, "Policy", "GetPolicy", &err),
    }
    Some(item)
}

fn function_configuration(f: &FunctionConfiguration) -> Value {
    json!({
        "functionName": f.function_name(),
        "functionArn": f.function_arn(),
        "runtime": f.runtime().map(|r| r.as_str()),
        "role": f.role(),
        "handler": f.handler(),
        "codeSize": f.code_size,
        "description": f.description(),
        "timeout": f.timeout(),
        "memorySize": f.memory_size(),
        "lastModified": f.last_modified(),
        "codeSha256": f.code_sha256(),
        "version": f.version(),
        "vpcConfig": f.vpc_config().map(|v| json!({
            "subnetIds": v.subnet_ids(),
            "securityGroupIds": v.security_group_ids(),
            "vpcId": v.vpc_id(),
        })),
        "deadLetterConfig": f.dead_letter_config().map(|d| json!({"targetArn": d.target_arn()})),
        "kmsKeyArn": f.kms_key_arn(),
        "tracingConfig": f.tracing_config().map(|t| json!({"mode": t.mode().map(|m| m.as_str())})),
        "masterArn": f.master_arn(),
        "revisionId": f.revision_id(),
        "layers": f.layers().iter().map(|l| json!({"arn": l.arn(), "codeSize": l.code_size})).collect::<Vec<_>>(),
        "state": f.state().map(|s| s.as_str()),
        "packageType": f.package_type().map(|p| p.as_str()),
        "architectures": f.architectures().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "ephemeralStorage": f.ephemeral_storage().map(|e| json!({"size": e.size})),
        "loggingConfig": f.logging_config().map(|l| json!({
            "logFormat": l.log_format().map(|v| v.as_str()),
            "logGroup": l.log_group(),
        })),
        "signingProfileVersionArn": f.signing_profile_version_arn(),
    })
}
