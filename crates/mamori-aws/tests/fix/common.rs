//! Shared by the fixer tests: the emulator behind a proxy that counts change calls, an
//! "audit" (collect with the fixer's collector, evaluate with the catalog), plans from the
//! audit's findings, and a store to record the actions in.
#![allow(dead_code, reason = "each test module uses a part of the common module")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_config::SdkConfig;
use mamori_aws::fix::run::{AccountContext, PlanRequest, RemediateOptions, Remediator};
use mamori_aws::limits::Limits;
use mamori_model::remediation::{Mode, Plan, RemediationSection, RuleRemediation};
use mamori_model::{Finding, Status};
use mamori_rules::{ActiveRule, RuleSet};
use mamori_store::Store;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer, RequestInfo};

use crate::collect_common;

pub const ACCOUNT: &str = "123456789012";

/// moto, and a proxy in front of it counting the requests that change something (and
/// fixing the one answer of moto the SDK cannot read, see [`Emulator::start_with`]).
pub struct Emulator {
    pub server: MotoServer,
    pub proxy: FaultProxy,
    changes: Arc<AtomicUsize>,
}

/// Whether a request changes the account: S3 writes by method, query and JSON APIs by
/// operation name (reads are Describe*, Get*, List*, Head*; STS only enters sessions).
pub fn is_change(req: &RequestInfo) -> bool {
    match (req.service(), req.operation()) {
        (Some("sts"), _) => false,
        // The IAM collector (verification re-collects) asks IAM to build the credential
        // report; that changes nothing in the account.
        (Some("iam"), Some("GenerateCredentialReport")) => false,
        (Some("s3"), None) => matches!(req.method(), "PUT" | "POST" | "DELETE"),
        // REST APIs name no operation: their writes are the non-GET methods (the reads the
        // collectors and fixers make of these two are GETs).
        (Some("guardduty" | "securityhub"), None) => matches!(req.method(), "PUT" | "POST" | "DELETE" | "PATCH"),
        (_, Some(op)) => !["Describe", "Get", "List", "Head"].iter().any(|read| op.starts_with(read)),
        _ => false,
    }
}

impl Emulator {
    /// `None` when the emulator is not installed (outside CI the test is then skipped).
    pub fn start() -> Option<Emulator> {
        Self::start_with(Vec::new())
    }

    /// With further proxy rules (faults) after the counting one.
    pub fn start_with(rules: Vec<FaultRule>) -> Option<Emulator> {
        Self::start_custom(rules, |builder| builder)
    }

    /// With further proxy rules and settings (throttling, server errors).
    pub fn start_custom(
        rules: Vec<FaultRule>,
        adjust: impl FnOnce(mamori_testkit::FaultProxyBuilder) -> mamori_testkit::FaultProxyBuilder,
    ) -> Option<Emulator> {
        let server = MotoServer::start()?;
        let changes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&changes);
        // moto 5.2.5 answers S3 GetBucketVersioning with a `GetBucketVersioningResponse` root
        // element (AWS: `VersioningConfiguration`), which the SDK rejects; only that is fixed.
        let mut builder = FaultProxy::in_front_of(&server).rewrite_response(
            |req| req.service() == Some("s3") && req.method() == "GET" && req.target().contains("versioning"),
            "GetBucketVersioningResponse",
            "VersioningConfiguration",
        );
        for service in ["s3", "ec2", "iam", "kms", "rds", "cloudtrail", "config", "guardduty", "securityhub"] {
            let counter = Arc::clone(&counter);
            // Never answers (the predicate says no): it only counts, and the call goes on.
            builder = builder.rule(FaultRule::service(service).when(move |req| {
                if is_change(req) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                false
            }));
        }
        for rule in rules {
            builder = builder.rule(rule);
        }
        let proxy = adjust(builder).start().expect("proxy starts");
        Some(Emulator { server, proxy, changes })
    }

    /// Requests that changed something, so far.
    pub fn changes(&self) -> usize {
        self.changes.load(Ordering::SeqCst)
    }

    pub async fn config(&self) -> SdkConfig {
        self.proxy.sdk_config().await
    }
}

/// Every finding of the catalog after collecting `collectors` in `regions`, with its id.
pub async fn audit(config: &SdkConfig, collectors: &[&str], regions: &[&str]) -> Vec<(String, Finding)> {
    let collected = collect_common::collect_current(config, collectors, regions).await;
    collect_common::evaluate(&collected.items).into_iter().map(|f| (f.id(), f)).collect()
}

/// The status of `rule` on `resource` in `findings`.
pub fn status_of(findings: &[(String, Finding)], rule: &str, resource: &str) -> Option<Status> {
    findings.iter().find(|(_, f)| &*f.rule_id == rule && &*f.resource_id == resource).map(|(_, f)| f.status)
}

/// The whole catalog with default parameters.
pub fn rules() -> RuleSet {
    RuleSet::new(mamori_rules::catalog().iter().map(|r| ActiveRule::with_defaults(*r)).collect())
}

/// `[remediation]` with `rules` in mode `plan`.
pub fn section(rules: &[&str]) -> RemediationSection {
    let rule = rules
        .iter()
        .map(|id| (id.to_string(), RuleRemediation { mode: Mode::Plan, ..RuleRemediation::default() }))
        .collect();
    RemediationSection { rule, ..RemediationSection::default() }
}

/// A remediator acting with `config`'s credentials (no role to enter).
pub fn remediator(config: &SdkConfig) -> Remediator {
    let options = RemediateOptions { read_role: None, write_role: None, limits: Limits::default() };
    Remediator::new(config, options).expect("valid options")
}

/// The plan of `findings` (only the rules of `only`, when given) under `section`.
pub async fn plan(
    remediator: &Remediator,
    findings: &[(String, Finding)],
    section: &RemediationSection,
    only: &[&str],
) -> Plan {
    let findings: Vec<(String, Finding)> =
        findings.iter().filter(|(_, f)| only.is_empty() || only.contains(&&*f.rule_id)).cloned().collect();
    let mut failing_by_rule = BTreeMap::new();
    for (_, finding) in findings.iter().filter(|(_, f)| f.status == Status::Fail) {
        *failing_by_rule.entry(finding.rule_id.to_string()).or_default() += 1;
    }
    let rules = rules();
    let accounts = BTreeMap::from([(ACCOUNT.to_owned(), AccountContext::default())]);
    let request = PlanRequest {
        run_id: 1,
        findings: &findings,
        failing_by_rule,
        section,
        modes: &[Mode::Plan, Mode::Auto],
        rules: &rules,
        accounts: &accounts,
    };
    remediator.plan(&request).await
}

/// A fresh store in a temporary directory.
pub fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mamori.db")).unwrap();
    (dir, store)
}
