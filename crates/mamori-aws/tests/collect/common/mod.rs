//! Shared by the collector tests: run collectors against moto, read the items back, and
//! evaluate them with the real rule catalog, so each test checks the whole contract
//! (collector → inventory → rule) and not just a JSON shape.
#![allow(dead_code, reason = "each test binary uses a part of the common module")]

use std::sync::Arc;

use aws_config::SdkConfig;
use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::{self, CollectOptions, DirectorySink, Event, Observer, RunSummary};
use mamori_aws::limits::Limits;
use mamori_aws::regions::RegionChoice;
use mamori_aws::stats::Stats;
use mamori_model::{ConfigItem, Finding, Status};
use mamori_rules::{ActiveRule, Evaluator, RuleSet};

pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _event: Event<'_>, _stats: &Stats) {}
}

pub struct Collected {
    pub dir: tempfile::TempDir,
    pub summary: RunSummary,
    pub items: Vec<ConfigItem>,
}

impl Collected {
    /// Items of one resource type.
    pub fn of_type(&self, resource_type: &str) -> Vec<&ConfigItem> {
        self.items.iter().filter(|i| i.resource_type == resource_type).collect()
    }

    /// Items carrying a collection error of some attribute.
    pub fn attribute_errors(&self) -> Vec<&ConfigItem> {
        self.items.iter().filter(|i| i.supplementary_configuration.contains_key("mamoriCollectionErrors")).collect()
    }

    /// Findings of `rule_id` as `(resource_id, status)`, sorted.
    pub fn findings(&self, rule_id: &str) -> Vec<(String, Status, String)> {
        let mut found: Vec<_> = evaluate(&self.items)
            .into_iter()
            .filter(|f| &*f.rule_id == rule_id)
            .map(|f| (f.resource_id.to_string(), f.status, f.message.clone()))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }
}

/// Collects the current account of `config` with only `collectors` in `regions`.
pub async fn collect_current(config: &SdkConfig, collectors: &[&str], regions: &[&str]) -> Collected {
    let options = CollectOptions {
        accounts: AccountSource::Current,
        role: None,
        regions: RegionChoice::List(regions.iter().map(|r| r.to_string()).collect()),
        limits: Limits::default(),
        collectors: Some(collectors.iter().map(|c| c.to_string()).collect()),
    };
    collect_with(config, &options).await
}

pub async fn collect_with(config: &SdkConfig, options: &CollectOptions) -> Collected {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(DirectorySink::create(dir.path()).unwrap());
    let summary = collect::collect(config, options, sink, Arc::new(Quiet)).await.expect("collection runs");
    let items = read_items(dir.path());
    Collected { dir, summary, items }
}

pub fn read_items(dir: &std::path::Path) -> Vec<ConfigItem> {
    let mut items = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                items.push(serde_json::from_str(line).unwrap());
            }
        }
    }
    items
}

/// Every finding of the whole catalog (defaults) over `items`.
pub fn evaluate(items: &[ConfigItem]) -> Vec<Finding> {
    let set = RuleSet::new(mamori_rules::catalog().iter().map(|r| ActiveRule::with_defaults(*r)).collect());
    let mut evaluator = Evaluator::new(&set);
    let mut findings = Vec::new();
    for item in items {
        evaluator.evaluate(item, &mut |f| findings.push(f));
    }
    evaluator.finish(&mut |f| findings.push(f));
    findings
}

/// A user allowed exactly the run's own actions and those the `collectors` declare, with moto
/// enforcing IAM from now on: what `mamori iam-policy` grants them. A call the collector makes
/// but does not declare is then refused, and shows up as a collection error.
pub async fn least_privilege(
    server: &mamori_testkit::MotoServer,
    config: &SdkConfig,
    collectors: &[&str],
) -> SdkConfig {
    least_privilege_with(server, config, collectors, &[]).await
}

/// [`least_privilege`] plus `extra` actions: the names moto checks where they differ from
/// AWS's (each caller says which and why).
pub async fn least_privilege_with(
    server: &mamori_testkit::MotoServer,
    config: &SdkConfig,
    collectors: &[&str],
    extra: &[&'static str],
) -> SdkConfig {
    let mut actions = vec!["ec2:DescribeRegions", "sts:GetCallerIdentity"];
    actions.extend(extra);
    for collector in collect::COLLECTORS.iter().filter(|c| collectors.contains(&c.name)) {
        actions.extend(collector.actions);
    }
    let iam = aws_sdk_iam::Client::new(config);
    iam.create_user().user_name("least-privilege").send().await.unwrap();
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    let put =
        iam.put_user_policy().user_name("least-privilege").policy_name("read").policy_document(policy.to_string());
    put.send().await.unwrap();
    let key = iam.create_access_key().user_name("least-privilege").send().await.unwrap().access_key.unwrap();
    server.enable_authentication();
    let credentials =
        aws_credential_types::Credentials::new(key.access_key_id, key.secret_access_key, None, None, "least-privilege");
    config
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
        .build()
}

/// Credentials of `account`, through STS AssumeRole (moto lets any account be entered).
pub async fn acting_in(server: &mamori_testkit::MotoServer, config: &SdkConfig, account: &str) -> SdkConfig {
    let assumed = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/audit"))
        .role_session_name("collector-test")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(server.endpoint_url())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            assumed.access_key_id(),
            assumed.secret_access_key(),
            Some(assumed.session_token().to_owned()),
            None,
            "collector-test",
        ))
        .load()
        .await
}
