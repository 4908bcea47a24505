//! Live audits of a seeded organization in the emulator, through the `mamori` binary.
//!
//! One organization (management + three members, one of them closed, two regions) is seeded
//! with `mamori-demo` through the AWS SDK; then `mamori audit` runs against it, with the example
//! Rego policies the demo plants cases for: directly, with a region list, and through a
//! fault-injecting proxy (throttling, 5xx, slow answers; an API that always fails; a role that
//! cannot be assumed). Seeding takes a while, so the scenarios share one organization within a
//! test.
//!
//! Seeding and audits go through the test kit's corrected front, the setup of the demo: moto's
//! GetBucketVersioning answer is corrected, and the front stands in for the operations moto
//! lacks, IAM Access Analyzer (CreateAnalyzer, ListAnalyzers) and Detective (CreateGraph,
//! ListGraphs, CreateMembers, AcceptInvitation, ListInvitations). Every proxy of a test shares
//! one set of stand-ins, so what the seeding created is what each audit reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use std::sync::Arc;

use mamori_demo::{Seeded, Spec};
use mamori_testkit::proxy::{FaultProxy, FaultRule};
use mamori_testkit::standin::{self, StandIn};
use mamori_testkit::MotoServer;
use serde_json::Value;

const REGIONS: &str = "us-east-1,eu-west-1";
/// Rules whose service moto lacks (Access Analyzer, Detective): read from moto directly, as
/// the least-privilege test must (the front does not sign as moto checks), they report ERROR
/// in every account-region, the correct verdict for an unreadable API.
const UNEMULATED: &[&str] = &["iam-external-access-analyzer-enabled", "mamori-detective-enabled"];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    rule: String,
    account: String,
    region: String,
    resource: String,
    status: String,
    message: String,
}

struct Audit {
    code: i32,
    stderr: String,
    findings: Vec<Finding>,
    run: Value,
}

impl Audit {
    fn by_key(&self) -> BTreeMap<(String, String, String, String), (String, String)> {
        self.findings
            .iter()
            .map(|f| {
                (
                    (f.rule.clone(), f.account.clone(), f.region.clone(), f.resource.clone()),
                    (f.status.clone(), f.message.clone()),
                )
            })
            .collect()
    }
}

/// Seeds through `front` (the corrected front of the emulator).
fn seed(front: &FaultProxy, members: usize) -> Seeded {
    let runtime = mamori_aws::runtime().unwrap();
    runtime.block_on(async {
        let config = front.sdk_config().await;
        let spec =
            Spec { member_accounts: members, regions: REGIONS.split(',').map(str::to_owned).collect(), seed: 11 };
        mamori_demo::seed(&config, &spec).await.expect("seeding the demo organization")
    })
}

fn audit(endpoint: &str, extra: &[&str]) -> Audit {
    audit_with(endpoint, extra, |_| {})
}

/// `mamori audit` of the seeded organization with `extra` flags; `setup` adjusts the command
/// (environment) before it runs. Runs are not recorded unless `setup` says so.
fn audit_with(endpoint: &str, extra: &[&str], setup: impl FnOnce(&mut Command)) -> Audit {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let inventory = dir.path().join("inventory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .env("MAMORI_NO_STORE", "1")
        .args(["audit", "--endpoint-url", endpoint, "--accounts", "organizations"])
        .args(["--role-name", "OrganizationAccountAccessRole", "--no-progress"])
        .args(if extra.contains(&"--regions") { &[][..] } else { &["--regions", REGIONS][..] })
        // Injected faults are retried: keep the waits short.
        .args(["--retry-backoff-ms", "20"])
        .args(["--format", "json", "--output"])
        .arg(&report)
        .arg("--inventory")
        .arg(&inventory)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", mamori_testkit::TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", mamori_testkit::TEST_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL");
    setup(&mut command);
    let output = command.output().expect("mamori runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "mamori audit failed ({code}): {stderr}");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let mut findings: Vec<Finding> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            Finding {
                rule: text("ruleId"),
                account: text("accountId"),
                region: text("region"),
                resource: text("resourceId"),
                status: text("status"),
                message: text("message"),
            }
        })
        .collect();
    findings.sort();
    let run = read_json(&inventory.join(".mamori-run.json"));
    Audit { code, stderr, findings, run }
}

/// The corrected front of the emulator with the test's `stand_ins` (the demo's setup, see
/// `mamori_testkit::front`); faults are added on top of it.
fn emulator_proxy(server: &MotoServer, stand_ins: &[Arc<dyn StandIn>]) -> mamori_testkit::proxy::FaultProxyBuilder {
    FaultProxy::in_front_of(server).corrected(stand_ins)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The example Rego policies, which the demo organization plants cases for.
fn example_policies() -> (String, mamori_policy::PolicySet) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let set = mamori_policy::PolicySet::load(std::slice::from_ref(&dir), mamori_policy::Options::default())
        .expect("the example policies load");
    (dir.to_str().unwrap().to_owned(), set)
}

#[test]
fn live_audit_of_a_seeded_organization() {
    let Some(server) = MotoServer::start() else { return };
    let stand_ins = standin::standard();
    let compatible = emulator_proxy(&server, &stand_ins).start().unwrap();
    let seeded = seed(&compatible, 3);
    // Every audit of this test runs the built-in rules and the example policies.
    let (policy_dir, policies) = example_policies();
    let policy_rules = policies.rules();
    let audit_with_policies = |endpoint: &str, extra: &[&str]| {
        let args: Vec<&str> = ["--policies", policy_dir.as_str()].into_iter().chain(extra.iter().copied()).collect();
        audit(endpoint, &args)
    };
    let rules_or_policies_reading = |resource_type: &str| rules_reading_in(resource_type, &policy_rules);
    let clean = audit_with_policies(&compatible.endpoint_url(), &[]);

    // Every planted expectation holds, in its account and scope.
    let by_key = clean.by_key();
    let mut checked = 0;
    let mut checked_rules = BTreeSet::new();
    let mut wrong = Vec::new();
    for (account, scope, expectation) in seeded.expectations() {
        if account.status != "ACTIVE" {
            continue;
        }
        checked_rules.insert(expectation.rule_id.as_str());
        let key = (expectation.rule_id.clone(), account.id.clone(), scope.to_owned(), expectation.resource_id.clone());
        match by_key.get(&key) {
            None => wrong.push(format!("no finding for {key:?} ({}): {}", expectation.label, expectation.why)),
            Some((status, message)) if status != expectation.expected.as_str() => wrong.push(format!(
                "{key:?} ({}: {}) is {status}, expected {}: {message}",
                expectation.label,
                expectation.why,
                expectation.expected.as_str()
            )),
            Some(_) => {}
        }
        checked += 1;
    }
    assert!(wrong.is_empty(), "{} of {checked} planted expectations do not hold:\n{}", wrong.len(), wrong.join("\n"));
    assert!(checked >= 50, "only {checked} planted expectations were checked");
    for policy in policies.policies() {
        let id = policy.metadata.id.as_str();
        assert!(checked_rules.contains(id), "no planted expectation for the example policy {id}");
    }

    // Every active account was entered and judged; the closed one is listed as skipped.
    let active: BTreeSet<&str> =
        seeded.accounts.iter().filter(|a| a.status == "ACTIVE").map(|a| a.id.as_str()).collect();
    let audited: BTreeSet<&str> = clean.findings.iter().map(|f| f.account.as_str()).collect();
    assert_eq!(audited, active);
    let skipped: Vec<&Value> =
        clean.run["accounts"].as_array().unwrap().iter().filter(|a| a["status"] == "skipped").collect();
    let closed: Vec<&str> = seeded.accounts.iter().filter(|a| a.status != "ACTIVE").map(|a| a.id.as_str()).collect();
    assert_eq!(skipped.iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(), closed);
    assert!(skipped.iter().all(|a| a["reason"].as_str().unwrap().starts_with("account is ")));

    // Through the corrected front nothing is ERROR: the organization plants none.
    let errors: Vec<&Finding> = clean.findings.iter().filter(|f| f.status == "ERROR").collect();
    assert!(errors.is_empty(), "ERROR findings: {errors:#?}");
    // The services the front stands in for were judged both ways.
    for rule in UNEMULATED {
        let statuses: BTreeSet<&str> =
            clean.findings.iter().filter(|f| f.rule == *rule).map(|f| f.status.as_str()).collect();
        assert_eq!(statuses, BTreeSet::from(["FAIL", "PASS"]), "{rule}");
    }
    assert_eq!(clean.code, 0, "no --fail-on given: exit 0");

    // A region list limits the regional collection; global resources are still read (S3
    // buckets, listed once per account, keep their own region).
    let one_region = audit_with_policies(&compatible.endpoint_url(), &["--regions", "eu-west-1"]);
    let buckets = rules_or_policies_reading("AWS::S3::Bucket");
    let elsewhere: Vec<&Finding> = one_region
        .findings
        .iter()
        .filter(|f| f.region != "eu-west-1" && f.region != "global" && !buckets.contains(&f.rule))
        .collect();
    assert!(elsewhere.is_empty(), "findings outside the region list: {elsewhere:?}");
    assert!(one_region.findings.iter().any(|f| f.region == "eu-west-1"));
    assert!(one_region.findings.iter().any(|f| f.region == "global"));

    // Throttling, 5xx and slow answers change nothing once retried.
    let proxy = emulator_proxy(&server, &stand_ins)
        .seed(3)
        // Moderate shares: the SDK's retry budget (a token bucket per client) is meant for
        // incidents, not for a service failing a quarter of all calls.
        .throttling(0.08)
        .server_errors(0.05)
        .slow(0.05, Duration::from_millis(300))
        .start()
        .unwrap();
    // A generous deadline: the adaptive retry slows its sending rate after throttling, and a
    // loaded machine slows the emulator; this scenario is about retries, not deadlines.
    let faulty = audit_with_policies(&proxy.endpoint_url(), &["--max-attempts", "10", "--call-timeout", "300"]);
    assert!(proxy.stats().faults() > 20, "the proxy injected too few faults: {:?}", proxy.stats());
    // Identical findings, the stood-in services' included.
    assert_eq!(faulty.findings, clean.findings, "{}", faulty.stderr);
    let retries: u64 = faulty.run["services"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["attempts"].as_u64().unwrap() - s["calls"].as_u64().unwrap())
        .sum();
    assert!(retries > 0, "retries were not counted");
    drop(proxy);

    // One API that always fails: exactly the rules reading its resource type report ERROR in
    // every account-region, and nothing else changes.
    let proxy = emulator_proxy(&server, &stand_ins)
        .rule(FaultRule::operation("ec2", "DescribeSecurityGroups"))
        .start()
        .unwrap();
    let denied = audit_with_policies(&proxy.endpoint_url(), &[]);
    let reads_groups = rules_or_policies_reading("AWS::EC2::SecurityGroup");
    for (key, (status, message)) in denied.by_key() {
        if reads_groups.contains(&key.0) {
            if key.2 != "global" {
                assert_eq!(status, "ERROR", "{key:?} judged without security groups: {message}");
            }
        } else {
            assert_eq!(Some(&(status.clone(), message.clone())), by_key.get(&key), "{key:?} changed");
        }
    }
    for account in &active {
        for region in REGIONS.split(',') {
            for rule in &reads_groups {
                let errors = denied
                    .findings
                    .iter()
                    .filter(|f| &f.rule == rule && f.account == *account && f.region == region && f.status == "ERROR")
                    .count();
                assert!(errors >= 1, "{rule} has no ERROR in {account}/{region}");
            }
        }
    }
    drop(proxy);

    // A role that cannot be assumed: that account is ERROR for every rule, the others unchanged.
    let victim = seeded.accounts.iter().find(|a| a.status == "ACTIVE" && !a.management).unwrap();
    let role_arn = format!("arn:aws:iam::{}:role/OrganizationAccountAccessRole", victim.id);
    let proxy = emulator_proxy(&server, &stand_ins)
        .rule(FaultRule::operation("sts", "AssumeRole").containing(&role_arn))
        .start()
        .unwrap();
    let locked = audit_with_policies(&proxy.endpoint_url(), &[]);
    assert!(locked.stderr.contains(&victim.id) && locked.stderr.contains("AccessDenied"), "{}", locked.stderr);
    let victim_findings: Vec<&Finding> = locked.findings.iter().filter(|f| f.account == victim.id).collect();
    assert_eq!(
        victim_findings.len(),
        mamori_rules::catalog().len() + policies.policies().len(),
        "one ERROR per rule and per policy for the account"
    );
    assert!(victim_findings.iter().all(|f| f.status == "ERROR" && f.message.contains("AccessDenied")));
    let others =
        |audit: &Audit| -> Vec<Finding> { audit.findings.iter().filter(|f| f.account != victim.id).cloned().collect() };
    assert_eq!(others(&locked), others(&clean));
}

fn rules_reading(resource_type: &str) -> BTreeSet<String> {
    rules_reading_in(resource_type, &[])
}

/// The ids of the built-in rules and of `extra` (loaded policies) that read `resource_type`.
fn rules_reading_in(resource_type: &str, extra: &[&'static dyn mamori_rules::Rule]) -> BTreeSet<String> {
    mamori_rules::catalog()
        .iter()
        .chain(extra)
        .filter(|r| r.meta().reads(resource_type))
        .map(|r| r.meta().id.to_owned())
        .collect()
}

/// With moto enforcing IAM, an audit holding only the permissions `mamori iam-policy` prints
/// (the audit role in every account, and a user in the management account that may list
/// accounts and assume the role) finishes without a single access error.
#[test]
fn least_privilege_policy_is_enough() {
    let Some(server) = MotoServer::start() else { return };
    // Seeded through the front (the seeder creates analyzers and graphs); audited directly.
    let seeded = seed(&FaultProxy::front_of(&server).start().unwrap(), 1);
    let policy = Command::new(env!("CARGO_BIN_EXE_mamori")).args(["iam-policy", "--discovery"]).output().unwrap();
    assert!(policy.status.success());
    let role_policy = Command::new(env!("CARGO_BIN_EXE_mamori")).args(["iam-policy"]).output().unwrap();
    let mut role_policy: Value = serde_json::from_slice(&role_policy.stdout).unwrap();
    // moto 5.2.5 authorizes two S3 calls under action names AWS does not use: GetPublicAccessBlock
    // as `s3:GetPublicAccessBlock` (AWS: s3:GetBucketPublicAccessBlock) and GetBucketEncryption
    // as `s3:ListBucket` (AWS: s3:GetEncryptionConfiguration). The printed policy keeps AWS's
    // names; this statement only translates them for the emulator.
    role_policy["Statement"].as_array_mut().unwrap().push(serde_json::json!({
        "Sid": "MotoActionNames", "Effect": "Allow", "Action": ["s3:GetPublicAccessBlock", "s3:ListBucket"], "Resource": "*"
    }));
    let role_policy = role_policy.to_string();
    let user_policy: Value = serde_json::from_slice(&policy.stdout).unwrap();

    let runtime = mamori_aws::runtime().unwrap();
    let (access_key, secret) = runtime.block_on(async {
        let config = server.sdk_config().await;
        let management = &seeded.management_account_id;
        // The caller: may list the organization's accounts and assume the audit role.
        let iam = aws_sdk_iam::Client::new(&config);
        iam.create_user().user_name("mamori-ci").send().await.unwrap();
        let mut caller = user_policy.clone();
        caller["Statement"].as_array_mut().unwrap().push(serde_json::json!({
            "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/mamori-least-privilege"
        }));
        // Only the discovery and AssumeRole statements: the user itself reads nothing.
        caller["Statement"].as_array_mut().unwrap().remove(0);
        iam.put_user_policy().user_name("mamori-ci").policy_name("caller").policy_document(caller.to_string()).send().await.unwrap();
        let key = iam.create_access_key().user_name("mamori-ci").send().await.unwrap().access_key.unwrap();
        // The audit role, with exactly the printed policy, in every active account.
        // moto 5.2.5 with authentication refuses a same-account AssumeRole when the trust
        // policy names only the account root (AWS allows it when the caller's policy does), so
        // the caller is also named.
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": [format!("arn:aws:iam::{management}:root"), format!("arn:aws:iam::{management}:user/mamori-ci")]},
            "Action": "sts:AssumeRole"}]});
        for account in seeded.accounts.iter().filter(|a| a.status == "ACTIVE") {
            let account_config =
                if account.management { config.clone() } else { member_config(&config, &account.id).await };
            let iam = aws_sdk_iam::Client::new(&account_config);
            iam.create_role().role_name("mamori-least-privilege").assume_role_policy_document(trust.to_string()).send().await.unwrap();
            iam.put_role_policy().role_name("mamori-least-privilege").policy_name("mamori-read-only").policy_document(&role_policy).send().await.unwrap();
        }
        (key.access_key_id, key.secret_access_key)
    });
    server.enable_authentication();

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .env("MAMORI_NO_STORE", "1")
        .args(["audit", "--endpoint-url", &server.endpoint_url(), "--accounts", "organizations"])
        .args([
            "--role-name",
            "mamori-least-privilege",
            "--regions",
            REGIONS,
            "--no-progress",
            "--format",
            "json",
            "--output",
        ])
        .arg(&report)
        .env("AWS_ACCESS_KEY_ID", &access_key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(!stderr.contains(&secret), "the secret key was printed");
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let findings = report["findings"].as_array().unwrap();
    // With authentication on, moto 5.2.5 answers every GuardDuty, Security Hub, Lambda and
    // CloudFront request with SignatureDoesNotMatch whatever the policy (boto3's too), so their
    // permissions cannot be checked here; the collectors' own tests check the rest of their
    // behaviour. Every other ERROR is a failure of the printed policy.
    let mut unverifiable: BTreeSet<String> = UNEMULATED.iter().map(|r| r.to_string()).collect();
    unverifiable.extend(rules_reading("AWS::Lambda::Function"));
    unverifiable.extend(rules_reading("AWS::CloudFront::Distribution"));
    unverifiable.extend(["guardduty-enabled-centralized".to_owned(), "securityhub-enabled".to_owned()]);
    // Read directly (the shape-fixing proxy is not used with authentication on), moto's
    // GetBucketVersioning answer is unreadable to the SDK whatever the permissions, and its
    // DescribeInstances leaves out the virtualization type (README, "The demo's emulator").
    unverifiable.insert("s3-bucket-versioning-enabled".to_owned());
    unverifiable.insert("s3-bucket-mfa-delete-enabled".to_owned());
    unverifiable.insert("ec2-paravirtual-instance-check".to_owned());
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f["status"] == "ERROR" && !unverifiable.contains(f["ruleId"].as_str().unwrap()))
        .map(|f| format!("{} {} {}: {}", f["ruleId"], f["accountId"], f["region"], f["message"]))
        .collect();
    assert!(errors.is_empty(), "errors under the printed policy:\n{}", errors.join("\n"));
    let accounts: BTreeSet<&str> = findings.iter().map(|f| f["accountId"].as_str().unwrap()).collect();
    assert_eq!(accounts.len(), seeded.accounts.iter().filter(|a| a.status == "ACTIVE").count(), "{stderr}");
}

/// A member account's SDK configuration, through the organization's access role.
async fn member_config(config: &aws_config::SdkConfig, account: &str) -> aws_config::SdkConfig {
    let assumed = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"))
        .role_session_name("test-change")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials.unwrap();
    config
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                c.access_key_id,
                c.secret_access_key,
                Some(c.session_token),
                None,
                "change",
            ),
        ))
        .build()
}

/// An audit recorded in the findings history `db`, with owners and webhooks from `config`.
fn recorded_audit(endpoint: &str, db: &Path, config: &Path, webhooks: &[(&str, String)], extra: &[&str]) -> Audit {
    let mut flags = vec!["--db", db.to_str().unwrap(), "--config", config.to_str().unwrap()];
    flags.extend(extra);
    let audit = audit_with(endpoint, &flags, |command| {
        command.env_remove("MAMORI_NO_STORE");
        for (variable, url) in webhooks {
            command.env(variable, url);
        }
    });
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    audit
}

/// (kind, rule, account, region, resource) of every change between two audits, worked out
/// from their reports alone.
fn changes_between(before: &Audit, after: &Audit) -> BTreeSet<(String, String, String, String, String)> {
    let (before, after) = (before.by_key(), after.by_key());
    let mut changes = BTreeSet::new();
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let old = before.get(key).map(|(status, _)| status.as_str());
        let new = after.get(key).map(|(status, _)| status.as_str());
        let kind = match (old, new) {
            (Some("FAIL"), Some("FAIL")) => continue,
            (_, Some("FAIL")) => "new_failure",
            (Some("FAIL"), _) => "resolved",
            (Some(a), Some(b)) if a == b => continue,
            (_, Some("ERROR")) => "new_error",
            (Some("ERROR"), _) => "error_cleared",
            _ => continue,
        };
        changes.insert((kind.to_owned(), key.0.clone(), key.1.clone(), key.2.clone(), key.3.clone()));
    }
    changes
}

/// The changes one JSON webhook request carried.
fn notified(request: &mamori_testkit::webhook::Recorded) -> BTreeSet<(String, String, String, String, String)> {
    let document = request.json();
    document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (text("kind"), text("rule_id"), text("account_id"), text("region"), text("resource_id"))
        })
        .collect()
}

/// Issue 4's scenario, live: two audits of the emulated organization with changes in between
/// give the right transitions; each owner whose accounts changed gets exactly one message
/// with exactly their changes; an owner whose webhook fails gets the message with the next
/// run, once; nobody is told anything twice.
#[test]
fn two_audits_notify_each_owner_of_exactly_their_changes() {
    use mamori_testkit::webhook::{Recorder, Reply};

    let Some(server) = MotoServer::start() else { return };
    let proxy = FaultProxy::front_of(&server).start().unwrap();
    let seeded = seed(&proxy, 2);
    let endpoint = proxy.endpoint_url();
    let members: Vec<&str> =
        seeded.accounts.iter().filter(|a| a.status == "ACTIVE" && !a.management).map(|a| a.id.as_str()).collect();
    let (team_a, team_b) = (members[0], members[1]);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let config = dir.path().join("mamori.toml");
    std::fs::write(
        &config,
        format!(
            "[owners]\ndefault_target = \"security\"\n\
             [owners.account.{team_a}]\nowner = \"team-a\"\ntarget = \"team-a\"\n\
             [owners.account.{team_b}]\nowner = \"team-b\"\ntarget = \"team-b\"\n\
             [notify.targets.team-a]\nkind = \"json\"\n\
             [notify.targets.team-b]\nkind = \"json\"\n\
             [notify.targets.security]\nkind = \"json\"\n"
        ),
    )
    .unwrap();
    let (hook_a, hook_b, hook_security) = (Recorder::start(vec![]), Recorder::start(vec![]), Recorder::start(vec![]));
    let webhooks = [
        ("MAMORI_WEBHOOK_TEAM_A", hook_a.url("/hooks/team-a/SECRETTOKEN")),
        ("MAMORI_WEBHOOK_TEAM_B", hook_b.url("/hooks/team-b/SECRETTOKEN")),
        ("MAMORI_WEBHOOK_SECURITY", hook_security.url("/hooks/security/SECRETTOKEN")),
    ];

    let first = recorded_audit(&endpoint, &db, &config, &webhooks, &[]);
    let total_requests = || hook_a.requests().len() + hook_b.requests().len() + hook_security.requests().len();
    assert_eq!(total_requests(), 0, "a first run has nothing to compare with");

    // Changes: in team A's account one failure is fixed and one is made; in team B's account
    // one is made; nothing changes in the management account.
    let find = |account: &str, rule: &str, status: &str, region: Option<&str>| -> String {
        first
            .findings
            .iter()
            .find(|f| {
                f.account == account && f.rule == rule && f.status == status && region.is_none_or(|r| f.region == r)
            })
            .unwrap_or_else(|| panic!("the seeded {account} has no {status} {rule}"))
            .resource
            .clone()
    };
    let unversioned = find(team_a, "s3-bucket-versioning-enabled", "FAIL", None);
    let closed_group = find(team_a, "restricted-ssh", "PASS", Some("us-east-1"));
    let versioned = find(team_b, "s3-bucket-versioning-enabled", "PASS", None);
    let runtime = mamori_aws::runtime().unwrap();
    runtime.block_on(async {
        let config = server.sdk_config().await;
        let a = member_config(&config, team_a).await;
        let versioning = |status| aws_sdk_s3::types::VersioningConfiguration::builder().status(status).build();
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&a).force_path_style(true).build());
        s3.put_bucket_versioning()
            .bucket(&unversioned)
            .versioning_configuration(versioning(aws_sdk_s3::types::BucketVersioningStatus::Enabled))
            .send()
            .await
            .unwrap();
        aws_sdk_ec2::Client::new(&a)
            .authorize_security_group_ingress()
            .group_id(&closed_group)
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .cidr_ip("0.0.0.0/0")
            .send()
            .await
            .unwrap();
        let b = member_config(&config, team_b).await;
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&b).force_path_style(true).build());
        s3.put_bucket_versioning()
            .bucket(&versioned)
            .versioning_configuration(versioning(aws_sdk_s3::types::BucketVersioningStatus::Suspended))
            .send()
            .await
            .unwrap();
    });

    // Run 2: team A's webhook is down (it answers 503 to everything), team B's works.
    hook_a.set_script(vec![], Reply::status(503, "unavailable"));
    let second = recorded_audit(&endpoint, &db, &config, &webhooks, &["--notify-deadline", "3"]);
    let expected = changes_between(&first, &second);
    let of = |account: &str| -> BTreeSet<_> { expected.iter().filter(|c| c.2 == account).cloned().collect() };
    let has = |account: &str, kind: &str, rule: &str, resource: &str| {
        of(account).iter().any(|c| c.0 == kind && c.1 == rule && c.4 == resource)
    };
    assert!(has(team_a, "resolved", "s3-bucket-versioning-enabled", &unversioned), "{expected:?}");
    assert!(has(team_a, "new_failure", "restricted-ssh", &closed_group), "{expected:?}");
    assert!(has(team_b, "new_failure", "s3-bucket-versioning-enabled", &versioned), "{expected:?}");
    assert_eq!(
        expected.len(),
        of(team_a).len() + of(team_b).len(),
        "only the two member accounts changed: {expected:?}"
    );

    let delivered_b = hook_b.requests();
    assert_eq!(delivered_b.len(), 1, "team B: exactly one message");
    assert_eq!(notified(&delivered_b[0]), of(team_b), "team B: exactly their changes");
    assert!(hook_a.requests().iter().all(|r| r.path.ends_with("SECRETTOKEN")), "team A's webhook was tried");
    assert!(!hook_a.requests().is_empty());
    assert!(hook_security.requests().is_empty(), "nothing changed in the management account");
    assert!(second.stderr.contains("team-a") && !second.stderr.contains("SECRETTOKEN"), "{}", second.stderr);

    // The store's transitions are the same changes.
    let diff = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(["diff", "--format", "json", "--db"])
        .arg(&db)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stderr));
    let diff: Value = serde_json::from_slice(&diff.stdout).unwrap();
    let transitions: BTreeSet<(String, String, String, String, String)> = diff["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] != "STILL_FAILING")
        .map(|t| {
            let text = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            (text("kind").to_ascii_lowercase(), text("ruleId"), text("accountId"), text("region"), text("resourceId"))
        })
        .collect();
    assert_eq!(transitions, expected);

    // Run 3, no change, team A's webhook back: the pending message arrives once, with exactly
    // team A's changes of run 2; team B and security hear nothing more.
    let failed_attempts = hook_a.requests().len();
    hook_a.set_script(vec![], Reply::status(200, "ok"));
    let third = recorded_audit(&endpoint, &db, &config, &webhooks, &[]);
    assert_eq!(changes_between(&second, &third), BTreeSet::new(), "nothing changed between runs 2 and 3");
    let delivered_a: Vec<_> = hook_a.requests().into_iter().skip(failed_attempts).collect();
    assert_eq!(delivered_a.len(), 1, "team A: exactly one message, sent by the next run");
    assert_eq!(notified(&delivered_a[0]), of(team_a), "team A: exactly their changes");
    assert_eq!(hook_b.requests().len(), 1, "team B's message is not sent twice");
    assert!(hook_security.requests().is_empty());
    let stored = std::fs::read(&db).unwrap();
    assert!(!stored.windows(b"SECRETTOKEN".len()).any(|w| w == b"SECRETTOKEN"), "no webhook URL in the store");
}
