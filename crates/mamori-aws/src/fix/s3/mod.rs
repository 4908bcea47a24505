//! Fixers of S3 rules.

pub mod s3_account_level_public_access_blocks_periodic;
pub mod s3_bucket_level_public_access_prohibited;
pub mod s3_bucket_server_side_encryption_enabled;
pub mod s3_bucket_ssl_requests_only;
pub mod s3_bucket_versioning_enabled;

use aws_sdk_s3::Client;
use serde_json::{json, Value};

use super::{param, FixCx};
use crate::collect::ApiError;
use mamori_model::remediation::ApiCall;

/// An S3 client in the fix's region (a bucket's settings are answered in its own region),
/// path-style when the endpoint is overridden (an emulator on a bare address).
pub(crate) fn client(cx: &FixCx) -> Client {
    let config = aws_sdk_s3::config::Builder::from(cx.sdk())
        .force_path_style(cx.sdk().endpoint_url().is_some())
        .interceptor(cx.attempt_counter())
        .build();
    Client::from_conf(config)
}

/// The four Block Public Access settings, as the API names them.
pub(crate) const BLOCK_FIELDS: [&str; 4] =
    ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];

/// A Block Public Access configuration as fixers record it: each setting `true` or `false`
/// (S3 answers an unset one as absent, which is off).
pub(crate) fn block_json(
    block_acls: Option<bool>,
    ignore_acls: Option<bool>,
    block_policy: Option<bool>,
    restrict: Option<bool>,
) -> Value {
    json!({
        "BlockPublicAcls": block_acls.unwrap_or(false),
        "IgnorePublicAcls": ignore_acls.unwrap_or(false),
        "BlockPublicPolicy": block_policy.unwrap_or(false),
        "RestrictPublicBuckets": restrict.unwrap_or(false),
    })
}

/// The four settings of a planned call's `PublicAccessBlockConfiguration`, in
/// [`BLOCK_FIELDS`] order; each must be written out.
pub(crate) fn block_of(call: &ApiCall) -> Result<[bool; 4], ApiError> {
    let block = param(call, "PublicAccessBlockConfiguration")?;
    let mut flags = [false; 4];
    for (flag, field) in flags.iter_mut().zip(BLOCK_FIELDS) {
        *flag = block[field].as_bool().ok_or_else(|| {
            ApiError::new("InvalidPlan", format!("{}: `{field}` is not true or false", call.action()))
        })?;
    }
    Ok(flags)
}
