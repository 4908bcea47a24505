//! Fixes `s3-bucket-server-side-encryption-enabled`: sets SSE-S3 (AES256) default encryption
//! on a bucket that has none (PutBucketEncryption).
//!
//! SSE-S3 needs no choice the finding cannot make (it is what S3 applies to new buckets since
//! 2023, and no key policy can lock readers out); a KMS key is a decision for the bucket's
//! owner. Undo removes the default encryption again (DeleteBucketEncryption): the bucket had
//! none, which is what the fixer plans from.

use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use serde_json::{json, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct S3BucketServerSideEncryptionEnabled;

static META: FixerMeta = FixerMeta {
    rule_id: "s3-bucket-server-side-encryption-enabled",
    resource_types: &["AWS::S3::Bucket"],
    collector: "s3",
    read_actions: &["s3:GetEncryptionConfiguration"],
    write_actions: &["s3:PutEncryptionConfiguration"],
    reversible: true,
    settings: &[],
    summary: "sets SSE-S3 (AES256) default encryption on a bucket without any (undo: removes it)",
};

impl Fixer for S3BucketServerSideEncryptionEnabled {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let s3 = client(cx);
            match cx.call("s3", s3.get_bucket_encryption().bucket(&finding.resource_id).send()).await {
                Ok(out) => {
                    let rules: Vec<Value> = out
                        .server_side_encryption_configuration()
                        .map(|c| c.rules())
                        .unwrap_or_default()
                        .iter()
                        .map(|rule| {
                            let default = rule.apply_server_side_encryption_by_default();
                            json!({
                                "SSEAlgorithm": default.map(|d| d.sse_algorithm().as_str()),
                                "KMSMasterKeyID": default.and_then(|d| d.kms_master_key_id()),
                                "BucketKeyEnabled": rule.bucket_key_enabled(),
                            })
                        })
                        .collect();
                    Ok(Some(json!({"Rules": rules})))
                }
                Err(err) if err.is_not_found(&["ServerSideEncryptionConfigurationNotFoundError"]) => {
                    Ok(Some(json!({"Rules": []})))
                }
                Err(err) if err.is_not_found(&["NoSuchBucket"]) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let rules = input.state["Rules"].as_array().map(Vec::as_slice).unwrap_or_default();
        if let Some(rule) = rules.iter().find(|rule| rule["SSEAlgorithm"].is_string()) {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("bucket {bucket} encrypts new objects by default with {} now", rule["SSEAlgorithm"]),
            ));
        }
        if !rules.is_empty() {
            // A configuration without a default algorithm is someone's unusual choice: leave it.
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("bucket {bucket} has an encryption configuration without a default algorithm; not replaced"),
            ));
        }
        Ok(Change {
            calls: vec![ApiCall::new(
                "s3",
                "PutBucketEncryption",
                json!({"Bucket": bucket, "ServerSideEncryptionConfiguration": {"Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]}}),
            )],
            after: json!({"Rules": [{"SSEAlgorithm": "AES256", "KMSMasterKeyID": null, "BucketKeyEnabled": false}]}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        if input.before["Rules"].as_array().is_none_or(|rules| !rules.is_empty()) {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("bucket {} had an encryption configuration before; not removed", input.finding.resource_id),
            ));
        }
        Ok(Change {
            calls: vec![ApiCall::new("s3", "DeleteBucketEncryption", json!({"Bucket": input.finding.resource_id}))],
            after: input.before.clone(),
            reversible: false,
        })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let bucket = text_param(call, "Bucket")?;
            let s3 = client(cx);
            match call.operation.as_str() {
                "PutBucketEncryption" => {
                    let rules = call.parameters["ServerSideEncryptionConfiguration"]["Rules"].as_array();
                    let algorithm = rules
                        .and_then(|rules| rules.first())
                        .and_then(|rule| rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"].as_str());
                    if algorithm != Some("AES256") || rules.is_some_and(|rules| rules.len() != 1) {
                        return Err(ApiError::new("InvalidPlan", "only one AES256 default rule is ever planned"));
                    }
                    let default = ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .map_err(|e| ApiError::new("InvalidPlan", e.to_string()))?;
                    let configuration = ServerSideEncryptionConfiguration::builder()
                        .rules(
                            ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(default)
                                .build(),
                        )
                        .build()
                        .map_err(|e| ApiError::new("InvalidPlan", e.to_string()))?;
                    let put =
                        s3.put_bucket_encryption().bucket(bucket).server_side_encryption_configuration(configuration);
                    cx.call("s3", put.send()).await.map(|_| ())
                }
                "DeleteBucketEncryption" => {
                    cx.call("s3", s3.delete_bucket_encryption().bucket(bucket).send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}
