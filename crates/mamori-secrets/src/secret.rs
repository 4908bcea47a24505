//! A secret value that never prints itself.
//!
//! Every output of mamori shows a secret redacted to its first four and last four
//! characters. [`SecretValue`] makes that the only way: its `Display`, `Debug` and
//! `Serialize` all redact; the raw text is reachable only through
//! [`SecretValue::expose`], which the verifier uses to call STS.

use sha2::{Digest, Sha256};
use std::fmt;

/// Redacts `value` to its first 4 and last 4 characters, e.g. `AKIA****WXYZ`.
///
/// Values of 8 characters or fewer are fully masked.
pub fn redact(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A detected secret. Displays, debugs and serializes redacted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a raw value.
    pub fn new(raw: impl Into<String>) -> Self {
        SecretValue(raw.into())
    }

    /// The raw secret. Use only to verify a key; never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The redacted form, first 4 and last 4 characters.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }

    /// A stable, non-reversible identifier of the value (truncated SHA-256, hex),
    /// used to deduplicate findings and as the SARIF partial fingerprint.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Length of the raw value in characters.
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({})", self.redacted())
    }
}

impl serde::Serialize for SecretValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_to_first_and_last_four() {
        assert_eq!(redact("AKIAABCDEFGHIJKLWXYZ"), "AKIA****WXYZ");
        assert_eq!(redact("short"), "*****");
        let s = SecretValue::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzKEY1");
        assert_eq!(format!("{s}"), "wJal****KEY1");
        assert_eq!(format!("{s:?}"), "SecretValue(wJal****KEY1)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"wJal****KEY1\"");
        assert_eq!(s.fingerprint().len(), 24);
    }
}
