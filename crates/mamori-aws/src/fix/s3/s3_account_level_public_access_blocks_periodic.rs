//! Fixes `s3-account-level-public-access-blocks-periodic`: turns on the account-level Block
//! Public Access settings the rule requires (S3 Control PutPublicAccessBlock), keeping the
//! others as they are.
//!
//! S3 Control puts the account id in the endpoint's host name; on an overridden endpoint (an
//! emulator) the collector's rewrite undoes it, so the fixer goes through the same client.
//! Undo restores the recorded settings, or no block at all (DeletePublicAccessBlock).

use aws_sdk_s3control::types::PublicAccessBlockConfiguration;
use serde_json::{json, Value};

use super::{block_json, block_of, BLOCK_FIELDS};
use crate::collect::s3::s3control_client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct S3AccountLevelPublicAccessBlocksPeriodic;

static META: FixerMeta = FixerMeta {
    rule_id: "s3-account-level-public-access-blocks-periodic",
    resource_types: &[mamori_model::ACCOUNT_TYPE],
    collector: "s3",
    read_actions: &["s3:GetAccountPublicAccessBlock"],
    write_actions: &["s3:PutAccountPublicAccessBlock"],
    reversible: true,
    settings: &[],
    summary: "turns on the account-level Block Public Access settings the rule requires (undo: the recorded settings, or none)",
};

/// (rule parameter, field of the block), in [`BLOCK_FIELDS`] order.
const PARAMS: [&str; 4] = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

impl Fixer for S3AccountLevelPublicAccessBlocksPeriodic {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, _finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let control = s3control_client(cx.sdk(), cx.attempt_counter());
            match cx.call("s3", control.get_public_access_block().account_id(cx.account_id()).send()).await {
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
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let account = &input.finding.account_id;
        let block = &input.state["PublicAccessBlockConfiguration"];
        let mut wanted = [false; 4];
        for (i, (param, field)) in PARAMS.iter().zip(BLOCK_FIELDS).enumerate() {
            wanted[i] = input.params.bool(param) == Some(true) || block[field] == true;
        }
        let current: Vec<bool> = BLOCK_FIELDS.iter().map(|field| block[field] == true).collect();
        if current == wanted {
            return Err(NotPlanned::new(
                LeftOutReason::ResourceChanged,
                format!("account {account} has the required account-level S3 public access block now"),
            ));
        }
        let after = block_json(Some(wanted[0]), Some(wanted[1]), Some(wanted[2]), Some(wanted[3]));
        Ok(Change {
            calls: vec![put(account, &after)],
            after: json!({"PublicAccessBlockConfiguration": after}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let account = &input.finding.account_id;
        let before = &input.before["PublicAccessBlockConfiguration"];
        let call = if before.is_null() {
            ApiCall::new("s3", "DeletePublicAccessBlock", json!({"AccountId": account}))
        } else {
            put(account, before)
        };
        Ok(Change { calls: vec![call], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let account = text_param(call, "AccountId")?;
            if account != cx.account_id() {
                return Err(ApiError::new(
                    "InvalidPlan",
                    format!("{} names account {account}, not {}", call.action(), cx.account_id()),
                ));
            }
            let control = s3control_client(cx.sdk(), cx.attempt_counter());
            match call.operation.as_str() {
                "PutPublicAccessBlock" => {
                    let block = block_of(call)?;
                    let configuration = PublicAccessBlockConfiguration::builder()
                        .block_public_acls(block[0])
                        .ignore_public_acls(block[1])
                        .block_public_policy(block[2])
                        .restrict_public_buckets(block[3])
                        .build();
                    let put = control
                        .put_public_access_block()
                        .account_id(account)
                        .public_access_block_configuration(configuration);
                    cx.call("s3", put.send()).await.map(|_| ())
                }
                "DeletePublicAccessBlock" => {
                    cx.call("s3", control.delete_public_access_block().account_id(account).send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// S3 Control's PutPublicAccessBlock (IAM action `s3:PutAccountPublicAccessBlock`, which also
/// covers its DeletePublicAccessBlock); the `AccountId` parameter tells it from the bucket call.
fn put(account: &str, block: &Value) -> ApiCall {
    ApiCall::new("s3", "PutPublicAccessBlock", json!({"AccountId": account, "PublicAccessBlockConfiguration": block}))
}
