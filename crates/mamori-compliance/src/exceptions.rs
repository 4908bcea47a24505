//! Exceptions: accepted failures, muted with a reason until a date.
//!
//! ```yaml
//! exceptions:
//!   - id: partner-sftp                      # optional: names the exception in messages
//!     rules: [restricted-ssh]               # rule ids or globs (required)
//!     accounts: ["100000000000"]            # account ids or globs (default: all)
//!     regions: [eu-west-1]                  # regions or globs (default: all)
//!     resources: ["arn:aws:ec2:*:*:security-group/sg-0abc*"]  # ARN globs, or resource-id globs
//!     tags: {environment: dev}              # every pair must be on the resource (`*`: any value)
//!     reason: SFTP for the bank's batch upload, source IPs filtered upstream   # required
//!     expires: 2027-01-31                   # required; mutes through that day (UTC)
//!     owner: payments-team                  # optional
//!     ticket: SEC-1234                      # optional
//! ```
//! Only FAIL findings are muted: an ERROR means the check could not be made, which no
//! exception can excuse. The first matching exception (in file order) that has not expired
//! mutes a failure; an expired one mutes nothing and counts the failures it would have matched,
//! so the report can say what its expiry brought back. Counts are atomics: findings are
//! adjusted in the evaluator's worker threads.
//!
//! Everything is checked when the file is loaded: a missing reason or expiry, a date that is
//! not a real `YYYY-MM-DD`, a rule id no rule has, a glob matching no rule, an unknown field.
//! Every problem is reported with its line, not only the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use globset::{Glob, GlobSet, GlobSetBuilder};
use mamori_model::{Finding, Status};
use mamori_rules::FindingHook;
use saphyr::{MarkedYaml, Scalar, YamlData};

use crate::date::Date;
use crate::yaml::{self, Problem};

/// Exceptions expiring within this many days are called out by `mamori exceptions check`.
pub const EXPIRING_SOON_DAYS: i64 = 30;

const FIELDS: &[&str] =
    &["id", "rules", "accounts", "regions", "resources", "tags", "reason", "expires", "owner", "ticket"];

#[derive(Debug, thiserror::Error)]
pub enum ExceptionsError {
    #[error("cannot read exceptions file `{path}`: {cause}")]
    // `cause`, not `source`: the message says it, and a chain printed with `{:#}` must not
    // say it again.
    Read { path: PathBuf, cause: std::io::Error },
    #[error("{path}:{line}:{column}: invalid YAML in exceptions file: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let lines: Vec<String> =
        problems.iter().map(|problem| format!("{}:{}: {}", path.display(), problem.line, problem.message)).collect();
    if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!("{} problems in exceptions file `{}`:\n  {}", lines.len(), path.display(), lines.join("\n  "))
    }
}

/// A resource pattern: ARN globs match the finding's ARN, other globs its resource id.
#[derive(Debug)]
enum ResourcePattern {
    Arn(globset::GlobMatcher),
    Id(globset::GlobMatcher),
}

#[derive(Debug)]
pub struct Exception {
    /// The `id`, or `#N` (its place in the file) when it has none.
    pub label: String,
    pub line: usize,
    pub rules: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub resources: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub reason: String,
    pub expires: Date,
    pub owner: Option<String>,
    pub ticket: Option<String>,
    rule_globs: GlobSet,
    account_globs: Option<GlobSet>,
    region_globs: Option<GlobSet>,
    resource_patterns: Vec<ResourcePattern>,
    expired: bool,
    muted: AtomicU64,
    would_have_muted: AtomicU64,
}

impl Exception {
    pub fn is_expired(&self) -> bool {
        self.expired
    }

    fn matches(&self, finding: &Finding, tags: Option<&BTreeMap<String, String>>) -> bool {
        if !self.rule_globs.is_match(&*finding.rule_id) {
            return false;
        }
        if self.account_globs.as_ref().is_some_and(|globs| !globs.is_match(&*finding.account_id)) {
            return false;
        }
        if self.region_globs.as_ref().is_some_and(|globs| !globs.is_match(&*finding.region)) {
            return false;
        }
        if !self.resource_patterns.is_empty()
            && !self.resource_patterns.iter().any(|pattern| match pattern {
                ResourcePattern::Arn(glob) => finding.resource_arn.as_deref().is_some_and(|arn| glob.is_match(arn)),
                ResourcePattern::Id(glob) => glob.is_match(&*finding.resource_id),
            })
        {
            return false;
        }
        self.tags_match(tags)
    }

    fn tags_match(&self, tags: Option<&BTreeMap<String, String>>) -> bool {
        if self.tags.is_empty() {
            return true;
        }
        let Some(tags) = tags else { return false };
        self.tags.iter().all(|(key, value)| tags.get(key).is_some_and(|actual| value == "*" || actual == value))
    }
}

/// What became of an exception in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionState {
    /// It muted failing checks.
    Active,
    /// Its date has passed: it muted nothing; `would_have_muted` failures it matched stay FAIL.
    Expired,
    /// It is in force but matched no failing check: the resources it names pass, or are gone.
    Stale,
    /// None of its rules was evaluated in this run, so nothing can be said.
    NotEvaluated,
}

impl ExceptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionState::Active => "active",
            ExceptionState::Expired => "expired",
            ExceptionState::Stale => "stale",
            ExceptionState::NotEvaluated => "not evaluated",
        }
    }
}

impl fmt::Display for ExceptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionOutcome {
    pub label: String,
    pub line: usize,
    pub expires: Date,
    pub reason: String,
    pub state: ExceptionState,
    pub muted: u64,
    pub would_have_muted: u64,
}

/// The exceptions of a run, loaded and checked; the evaluator's [`FindingHook`].
#[derive(Debug)]
pub struct Exceptions {
    path: PathBuf,
    today: Date,
    list: Vec<Exception>,
    /// Rule id -> the exceptions naming it, in file order.
    by_rule: HashMap<String, Vec<usize>>,
    uses_tags: bool,
}

impl Exceptions {
    /// Load and check a file. `known_rules` are the rule ids that exist (built-in rules and
    /// custom policies); `today` decides what has expired.
    pub fn load(path: &Path, known_rules: &[&str], today: Date) -> Result<Exceptions, ExceptionsError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| ExceptionsError::Read { path: path.to_owned(), cause })?;
        Exceptions::parse(&text, path, known_rules, today)
    }

    pub fn parse(text: &str, path: &Path, known_rules: &[&str], today: Date) -> Result<Exceptions, ExceptionsError> {
        let root = yaml::parse(text).map_err(|err| ExceptionsError::Syntax {
            path: path.to_owned(),
            line: err.line,
            column: err.column,
            message: err.message,
        })?;
        let mut problems = Vec::new();
        let mut list = Vec::new();
        match root.as_ref().and_then(|root| yaml::mapping(root).map(|entries| (root, entries))) {
            None => problems.push(Problem {
                line: root.as_ref().map(yaml::line).unwrap_or(1),
                message: "expected a mapping with an `exceptions` list".to_owned(),
            }),
            Some((root, entries)) => {
                let mut found = false;
                for (key, value) in entries {
                    if key != "exceptions" {
                        problems.push(Problem {
                            line: yaml::key_line(root, key).unwrap_or_else(|| yaml::line(value)),
                            message: format!("unknown top-level field `{key}` (expected `exceptions`)"),
                        });
                        continue;
                    }
                    found = true;
                    if yaml::is_null(value) {
                        continue;
                    }
                    let Some(items) = yaml::sequence(value) else {
                        problems.push(Problem {
                            line: yaml::line(value),
                            message: format!("`exceptions` must be a list, found {}", yaml::kind(value)),
                        });
                        continue;
                    };
                    let mut seen: HashMap<&str, usize> = HashMap::new();
                    for (index, item) in items.iter().enumerate() {
                        let id = yaml::mapping(item)
                            .and_then(|entries| entries.into_iter().find(|(key, _)| *key == "id"))
                            .and_then(|(_, value)| yaml::string(value));
                        if let Some(id) = id {
                            if let Some(first) = seen.insert(id, yaml::line(item)) {
                                problems.push(Problem {
                                    line: yaml::line(item),
                                    message: format!("duplicate exception id `{id}` (first on line {first})"),
                                });
                            }
                        }
                        if let Some(exception) = read_exception(item, index, known_rules, today, &mut problems) {
                            list.push(exception);
                        }
                    }
                }
                if !found {
                    problems.push(Problem { line: yaml::line(root), message: "no `exceptions` list".to_owned() });
                }
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|problem| problem.line);
            return Err(ExceptionsError::Invalid { path: path.to_owned(), problems });
        }
        let mut by_rule: HashMap<String, Vec<usize>> = HashMap::new();
        for rule in known_rules {
            let indices: Vec<usize> = list
                .iter()
                .enumerate()
                .filter(|(_, exception)| exception.rule_globs.is_match(rule))
                .map(|(index, _)| index)
                .collect();
            if !indices.is_empty() {
                by_rule.insert((*rule).to_owned(), indices);
            }
        }
        let uses_tags = list.iter().any(|exception| !exception.tags.is_empty());
        Ok(Exceptions { path: path.to_owned(), today, list, by_rule, uses_tags })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn today(&self) -> Date {
        self.today
    }

    pub fn list(&self) -> &[Exception] {
        &self.list
    }

    /// What each exception did in the run; `evaluated_rules` are the ids of the rules that ran.
    pub fn outcomes(&self, evaluated_rules: &[&str]) -> Vec<ExceptionOutcome> {
        let evaluated: HashSet<&str> = evaluated_rules.iter().copied().collect();
        self.list
            .iter()
            .enumerate()
            .map(|(index, exception)| {
                let muted = exception.muted.load(Ordering::Relaxed);
                let would_have_muted = exception.would_have_muted.load(Ordering::Relaxed);
                let applies = self
                    .by_rule
                    .iter()
                    .any(|(rule, indices)| indices.contains(&index) && evaluated.contains(rule.as_str()));
                let state = if exception.expired {
                    ExceptionState::Expired
                } else if muted > 0 {
                    ExceptionState::Active
                } else if applies {
                    ExceptionState::Stale
                } else {
                    ExceptionState::NotEvaluated
                };
                ExceptionOutcome {
                    label: exception.label.clone(),
                    line: exception.line,
                    expires: exception.expires,
                    reason: exception.reason.clone(),
                    state,
                    muted,
                    would_have_muted,
                }
            })
            .collect()
    }

    fn candidates(&self, rule_id: &str) -> Vec<usize> {
        match self.by_rule.get(rule_id) {
            Some(indices) => indices.clone(),
            // A rule unknown when the file was loaded: match its id against the globs now.
            None => (0..self.list.len()).filter(|&index| self.list[index].rule_globs.is_match(rule_id)).collect(),
        }
    }
}

impl FindingHook for Exceptions {
    fn adjust(&self, finding: &mut Finding, tags: Option<&BTreeMap<String, String>>) {
        if finding.status != Status::Fail {
            return;
        }
        let known = self.by_rule.get(&*finding.rule_id);
        let unknown;
        let indices = match known {
            Some(indices) => indices.as_slice(),
            None => {
                unknown = self.candidates(&finding.rule_id);
                unknown.as_slice()
            }
        };
        for &index in indices {
            let exception = &self.list[index];
            if !exception.matches(finding, tags) {
                continue;
            }
            if exception.expired {
                exception.would_have_muted.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            exception.muted.fetch_add(1, Ordering::Relaxed);
            finding.status = Status::Muted;
            finding.message = format!(
                "muted until {} by exception `{}`: {} — original: {}",
                exception.expires, exception.label, exception.reason, finding.message
            );
            return;
        }
    }

    fn remember_tags(&self, tags: &BTreeMap<String, String>) -> bool {
        self.uses_tags
            && self.list.iter().any(|exception| !exception.tags.is_empty() && exception.tags_match(Some(tags)))
    }
}

fn read_exception(
    node: &MarkedYaml<'_>,
    index: usize,
    known_rules: &[&str],
    today: Date,
    problems: &mut Vec<Problem>,
) -> Option<Exception> {
    let line = yaml::line(node);
    let Some(entries) = yaml::mapping(node) else {
        problems.push(Problem {
            line,
            message: format!("exception #{} must be a mapping, found {}", index + 1, yaml::kind(node)),
        });
        return None;
    };
    let field = |name: &str| entries.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
    let label = match field("id").map(|value| (yaml::string(value), value)) {
        Some((Some(id), _)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some((_, value)) => {
            problems.push(Problem { line: yaml::line(value), message: "`id` must be a non-empty string".to_owned() });
            format!("#{}", index + 1)
        }
        None => format!("#{}", index + 1),
    };
    let before = problems.len();
    let mut problem = |line: usize, message: String| problems.push(Problem { line, message });
    let name = format!("exception `{label}`");
    for (key, value) in &entries {
        if !FIELDS.contains(key) {
            problem(
                yaml::key_line(node, key).unwrap_or_else(|| yaml::line(value)),
                format!("{name}: unknown field `{key}` (expected one of {})", FIELDS.join(", ")),
            );
        }
    }

    let mut local = Vec::new();
    let text_field = |key: &str, local: &mut Vec<Problem>| -> Option<String> {
        let value = field(key)?;
        match yaml::string(value).map(str::trim) {
            Some(text) if !text.is_empty() => Some(text.to_owned()),
            _ => {
                local.push(Problem {
                    line: yaml::line(value),
                    message: format!("{name}: `{key}` must be a non-empty string, found {}", yaml::kind(value)),
                });
                None
            }
        }
    };
    let reason = text_field("reason", &mut local);
    if field("reason").is_none() {
        local.push(Problem { line, message: format!("{name}: missing `reason` (why the failure is accepted)") });
    }
    let expires_text = text_field("expires", &mut local);
    if field("expires").is_none() {
        local.push(Problem { line, message: format!("{name}: missing `expires` (a date, YYYY-MM-DD)") });
    }
    let expires = expires_text.as_deref().and_then(|text| {
        let date = Date::parse(text);
        if date.is_none() {
            local.push(Problem {
                line: field("expires").map(yaml::line).unwrap_or(line),
                message: format!("{name}: `expires` is `{text}`, not a date YYYY-MM-DD"),
            });
        }
        date
    });
    let owner = text_field("owner", &mut local);
    let ticket = text_field("ticket", &mut local);

    let rules = match field("rules") {
        None => {
            local.push(Problem { line, message: format!("{name}: missing `rules` (rule ids or globs)") });
            Vec::new()
        }
        Some(value) => yaml::strings(value, "rules", &mut local),
    };
    if field("rules").is_some() && rules.is_empty() && local.is_empty() {
        local.push(Problem { line, message: format!("{name}: `rules` is empty") });
    }
    let mut rule_globs = GlobSetBuilder::new();
    for (pattern, at) in &rules {
        match Glob::new(pattern) {
            Err(err) => local.push(Problem {
                line: *at,
                message: format!("{name}: invalid rule pattern `{pattern}`: {}", err.kind()),
            }),
            Ok(glob) => {
                let matcher = glob.compile_matcher();
                if !known_rules.iter().any(|rule| matcher.is_match(rule)) {
                    let message = if has_wildcard(pattern) {
                        format!("{name}: rule pattern `{pattern}` matches no rule")
                    } else {
                        format!("{name}: unknown rule `{pattern}` (see `mamori rules list`)")
                    };
                    local.push(Problem { line: *at, message });
                }
                rule_globs.add(glob);
            }
        }
    }

    let accounts = match field("accounts") {
        None => Vec::new(),
        Some(value) => account_ids(value, &name, &mut local),
    };
    let regions = match field("regions") {
        None => Vec::new(),
        Some(value) => yaml::strings(value, "regions", &mut local),
    };
    for (region, at) in &regions {
        let plain = region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !has_wildcard(region) && !plain {
            local.push(Problem { line: *at, message: format!("{name}: `{region}` is not a region name") });
        }
    }
    let resources = match field("resources") {
        None => Vec::new(),
        Some(value) => yaml::strings(value, "resources", &mut local),
    };
    let tags = match field("tags") {
        None => Vec::new(),
        Some(value) => tag_pairs(value, &name, &mut local),
    };

    let account_globs = globs(&accounts, "account", &name, &mut local);
    let region_globs = globs(&regions, "region", &name, &mut local);
    let mut resource_patterns = Vec::new();
    for (pattern, at) in &resources {
        match Glob::new(pattern) {
            Ok(glob) if pattern.starts_with("arn:") => {
                resource_patterns.push(ResourcePattern::Arn(glob.compile_matcher()))
            }
            Ok(glob) => resource_patterns.push(ResourcePattern::Id(glob.compile_matcher())),
            Err(err) => local.push(Problem {
                line: *at,
                message: format!("{name}: invalid resource pattern `{pattern}`: {}", err.kind()),
            }),
        }
    }
    for local_problem in local {
        problem(local_problem.line, local_problem.message);
    }
    if problems.len() > before {
        return None;
    }
    let (Some(reason), Some(expires), Ok(rule_globs)) = (reason, expires, rule_globs.build()) else {
        return None;
    };
    Some(Exception {
        label,
        line,
        rules: rules.into_iter().map(|(rule, _)| rule).collect(),
        accounts: accounts.into_iter().map(|(account, _)| account).collect(),
        regions: regions.into_iter().map(|(region, _)| region).collect(),
        resources: resources.into_iter().map(|(resource, _)| resource).collect(),
        tags,
        reason,
        expires,
        owner,
        ticket,
        rule_globs,
        account_globs,
        region_globs,
        resource_patterns,
        expired: today > expires,
        muted: AtomicU64::new(0),
        would_have_muted: AtomicU64::new(0),
    })
}

fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// Account ids: strings, or numbers (YAML reads an unquoted id as one; ids are 12 digits, so
/// leading zeros are restored).
fn account_ids(node: &MarkedYaml<'_>, name: &str, problems: &mut Vec<Problem>) -> Vec<(String, usize)> {
    let single = [node.clone()];
    let items = yaml::sequence(node).unwrap_or(&single);
    let mut out = Vec::new();
    for item in items {
        let at = yaml::line(item);
        let text = match &item.data {
            YamlData::Value(Scalar::Integer(number)) if *number >= 0 => format!("{number:012}"),
            _ => match yaml::string(item) {
                Some(text) => text.trim().to_owned(),
                None => {
                    problems.push(Problem {
                        line: at,
                        message: format!("{name}: `accounts` must hold account ids, found {}", yaml::kind(item)),
                    });
                    continue;
                }
            },
        };
        let is_account_id = text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
        if !(has_wildcard(&text) || is_account_id) {
            problems.push(Problem { line: at, message: format!("{name}: `{text}` is not a 12-digit account id") });
            continue;
        }
        out.push((text, at));
    }
    out
}

fn tag_pairs(node: &MarkedYaml<'_>, name: &str, problems: &mut Vec<Problem>) -> Vec<(String, String)> {
    let Some(entries) = yaml::mapping(node) else {
        problems.push(Problem {
            line: yaml::line(node),
            message: format!("{name}: `tags` must be a mapping of tag keys to values, found {}", yaml::kind(node)),
        });
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        match yaml::string(value) {
            Some(text) => out.push((key.to_owned(), text.to_owned())),
            None => problems.push(Problem {
                line: yaml::line(value),
                message: format!(
                    "{name}: tag `{key}` must have a string value, found {} (quote it)",
                    yaml::kind(value)
                ),
            }),
        }
    }
    out
}

fn globs(patterns: &[(String, usize)], what: &str, name: &str, problems: &mut Vec<Problem>) -> Option<GlobSet> {
    if patterns.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for (pattern, at) in patterns {
        match Glob::new(pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(err) => problems.push(Problem {
                line: *at,
                message: format!("{name}: invalid {what} pattern `{pattern}`: {}", err.kind()),
            }),
        }
    }
    builder.build().ok()
}
