//! Lambda collector against moto: functions without a policy, shared with a named account,
//! open to anyone, invocable by any account's S3 bucket, and (in eu-west-1) by the account's
//! own bucket, read back and judged by `lambda-function-public-access-prohibited`. A refused
//! GetPolicy and a refused ListFunctions go through the fault proxy. Unlike the other
//! collector tests, there is no run under exactly the declared actions with moto enforcing
//! IAM: moto 5.2.5 then answers Lambda's REST requests `SignatureDoesNotMatch`, whatever the
//! policy, so such a run could not tell a missing action.

use crate::common;

use aws_config::{Region, SdkConfig};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use mamori_model::Status;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const RULE: &str = "lambda-function-public-access-prohibited";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
/// The smallest valid zip archive (an empty one): moto only stores the code.
const EMPTY_ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

fn lambda_in(config: &SdkConfig, region: &str) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    )
}

/// A function, and a statement of its resource policy when `grant` names a principal.
async fn function(lambda: &aws_sdk_lambda::Client, name: &str, grant: Option<(&str, Option<&str>, Option<&str>)>) {
    lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(format!("arn:aws:iam::{ACCOUNT}:role/function-role"))
        .handler("app.handler")
        .code(FunctionCode::builder().zip_file(Blob::new(EMPTY_ZIP)).build())
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("DATABASE_PASSWORD", "hunter2-not-for-inventory")
                .build(),
        )
        .send()
        .await
        .unwrap();
    if let Some((principal, source_arn, source_account)) = grant {
        lambda
            .add_permission()
            .function_name(name)
            .statement_id("grant")
            .action("lambda:InvokeFunction")
            .principal(principal)
            .set_source_arn(source_arn.map(str::to_owned))
            .set_source_account(source_account.map(str::to_owned))
            .send()
            .await
            .unwrap();
    }
}

/// The execution role moto requires before it creates a function.
async fn function_role(config: &SdkConfig) {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    aws_sdk_iam::Client::new(config)
        .create_role()
        .role_name("function-role")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
}

async fn seed(config: &SdkConfig) {
    function_role(config).await;
    let home = lambda_in(config, "us-east-1");
    function(&home, "private-fn", None).await;
    function(&home, "partner-fn", Some(("arn:aws:iam::444455556666:root", None, None))).await;
    function(&home, "public-fn", Some(("*", None, None))).await;
    function(&home, "s3-fn", Some(("s3.amazonaws.com", Some("arn:aws:s3:::uploads"), None))).await;
    let ireland = lambda_in(config, "eu-west-1");
    function(&ireland, "thumbnailer", Some(("s3.amazonaws.com", Some("arn:aws:s3:::images"), Some(ACCOUNT)))).await;
}

fn statuses(found: &[(String, Status, String)]) -> Vec<(&str, Status)> {
    found.iter().map(|(id, status, _)| (id.as_str(), *status)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_and_policies_reach_the_rule() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    let collected = common::collect_current(&config, &["lambda"], REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    let functions = collected.of_type("AWS::Lambda::Function");
    assert_eq!(functions.len(), 5, "{functions:?}");
    let named = |name: &str| *functions.iter().find(|f| f.resource_id == name).unwrap();

    let private = named("private-fn");
    assert_eq!(private.aws_region, "us-east-1");
    assert_eq!(
        private.arn.as_deref(),
        Some(format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:private-fn").as_str())
    );
    assert_eq!(private.configuration["runtime"], json!("python3.12"));
    assert_eq!(private.configuration["handler"], json!("app.handler"));
    assert_eq!(private.supplementary_configuration["Policy"], Value::Null, "no policy is null, not absent");
    assert_eq!(named("thumbnailer").aws_region, "eu-west-1");
    // The policy is the document GetPolicy returns, as a string.
    let policy: Value =
        serde_json::from_str(named("public-fn").supplementary_configuration["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Principal"], json!("*"));
    // Environment variables (often credentials) never reach the inventory.
    for function in &functions {
        let written = serde_json::to_string(function).unwrap();
        assert!(!written.contains("hunter2") && !written.contains("DATABASE_PASSWORD"), "{written}");
    }

    let found = collected.findings(RULE);
    assert_eq!(
        statuses(&found),
        vec![
            ("partner-fn", Status::Pass),
            ("private-fn", Status::Pass),
            ("public-fn", Status::Fail),
            ("s3-fn", Status::Fail),
            ("thumbnailer", Status::Pass),
        ],
        "{found:?}"
    );
    assert!(found[3].2.contains("aws:SourceAccount"), "{found:?}");

    let stats = collected.summary.services["lambda"];
    assert!(stats.calls >= 2 + 5 && stats.errors == 0, "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_calls_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::rest("lambda", "GET", "/policy").containing("partner-fn"))
        .rule(
            FaultRule::rest("lambda", "GET", "/functions")
                .in_region("eu-west-1")
                .when(|r| r.path().trim_end_matches('/').ends_with("/functions")),
        )
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["lambda"], REGIONS).await;

    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].aws_region, "eu-west-1");
    assert_eq!(errors[0].configuration["operation"], json!("ListFunctions"));

    let partner =
        collected.of_type("AWS::Lambda::Function").into_iter().find(|f| f.resource_id == "partner-fn").unwrap();
    assert!(partner.supplementary_configuration.get("Policy").is_none());
    let reason = partner.supplementary_configuration["mamoriCollectionErrors"]["Policy"].as_str().unwrap();
    assert!(reason.starts_with("AccessDeniedException: GetPolicy"), "{reason}");

    let found = collected.findings(RULE);
    assert_eq!(
        statuses(&found),
        vec![
            ("collection:AWS::Lambda::Function", Status::Error),
            ("partner-fn", Status::Error),
            ("private-fn", Status::Pass),
            ("public-fn", Status::Fail),
            ("s3-fn", Status::Fail),
        ],
        "{found:?}"
    );
}

/// Credentials in environment variables reach `mamori-lambda-function-no-secrets-in-environment`
/// redacted: the scanner's findings are recorded, never the values. AWS's example key is
/// allowed, as the secret scanner allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_environments_are_found_and_recorded_redacted() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    function_role(&config).await;
    let lambda = lambda_in(&config, "us-east-1");
    // Built at run time so that no scanner flags this file.
    let key_id = ["AKIA", "Q2WE", "R4TY", "U6IO", "P8AS"].concat();
    let secret = ["abcdEFGH", "ijklMNOP", "qrstUVWX", "yz012345", "6789+/ab"].concat();
    let environments: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "leaky-fn",
            vec![("DEPLOY_KEY_ID", key_id.as_str()), ("AWS_SECRET_ACCESS_KEY", secret.as_str()), ("STAGE", "prod")],
        ),
        ("example-fn", vec![("DOCS_KEY", "AKIAIOSFODNN7EXAMPLE")]),
        ("clean-fn", vec![("STAGE", "prod")]),
    ];
    for (name, variables) in &environments {
        let mut environment = aws_sdk_lambda::types::Environment::builder();
        for (key, value) in variables {
            environment = environment.variables(*key, *value);
        }
        lambda
            .create_function()
            .function_name(*name)
            .runtime(Runtime::Python312)
            .role(format!("arn:aws:iam::{ACCOUNT}:role/function-role"))
            .handler("app.handler")
            .code(FunctionCode::builder().zip_file(Blob::new(EMPTY_ZIP)).build())
            .environment(environment.build())
            .send()
            .await
            .unwrap();
    }

    let collected = common::collect_current(&config, &["lambda"], &["us-east-1"]).await;
    let functions = collected.of_type("AWS::Lambda::Function");
    let leaky = functions.iter().find(|f| f.resource_id == "leaky-fn").unwrap();
    let found = &leaky.supplementary_configuration["EnvironmentSecrets"];
    assert_eq!(found[0]["variable"], "AWS_SECRET_ACCESS_KEY", "by variable name");
    assert_eq!(found[0]["kind"], "aws-secret-access-key");
    assert_eq!(found[1]["variable"], "DEPLOY_KEY_ID");
    assert_eq!(found[1]["kind"], "aws-access-key-id");
    for function in &functions {
        let written = serde_json::to_string(function).unwrap();
        assert!(!written.contains(&key_id) && !written.contains(&secret), "no value is written: {written}");
    }
    let findings = collected.findings("mamori-lambda-function-no-secrets-in-environment");
    assert_eq!(
        statuses(&findings),
        vec![("clean-fn", Status::Pass), ("example-fn", Status::Pass), ("leaky-fn", Status::Fail)],
        "{findings:?}"
    );
    assert!(findings[2].2.contains("DEPLOY_KEY_ID (AKIA****P8AS)"), "{findings:?}");
}
