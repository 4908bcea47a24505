//! Allowlists: AWS's documented example keys, patterns and paths from
//! `.mamori-secrets.toml`, and inline `mamori:allow` markers.
//!
//! An allowed hit is not a finding, but it is counted in the summary by reason, so
//! that an over-broad allowlist shows up.
//!
//! ```toml
//! # .mamori-secrets.toml, at the root of the scanned repository
//! [allow]
//! # regular expressions, matched against the secret itself and against its whole line
//! patterns = ['^AKIA[A-Z0-9]{12}TESTKEY1$', 'fixture-credentials']
//! # globs, matched against the path relative to the repository root
//! paths = ["tests/fixtures/**", "docs/*.md"]
//! ```

use crate::error::{Error, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use std::path::{Path, PathBuf};

/// The file name looked up at the root of a scanned directory.
pub const CONFIG_FILE_NAME: &str = ".mamori-secrets.toml";

/// The marker that allows every hit on its line.
pub const INLINE_MARKER: &str = "mamori:allow";

/// AWS's documented example credentials, allowed by default (AWS General
/// Reference, IAM and STS documentation, Signature Version 4 test suite), and the
/// documented example account ids (allowed when the account-id rule is on).
pub const AWS_EXAMPLE_VALUES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAIOSFODNN7EXAMPLE",
    "AKIAI44QH8DHBEXAMPLE",
    "ASIAI44QH8DHBEXAMPLE",
    "AKIAIOSFODNN7EXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "123456789012",
    "111122223333",
    "444455556666",
    "777788889999",
];

/// Why a hit was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllowReason {
    /// One of AWS's documented example values.
    AwsExample,
    /// A `patterns` entry of the allowlist file.
    Pattern,
    /// A `paths` entry of the allowlist file.
    Path,
    /// A `mamori:allow` marker on the line.
    Inline,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allow: AllowSection,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AllowSection {
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// A compiled allowlist.
#[derive(Debug, Default, Clone)]
pub struct Allowlist {
    source: Option<PathBuf>,
    patterns: Vec<Regex>,
    paths: Option<GlobSet>,
}

impl Allowlist {
    /// The default allowlist (AWS examples and inline markers only).
    pub fn builtin() -> Self {
        Allowlist::default()
    }

    /// Loads `explicit` if given (it must exist), else `<root>/.mamori-secrets.toml`
    /// if it exists, else the built-in allowlist.
    pub fn discover(root: &Path, explicit: Option<&Path>) -> Result<Self> {
        if let Some(path) = explicit {
            return Allowlist::from_file(path);
        }
        let dir = if root.is_file() { root.parent().unwrap_or(Path::new(".")) } else { root };
        let candidate = dir.join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            Allowlist::from_file(&candidate)
        } else {
            Ok(Allowlist::builtin())
        }
    }

    /// Loads and compiles an allowlist file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| Error::ConfigRead { path: path.to_path_buf(), cause })?;
        Allowlist::parse(&text, path)
    }

    /// Compiles allowlist text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| Error::ConfigParse {
            path: path.to_path_buf(),
            message: e.message().to_string()
                + &e.span()
                    .map(|s| format!(" (at line {})", text[..s.start].matches('\n').count() + 1))
                    .unwrap_or_default(),
        })?;
        let mut patterns = Vec::new();
        for (i, p) in file.allow.patterns.iter().enumerate() {
            let re = Regex::new(p).map_err(|e| Error::ConfigPattern {
                path: path.to_path_buf(),
                field: format!("allow.patterns[{i}]"),
                pattern: p.clone(),
                message: e.to_string().lines().last().unwrap_or_default().trim().to_string(),
            })?;
            patterns.push(re);
        }
        let paths = if file.allow.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for (i, g) in file.allow.paths.iter().enumerate() {
                let glob = Glob::new(g).map_err(|e| Error::ConfigGlob {
                    path: path.to_path_buf(),
                    field: format!("allow.paths[{i}]"),
                    glob: g.clone(),
                    message: e.kind().to_string(),
                })?;
                b.add(glob);
            }
            Some(b.build().map_err(|e| Error::ConfigGlob {
                path: path.to_path_buf(),
                field: "allow.paths".into(),
                glob: file.allow.paths.join(", "),
                message: e.to_string(),
            })?)
        };
        Ok(Allowlist { source: Some(path.to_path_buf()), patterns, paths })
    }

    /// The file this allowlist came from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// Whether `path` (relative, `/`-separated) is allowed as a whole.
    pub fn path_allowed(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// Decides whether a hit is allowed, and why. `line` is the text of its line.
    pub fn check(&self, value: &str, path: &str, line: &str, inline: bool) -> Option<AllowReason> {
        if AWS_EXAMPLE_VALUES.contains(&value) {
            return Some(AllowReason::AwsExample);
        }
        if inline {
            return Some(AllowReason::Inline);
        }
        if self.path_allowed(path) {
            return Some(AllowReason::Path);
        }
        if self.patterns.iter().any(|p| p.is_match(value) || p.is_match(line)) {
            return Some(AllowReason::Pattern);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_regex_names_file_and_field() {
        let err = Allowlist::parse("[allow]\npatterns = ['ok', '(unclosed']\n", Path::new("x.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("`x.toml`") && msg.contains("`allow.patterns[1]`") && msg.contains("`(unclosed`"),
            "{msg}"
        );
    }

    #[test]
    fn bad_toml_and_unknown_field() {
        let err = Allowlist::parse("[allow\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().starts_with("invalid allowlist `x.toml`"), "{err}");
        let err = Allowlist::parse("[allow]\npath = ['a']\n", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown field `path`"), "{err}");
    }

    #[test]
    fn reasons() {
        let a = Allowlist::parse("[allow]\npatterns = ['TESTKEY']\npaths = ['fixtures/**']\n", Path::new("a.toml"))
            .unwrap();
        assert_eq!(a.check("AKIAIOSFODNN7EXAMPLE", "x", "", false), Some(AllowReason::AwsExample));
        assert_eq!(a.check("AKIAXXXXXXXXXXXXXXXX", "fixtures/a/b.env", "", false), Some(AllowReason::Path));
        assert_eq!(a.check("AKIAXXXXXXXXXXTESTKEY", "src/a", "", false), Some(AllowReason::Pattern));
        assert_eq!(a.check("AKIAXXXXXXXXXXXXXXXX", "src/a", "", true), Some(AllowReason::Inline));
        assert_eq!(a.check("AKIAXXXXXXXXXXXXXXXX", "src/a", "", false), None);
    }
}
