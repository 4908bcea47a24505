//! The driver's guarantees, shown with the S3 fixers (the cheapest to seed): the precondition
//! re-checked right before each change, the safety belts, a failing action recorded while the
//! others apply, and resumption of an interrupted apply.

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use mamori_aws::fix::run::RemediateError;
use mamori_model::remediation::RemediationSection;
use mamori_store::{ActionKind, ActionOutcome, NewAction};

use crate::collect_common;
use crate::common::{self, Emulator};

const VERSIONING: &str = "s3-bucket-versioning-enabled";
const SSL: &str = "s3-bucket-ssl-requests-only";

fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(config).region(Region::new("us-east-1")).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn buckets(config: &SdkConfig, names: &[&str]) {
    for name in names {
        s3(config).create_bucket().bucket(*name).send().await.unwrap();
    }
}

async fn set_versioning(config: &SdkConfig, bucket: &str, status: BucketVersioningStatus) {
    let configuration = VersioningConfiguration::builder().status(status).build();
    s3(config).put_bucket_versioning().bucket(bucket).versioning_configuration(configuration).send().await.unwrap();
}

fn outcome_of(report: &mamori_aws::fix::run::ApplyReport, bucket: &str) -> ActionOutcome {
    report.actions.iter().find(|a| a.finding.resource_id == bucket).unwrap().outcome
}

#[tokio::test]
async fn a_resource_changed_between_plan_and_apply_is_skipped() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    buckets(&config, &["changed", "fixed-by-hand", "untouched"]).await;
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    let remediator = common::remediator(&config);
    let section = common::section(&[VERSIONING]);
    let plan = common::plan(&remediator, &findings, &section, &[VERSIONING]).await;
    assert_eq!(plan.actions.len(), 3, "{plan:#?}");

    set_versioning(&config, "changed", BucketVersioningStatus::Suspended).await;
    set_versioning(&config, "fixed-by-hand", BucketVersioningStatus::Enabled).await;
    let (_dir, mut store) = common::store();
    let before = emulator.changes();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(outcome_of(&report, "changed"), ActionOutcome::Skipped);
    assert_eq!(outcome_of(&report, "fixed-by-hand"), ActionOutcome::AlreadyApplied);
    assert_eq!(outcome_of(&report, "untouched"), ActionOutcome::Verified);
    assert_eq!(emulator.changes() - before, 1, "only the unchanged bucket was changed");
    let skipped = report.actions.iter().find(|a| a.finding.resource_id == "changed").unwrap();
    assert!(skipped.detail.contains("changed since the plan") && skipped.detail.contains("Suspended"), "{skipped:?}");
    let recorded = store.actions().unwrap();
    assert_eq!(recorded.len(), 3, "skips are recorded too");
    assert!(recorded
        .iter()
        .filter(|a| a.outcome != ActionOutcome::Verified)
        .all(|a| a.calls_made == serde_json::json!([])));
}

#[tokio::test]
async fn safety_belts_refuse_the_whole_apply_before_any_change() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let names: Vec<String> = (0..10).map(|n| format!("bucket-{n}")).collect();
    buckets(&config, &names.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    let remediator = common::remediator(&config);
    let (_dir, mut store) = common::store();
    let before = emulator.changes();

    // The default belts: 20 changes, 50% of a rule's failing resources; 10 of 10 is too many.
    let section = common::section(&[VERSIONING]);
    let plan = common::plan(&remediator, &findings, &section, &[VERSIONING]).await;
    assert_eq!(plan.actions.len(), 10);
    let err = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap_err();
    assert!(matches!(err, RemediateError::Belt(_)), "{err}");
    assert!(err.to_string().contains("max_percent = 50%") && err.to_string().contains("nothing was changed"), "{err}");

    let tight = RemediationSection { max_changes: Some(3), max_percent: Some(100.0), ..section.clone() };
    let err = remediator.apply(&plan, &mut store, &tight, &common::rules(), None).await.unwrap_err();
    assert!(err.to_string().contains("10 changes, more than [remediation] max_changes = 3"), "{err}");

    assert_eq!(emulator.changes(), before, "no change call");
    assert!(store.actions().unwrap().is_empty(), "nothing recorded as done");
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert!(names.iter().all(|b| common::status_of(&findings, VERSIONING, b) == Some(mamori_model::Status::Fail)));
}

/// moto enforcing IAM with a remediation user allowed to change versioning but not bucket
/// policies: the policy action fails with AccessDenied and is recorded, the other applies.
#[tokio::test]
async fn access_denied_on_one_action_is_recorded_and_the_others_apply() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    buckets(&config, &["versioning", "policy"]).await;
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    let chosen: Vec<_> = findings
        .iter()
        .filter(|(_, f)| {
            (&*f.rule_id == VERSIONING && &*f.resource_id == "versioning")
                || (&*f.rule_id == SSL && &*f.resource_id == "policy")
        })
        .cloned()
        .collect();
    let section = common::section(&[VERSIONING, SSL]);
    let plan = common::plan(&common::remediator(&config), &chosen, &section, &[]).await;
    assert_eq!(plan.actions.len(), 2, "{plan:#?}");

    let limited =
        collect_common::least_privilege_with(&emulator.server, &config, &["s3"], &["s3:PutBucketVersioning"]).await;
    let remediator = common::remediator(&limited);
    let (_dir, mut store) = common::store();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(outcome_of(&report, "versioning"), ActionOutcome::Verified, "{report:#?}");
    let denied = report.actions.iter().find(|a| a.finding.resource_id == "policy").unwrap();
    assert_eq!(denied.outcome, ActionOutcome::Failed);
    assert!(denied.detail.contains("s3:PutBucketPolicy failed: AccessDenied"), "{denied:?}");
    let recorded = store.action(denied.action_id.unwrap()).unwrap();
    assert_eq!((recorded.outcome, recorded.calls_made.clone()), (ActionOutcome::Failed, serde_json::json!([])));
    assert!(recorded.caller_arn.ends_with(":user/least-privilege"), "{}", recorded.caller_arn);
}

/// An apply stopped after one change, and one killed between recording an action and
/// finishing it, complete when applied again, doing only what is left.
#[tokio::test]
async fn an_interrupted_apply_applied_again_completes() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    buckets(&config, &["first", "second", "third"]).await;
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    let remediator = common::remediator(&config);
    let section = common::section(&[VERSIONING]);
    let plan = common::plan(&remediator, &findings, &section, &[VERSIONING]).await;
    assert_eq!(plan.actions.len(), 3);
    let (_dir, mut store) = common::store();
    let before = emulator.changes();

    let stopped = remediator.apply(&plan, &mut store, &section, &common::rules(), Some(1)).await.unwrap();
    assert!(stopped.stopped);
    assert_eq!(stopped.actions.len(), 1);
    assert_eq!(emulator.changes() - before, 1);

    // The second action as a killed process leaves it: recorded as started, its call made,
    // never finished.
    let second = &plan.actions[1];
    let calls = serde_json::to_value(&second.calls).unwrap();
    store
        .begin_action(&NewAction {
            kind: ActionKind::Fix,
            plan_id: &plan.plan_id,
            finding_id: &second.finding.finding_id,
            rule_id: VERSIONING,
            account_id: common::ACCOUNT,
            region: "us-east-1",
            resource_type: "AWS::S3::Bucket",
            resource_id: &second.finding.resource_id,
            fixer: VERSIONING,
            reversible: true,
            rolls_back: None,
            planned_calls: &calls,
            state_before: &second.state_before,
            caller_arn: "arn:aws:iam::123456789012:user/killed",
        })
        .unwrap();
    set_versioning(&config, &second.finding.resource_id, BucketVersioningStatus::Enabled).await;
    let before = emulator.changes();

    let resumed = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    let outcomes: Vec<ActionOutcome> = resumed.actions.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [ActionOutcome::AlreadyApplied, ActionOutcome::AlreadyApplied, ActionOutcome::Verified]);
    assert_eq!(emulator.changes() - before, 1, "only what was left");
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    for action in &plan.actions {
        let status = common::status_of(&findings, VERSIONING, &action.finding.resource_id);
        assert_eq!(status, Some(mamori_model::Status::Pass));
    }
    let started: Vec<_> =
        store.actions().unwrap().into_iter().filter(|a| a.outcome == ActionOutcome::Started).collect();
    assert_eq!(started.len(), 1, "the killed action's row stays as the record of the interruption");
}
