//! Where messages go, named without their secret.
//!
//! Configuration, digests, stored pending messages and logs name a target by reference,
//! `slack:team-a` or `json:secops`; only [`TargetResolver::resolve`] turns a reference into a
//! URL, read at send time from the environment (`MAMORI_WEBHOOK_TEAM_A` by default, or a
//! variable named in the configuration) or from a file holding the URL. So the URL is never in
//! `mamori.toml`, the store, or any output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::secret::{UrlProblem, WebhookUrl};

pub use mamori_model::TargetKind;

/// A target by reference: `slack:team-a`. Safe to store and print.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetRef {
    kind: TargetKind,
    name: String,
}

/// Errors about targets and their URLs. No variant holds the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "invalid notification target `{0}`: expected `slack:NAME` or `json:NAME`, NAME made of \
         a-z, 0-9, `-` and `_` (at most 64 characters)"
    )]
    InvalidReference(String),
    #[error("no webhook URL for target `{target}`: environment variable `{var}` is not set")]
    MissingEnv { target: TargetRef, var: String },
    #[error("no webhook URL for target `{target}`: environment variable `{var}` is empty")]
    EmptyEnv { target: TargetRef, var: String },
    #[error("cannot read the webhook URL of target `{target}` from `{path}`: {reason}")]
    ReadFile { target: TargetRef, path: PathBuf, reason: String },
    #[error("no webhook URL for target `{target}`: file `{path}` is empty")]
    EmptyFile { target: TargetRef, path: PathBuf },
    #[error(
        "refusing the webhook URL file `{path}` of target `{target}`: it is writable by other users \
         (mode {mode:o}), who could redirect notifications; `chmod 600` it"
    )]
    FileWritableByOthers { target: TargetRef, path: PathBuf, mode: u32 },
    #[error("the webhook URL of target `{target}` (from {origin}) {problem}")]
    InvalidUrl { target: TargetRef, origin: String, problem: UrlProblemText },
    #[error("target `{name}` sets both `url_env` and `url_file`; keep one")]
    ConflictingSources { name: String },
}

/// A [`UrlProblem`] as it appears in an error (a newtype so that the error stays `Eq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlProblemText(pub UrlProblem);

impl fmt::Display for UrlProblemText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

const MAX_NAME_LEN: usize = 64;

impl TargetRef {
    /// A reference from its parts; the name must be `[a-z0-9][a-z0-9_-]*`, 64 characters at most.
    pub fn new(kind: TargetKind, name: &str) -> Result<TargetRef, TargetError> {
        let valid = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && name.as_bytes()[0].is_ascii_alphanumeric();
        if !valid {
            return Err(TargetError::InvalidReference(format!("{}:{name}", kind.as_str())));
        }
        Ok(TargetRef { kind, name: name.to_owned() })
    }

    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The environment variable read when the configuration names no other:
    /// `MAMORI_WEBHOOK_` and the name upper-cased, `-` turned into `_` (`team-a` → `MAMORI_WEBHOOK_TEAM_A`).
    pub fn default_env_var(&self) -> String {
        let suffix: String =
            self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
        format!("MAMORI_WEBHOOK_{suffix}")
    }
}

impl fmt::Display for TargetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.name)
    }
}

impl FromStr for TargetRef {
    type Err = TargetError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || TargetError::InvalidReference(text.to_owned());
        let (kind, name) = text.split_once(':').ok_or_else(invalid)?;
        let kind = match kind {
            "slack" => TargetKind::Slack,
            "json" => TargetKind::Json,
            _ => return Err(invalid()),
        };
        TargetRef::new(kind, name).map_err(|_| invalid())
    }
}

impl Serialize for TargetRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TargetRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a target's URL is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// An environment variable holding the URL.
    Env(String),
    /// A file whose contents (surrounding whitespace ignored) are the URL.
    File(PathBuf),
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Env(var) => write!(f, "environment variable `{var}`"),
            UrlSource::File(path) => write!(f, "file `{}`", path.display()),
        }
    }
}

/// A target's settings in the configuration (e.g. `[notify.targets.team-a]` in `mamori.toml`):
/// where its URL comes from. Both absent means the default environment variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// The environment variable holding the URL.
    #[serde(default)]
    pub url_env: Option<String>,
    /// A file holding the URL (not writable by other users).
    #[serde(default)]
    pub url_file: Option<PathBuf>,
}

impl TargetConfig {
    /// The source this configuration names, if any; `name` is the target's name, for the error.
    pub fn source(&self, name: &str) -> Result<Option<UrlSource>, TargetError> {
        match (&self.url_env, &self.url_file) {
            (Some(_), Some(_)) => Err(TargetError::ConflictingSources { name: name.to_owned() }),
            (Some(var), None) => Ok(Some(UrlSource::Env(var.clone()))),
            (None, Some(path)) => Ok(Some(UrlSource::File(path.clone()))),
            (None, None) => Ok(None),
        }
    }
}

/// A target ready to send to.
#[derive(Clone)]
pub struct Target {
    reference: TargetRef,
    url: WebhookUrl,
    source: UrlSource,
    warnings: Vec<String>,
}

impl Target {
    /// A target from a URL already in hand (e.g. read by the caller); `source` says where from.
    pub fn new(reference: TargetRef, url: &str, source: UrlSource) -> Result<Target, TargetError> {
        let url = WebhookUrl::parse(url).map_err(|problem| TargetError::InvalidUrl {
            target: reference.clone(),
            origin: source.to_string(),
            problem: UrlProblemText(problem),
        })?;
        Ok(Target { reference, url, source, warnings: Vec::new() })
    }

    pub fn reference(&self) -> &TargetRef {
        &self.reference
    }

    pub fn url(&self) -> &WebhookUrl {
        &self.url
    }

    pub fn source(&self) -> &UrlSource {
        &self.source
    }

    /// Things worth telling the user that do not stop sending (a URL file readable by others).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("reference", &self.reference.to_string())
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, from {})", self.reference, self.url, self.source)
    }
}

type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Turns references into targets: the configured source of each name, else the default
/// environment variable.
pub struct TargetResolver {
    sources: BTreeMap<String, UrlSource>,
    env: EnvLookup,
}

impl Default for TargetResolver {
    fn default() -> Self {
        TargetResolver::new()
    }
}

impl fmt::Debug for TargetResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetResolver").field("sources", &self.sources).finish_non_exhaustive()
    }
}

impl TargetResolver {
    /// Reads the process environment.
    pub fn new() -> TargetResolver {
        TargetResolver::with_env(|var| std::env::var(var).ok())
    }

    /// Reads variables through `env` instead of the process environment (tests, or a caller
    /// that already snapshotted it).
    pub fn with_env(env: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> TargetResolver {
        TargetResolver { sources: BTreeMap::new(), env: Box::new(env) }
    }

    /// Reads target `name`'s URL from `source` instead of its default variable. Applies to
    /// both kinds (`slack:name` and `json:name`).
    pub fn set_source(&mut self, name: &str, source: UrlSource) -> &mut Self {
        self.sources.insert(name.to_owned(), source);
        self
    }

    /// Where `target`'s URL is read from.
    pub fn source_of(&self, target: &TargetRef) -> UrlSource {
        self.sources.get(target.name()).cloned().unwrap_or_else(|| UrlSource::Env(target.default_env_var()))
    }

    pub fn resolve(&self, target: &TargetRef) -> Result<Target, TargetError> {
        let source = self.source_of(target);
        let mut warnings = Vec::new();
        let url = match &source {
            UrlSource::Env(var) => match (self.env)(var) {
                None => return Err(TargetError::MissingEnv { target: target.clone(), var: var.clone() }),
                Some(value) if value.trim().is_empty() => {
                    return Err(TargetError::EmptyEnv { target: target.clone(), var: var.clone() })
                }
                Some(value) => value,
            },
            UrlSource::File(path) => read_url_file(target, path, &mut warnings)?,
        };
        let mut resolved = Target::new(target.clone(), &url, source)?;
        resolved.warnings = warnings;
        Ok(resolved)
    }
}

fn read_url_file(target: &TargetRef, path: &Path, warnings: &mut Vec<String>) -> Result<String, TargetError> {
    let read_error = |reason: String| TargetError::ReadFile { target: target.clone(), path: path.to_owned(), reason };
    let metadata = std::fs::metadata(path).map_err(|e| read_error(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o022 != 0 {
            return Err(TargetError::FileWritableByOthers { target: target.clone(), path: path.to_owned(), mode });
        }
        // Kubernetes and Docker mount secrets 0644 by default: worth a word, not a refusal.
        if mode & 0o004 != 0 {
            warnings.push(format!(
                "the webhook URL file `{}` of target `{target}` is readable by every user (mode {mode:o}); \
                 consider `chmod 600`",
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (&metadata, &warnings);
    let text = std::fs::read_to_string(path).map_err(|e| read_error(e.to_string()))?;
    if text.trim().is_empty() {
        return Err(TargetError::EmptyFile { target: target.clone(), path: path.to_owned() });
    }
    Ok(text)
}
