//! Fixers of KMS rules.

pub mod cmk_backing_key_rotation_enabled;

use aws_sdk_kms::Client;

use super::FixCx;

/// A KMS client in the fix's region (the key's), its retries counted.
pub(crate) fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_kms::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}
