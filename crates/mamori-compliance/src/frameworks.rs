//! Compliance frameworks as data: every control of a standard, whether its own assessment is
//! automated, and the rules that implement it. A run's per-rule counts then give each control
//! a result, and the share of controls mamori covers is stated, not implied.
//!
//! ```yaml
//! id: cis-aws-3.0
//! name: CIS Amazon Web Services Foundations Benchmark v3.0.0
//! source: where the control list comes from
//! controls:
//!   - id: "1.4"
//!     title: Ensure no 'root' user account access key exists
//!     section: 1 Identity and Access Management
//!     automated: true
//!     rules: [iam-root-access-key-check]
//! ```
//! Optional per control: `severity` (the standard's own, e.g. Security Hub's for FSBP) and
//! `retired: true` for a control the standard no longer has. A retired control stays in the file
//! so that older reports still name it, but has no rules and takes no part in results or
//! coverage.
//! A control's result:
//! - FAIL when a mapped rule failed a check; else ERROR when one could not be evaluated;
//! - PASS when the mapped rules that ran all passed. Muted failures count as passed (an
//!   accepted exception), and are shown; a control whose rules found nothing to check (no RDS
//!   instance, say) passes with 0 checks, and the check count says so;
//! - MANUAL for a control without rules that the standard itself assesses manually;
//! - NOT_COVERED for an automatable control mamori has no rule for, or whose rules were all
//!   left out of the run (`--rules`, `--exclude-rules`).
//!
//! The built-in files are compiled in; a custom file can be given by path. Every rule a file
//! names must exist: an unknown one is an error naming the file, line and control.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use mamori_model::StatusCounts;
use saphyr::{MarkedYaml, Scalar, YamlData};
use serde::Serialize;

use crate::yaml::{self, Problem};

/// The frameworks shipped with mamori: (id, file name, text).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("cis-aws-3.0", "frameworks/cis-aws-3.0.yaml", include_str!("../../../frameworks/cis-aws-3.0.yaml")),
    ("aws-fsbp", "frameworks/aws-fsbp.yaml", include_str!("../../../frameworks/aws-fsbp.yaml")),
];

const FIELDS: &[&str] = &["id", "name", "source", "controls", "not_in_standard"];
const CONTROL_FIELDS: &[&str] = &["id", "title", "section", "automated", "severity", "retired", "rules"];
/// The severities a control may carry (Security Hub's scale).
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "informational"];

#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    #[error("unknown framework `{0}` (built in: {names}; or give a path to a framework file)", names = builtin_names())]
    Unknown(String),
    #[error("cannot read framework file `{path}`: {cause}")]
    // `cause`, not `source`: the message says it, and a chain printed with `{:#}` must not
    // say it again.
    Read { path: PathBuf, cause: io::Error },
    #[error("{origin}:{line}:{column}: invalid YAML in framework file: {message}")]
    Syntax { origin: String, line: usize, column: usize, message: String },
    #[error("{}", render_problems(origin, problems))]
    Invalid { origin: String, problems: Vec<Problem> },
    #[error("rule `{rule}` maps to control `{control}`, which framework `{framework}` does not have")]
    UnknownControl { framework: String, rule: String, control: String },
}

fn builtin_names() -> String {
    BUILTIN.iter().map(|(id, _, _)| *id).collect::<Vec<_>>().join(", ")
}

fn render_problems(origin: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{origin}:{}: {}", p.line, p.message)).collect();
    if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!("{} problems in framework file `{origin}`:\n  {}", lines.len(), lines.join("\n  "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub section: Option<String>,
    /// Whether the standard assesses the control automatically.
    pub automated: bool,
    /// The standard's severity for the control, when it gives one.
    pub severity: Option<String>,
    /// The standard no longer has this control.
    pub retired: bool,
    pub rules: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub source: Option<String>,
    pub controls: Vec<Control>,
    /// Control ids the rules' metadata names under this framework's mapping that are not
    /// controls of the standard (Security Hub runs them under other standards).
    pub not_in_standard: Vec<String>,
}

impl Framework {
    /// A built-in framework by id, or a framework file by path.
    pub fn resolve(name: &str, known_rules: &[&str]) -> Result<Framework, FrameworkError> {
        if let Some((_, file, text)) = BUILTIN.iter().find(|(id, _, _)| *id == name) {
            return Framework::parse(text, file, known_rules);
        }
        let path = Path::new(name);
        if name.ends_with(".yaml") || name.ends_with(".yml") || path.is_file() {
            return Framework::load(path, known_rules);
        }
        Err(FrameworkError::Unknown(name.to_owned()))
    }

    pub fn load(path: &Path, known_rules: &[&str]) -> Result<Framework, FrameworkError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| FrameworkError::Read { path: path.to_owned(), cause })?;
        Framework::parse(&text, &path.display().to_string(), known_rules)
    }

    /// The mapping field of a rule's metadata that names this framework's controls (`cis`
    /// for CIS v3.0.0, `fsbp` for FSBP); `None` for a framework from a file, whose rules are
    /// all in the file.
    pub fn mapping_field(&self) -> Option<&'static str> {
        match self.id.as_str() {
            "cis-aws-3.0" => Some("cis"),
            "aws-fsbp" => Some("fsbp"),
            _ => None,
        }
    }

    /// Add a rule that is not in the framework file (a custom policy) to the controls its
    /// metadata maps it to. A control the framework does not have is an error: a typo in a
    /// policy's mapping would otherwise drop out of the report unnoticed.
    pub fn map_rule(&mut self, rule: &str, controls: &[&str]) -> Result<(), FrameworkError> {
        for control_id in controls {
            let Some(control) = self.controls.iter_mut().find(|control| control.id == *control_id && !control.retired)
            else {
                return Err(FrameworkError::UnknownControl {
                    framework: self.id.clone(),
                    rule: rule.to_owned(),
                    control: (*control_id).to_owned(),
                });
            };
            if !control.rules.iter().any(|known| known == rule) {
                control.rules.push(rule.to_owned());
            }
        }
        Ok(())
    }

    /// Parse a framework file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, known_rules: &[&str]) -> Result<Framework, FrameworkError> {
        let root = yaml::parse(text).map_err(|err| FrameworkError::Syntax {
            origin: origin.to_owned(),
            line: err.line,
            column: err.column,
            message: err.message,
        })?;
        let mut problems = Vec::new();
        let framework = root.as_ref().and_then(|root| read_framework(root, known_rules, &mut problems));
        if root.is_none() {
            problems.push(Problem { line: 1, message: "the file is empty".to_owned() });
        }
        match framework {
            Some(framework) if problems.is_empty() => Ok(framework),
            _ => {
                problems.sort_by_key(|problem| problem.line);
                Err(FrameworkError::Invalid { origin: origin.to_owned(), problems })
            }
        }
    }

    /// Each control's result from the run's per-rule counts (`None`: the rule did not run).
    pub fn evaluate(&self, counts: impl Fn(&str) -> Option<StatusCounts>) -> FrameworkReport {
        let mut controls = Vec::new();
        for control in self.controls.iter().filter(|control| !control.retired) {
            let mut checks = StatusCounts::default();
            let mut evaluated = Vec::new();
            for rule in &control.rules {
                if let Some(rule_counts) = counts(rule) {
                    checks.absorb(&rule_counts);
                    evaluated.push(rule.clone());
                }
            }
            let status = if control.rules.is_empty() {
                if control.automated {
                    ControlStatus::NotCovered
                } else {
                    ControlStatus::Manual
                }
            } else if evaluated.is_empty() {
                ControlStatus::NotCovered
            } else if checks.fail > 0 {
                ControlStatus::Fail
            } else if checks.error > 0 {
                ControlStatus::Error
            } else {
                ControlStatus::Pass
            };
            controls.push(ControlResult {
                id: control.id.clone(),
                title: control.title.clone(),
                section: control.section.clone(),
                automated: control.automated,
                severity: control.severity.clone(),
                status,
                rules: control.rules.clone(),
                rules_evaluated: evaluated,
                checks,
            });
        }
        let mut totals = BTreeMap::new();
        for status in ControlStatus::ALL {
            totals.insert(status, controls.iter().filter(|control| control.status == status).count() as u64);
        }
        let automated: Vec<&ControlResult> = controls.iter().filter(|control| control.automated).collect();
        let coverage = Coverage {
            controls: controls.len() as u64,
            with_rules: controls.iter().filter(|control| !control.rules.is_empty()).count() as u64,
            automated: automated.len() as u64,
            automated_with_rules: automated.iter().filter(|control| !control.rules.is_empty()).count() as u64,
            evaluated: controls.iter().filter(|control| !control.rules_evaluated.is_empty()).count() as u64,
            retired: self.controls.iter().filter(|control| control.retired).count() as u64,
        };
        FrameworkReport { id: self.id.clone(), name: self.name.clone(), coverage, totals, controls }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlStatus {
    Pass,
    Fail,
    Error,
    Manual,
    NotCovered,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 5] = [
        ControlStatus::Pass,
        ControlStatus::Fail,
        ControlStatus::Error,
        ControlStatus::Manual,
        ControlStatus::NotCovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "PASS",
            ControlStatus::Fail => "FAIL",
            ControlStatus::Error => "ERROR",
            ControlStatus::Manual => "MANUAL",
            ControlStatus::NotCovered => "NOT_COVERED",
        }
    }
}

impl fmt::Display for ControlStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub automated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    pub status: ControlStatus,
    pub rules: Vec<String>,
    pub rules_evaluated: Vec<String>,
    pub checks: StatusCounts,
}

/// How much of the framework mamori covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub controls: u64,
    /// Controls with at least one rule.
    pub with_rules: u64,
    /// Controls the standard assesses automatically.
    pub automated: u64,
    pub automated_with_rules: u64,
    /// Controls with at least one rule that ran in this run.
    pub evaluated: u64,
    /// Controls the standard no longer has (listed in the file, counted in none of the above).
    pub retired: u64,
}

pub(crate) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkReport {
    pub id: String,
    pub name: String,
    pub coverage: Coverage,
    pub totals: BTreeMap<ControlStatus, u64>,
    pub controls: Vec<ControlResult>,
}

impl FrameworkReport {
    /// One line on coverage, as the table and the README state it.
    pub fn coverage_line(&self) -> String {
        let c = &self.coverage;
        format!(
            "Coverage: {} of {} controls have rules ({:.1}%); {} of {} automatable controls ({:.1}%)",
            c.with_rules,
            c.controls,
            percent(c.with_rules, c.controls),
            c.automated_with_rules,
            c.automated,
            percent(c.automated_with_rules, c.automated)
        )
    }

    pub fn render_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} ({})", self.name, self.id)?;
        writeln!(out, "{}", self.coverage_line())?;
        let totals: Vec<String> = ControlStatus::ALL
            .iter()
            .map(|status| format!("{status} {}", self.totals.get(status).copied().unwrap_or(0)))
            .collect();
        writeln!(out, "Controls: {}", totals.join("   "))?;
        writeln!(
            out,
            "  {:<10} {:<12} {:>6} {:>6} {:>6} {:>6}  TITLE / RULES",
            "CONTROL", "RESULT", "FAIL", "PASS", "ERROR", "MUTED"
        )?;
        let mut section: Option<&str> = None;
        for control in &self.controls {
            if control.section.as_deref() != section {
                section = control.section.as_deref();
                if let Some(name) = section {
                    writeln!(out, "  {name}")?;
                }
            }
            let counted = !control.rules_evaluated.is_empty();
            let number = |n: u64| if counted { n.to_string() } else { "-".to_owned() };
            writeln!(
                out,
                "  {:<10} {:<12} {:>6} {:>6} {:>6} {:>6}  {}",
                control.id,
                control.status.as_str(),
                number(control.checks.fail),
                number(control.checks.pass),
                number(control.checks.error),
                number(control.checks.muted),
                clip(&control.title, 90)
            )?;
            if !control.rules.is_empty() {
                writeln!(
                    out,
                    "  {:<10} {:<12} {:>6} {:>6} {:>6} {:>6}    rules: {}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    control.rules.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        text.chars().take(width - 1).collect::<String>() + "…"
    }
}

fn read_framework(root: &MarkedYaml<'_>, known_rules: &[&str], problems: &mut Vec<Problem>) -> Option<Framework> {
    let Some(entries) = yaml::mapping(root) else {
        problems.push(Problem {
            line: yaml::line(root),
            message: "expected a mapping with `id`, `name` and `controls`".to_owned(),
        });
        return None;
    };
    let field = |name: &str| entries.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
    for (key, value) in &entries {
        if !FIELDS.contains(key) {
            problems.push(Problem {
                line: yaml::key_line(root, key).unwrap_or_else(|| yaml::line(value)),
                message: format!("unknown field `{key}` (expected one of {})", FIELDS.join(", ")),
            });
        }
    }
    let text = |key: &str, problems: &mut Vec<Problem>| -> Option<String> {
        match field(key) {
            None => {
                problems.push(Problem { line: yaml::line(root), message: format!("missing `{key}`") });
                None
            }
            Some(value) => match yaml::string(value) {
                Some(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
                _ => {
                    problems.push(Problem {
                        line: yaml::line(value),
                        message: format!("`{key}` must be a non-empty string, found {}", yaml::kind(value)),
                    });
                    None
                }
            },
        }
    };
    let id = text("id", problems);
    let name = text("name", problems);
    let source = field("source").and_then(yaml::string).map(str::to_owned);
    let not_in_standard = field("not_in_standard")
        .map(|value| yaml::strings(value, "not_in_standard", problems).into_iter().map(|(id, _)| id).collect())
        .unwrap_or_default();
    let known: HashSet<&str> = known_rules.iter().copied().collect();
    let mut controls = Vec::new();
    match field("controls").map(|value| (yaml::sequence(value), value)) {
        None => problems.push(Problem { line: yaml::line(root), message: "missing `controls`".to_owned() }),
        Some((None, value)) => problems.push(Problem {
            line: yaml::line(value),
            message: format!("`controls` must be a list, found {}", yaml::kind(value)),
        }),
        Some((Some(items), _)) => {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for (index, item) in items.iter().enumerate() {
                if let Some(control) = read_control(item, index, &known, problems) {
                    if let Some(first) = seen.insert(control.id.clone(), control.line) {
                        problems.push(Problem {
                            line: control.line,
                            message: format!("duplicate control `{}` (first on line {first})", control.id),
                        });
                    }
                    controls.push(control);
                }
            }
        }
    }
    Some(Framework { id: id?, name: name?, source, controls, not_in_standard })
}

fn read_control(
    node: &MarkedYaml<'_>,
    index: usize,
    known: &HashSet<&str>,
    problems: &mut Vec<Problem>,
) -> Option<Control> {
    let line = yaml::line(node);
    let Some(entries) = yaml::mapping(node) else {
        problems.push(Problem {
            line,
            message: format!("control #{} must be a mapping, found {}", index + 1, yaml::kind(node)),
        });
        return None;
    };
    let field = |name: &str| entries.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
    let id = match field("id").map(|value| (yaml::string(value), value)) {
        Some((Some(id), _)) if !id.trim().is_empty() => id.trim().to_owned(),
        Some((_, value)) => {
            problems.push(Problem {
                line: yaml::line(value),
                message: format!(
                    "control #{}: `id` must be a string, found {} (quote ids such as \"1.10\")",
                    index + 1,
                    yaml::kind(value)
                ),
            });
            return None;
        }
        None => {
            problems.push(Problem { line, message: format!("control #{}: missing `id`", index + 1) });
            return None;
        }
    };
    let before = problems.len();
    for (key, value) in &entries {
        if !CONTROL_FIELDS.contains(key) {
            problems.push(Problem {
                line: yaml::key_line(node, key).unwrap_or_else(|| yaml::line(value)),
                message: format!(
                    "control `{id}`: unknown field `{key}` (expected one of {})",
                    CONTROL_FIELDS.join(", ")
                ),
            });
        }
    }
    let title = match field("title").and_then(yaml::string) {
        Some(title) if !title.trim().is_empty() => title.trim().to_owned(),
        _ => {
            problems.push(Problem { line, message: format!("control `{id}`: missing `title`") });
            String::new()
        }
    };
    let section = field("section").and_then(yaml::string).map(str::to_owned);
    let automated = match field("automated").map(|value| (&value.data, value)) {
        Some((YamlData::Value(Scalar::Boolean(flag)), _)) => *flag,
        Some((_, value)) => {
            problems.push(Problem {
                line: yaml::line(value),
                message: format!("control `{id}`: `automated` must be true or false, found {}", yaml::kind(value)),
            });
            false
        }
        None => {
            problems.push(Problem { line, message: format!("control `{id}`: missing `automated` (true or false)") });
            false
        }
    };
    let severity = match field("severity").map(|value| (yaml::string(value), value)) {
        None => None,
        Some((Some(severity), _)) if SEVERITIES.contains(&severity) => Some(severity.to_owned()),
        Some((_, value)) => {
            problems.push(Problem {
                line: yaml::line(value),
                message: format!(
                    "control `{id}`: `severity` must be one of {}, found {}",
                    SEVERITIES.join(", "),
                    yaml::string(value)
                        .map(|text| format!("`{text}`"))
                        .unwrap_or_else(|| yaml::kind(value).to_string())
                ),
            });
            None
        }
    };
    let retired = match field("retired").map(|value| (&value.data, value)) {
        None => false,
        Some((YamlData::Value(Scalar::Boolean(flag)), _)) => *flag,
        Some((_, value)) => {
            problems.push(Problem {
                line: yaml::line(value),
                message: format!("control `{id}`: `retired` must be true or false, found {}", yaml::kind(value)),
            });
            false
        }
    };
    let mut rules = Vec::new();
    if let Some(value) = field("rules").filter(|value| !yaml::is_null(value)) {
        for (rule, at) in yaml::strings(value, "rules", problems) {
            if !known.contains(rule.as_str()) {
                problems.push(Problem {
                    line: at,
                    message: format!("control `{id}`: unknown rule `{rule}` (see `mamori rules list`)"),
                });
            }
            rules.push(rule);
        }
    }
    if retired && !rules.is_empty() {
        problems.push(Problem {
            line,
            message: format!(
                "control `{id}` is retired: it cannot have rules (map them to the control that replaced it)"
            ),
        });
    }
    (problems.len() == before).then_some(Control { id, title, section, automated, severity, retired, rules, line })
}
