//! The `[watch]` section of `mamori.toml`: which event responders of `mamori watch` are on,
//! their thresholds, and the principals none of them ever acts on (break-glass roles).
//!
//! It lives here, without the AWS SDK, beside the remediation settings, so that the
//! configuration loader checks it with the rest of the file; the responders that read it are
//! in `mamori-aws::respond`, which also checks the responder names against its registry.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[watch]` of `mamori.toml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchSection {
    /// Principals no responder acts on (ARNs; `*` matches any run of characters, so
    /// `arn:aws:iam::*:role/BreakGlass` covers that role in every account).
    #[serde(default)]
    pub excluded_principals: Vec<String>,
    /// `[watch.responders.<name>]`: each responder's switch and thresholds.
    #[serde(default)]
    pub responders: BTreeMap<String, ResponderSettings>,
}

/// `[watch.responders.<name>]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderSettings {
    /// Off unless the user turns it on: a responder changes accounts.
    #[serde(default)]
    pub enabled: bool,
    /// Principals this responder does not act on, besides `[watch] excluded_principals`.
    #[serde(default)]
    pub excluded_principals: Vec<String>,
    /// How many events within `window` make the responder act (the repeat offender's N).
    pub threshold: Option<u32>,
    /// The window `threshold` counts in: a number and a unit (`90s`, `30m`, `24h`, `7d`).
    pub window: Option<String>,
}

impl WatchSection {
    /// Whether the responder `name` is on.
    pub fn enabled(&self, name: &str) -> bool {
        self.responders.get(name).is_some_and(|settings| settings.enabled)
    }

    /// Whether `principal_arn` is excluded for the responder `name` (globally or by it).
    pub fn is_excluded(&self, name: &str, principal_arn: &str) -> bool {
        let own = self.responders.get(name).map(|settings| settings.excluded_principals.as_slice()).unwrap_or_default();
        self.excluded_principals.iter().chain(own).any(|pattern| glob_matches(pattern, principal_arn))
    }

    /// The responder's threshold, or `default` when unset.
    pub fn threshold(&self, name: &str, default: u32) -> u32 {
        self.responders.get(name).and_then(|settings| settings.threshold).unwrap_or(default)
    }

    /// The responder's window in seconds, or `default` when unset (checked by [`Self::validate`]).
    pub fn window_seconds(&self, name: &str, default: i64) -> i64 {
        self.responders
            .get(name)
            .and_then(|settings| settings.window.as_deref())
            .and_then(|text| duration_seconds(text).ok())
            .unwrap_or(default)
    }

    /// Checks the values; the error names the field (`[watch.responders.NAME] window`).
    pub fn validate(&self) -> Result<(), String> {
        let check_principals = |field: String, principals: &[String]| -> Result<(), String> {
            match principals.iter().find(|arn| !arn.starts_with("arn:")) {
                Some(bad) => Err(format!("{field}: `{bad}` is not an ARN (expected `arn:…`, `*` allowed)")),
                None => Ok(()),
            }
        };
        check_principals("[watch] excluded_principals".into(), &self.excluded_principals)?;
        for (name, settings) in &self.responders {
            check_principals(format!("[watch.responders.{name}] excluded_principals"), &settings.excluded_principals)?;
            if settings.threshold == Some(0) {
                return Err(format!("[watch.responders.{name}] threshold: must be at least 1"));
            }
            if let Some(window) = &settings.window {
                duration_seconds(window).map_err(|message| format!("[watch.responders.{name}] window: {message}"))?;
            }
        }
        Ok(())
    }
}

/// `90s`, `30m`, `24h`, `7d` → seconds.
pub fn duration_seconds(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` is not a duration (a number and s, m, h or d: `24h`)")),
    };
    match number.parse::<i64>().ok().and_then(|n| n.checked_mul(scale)) {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(format!("`{text}` is not a positive duration (a number and s, m, h or d: `24h`)")),
    }
}

/// `*` matches any run of characters (including `:` and `/`); everything else literally.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_arns() {
        let role = "arn:aws:iam::111122223333:role/BreakGlass";
        assert!(glob_matches(role, role));
        assert!(!glob_matches(role, "arn:aws:iam::111122223333:role/BreakGlassX"));
        assert!(glob_matches("arn:aws:iam::*:role/BreakGlass", role));
        assert!(!glob_matches("arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::111122223333:role/Ops"));
        assert!(glob_matches("arn:aws:iam::*:role/admin/*", "arn:aws:iam::1:role/admin/a"));
        assert!(glob_matches("*", role));
        assert!(!glob_matches("arn:*:role/a*a", "arn:x:role/a"));
    }

    #[test]
    fn switches_exclusions_and_thresholds() {
        let section: WatchSection = toml_like(&[
            ("excluded_principals", serde_json::json!(["arn:aws:iam::*:role/BreakGlass"])),
            (
                "responders",
                serde_json::json!({
                    "repeat_offender": { "enabled": true, "threshold": 3, "window": "12h",
                                          "excluded_principals": ["arn:aws:iam::1:user/auditor"] },
                    "cloudtrail_tampering": { "enabled": false }
                }),
            ),
        ]);
        section.validate().unwrap();
        assert!(section.enabled("repeat_offender"));
        assert!(!section.enabled("cloudtrail_tampering") && !section.enabled("guardrails"));
        assert!(section.is_excluded("guardrails", "arn:aws:iam::9:role/BreakGlass"));
        assert!(section.is_excluded("repeat_offender", "arn:aws:iam::1:user/auditor"));
        assert!(!section.is_excluded("cloudtrail_tampering", "arn:aws:iam::1:user/auditor"));
        assert_eq!(section.threshold("repeat_offender", 2), 3);
        assert_eq!(section.threshold("cloudtrail_tampering", 2), 2);
        assert_eq!(section.window_seconds("repeat_offender", 86_400), 43_200);
        assert_eq!(section.window_seconds("guardrails", 86_400), 86_400);
    }

    #[test]
    fn bad_values_name_the_field() {
        let bad = |responders: serde_json::Value| {
            toml_like::<WatchSection>(&[("responders", responders)]).validate().unwrap_err()
        };
        assert_eq!(
            bad(serde_json::json!({ "r": { "window": "a day" } })),
            "[watch.responders.r] window: `a day` is not a duration (a number and s, m, h or d: `24h`)"
        );
        assert!(bad(serde_json::json!({ "r": { "window": "0h" } })).contains("not a positive duration"));
        assert_eq!(
            bad(serde_json::json!({ "r": { "threshold": 0 } })),
            "[watch.responders.r] threshold: must be at least 1"
        );
        assert!(bad(serde_json::json!({ "r": { "excluded_principals": ["BreakGlass"] } }))
            .starts_with("[watch.responders.r] excluded_principals: `BreakGlass` is not an ARN"));
        let unknown =
            serde_json::from_value::<WatchSection>(serde_json::json!({ "responders": { "r": { "enable": true } } }));
        assert!(unknown.unwrap_err().to_string().contains("unknown field `enable`"));
    }

    fn toml_like<T: serde::de::DeserializeOwned>(fields: &[(&str, serde_json::Value)]) -> T {
        let object: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|(key, value)| (key.to_string(), value.clone())).collect();
        serde_json::from_value(serde_json::Value::Object(object)).unwrap()
    }
}
