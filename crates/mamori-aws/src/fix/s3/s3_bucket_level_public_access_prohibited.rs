//! Fixes `s3-bucket-level-public-access-prohibited`: turns on all four Block Public Access
//! settings of the bucket (PutPublicAccessBlock), the state the rule asks for.
//!
//! The state is the bucket's own block (`null` when it has none). Undo restores it: the four
//! recorded settings, or no block at all (DeletePublicAccessBlock). Buckets named in the rule's
//! `excludedPublicBuckets` pass the rule, so they never reach the fixer.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use serde_json::{json, Value};

use super::{block_json, block_of, client, BLOCK_FIELDS};
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct S3BucketLevelPublicAccessProhibited;

static META: FixerMeta = FixerMeta {
    rule_id: "s3-bucket-level-public-access-prohibited",
    resource_types: &["AWS::S3::Bucket"],
    collector: "s3",
    read_actions: &["s3:GetBucketPublicAccessBlock"],
    write_actions: &["s3:PutBucketPublicAccessBlock"],
    reversible: true,
    settings: &[],
    summary: "turns on the bucket's four Block Public Access settings (undo: the recorded settings, or none)",
};

impl Fixer for S3BucketLevelPublicAccessProhibited {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let s3 = client(cx);
            match cx.call("s3", s3.get_public_access_block().bucket(&finding.resource_id).send()).await {
                Ok(out) => Ok(Some(json!({"PublicAccessBlockConfiguration": out
                .public_access_block_configuration()
                .map_or(Value::Null, |b| block_json(
                    b.block_public_acls(),
                    b.ignore_public_acls(),
                    b.block_public_policy(),
                    b.restrict_public_buckets()
                ))}))),
                Err(err) if err.is_not_found(&["NoSuchPublicAccessBlockConfiguration"]) => {
                    Ok(Some(json!({"PublicAccessBlockConfiguration": null})))
                }
                Err(err) if err.is_not_found(&["NoSuchBucket"]) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let block = &input.state["PublicAccessBlockConfiguration"];
        if BLOCK_FIELDS.iter().all(|field| block[field] == true) {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("bucket {bucket} blocks all public access now"),
            ));
        }
        let all = block_json(Some(true), Some(true), Some(true), Some(true));
        Ok(Change {
            calls: vec![put(bucket, &all)],
            after: json!({"PublicAccessBlockConfiguration": all}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let before = &input.before["PublicAccessBlockConfiguration"];
        let call = if before.is_null() {
            ApiCall::new("s3", "DeletePublicAccessBlock", json!({"Bucket": bucket}))
        } else {
            put(bucket, before)
        };
        Ok(Change { calls: vec![call], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let bucket = text_param(call, "Bucket")?;
            let s3 = client(cx);
            match call.operation.as_str() {
                "PutPublicAccessBlock" => {
                    let block = block_of(call)?;
                    let configuration = PublicAccessBlockConfiguration::builder()
                        .block_public_acls(block[0])
                        .ignore_public_acls(block[1])
                        .block_public_policy(block[2])
                        .restrict_public_buckets(block[3])
                        .build();
                    let put =
                        s3.put_public_access_block().bucket(bucket).public_access_block_configuration(configuration);
                    cx.call("s3", put.send()).await.map(|_| ())
                }
                "DeletePublicAccessBlock" => {
                    cx.call("s3", s3.delete_public_access_block().bucket(bucket).send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

fn put(bucket: &str, block: &Value) -> ApiCall {
    ApiCall::new("s3", "PutPublicAccessBlock", json!({"Bucket": bucket, "PublicAccessBlockConfiguration": block}))
}
