//! Typed errors of the secrets scanner.
//!
//! Messages are lowercase and name the offending input in backticks. The
//! underlying I/O error is part of the message (not a `source()`), so that
//! printing the error chain does not repeat it. Errors that
//! concern one file or one object do not stop a scan: they become [`crate::Skipped`]
//! entries of the report. The variants here are the ones that stop an operation.

use std::path::PathBuf;

/// Everything that can stop a scan, a hook or an installation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--history` or a hook was asked for a directory that is not in a git repository.
    #[error("`{path}` is not a git repository")]
    NotARepository { path: PathBuf },

    /// The path to scan does not exist or cannot be read at all.
    #[error("cannot read `{path}`: {cause}")]
    Io { path: PathBuf, cause: std::io::Error },

    /// `git` could not be started.
    #[error("cannot run `git`: {0}")]
    GitSpawn(std::io::Error),

    /// A git command failed.
    #[error("`git {command}` failed: {stderr}")]
    Git { command: String, stderr: String },

    /// A git command printed something we do not understand.
    #[error("unexpected output from `git {command}`: {detail}")]
    GitOutput { command: String, detail: String },

    /// The allowlist file cannot be read.
    #[error("cannot read allowlist `{path}`: {cause}")]
    ConfigRead { path: PathBuf, cause: std::io::Error },

    /// The allowlist file is not valid TOML or has an unknown or mistyped field.
    #[error("invalid allowlist `{path}`: {message}")]
    ConfigParse { path: PathBuf, message: String },

    /// A regular expression in the allowlist does not compile.
    #[error("invalid allowlist `{path}`: field `{field}`: invalid regex `{pattern}`: {message}")]
    ConfigPattern { path: PathBuf, field: String, pattern: String, message: String },

    /// A glob in the allowlist does not compile.
    #[error("invalid allowlist `{path}`: field `{field}`: invalid glob `{glob}`: {message}")]
    ConfigGlob { path: PathBuf, field: String, glob: String, message: String },

    /// A hook could not be installed.
    #[error("cannot install hook `{path}`: {message}")]
    Hook { path: PathBuf, message: String },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
