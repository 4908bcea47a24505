//! Fixes `s3-bucket-versioning-enabled`: turns versioning on (PutBucketVersioning
//! `Status=Enabled`), leaving MFA delete as it is.
//!
//! MFA delete cannot be changed by a fixer (S3 takes it only with the root user's MFA code),
//! so a failure about MFA delete (`isMfaDeleteEnabled = true`) is left out as not fixable.
//! Undo suspends versioning: S3 cannot return a bucket to "never versioned", and suspended is
//! what it offers instead (the rule fails again, the versions kept stay).

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct S3BucketVersioningEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "s3-bucket-versioning-enabled",
    resource_types: &["AWS::S3::Bucket"],
    collector: "s3",
    read_actions: &["s3:GetBucketVersioning"],
    write_actions: &["s3:PutBucketVersioning"],
    reversible: true,
    settings: &[],
    summary: "enables versioning (undo: suspends it)",
};

impl Fixer for S3BucketVersioningEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let s3 = client(cx);
            match cx.call("s3", s3.get_bucket_versioning().bucket(&finding.resource_id).send()).await {
                Ok(out) => Ok(Some(json!({
                    "Status": out.status().map(|s| s.as_str()),
                    "MFADelete": out.mfa_delete().map(|s| s.as_str()),
                }))),
                Err(err) if err.is_not_found(&["NoSuchBucket"]) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let enabled = input.state["Status"] == "Enabled";
        if enabled {
            if input.params.bool("isMfaDeleteEnabled") == Some(true) && input.state["MFADelete"] != "Enabled" {
                return Err(NotPlanned::new(
                    LeftOutReason::NotFixable,
                    format!("bucket {bucket} needs MFA delete, which only the root user's MFA code can enable"),
                ));
            }
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("bucket {bucket} has versioning enabled now"),
            ));
        }
        Ok(Change {
            calls: vec![put(bucket, "Enabled")],
            after: json!({"Status": "Enabled", "MFADelete": input.state["MFADelete"]}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        // Never versioned and suspended both fail the rule; S3 only offers the second.
        let status = if input.before["Status"] == "Enabled" { "Enabled" } else { "Suspended" };
        Ok(Change {
            calls: vec![put(&input.finding.resource_id, status)],
            after: json!({"Status": status, "MFADelete": input.now["MFADelete"]}),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            if call.operation != "PutBucketVersioning" {
                return Err(unknown_operation(&META, call));
            }
            let bucket = text_param(call, "Bucket")?;
            let status = call.parameters["VersioningConfiguration"]["Status"].as_str().unwrap_or_default();
            let status = match status {
                "Enabled" => BucketVersioningStatus::Enabled,
                "Suspended" => BucketVersioningStatus::Suspended,
                other => {
                    return Err(ApiError::new("InvalidPlan", format!("versioning status `{other}` is not planned")))
                }
            };
            let configuration = VersioningConfiguration::builder().status(status).build();
            let s3 = client(cx);
            cx.call("s3", s3.put_bucket_versioning().bucket(bucket).versioning_configuration(configuration).send())
                .await
                .map(|_| ())
        })
    }
}

fn put(bucket: &str, status: &str) -> ApiCall {
    ApiCall::new("s3", "PutBucketVersioning", json!({"Bucket": bucket, "VersioningConfiguration": {"Status": status}}))
}
