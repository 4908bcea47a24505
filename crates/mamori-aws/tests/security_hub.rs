//! Findings exported to Security Hub (moto) through BatchImportFindings: batches of 100 per
//! region, a later run updates the same findings instead of duplicating them, resolved ones
//! are archived, a malformed document sends nothing, and a batch that fails is reported
//! finding by finding while the other batches go through.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use mamori_aws::security_hub::{archive, import_findings};
use mamori_model::{Finding, Severity, Status};
use mamori_testkit::proxy::{FaultProxy, FaultRule};
use mamori_testkit::MotoServer;
use serde_json::Value;

/// moto's default account: Security Hub takes findings into the caller's account.
const ACCOUNT: &str = "123456789012";

fn finding(region: &str, index: usize, status: Status) -> Finding {
    let group = format!("sg-{index:04}");
    Finding {
        rule_id: Arc::from("restricted-ssh"),
        status,
        severity: Severity::High,
        account_id: Arc::from(ACCOUNT),
        region: Arc::from(region),
        resource_type: Arc::from("AWS::EC2::SecurityGroup"),
        resource_id: Arc::from(group.as_str()),
        resource_arn: Some(Arc::from(format!("arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group}"))),
        message: format!("{group} allows port 22 from 0.0.0.0/0"),
    }
}

fn asff(finding: &Finding, now: &str) -> Value {
    mamori_engine::report::asff_finding(finding, mamori_rules::find(&finding.rule_id).map(|rule| rule.meta()), now)
}

/// Every finding Security Hub holds in `region`, by id.
async fn stored(config: &SdkConfig, region: &str) -> BTreeMap<String, aws_sdk_securityhub::types::AwsSecurityFinding> {
    let client = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    );
    let mut out = BTreeMap::new();
    let mut pages = client.get_findings().max_results(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        for finding in page.unwrap().findings() {
            out.insert(finding.id().unwrap().to_owned(), finding.clone());
        }
    }
    out
}

#[test]
fn exports_update_and_archive_in_security_hub() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let config = moto.sdk_config().await;
        let first_run = "2026-12-01T00:00:00Z";
        let mut findings: Vec<Finding> = (0..150).map(|i| finding("us-east-1", i, Status::Fail)).collect();
        findings.extend((0..100).map(|i| finding("eu-west-1", i, Status::Fail)));
        let documents: Vec<Value> = findings.iter().map(|f| asff(f, first_run)).collect();

        let outcome = import_findings(&config, &documents).await.unwrap();
        assert!(outcome.is_complete(), "{:?}", outcome.rejected);
        assert_eq!((outcome.imported, outcome.calls), (250, 3), "2 batches in us-east-1, 1 in eu-west-1");
        let east = stored(&config, "us-east-1").await;
        assert_eq!(east.len(), 150);
        assert_eq!(stored(&config, "eu-west-1").await.len(), 100);

        // The next run: ten findings changed their message, twenty were resolved.
        let second_run = "2026-12-02T00:00:00Z";
        let mut next: Vec<Value> = Vec::new();
        for (index, finding) in findings.iter_mut().enumerate().filter(|(_, f)| &*f.region == "us-east-1") {
            match index {
                0..10 => {
                    finding.message = format!("{} and port 3389", finding.message);
                    next.push(asff(finding, second_run));
                }
                10..30 => next.push(archive(&asff(finding, first_run), second_run)),
                _ => next.push(asff(finding, second_run)),
            }
        }
        let outcome = import_findings(&config, &next).await.unwrap();
        assert_eq!((outcome.imported, outcome.calls, outcome.rejected.len()), (150, 2, 0));
        let east = stored(&config, "us-east-1").await;
        assert_eq!(east.len(), 150, "updated, not duplicated");
        let archived: Vec<&String> = east
            .iter()
            .filter(|(_, f)| f.record_state() == Some(&aws_sdk_securityhub::types::RecordState::Archived))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(archived.len(), 20);
        let changed = east.values().filter(|f| f.description().is_some_and(|d| d.ends_with("and port 3389"))).count();
        assert_eq!(changed, 10);

        // A malformed document: nothing is sent at all.
        let mut broken = next.clone();
        broken[42].as_object_mut().unwrap().remove("Resources");
        let err = import_findings(&config, &broken).await.unwrap_err();
        assert_eq!(err.index, 42);
        assert!(err.to_string().contains("`Resources`"), "{err}");
    });

    // A region whose imports always fail: its findings are reported one by one, the other
    // region's findings still go through.
    let proxy = FaultProxy::in_front_of(&moto)
        .rule(FaultRule::rest("securityhub", "POST", "/findings/import").in_region("eu-west-1"))
        .start()
        .unwrap();
    rt.block_on(async {
        let config = proxy.sdk_config().await;
        let documents: Vec<Value> = [("us-east-1", 5), ("eu-west-1", 120)]
            .iter()
            .flat_map(|(region, count)| {
                (0..*count).map(|i| asff(&finding(region, 1000 + i, Status::Fail), "2026-12-03T00:00:00Z"))
            })
            .collect();
        let outcome = import_findings(&config, &documents).await.unwrap();
        assert_eq!(outcome.imported, 5);
        assert_eq!(outcome.rejected.len(), 120);
        assert!(
            outcome.rejected.iter().all(|r| r.region == "eu-west-1" && r.code == "AccessDeniedException"),
            "{:?}",
            outcome.rejected[0]
        );
    });
}
