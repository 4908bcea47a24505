//! Remediation as plain data: the plan document `mamori remediate plan` writes and `apply`
//! reads, and the `[remediation]` section of `mamori.toml`.
//!
//! They live here, without the AWS SDK, so that the binary, the table view and the store can
//! read and print plans and settings without linking it; the fixers that compute and execute
//! plans are in `mamori-aws::fix`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The plan document's format; a reader refuses another version rather than guessing.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Default of `[remediation] max_changes`: at most this many changes per apply.
pub const DEFAULT_MAX_CHANGES: usize = 20;
/// Default of `[remediation] max_percent`: at most this share of a rule's failing resources.
pub const DEFAULT_MAX_PERCENT: f64 = 50.0;

/// One AWS API call, exactly as it will be (or was) sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCall {
    /// The IAM service prefix (`s3`, `ec2`).
    pub service: String,
    /// The API operation (`PutBucketVersioning`).
    pub operation: String,
    /// The parameters, with the API's own member names.
    pub parameters: Value,
}

impl ApiCall {
    pub fn new(service: &str, operation: &str, parameters: Value) -> ApiCall {
        ApiCall { service: service.to_owned(), operation: operation.to_owned(), parameters }
    }

    /// `s3:PutBucketVersioning`: the IAM action the call needs.
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// The finding a planned action (or a left-out entry) is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRef {
    pub finding_id: String,
    pub rule_id: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
}

/// One change the plan makes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedAction {
    #[serde(flatten)]
    pub finding: FindingRef,
    /// The fixer (named by the rule it fixes).
    pub fixer: String,
    /// The resource's state as read while planning; apply refuses when it changed since.
    pub state_before: Value,
    /// Exactly the calls apply makes, in order.
    pub calls: Vec<ApiCall>,
    /// The state the calls leave.
    pub expected_after: Value,
    /// Whether `mamori remediate rollback` can restore `stateBefore`.
    pub reversible: bool,
}

/// Why a failing finding is not in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeftOutReason {
    /// The finding is PASS, ERROR or MUTED: only FAIL is remediated.
    NotFailing,
    /// No fixer exists for the rule.
    NoFixer,
    /// `[remediation.rule.<id>] mode` is `off` (the default).
    ModeOff,
    /// An include/exclude filter of the rule leaves the account, OU or resource out.
    Excluded,
    /// The resource no longer exists.
    ResourceGone,
    /// The resource is not in the state the run recorded (already fixed, or changed).
    ResourceChanged,
    /// The fix needs a choice from `mamori.toml` that is not set.
    SettingMissing,
    /// The fixer cannot fix this case (it would need a change outside the finding).
    NotFixable,
    /// The resource could not be read now (AccessDenied, throttled past retries...).
    ReadFailed,
}

impl LeftOutReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LeftOutReason::NotFailing => "not-failing",
            LeftOutReason::NoFixer => "no-fixer",
            LeftOutReason::ModeOff => "mode-off",
            LeftOutReason::Excluded => "excluded",
            LeftOutReason::ResourceGone => "resource-gone",
            LeftOutReason::ResourceChanged => "resource-changed",
            LeftOutReason::SettingMissing => "setting-missing",
            LeftOutReason::NotFixable => "not-fixable",
            LeftOutReason::ReadFailed => "read-failed",
        }
    }
}

impl std::fmt::Display for LeftOutReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding the plan leaves out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftOut {
    #[serde(flatten)]
    pub finding: FindingRef,
    pub reason: LeftOutReason,
    pub detail: String,
}

/// The plan document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub format_version: u32,
    /// Unique per plan; the actions recorded by `apply` carry it.
    pub plan_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// The recorded run whose findings were planned.
    pub run_id: i64,
    pub actions: Vec<PlannedAction>,
    pub left_out: Vec<LeftOut>,
    /// Failing findings per rule in the run (what `max_percent` is a share of).
    #[serde(default)]
    pub failing_by_rule: BTreeMap<String, usize>,
}

/// Why a plan document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("`{path}` is not a remediation plan: {message}")]
    Parse { path: String, message: String },
    #[error("`{path}` is a plan of format version {found}; this mamori reads version {PLAN_FORMAT_VERSION}")]
    Version { path: String, found: u32 },
}

impl Plan {
    /// Reads a plan document; `path` names it in errors.
    pub fn from_json(path: &str, text: &str) -> Result<Plan, PlanError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|err| PlanError::Parse { path: path.to_owned(), message: err.to_string() })?;
        let found = value.get("formatVersion").and_then(Value::as_u64);
        match found {
            Some(v) if v == u64::from(PLAN_FORMAT_VERSION) => {}
            Some(v) => return Err(PlanError::Version { path: path.to_owned(), found: v as u32 }),
            None => return Err(PlanError::Parse { path: path.to_owned(), message: "no `formatVersion`".into() }),
        }
        serde_json::from_value(value)
            .map_err(|err| PlanError::Parse { path: path.to_owned(), message: err.to_string() })
    }
}

/// `[remediation.rule.<id>] mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Never remediated (the default).
    #[default]
    Off,
    /// Planned on request (`mamori remediate plan`), applied only by `remediate apply`.
    Plan,
    /// Also applied by `mamori audit --remediate`.
    Auto,
}

/// Include/exclude filters; empty includes mean "everything".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    pub include_accounts: Vec<String>,
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
    /// Organizational unit ids (`ou-…`) or `r-…` roots, matched against the account's parents.
    #[serde(default)]
    pub include_ous: Vec<String>,
    #[serde(default)]
    pub exclude_ous: Vec<String>,
    /// `KEY=VALUE` (or `KEY` for any value), matched against the resource's and the account's tags.
    #[serde(default)]
    pub include_tags: Vec<String>,
    #[serde(default)]
    pub exclude_tags: Vec<String>,
}

/// What a filter is checked against.
#[derive(Clone, Debug)]
pub struct FilterSubject<'a> {
    pub account_id: &'a str,
    /// The account's organizational units (innermost first) and root.
    pub ous: &'a [String],
    /// The account's and the resource's tags.
    pub tags: &'a BTreeMap<String, String>,
}

impl Filters {
    /// `None` when the subject passes, else which filter leaves it out.
    pub fn excludes(&self, subject: &FilterSubject<'_>) -> Option<String> {
        let tag_matches = |spec: &String| match spec.split_once('=') {
            Some((key, value)) => subject.tags.get(key).is_some_and(|v| v == value),
            None => subject.tags.contains_key(spec.as_str()),
        };
        if self.exclude_accounts.iter().any(|a| a == subject.account_id) {
            return Some(format!("account {} is in exclude_accounts", subject.account_id));
        }
        if !self.include_accounts.is_empty() && !self.include_accounts.iter().any(|a| a == subject.account_id) {
            return Some(format!("account {} is not in include_accounts", subject.account_id));
        }
        if let Some(ou) = self.exclude_ous.iter().find(|ou| subject.ous.contains(ou)) {
            return Some(format!("the account is under {ou}, in exclude_ous"));
        }
        if !self.include_ous.is_empty() && !self.include_ous.iter().any(|ou| subject.ous.contains(ou)) {
            return Some("the account is under none of include_ous".into());
        }
        if let Some(tag) = self.exclude_tags.iter().find(|t| tag_matches(t)) {
            return Some(format!("tag `{tag}` is in exclude_tags"));
        }
        if !self.include_tags.is_empty() && !self.include_tags.iter().any(tag_matches) {
            return Some("no tag of include_tags".into());
        }
        None
    }
}

/// `[remediation.rule.<id>]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRemediation {
    #[serde(default)]
    pub mode: Mode,
    #[serde(flatten)]
    pub filters: Filters,
}

/// `[remediation]` of `mamori.toml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemediationSection {
    /// Safety belt: the most changes one apply makes ([`DEFAULT_MAX_CHANGES`] when unset).
    pub max_changes: Option<usize>,
    /// Safety belt: the largest share (percent) of a rule's failing resources one apply
    /// changes ([`DEFAULT_MAX_PERCENT`] when unset).
    pub max_percent: Option<f64>,
    /// Filters of every rule, before each rule's own.
    #[serde(flatten)]
    pub filters: Filters,
    /// Per rule: mode and filters.
    #[serde(default)]
    pub rule: BTreeMap<String, RuleRemediation>,
    /// Choices fixers need and findings cannot make (a flow log destination, a trail bucket).
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
}

impl RemediationSection {
    pub fn max_changes(&self) -> usize {
        self.max_changes.unwrap_or(DEFAULT_MAX_CHANGES)
    }

    pub fn max_percent(&self) -> f64 {
        self.max_percent.unwrap_or(DEFAULT_MAX_PERCENT)
    }

    pub fn mode(&self, rule_id: &str) -> Mode {
        self.rule.get(rule_id).map(|r| r.mode).unwrap_or_default()
    }

    /// Checks the belts; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(percent) = self.max_percent {
            if !(percent > 0.0 && percent <= 100.0) {
                return Err(format!("[remediation] max_percent = {percent}: expected a number in (0, 100]"));
            }
        }
        if self.max_changes == Some(0) {
            return Err(
                "[remediation] max_changes = 0: expected at least 1 (set modes to `off` to stop remediation)".into()
            );
        }
        for filters in std::iter::once(("[remediation]".to_owned(), &self.filters))
            .chain(self.rule.iter().map(|(id, r)| (format!("[remediation.rule.{id}]"), &r.filters)))
        {
            let (origin, filters) = filters;
            for tag in filters.include_tags.iter().chain(&filters.exclude_tags) {
                if tag.is_empty() || tag.starts_with('=') {
                    return Err(format!("{origin}: tag filter `{tag}`: expected KEY or KEY=VALUE"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_refuse_other_versions_and_name_the_file() {
        let plan = Plan {
            format_version: PLAN_FORMAT_VERSION,
            plan_id: "p".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            run_id: 1,
            actions: vec![],
            left_out: vec![],
            failing_by_rule: BTreeMap::new(),
        };
        let text = serde_json::to_string(&plan).unwrap();
        assert_eq!(Plan::from_json("plan.json", &text).unwrap(), plan);
        let newer = text.replace("\"formatVersion\":1", "\"formatVersion\":2");
        let err = Plan::from_json("plan.json", &newer).unwrap_err().to_string();
        assert!(err.contains("`plan.json`") && err.contains("version 2"), "{err}");
        let err = Plan::from_json("x.json", "{}").unwrap_err().to_string();
        assert!(err.contains("`x.json`") && err.contains("formatVersion"), "{err}");
    }

    #[test]
    fn filters_say_which_one_leaves_a_subject_out() {
        let tags = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let ous = vec!["ou-a".to_owned(), "r-root".to_owned()];
        let subject = FilterSubject { account_id: "111", ous: &ous, tags: &tags };
        assert_eq!(Filters::default().excludes(&subject), None);
        let f = Filters { exclude_tags: vec!["env=prod".into()], ..Filters::default() };
        assert!(f.excludes(&subject).unwrap().contains("env=prod"));
        let f = Filters { include_accounts: vec!["222".into()], ..Filters::default() };
        assert!(f.excludes(&subject).unwrap().contains("include_accounts"));
        let f = Filters { include_ous: vec!["ou-a".into()], include_tags: vec!["env".into()], ..Filters::default() };
        assert_eq!(f.excludes(&subject), None);
        let f = Filters { exclude_ous: vec!["ou-a".into()], ..Filters::default() };
        assert!(f.excludes(&subject).unwrap().contains("ou-a"));
    }

    #[test]
    fn belts_are_on_by_default_and_checked() {
        let section = RemediationSection::default();
        assert_eq!((section.max_changes(), section.max_percent()), (DEFAULT_MAX_CHANGES, DEFAULT_MAX_PERCENT));
        assert_eq!(section.mode("restricted-ssh"), Mode::Off);
        let bad = RemediationSection { max_percent: Some(150.0), ..RemediationSection::default() };
        assert!(bad.validate().unwrap_err().contains("max_percent"));
    }
}
