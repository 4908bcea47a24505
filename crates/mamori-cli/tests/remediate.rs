//! `mamori remediate` and `audit --remediate` through the binary, against the emulator: audit
//! (FAIL recorded), plan to a file, apply, the log, rollback; `iam-policy --remediation`; and
//! an audit that fixes the `auto` rules and tells the account's owner what it fixed.

use std::path::Path;
use std::process::{Command, Output};

use mamori_testkit::proxy::FaultProxy;
use mamori_testkit::MotoServer;
use serde_json::Value;

/// moto 5.2.5 answers S3 GetBucketVersioning with a `GetBucketVersioningResponse` root element
/// (AWS: `VersioningConfiguration`), which the SDK rejects: only that answer is fixed.
fn proxy(server: &MotoServer) -> FaultProxy {
    FaultProxy::in_front_of(server)
        .rewrite_response(
            |req| req.service() == Some("s3") && req.method() == "GET" && req.target().contains("versioning"),
            "GetBucketVersioningResponse",
            "VersioningConfiguration",
        )
        .start()
        .unwrap()
}

fn create_buckets(server: &MotoServer, names: &[&str]) {
    mamori_aws::runtime().unwrap().block_on(async {
        let config = server.sdk_config().await;
        let s3 =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        for name in names {
            s3.create_bucket().bucket(*name).send().await.unwrap();
        }
    });
}

fn mamori(endpoint: &str, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .current_dir(dir)
        .args(args)
        .env("MAMORI_DB", dir.join("history.db"))
        .env("AWS_ACCESS_KEY_ID", mamori_testkit::TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", mamori_testkit::TEST_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("MAMORI_NO_STORE");
    command.output().expect("mamori runs")
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

const AUDIT: &[&str] = &[
    "audit",
    "--collectors",
    "s3",
    "--regions",
    "us-east-1",
    "--no-progress",
    "--format",
    "json",
    "--output",
    "report.json",
];

fn status(dir: &Path, bucket: &str) -> String {
    let report: Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "s3-bucket-versioning-enabled" && f["resourceId"] == bucket)
        .map(|f| f["status"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[test]
fn plan_apply_log_and_rollback_through_the_binary() {
    let Some(server) = MotoServer::start() else { return };
    let proxy = proxy(&server);
    let endpoint = proxy.endpoint_url();
    create_buckets(&server, &["fix-me", "leave-me"]);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("mamori.toml"),
        "[remediation.rule.s3-bucket-versioning-enabled]\nmode = \"plan\"\nexclude_tags = [\"keep\"]\n",
    )
    .unwrap();

    succeeded(&mamori(&endpoint, dir, AUDIT));
    assert_eq!(status(dir, "fix-me"), "FAIL");

    // The policy of the remediation role: exactly the enabled fixer's actions.
    let policy: Value =
        serde_json::from_str(&succeeded(&mamori(&endpoint, dir, &["iam-policy", "--remediation"]))).unwrap();
    assert_eq!(
        policy["Statement"][0]["Action"],
        serde_json::json!(["s3:GetBucketVersioning", "s3:PutBucketVersioning", "sts:GetCallerIdentity"])
    );

    let table = succeeded(&mamori(&endpoint, dir, &["remediate", "plan", "--output", "plan.json"]));
    assert!(table.contains("2 actions"), "{table}");
    assert!(table.contains("s3:PutBucketVersioning") && table.contains("left out, by rule:"), "{table}");
    assert!(
        table.lines().any(|l| l.contains("s3-bucket-logging-enabled") && l.ends_with("no-fixer")),
        "findings of rules without a fixer are counted with the reason: {table}"
    );
    // Only one bucket: narrow the plan by editing nothing but the flags.
    let narrowed =
        succeeded(&mamori(&endpoint, dir, &["remediate", "plan", "--rules", "s3-bucket-versioning-*", "--json"]));
    let plan: Value = serde_json::from_str(&narrowed).unwrap();
    assert_eq!(plan["formatVersion"], 1);
    assert_eq!(plan["actions"].as_array().unwrap().len(), 2);
    assert!(plan["leftOut"].as_array().unwrap().is_empty(), "{plan}");

    let mut document: Value = serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    document["actions"].as_array_mut().unwrap().retain(|a| a["resourceId"] == "fix-me");
    std::fs::write(dir.join("one.json"), document.to_string()).unwrap();

    let refused = mamori(&endpoint, dir, &["remediate", "apply", "one.json"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --yes"), "{refused:?}");

    let applied = succeeded(&mamori(&endpoint, dir, &["remediate", "apply", "one.json", "--yes"]));
    assert!(applied.contains("1 verified"), "{applied}");
    succeeded(&mamori(&endpoint, dir, AUDIT));
    assert_eq!((status(dir, "fix-me").as_str(), status(dir, "leave-me").as_str()), ("PASS", "FAIL"));

    let again = succeeded(&mamori(&endpoint, dir, &["remediate", "apply", "one.json", "--yes"]));
    assert!(again.contains("1 already applied"), "{again}");

    let log: Value =
        serde_json::from_str(&succeeded(&mamori(&endpoint, dir, &["remediate", "log", "--json"]))).unwrap();
    let actions = log.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{log}");
    assert_eq!(actions[0]["outcome"], "verified");
    assert_eq!(actions[0]["planId"], document["planId"]);
    assert_eq!(actions[0]["stateBefore"]["Status"], Value::Null);
    assert_eq!(actions[0]["stateAfter"]["Status"], "Enabled");
    assert!(actions[0]["callerArn"].as_str().unwrap().starts_with("arn:aws:"), "{log}");
    let id = actions[0]["id"].to_string();

    let undone = succeeded(&mamori(&endpoint, dir, &["remediate", "rollback", &id]));
    assert!(undone.contains(&format!("undo {id}")) && undone.contains("verified"), "{undone}");
    succeeded(&mamori(&endpoint, dir, AUDIT));
    assert_eq!(status(dir, "fix-me"), "FAIL");

    // Writes never go through the audit role.
    let refused = mamori(&endpoint, dir, &["remediate", "apply", "one.json", "--yes", "--role-name", "audit"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--remediation-role-name"), "{refused:?}");
    // A bad belt names its field.
    std::fs::write(dir.join("bad.toml"), "[remediation]\nmax_percent = 0\n").unwrap();
    let bad = mamori(&endpoint, dir, &["remediate", "plan", "--config", "bad.toml"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("[remediation] max_percent = 0"), "{bad:?}");
}

#[test]
fn audit_remediate_fixes_auto_rules_and_tells_the_owner() {
    use mamori_testkit::webhook::Recorder;

    let Some(server) = MotoServer::start() else { return };
    let proxy = proxy(&server);
    let endpoint = proxy.endpoint_url();
    create_buckets(&server, &["auto-fixed"]);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(
        dir.join("mamori.toml"),
        "[owners]\ndefault_owner = \"platform\"\ndefault_target = \"platform\"\n\
         [notify.targets.platform]\nkind = \"json\"\n\
         [remediation.rule.s3-bucket-versioning-enabled]\nmode = \"auto\"\n\
         [remediation.rule.s3-bucket-ssl-requests-only]\nmode = \"plan\"\n",
    )
    .unwrap();
    let hook = Recorder::start(vec![]);
    let mut args = AUDIT.to_vec();
    args.push("--remediate");
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .current_dir(dir)
        .args(&args)
        .env("MAMORI_DB", dir.join("history.db"))
        .env("MAMORI_WEBHOOK_PLATFORM", hook.url("/hooks/platform/SECRET"))
        .env("AWS_ACCESS_KEY_ID", mamori_testkit::TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", mamori_testkit::TEST_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("MAMORI_NO_STORE");
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(status(dir, "auto-fixed"), "FAIL", "the report is the run's, before the fix");

    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "{stderr}");
    let message = requests[0].json();
    let fixed: Vec<&Value> =
        message["changes"].as_array().unwrap().iter().filter(|c| c["kind"] == "remediated").collect();
    assert_eq!(fixed.len(), 1, "{message}");
    assert_eq!(fixed[0]["rule_id"], "s3-bucket-versioning-enabled");
    assert_eq!(fixed[0]["resource_id"], "auto-fixed");
    assert!(fixed[0]["message"].as_str().unwrap().contains("s3:PutBucketVersioning"), "{message}");
    assert_eq!(message["summary"]["remediated"], 1);

    // Only the `auto` rule was applied: the `plan` rule's failure is still there.
    let log = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["remediate", "log", "--json"])
        .env("MAMORI_DB", dir.join("history.db"))
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let rules: Vec<&str> = log.as_array().unwrap().iter().map(|a| a["ruleId"].as_str().unwrap()).collect();
    assert_eq!(rules, ["s3-bucket-versioning-enabled"]);

    let second = mamori(&endpoint, dir, AUDIT);
    succeeded(&second);
    assert_eq!(status(dir, "auto-fixed"), "PASS");
}
