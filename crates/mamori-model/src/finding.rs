//! Findings: the verdict of one rule on one resource.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a failure is. Ordered: `Informational < Low < ... < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Informational];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}` (expected critical, high, medium, low or informational)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Severity::Informational),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(text.to_owned())),
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Compliant.
    Pass,
    /// Not compliant.
    Fail,
    /// Could not be evaluated: the input was missing, or reading it failed.
    Error,
    /// Not compliant, but an exception applies.
    Muted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Muted => "MUTED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule's verdict on one resource. Identifiers are shared (`Arc<str>`): an item's
/// account, region, type, id and ARN are allocated once and referenced by all its findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule_id: Arc<str>,
    pub status: Status,
    pub severity: Severity,
    pub account_id: Arc<str>,
    pub region: Arc<str>,
    pub resource_type: Arc<str>,
    pub resource_id: Arc<str>,
    pub resource_arn: Option<Arc<str>>,
    pub message: String,
}

impl Finding {
    /// The stable id: the same rule on the same resource gives the same id in every run, so
    /// that runs can be compared. Resources without an ARN are named by type and id.
    pub fn id(&self) -> String {
        finding_id(
            &self.rule_id,
            &self.account_id,
            &self.region,
            &self.resource_type,
            &self.resource_id,
            self.resource_arn.as_deref(),
        )
    }
}

/// SHA-256 over the identifying fields, separated by a byte that cannot occur in them;
/// the first 16 bytes in hex.
pub fn finding_id(
    rule_id: &str,
    account_id: &str,
    region: &str,
    resource_type: &str,
    resource_id: &str,
    resource_arn: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    let resource = match resource_arn {
        Some(arn) => arn.to_owned(),
        None => format!("{resource_type}/{resource_id}"),
    };
    for part in [rule_id, account_id, region, &resource] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(32);
    for byte in &digest[..16] {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = finding_id("r", "1", "us-east-1", "T", "x", Some("arn:1"));
        assert_eq!(a, finding_id("r", "1", "us-east-1", "T", "y", Some("arn:1")));
        assert_ne!(a, finding_id("r", "1", "us-east-2", "T", "x", Some("arn:1")));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
