//! Credentials found in what the collectors read (Lambda environment variables), reduced to
//! what an inventory may hold.
//!
//! Why here and not in a rule: rules read the inventory, and an inventory is a file people copy
//! around, so the values themselves must never be written. The collector runs mamori-secrets'
//! detector (the one `mamori secrets scan` uses) on the text as it reads it and records only
//! where a credential is, its kind and its redacted form (first and last four characters).
//! AWS's documented example keys are left out, as the scanner leaves them out.

use std::sync::OnceLock;

use mamori_secrets::allow::AWS_EXAMPLE_VALUES;
use mamori_secrets::{redact, Detector};
use serde_json::{json, Value};

fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| Detector::new(false))
}

/// The credentials in environment variables: `[{"variable", "kind", "redacted"}]`, by variable
/// name (APIs answer the variables as an unordered map). Each variable is scanned as the `NAME=value` line a shell would see, so a
/// secret access key counts when its variable's name says what it is.
pub(crate) fn in_variables<'a>(variables: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Value> {
    let mut variables: Vec<(&str, &str)> = variables.into_iter().collect();
    variables.sort_unstable();
    let mut found = Vec::new();
    for (name, value) in variables {
        let line = format!("{name}={value}\n");
        for hit in detector().scan(line.as_bytes()) {
            if AWS_EXAMPLE_VALUES.contains(&hit.raw()) {
                continue;
            }
            found.push(json!({"variable": name, "kind": hit.rule.id(), "redacted": redact(hit.raw())}));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_redacted_findings_leave() {
        // Built at run time so that no scanner flags this file.
        let id = ["AKIA", "Q2WE", "R4TY", "U6IO", "P8AS"].concat();
        let secret = ["abcdEFGH", "ijklMNOP", "qrstUVWX", "yz012345", "6789+/ab"].concat();
        let found = in_variables([
            ("APP_KEY_ID", id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
            ("REGION", "eu-west-1"),
        ]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0]["variable"], "APP_KEY_ID");
        assert_eq!(found[0]["kind"], "aws-access-key-id");
        assert_eq!(found[1]["kind"], "aws-secret-access-key");
        let text = serde_json::to_string(&found).unwrap();
        assert!(!text.contains(&id) && !text.contains(&secret), "raw values never leave: {text}");
        assert!(in_variables([("KEY", "AKIAIOSFODNN7EXAMPLE")]).is_empty(), "AWS's example key is allowed");
    }
}
