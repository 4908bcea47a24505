//! The only mamori crate that talks to AWS.
//!
//! The AWS SDK for Rust is slow to compile, so it is kept out of every other crate:
//! the model, rules, engine and the secrets scanner build without it, and whatever
//! needs AWS goes through here. [`sdk`] builds the SDK configuration from the
//! standard credential chain and an optional endpoint URL (`--endpoint-url` or
//! `AWS_ENDPOINT_URL`, e.g. an emulator on 127.0.0.1); [`sts`] holds the calls to
//! STS, starting with verifying whether a leaked access key is live.

pub mod sdk;
pub mod sts;

pub use sdk::SdkOptions;
pub use sts::{KeyStatus, Verifier};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The endpoint URL is not an http(s) URL.
    #[error("invalid endpoint url `{0}`: expected http:// or https://")]
    EndpointUrl(String),
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
