//! S3 fixers: versioning.

use aws_config::{Region, SdkConfig};
use mamori_model::Status;
use mamori_store::{ActionKind, ActionOutcome};

use crate::common::{self, Emulator};

fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(config).region(Region::new("us-east-1")).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

const VERSIONING: &str = "s3-bucket-versioning-enabled";

/// The whole lifecycle of the example fixer: FAIL, plan, apply (verified), PASS, a second
/// apply that makes no change call, rollback, FAIL again.
#[tokio::test]
async fn versioning_is_planned_applied_verified_and_rolled_back() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    s3(&config).create_bucket().bucket("unversioned").send().await.unwrap();

    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, VERSIONING, "unversioned"), Some(Status::Fail), "{findings:#?}");

    let remediator = common::remediator(&config);
    let section = common::section(&[VERSIONING]);
    let plan = common::plan(&remediator, &findings, &section, &[VERSIONING]).await;
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let action = &plan.actions[0];
    assert_eq!(action.finding.resource_id, "unversioned");
    assert_eq!(action.calls.len(), 1);
    assert_eq!(action.calls[0].action(), "s3:PutBucketVersioning");
    assert_eq!(action.calls[0].parameters["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(action.state_before["Status"], serde_json::Value::Null);
    assert_eq!(action.expected_after["Status"], "Enabled");
    assert!(action.reversible);

    let (_dir, mut store) = common::store();
    let before = emulator.changes();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(report.actions.len(), 1);
    assert_eq!(report.actions[0].outcome, ActionOutcome::Verified, "{:?}", report.actions[0]);
    assert_eq!(emulator.changes() - before, 1, "exactly the planned call");

    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, VERSIONING, "unversioned"), Some(Status::Pass));

    let recorded = store.actions().unwrap();
    assert_eq!(recorded.len(), 1);
    let fix = &recorded[0];
    assert_eq!(
        (fix.kind, fix.outcome, fix.plan_id.as_str()),
        (ActionKind::Fix, ActionOutcome::Verified, &*plan.plan_id)
    );
    assert_eq!(fix.calls_made, serde_json::to_value(&action.calls).unwrap());
    assert_eq!(fix.state_after.as_ref(), Some(&action.expected_after));
    assert!(fix.caller_arn.starts_with("arn:aws:"), "{}", fix.caller_arn);

    // Applying the same plan again, and a fresh store applying it (no record to go by), make
    // no change call.
    let before = emulator.changes();
    let again = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(again.actions[0].outcome, ActionOutcome::AlreadyApplied);
    let (_other_dir, mut other_store) = common::store();
    let fresh = remediator.apply(&plan, &mut other_store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(fresh.actions[0].outcome, ActionOutcome::AlreadyApplied);
    assert_eq!(emulator.changes(), before, "no change call on an applied plan");
    // Planned again, the finding is left out: the bucket is no longer in the failing state.
    let replanned = common::plan(&remediator, &findings, &section, &[VERSIONING]).await;
    assert!(replanned.actions.is_empty(), "{replanned:#?}");

    let rollback = remediator.rollback(fix.id, &mut store).await.unwrap();
    assert_eq!(
        (rollback.kind, rollback.outcome, rollback.rolls_back),
        (ActionKind::Rollback, ActionOutcome::Verified, Some(fix.id))
    );
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, VERSIONING, "unversioned"), Some(Status::Fail));
    let err = remediator.rollback(fix.id, &mut store).await.unwrap_err().to_string();
    assert!(err.contains("already rolled it back"), "{err}");
}

const SSL: &str = "s3-bucket-ssl-requests-only";

async fn policy_text(config: &SdkConfig, bucket: &str) -> Option<String> {
    s3(config).get_bucket_policy().bucket(bucket).send().await.ok().and_then(|out| out.policy)
}

/// The Deny is added to an existing policy keeping its text byte for byte, and a bucket with
/// no policy gets one; rollback restores the original text (and deletes the new policy).
#[tokio::test]
async fn ssl_only_statement_is_added_keeping_the_policy_byte_for_byte() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let client = s3(&config);
    for bucket in ["with-policy", "without-policy"] {
        client.create_bucket().bucket(bucket).send().await.unwrap();
    }
    // Odd spacing, a key order of its own and an Allow on aws:SecureTransport (which does not
    // comply): all of it must survive as written.
    let original = "{\n  \"Statement\" : [\n    {\"Sid\":\"ReadOnlyTls\", \"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::123456789012:root\"},\
\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::with-policy/*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}\n  ],\n  \"Version\":\"2012-10-17\"\n}";
    client.put_bucket_policy().bucket("with-policy").policy(original).send().await.unwrap();
    assert_eq!(policy_text(&config, "with-policy").await.as_deref(), Some(original), "moto keeps the text");

    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSL, "with-policy"), Some(Status::Fail));
    assert_eq!(common::status_of(&findings, SSL, "without-policy"), Some(Status::Fail));

    let remediator = common::remediator(&config);
    let section = common::section(&[SSL]);
    let plan = common::plan(&remediator, &findings, &section, &[SSL]).await;
    assert_eq!(plan.actions.len(), 2, "{plan:#?}");
    let (_dir, mut store) = common::store();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert!(report.actions.iter().all(|a| a.outcome == ActionOutcome::Verified), "{report:#?}");

    let fixed = policy_text(&config, "with-policy").await.unwrap();
    let kept = original.rfind(']').unwrap();
    assert!(fixed.starts_with(original[..kept].trim_end()), "{fixed}");
    assert!(fixed.ends_with(&original[kept..]), "{fixed}");
    let document: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(document["Statement"].as_array().unwrap().len(), 2);
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSL, "with-policy"), Some(Status::Pass));
    assert_eq!(common::status_of(&findings, SSL, "without-policy"), Some(Status::Pass));

    for fix in store.actions().unwrap() {
        let rollback = remediator.rollback(fix.id, &mut store).await.unwrap();
        assert_eq!(rollback.outcome, ActionOutcome::Verified, "{rollback:?}");
    }
    assert_eq!(policy_text(&config, "with-policy").await.as_deref(), Some(original));
    assert_eq!(policy_text(&config, "without-policy").await, None);
    let findings = common::audit(&config, &["s3"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSL, "with-policy"), Some(Status::Fail));
}
