//! Fixers of S3 rules.

pub mod s3_bucket_ssl_requests_only;
pub mod s3_bucket_versioning_enabled;

use aws_sdk_s3::Client;

use super::FixCx;

/// An S3 client in the fix's region (a bucket's settings are answered in its own region),
/// path-style when the endpoint is overridden (an emulator on a bare address).
pub(crate) fn client(cx: &FixCx) -> Client {
    let config = aws_sdk_s3::config::Builder::from(cx.sdk())
        .force_path_style(cx.sdk().endpoint_url().is_some())
        .interceptor(cx.attempt_counter())
        .build();
    Client::from_conf(config)
}
