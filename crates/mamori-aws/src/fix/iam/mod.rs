//! Fixers of IAM rules. IAM is global: its calls go to the account's home region.

pub mod iam_password_policy;
pub mod iam_user_unused_credentials_check;

use aws_sdk_iam::Client;

use super::FixCx;

/// An IAM client, its retries counted.
pub(crate) fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_iam::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}
