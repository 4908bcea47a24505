//! Finds leaked AWS credentials in git repositories.
//!
//! Long-lived access keys committed to a repository are the most common way AWS
//! accounts are taken over. This crate finds them in a work tree, in every blob of
//! a repository's history (each blob read once, streamed through `git cat-file`),
//! and in the changes staged for a commit (the `pre-commit` hook it installs). It
//! knows every documented access-key-id prefix, pairs secret access keys with
//! their ids, allows AWS's documented example keys and whatever the repository's
//! `.mamori-secrets.toml` allows, and renders text, JSON and SARIF 2.1.0 in which
//! every secret is redacted to its first and last four characters.
//!
//! It does not talk to AWS: verifying that a key is live is done by the caller
//! (the `mamori` CLI, through `mamori-aws`), which records the result on the
//! report with [`Report::set_verification`].
//!
//! ```no_run
//! use mamori_secrets::{Allowlist, ScanOptions, Scanner};
//! let root = std::path::Path::new(".");
//! let scanner = Scanner::new(ScanOptions::default(), Allowlist::discover(root, None)?);
//! let report = scanner.scan_history(root)?;
//! print!("{}", mamori_secrets::output::text(&report));
//! # Ok::<(), mamori_secrets::Error>(())
//! ```

pub mod allow;
pub mod detect;
mod error;
pub mod git;
pub mod hook;
pub mod output;
pub mod scan;
mod secret;

pub use allow::{AllowReason, Allowlist, CONFIG_FILE_NAME};
pub use detect::{Detector, Rule, RULES};
pub use error::{Error, Result};
pub use output::Format;
pub use scan::{CredentialPair, Finding, Report, ScanOptions, Scanner, Skipped, Source, Summary, Verification};
pub use secret::{redact, SecretValue};
