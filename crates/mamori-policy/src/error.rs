//! Why a policy directory was refused. Every variant names the file, and the line where the
//! Rego parser gave one, so the author can go straight to the mistake.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy directory `{path}`: {source}")]
    ReadDir { path: PathBuf, source: std::io::Error },
    #[error("cannot read policy file `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
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
    #[error("cannot read test file `{path}`: {message}")]
    TestFile { path: PathBuf, message: String },
}
