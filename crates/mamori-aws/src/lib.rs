//! The only mamori crate that talks to AWS.
//!
//! The AWS SDK for Rust is slow to compile, so it is kept out of every other crate: the
//! model, rules, engine and the secrets scanner build without it, and whatever needs AWS goes
//! through here.
//! - [`sdk`]: the SDK configuration from the standard credential chain and an optional
//!   endpoint URL (`--endpoint-url` or `AWS_ENDPOINT_URL`, e.g. an emulator on 127.0.0.1);
//! - [`accounts`], [`session`], [`regions`]: which accounts and regions a run covers and how
//!   it enters them;
//! - [`collect`]: the collectors and the run that drives them, within the [`limits`] and
//!   counted in [`stats`];
//! - [`fix`]: remediation, the fixers and the plan → apply → verify → record → undo driver;
//! - [`sts`]: verifying whether a leaked access key is live;
//! - [`security_hub`]: sending findings to Security Hub (BatchImportFindings).

// Collectors write AWS Config items with large `json!` literals.
#![recursion_limit = "512"]

pub mod accounts;
pub mod collect;
pub mod fix;
pub mod limits;
pub mod permissions;
pub mod regions;
pub mod sdk;
pub mod security_hub;
pub mod session;
pub mod stats;
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

/// The multi-threaded runtime the collecting commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(Error::Runtime)
}
