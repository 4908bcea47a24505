//! Why a policy directory was refused. Every variant names the file, and the line where the
//! Rego parser gave one, so the author can go straight to the mistake.
//!
//! An underlying I/O error is part of the message, not a `source()`, so that printing the
//! error with its chain (anyhow's `{:#}`) says it once.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy directory `{path}`: {cause}")]
    ReadDir { path: PathBuf, cause: std::io::Error },
    #[error("cannot read policy file `{path}`: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("no `.rego` file in policy directory `{path}`")]
    Empty { path: PathBuf },
    #[error("{path}:{line}: rego syntax error: {message}")]
    Syntax { path: PathBuf, line: u32, message: String },
    #[error("`{path}`: {message}")]
    Compile { path: PathBuf, message: String },
    #[error("`{path}`: policy has no `metadata` object (declare `metadata := {{\"id\": ..., \"title\": ..., \"severity\": ..., \"resource_types\": [...]}}`)")]
    MissingMetadata { path: PathBuf },
    #[error("`{path}`: metadata field `{field}`: {message}")]
    Metadata { path: PathBuf, field: String, message: String },
    #[error("`{path}`: unknown resource type `{resource_type}` in metadata field `{field}` (known types are those of the built-in rules and the collectors, e.g. `AWS::S3::Bucket`)")]
    UnknownResourceType { path: PathBuf, field: String, resource_type: String },
    #[error("`{path}`: policy id `{id}` is the id of a built-in rule; custom policy ids must not clash with `mamori rules list`")]
    BuiltinId { path: PathBuf, id: String },
    #[error("`{path}`: policy id `{id}` is already used by `{other}`")]
    DuplicateId { path: PathBuf, id: String, other: PathBuf },
    #[error("`{path}`: policy defines no `deny` rule (a set of violation messages)")]
    MissingDeny { path: PathBuf },
    #[error("{path}:{line}: brackets nest more than {limit} levels deep")]
    Nesting { path: PathBuf, line: u32, limit: usize },
    #[error("{path}:{line}: function `{function}` calls itself (`{chain}`); Rego does not allow recursion (OPA refuses it too)")]
    Recursion { path: PathBuf, line: u32, function: String, chain: String },
    #[error(
        "`{path}`: evaluating `{rule}` may nest {depth} levels deep (`{chain}`), more than the {limit} \
         allowed, which keeps evaluation within the stack"
    )]
    TooDeep { path: PathBuf, rule: String, depth: u32, limit: u32, chain: String },
    #[error(
        "`{path}`: evaluating `{rule}` with no input exceeded the time limit of {limit_ms} ms; work that \
         does not depend on the input must be quick"
    )]
    LoadTimeLimit { path: PathBuf, rule: String, limit_ms: u128 },
    #[error("cannot start the thread that loads policies: {cause}")]
    LoadThread { cause: String },
    #[error("cannot read test file `{path}`: {message}")]
    TestFile { path: PathBuf, message: String },
}
