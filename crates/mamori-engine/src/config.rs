//! `mamori.toml` and the flags that select rules, set their parameters and severities.
//!
//! ```toml
//! [evaluate]
//! rules = ["*"]                 # globs selecting rules (default: all)
//! exclude = ["mamori-account-in-use"]
//! fail_on = "high"
//!
//! [rule.access-keys-rotated]
//! severity = "high"             # override
//! enabled = true
//! params = { maxAccessKeyAge = 45 }
//! ```
//! Everything is checked when the rule set is built: an unknown rule id, parameter, or
//! severity is an error naming the file and the key, never silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use mamori_model::suggest::DidYouMean;
use mamori_model::Severity;
use mamori_rules::{catalog, ActiveRule, ParamError, Params, Rule, RuleSet};
use serde::Deserialize;

/// Why the configuration was refused. Causes are part of the message and not also returned
/// as `source()`, so that `error: {err:#}` says each of them once.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{path}`: {cause}")]
    Read { path: PathBuf, cause: std::io::Error },
    #[error("invalid config file `{path}`: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: unknown rule `{id}`{did_you_mean} (see `mamori rules list`)")]
    UnknownRule { origin: String, id: String, did_you_mean: DidYouMean },
    #[error("{origin}: rule pattern `{pattern}` matches no rule")]
    NoMatch { origin: String, pattern: String },
    #[error("{origin}: invalid rule pattern `{pattern}`: {message}")]
    BadPattern { origin: String, pattern: String, message: String },
    #[error("{origin}: {cause}")]
    Param { origin: String, cause: ParamError },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error(transparent)]
    Policy(#[from] mamori_policy::PolicyError),
    #[error("no rule is selected")]
    NothingSelected,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub evaluate: EvaluateSection,
    #[serde(default)]
    pub rule: BTreeMap<String, RuleSection>,
    /// `[exceptions]`: the exceptions file (see `mamori-compliance`).
    #[serde(default)]
    pub exceptions: ExceptionsSection,
    /// `[store]`: where the findings history is kept.
    #[serde(default)]
    pub store: StoreSection,
    /// `[owners]`: account owners and notification targets (see [`crate::owners`]).
    #[serde(default)]
    pub owners: crate::owners::OwnersSection,
    /// `[notify]`: notification targets by name (see [`crate::notify`]).
    #[serde(default)]
    pub notify: crate::notify::NotifySection,
    /// `[policies]`: directories of custom Rego policies (see `mamori-policy`).
    #[serde(default)]
    pub policies: PoliciesSection,
    /// `[remediation]`: modes per rule, filters, safety belts and the settings fixers need.
    #[serde(default)]
    pub remediation: mamori_model::remediation::RemediationSection,
    /// `[watch]`: the event responders of `mamori watch`, their thresholds and the principals
    /// none of them acts on.
    #[serde(default)]
    pub watch: mamori_model::watch::WatchSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesSection {
    /// Directories of `.rego` policies, relative to the config file.
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
    /// Wall-clock limit of one policy evaluation, in milliseconds (default 1000).
    pub time_limit_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// The SQLite database of the findings history (relative paths are relative to the
    /// directory of `mamori.toml`).
    pub path: Option<PathBuf>,
    /// The retention of `mamori runs prune` when `--keep-last` is not given: complete runs
    /// kept per scope.
    pub keep_last: Option<std::num::NonZeroU32>,
    /// The retention of `mamori runs prune` when `--older-than` is not given: complete runs
    /// started within this many days are kept.
    pub older_than_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionsSection {
    /// The exceptions file (YAML; relative paths are relative to the directory of
    /// `mamori.toml`).
    pub file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateSection {
    pub rules: Option<Vec<String>>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fail_on: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSection {
    pub enabled: Option<bool>,
    pub severity: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Value>,
}

/// The configuration of a run: the file (if any) plus flags, which win.
#[derive(Debug, Default)]
pub struct Config {
    pub file: ConfigFile,
    /// Where `file` came from, for error messages.
    pub origin: Option<PathBuf>,
    /// `--rules` globs; when given they replace `[evaluate] rules`.
    pub select: Vec<String>,
    /// `--exclude-rules` globs, added to `[evaluate] exclude`.
    pub exclude: Vec<String>,
    /// `--param RULE.NAME=VALUE`, applied over the file's params.
    pub params: Vec<(String, String, String)>,
    /// `--policies DIR`: custom policy directories, added to `[policies] dirs`.
    pub policy_dirs: Vec<PathBuf>,
}

impl Config {
    /// Load a config file. `explicit` says whether the user named it (then it must exist).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read { path: path.to_owned(), cause })?;
        let file: ConfigFile = toml::from_str(&text)
            .map_err(|err| ConfigError::Parse { path: path.to_owned(), message: describe_toml_error(&text, &err) })?;
        Ok(Config { file, origin: Some(path.to_owned()), ..Config::default() })
    }

    fn origin(&self) -> String {
        match &self.origin {
            Some(path) => format!("`{}`", path.display()),
            None => "configuration".to_owned(),
        }
    }

    /// `[store] path`, relative to the configuration file's directory.
    pub fn store_path(&self) -> Option<PathBuf> {
        let path = self.file.store.path.as_ref()?;
        let base = self.origin.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty());
        Some(match base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.clone(),
        })
    }

    /// `[owners]`, checked.
    pub fn owners(&self) -> Result<&crate::owners::OwnersSection, ConfigError> {
        crate::owners::validate(&self.file.owners)
            .map_err(|message| ConfigError::Invalid { origin: self.origin(), message })?;
        Ok(&self.file.owners)
    }

    /// `[exceptions] file`, relative to the configuration file's directory.
    pub fn exceptions_file(&self) -> Option<PathBuf> {
        let path = self.file.exceptions.file.as_ref()?;
        let base = self.origin.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty());
        Some(match base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.clone(),
        })
    }

    /// `[remediation]`, checked: the belts' values, the tag filters, and that every
    /// `[remediation.rule.<id>]` names a known rule.
    pub fn remediation(&self) -> Result<&mamori_model::remediation::RemediationSection, ConfigError> {
        let section = &self.file.remediation;
        section.validate().map_err(|message| ConfigError::Invalid { origin: self.origin(), message })?;
        let known: Vec<&'static dyn Rule> = catalog().to_vec();
        for id in section.rule.keys() {
            if !known.iter().any(|rule| rule.meta().id == id) {
                return Err(unknown_rule(format!("{} [remediation.rule.{id}]", self.origin()), id, &known));
            }
        }
        Ok(section)
    }

    /// `[watch]`, checked: excluded principals are ARNs, thresholds and windows are positive.
    /// (Responder names are checked by `mamori watch` against its registry.)
    pub fn watch(&self) -> Result<&mamori_model::watch::WatchSection, ConfigError> {
        let section = &self.file.watch;
        section.validate().map_err(|message| ConfigError::Invalid { origin: self.origin(), message })?;
        Ok(section)
    }

    /// `--fail-on` from the file, if set.
    pub fn fail_on(&self) -> Result<Option<Severity>, ConfigError> {
        self.file
            .evaluate
            .fail_on
            .as_deref()
            .map(|text| {
                text.parse::<Severity>().map_err(|err| ConfigError::Invalid {
                    origin: format!("{} [evaluate] fail_on", self.origin()),
                    message: err.to_string(),
                })
            })
            .transpose()
    }

    /// The custom policies of `[policies] dirs` and `--policies`, loaded and compiled.
    pub fn policies(&self) -> Result<Vec<&'static dyn Rule>, ConfigError> {
        let base = self.origin.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let mut dirs: Vec<PathBuf> = self.file.policies.dirs.iter().map(|dir| base.join(dir)).collect();
        dirs.extend(self.policy_dirs.iter().cloned());
        if dirs.is_empty() {
            return Ok(Vec::new());
        }
        let mut options = mamori_policy::Options::default();
        if let Some(ms) = self.file.policies.time_limit_ms {
            options.time_limit = std::time::Duration::from_millis(ms.max(1));
        }
        Ok(mamori_policy::PolicySet::load(&dirs, options)?.rules())
    }

    /// Build the rule set: selection, then per-rule enablement, severity and parameters.
    /// Custom policies are rules like the built-in ones, after them.
    pub fn rule_set(&self) -> Result<RuleSet, ConfigError> {
        let mut known: Vec<&'static dyn Rule> = catalog().to_vec();
        known.extend(self.policies()?);
        let find = |id: &str| known.iter().find(|rule| rule.meta().id == id);
        let origin = self.origin();
        let (select, select_origin) = if !self.select.is_empty() {
            (self.select.clone(), "--rules".to_owned())
        } else {
            (
                self.file.evaluate.rules.clone().unwrap_or_else(|| vec!["*".to_owned()]),
                format!("{origin} [evaluate] rules"),
            )
        };
        let select = matchers(&select, &select_origin, &known)?;
        let mut exclude = matchers(&self.file.evaluate.exclude, &format!("{origin} [evaluate] exclude"), &known)?;
        exclude.extend(matchers(&self.exclude, "--exclude-rules", &known)?);

        for id in self.file.rule.keys() {
            if find(id).is_none() {
                return Err(unknown_rule(format!("{origin} [rule.{id}]"), id, &known));
            }
        }
        let mut flag_params: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
        for (rule, name, value) in &self.params {
            if find(rule).is_none() {
                return Err(unknown_rule("--param".to_owned(), rule, &known));
            }
            flag_params.entry(rule.as_str()).or_default().insert(name.clone(), value.clone());
        }

        let mut active = Vec::new();
        for rule in &known {
            let meta = rule.meta();
            let section = self.file.rule.get(meta.id);
            let selected = select.iter().any(|m| m.matcher.is_match(meta.id))
                && !exclude.iter().any(|m| m.matcher.is_match(meta.id));
            let enabled = section.and_then(|s| s.enabled).unwrap_or(true);
            if !selected || !enabled {
                continue;
            }
            active.push(self.activate(*rule, section, flag_params.get(meta.id))?);
        }
        if active.is_empty() {
            return Err(ConfigError::NothingSelected);
        }
        Ok(RuleSet::new(active))
    }

    fn activate(
        &self,
        rule: &'static dyn Rule,
        section: Option<&RuleSection>,
        flags: Option<&BTreeMap<String, String>>,
    ) -> Result<ActiveRule, ConfigError> {
        let meta = rule.meta();
        let origin = format!("{} [rule.{}]", self.origin(), meta.id);
        let mut given = BTreeMap::new();
        if let Some(section) = section {
            for (name, value) in &section.params {
                let text = match value {
                    toml::Value::String(text) => text.clone(),
                    toml::Value::Integer(number) => number.to_string(),
                    toml::Value::Boolean(flag) => flag.to_string(),
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|item| match item {
                            toml::Value::String(text) => Ok(text.clone()),
                            toml::Value::Integer(number) => Ok(number.to_string()),
                            _ => Err(()),
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|()| ConfigError::Invalid {
                            origin: format!("{origin} params.{name}"),
                            message: "list items must be strings or integers".to_owned(),
                        })?
                        .join(","),
                    other => {
                        return Err(ConfigError::Invalid {
                            origin: format!("{origin} params.{name}"),
                            message: format!("unsupported value `{other}`"),
                        })
                    }
                };
                given.insert(name.clone(), text);
            }
        }
        let mut param_origin = origin.clone();
        if let Some(flags) = flags {
            given.extend(flags.clone());
            param_origin = format!("{origin} or --param");
        }
        let params = Params::build(meta.id, meta.params, &given)
            .map_err(|cause| ConfigError::Param { origin: param_origin, cause })?;
        let severity = match section.and_then(|s| s.severity.as_deref()) {
            Some(text) => text.parse::<Severity>().map_err(|err| ConfigError::Invalid {
                origin: format!("{origin} severity"),
                message: err.to_string(),
            })?,
            None => meta.severity,
        };
        Ok(ActiveRule { rule, params, severity })
    }
}

struct RuleMatcher {
    matcher: GlobMatcher,
}

/// Compile rule patterns. A pattern without wildcards must be an existing rule id; a pattern
/// with wildcards must match at least one rule, so a typo never silently selects nothing.
fn matchers(patterns: &[String], origin: &str, known: &[&'static dyn Rule]) -> Result<Vec<RuleMatcher>, ConfigError> {
    patterns
        .iter()
        .map(|pattern| {
            let glob = Glob::new(pattern).map_err(|err| ConfigError::BadPattern {
                origin: origin.to_owned(),
                pattern: pattern.clone(),
                message: err.kind().to_string(),
            })?;
            let matcher = glob.compile_matcher();
            if !known.iter().any(|rule| matcher.is_match(rule.meta().id)) {
                let has_wildcard = pattern.contains(['*', '?', '[', '{']);
                return Err(if has_wildcard {
                    ConfigError::NoMatch { origin: origin.to_owned(), pattern: pattern.clone() }
                } else {
                    unknown_rule(origin.to_owned(), pattern, known)
                });
            }
            Ok(RuleMatcher { matcher })
        })
        .collect()
}

/// `id` names no rule of `known`: the error, with the closest rule id when one is close.
fn unknown_rule(origin: String, id: &str, known: &[&'static dyn Rule]) -> ConfigError {
    let did_you_mean = DidYouMean::among(id, known.iter().map(|rule| rule.meta().id));
    ConfigError::UnknownRule { origin, id: id.to_owned(), did_you_mean }
}

/// `toml`'s message, with the line number spelled out where the error has a span.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim().to_owned();
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// Parse a `--param` flag: `RULE.NAME=VALUE`.
pub fn parse_param_flag(flag: &str) -> Result<(String, String, String), String> {
    let (key, value) = flag.split_once('=').ok_or_else(|| format!("`{flag}` is not RULE.NAME=VALUE"))?;
    let (rule, name) = key.rsplit_once('.').ok_or_else(|| format!("`{flag}` is not RULE.NAME=VALUE"))?;
    Ok((rule.to_owned(), name.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mamori.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    #[test]
    fn parameters_severity_and_selection_apply() {
        let config = config(
            "[evaluate]\nrules = [\"s3-*\"]\n[rule.s3-bucket-versioning-enabled]\nseverity = \"high\"\nparams = { isMfaDeleteEnabled = true }\n",
        )
        .unwrap();
        let set = config.rule_set().unwrap();
        assert!(set.rules().iter().all(|r| r.rule.meta().id.starts_with("s3-")));
        let versioning = set.rules().iter().find(|r| r.rule.meta().id == "s3-bucket-versioning-enabled").unwrap();
        assert_eq!(versioning.severity, Severity::High);
        assert_eq!(versioning.params.bool("isMfaDeleteEnabled"), Some(true));
    }

    #[test]
    fn remediation_section_is_read_and_checked() {
        let loaded = config(
            "[remediation]\nmax_changes = 5\nexclude_accounts = [\"111\"]\n\
             [remediation.rule.restricted-ssh]\nmode = \"auto\"\ninclude_tags = [\"env=dev\"]\n\
             [remediation.settings]\nflow_logs_destination = \"arn:aws:s3:::logs\"\n",
        )
        .unwrap();
        let section = loaded.remediation().unwrap();
        assert_eq!((section.max_changes(), section.max_percent()), (5, 50.0));
        assert_eq!(section.mode("restricted-ssh"), mamori_model::remediation::Mode::Auto);
        assert_eq!(section.mode("s3-bucket-versioning-enabled"), mamori_model::remediation::Mode::Off);
        assert_eq!(section.settings["flow_logs_destination"], "arn:aws:s3:::logs");

        let err = config("[remediation.rule.restricted-ssh]\nmode = \"always\"\n").unwrap_err().to_string();
        assert!(err.contains("always") && err.contains("line 2") && err.contains("`auto`"), "{err}");
        let err = config("[remediation.rule.restricted-shh]\nmode = \"plan\"\n").unwrap().remediation().unwrap_err();
        let err = err.to_string();
        assert!(err.contains("[remediation.rule.restricted-shh]") && err.contains("restricted-ssh"), "{err}");
        let err = config("[remediation]\nmax_percent = 120\n").unwrap().remediation().unwrap_err().to_string();
        assert!(err.contains("max_percent = 120"), "{err}");
        let err = config("[remediation]\nmax_change = 1\n").unwrap_err().to_string();
        assert!(err.contains("max_change"), "{err}");
    }

    #[test]
    fn watch_section_is_read_and_checked() {
        let loaded = config(
            "[watch]\nexcluded_principals = [\"arn:aws:iam::*:role/BreakGlass\"]\n\
             [watch.responders.repeat_offender]\nenabled = true\nthreshold = 3\nwindow = \"12h\"\n",
        )
        .unwrap();
        let section = loaded.watch().unwrap();
        assert!(section.enabled("repeat_offender") && !section.enabled("cloudtrail_tampering"));
        assert!(section.is_excluded("repeat_offender", "arn:aws:iam::111122223333:role/BreakGlass"));
        assert_eq!(section.window_seconds("repeat_offender", 86_400), 43_200);

        let err = config("[watch.responders.repeat_offender]\nwindow = \"soon\"\n").unwrap().watch().unwrap_err();
        let err = err.to_string();
        assert!(err.contains("mamori.toml") && err.contains("[watch.responders.repeat_offender] window"), "{err}");
        let err = config("[watch.responders.repeat_offender]\nenable = true\n").unwrap_err().to_string();
        assert!(err.contains("enable") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn error_chains_say_each_thing_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let err = Config::load(&missing).unwrap_err();
        let text = mamori_model::error_chain(&err);
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
        assert!(text.starts_with(&format!("cannot read config file `{}`: ", missing.display())), "{text}");

        let err = config("[rule.access-keys-rotated]\nparams = { maxAccessKeyAge = -45 }\n")
            .unwrap()
            .rule_set()
            .err()
            .unwrap();
        let text = mamori_model::error_chain(&err);
        assert_eq!(text.matches("maxAccessKeyAge").count(), 1, "{text}");
        assert!(text.contains("must be at least 1, got `-45`"), "{text}");
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = config("[evaluate]\nrules = \"all\"\n").unwrap_err().to_string();
        assert!(err.contains("mamori.toml") && err.contains("line 2"), "{err}");
        let err = config("[rule.no-such-rule]\nenabled = false\n").unwrap().rule_set().err().unwrap().to_string();
        assert!(err.contains("[rule.no-such-rule]: unknown rule `no-such-rule`"), "{err}");
        let err = config("[rule.s3-bucket-versioning-enabled]\nparams = { bogus = 1 }\n")
            .unwrap()
            .rule_set()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("has no parameter `bogus`"), "{err}");
        let err = config("[rule.s3-bucket-versioning-enabled]\nseverity = \"urgent\"\n")
            .unwrap()
            .rule_set()
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("severity") && err.contains("urgent"), "{err}");
        let err = config("[evaluate]\nrules = [\"nosuch-*\"]\n").unwrap().rule_set().err().unwrap().to_string();
        assert!(err.contains("matches no rule"), "{err}");
    }

    #[test]
    fn unknown_names_suggest_the_closest_one() {
        let suggestion = |err: ConfigError| match err {
            ConfigError::UnknownRule { did_you_mean, .. } => did_you_mean.suggestion().map(str::to_owned),
            other => panic!("not an unknown rule: {other}"),
        };
        let err = config("[rule.restricted-sh]\nenabled = false\n").unwrap().rule_set().err().unwrap();
        assert_eq!(
            err.to_string().split_once(": ").map(|(_, message)| message),
            Some("unknown rule `restricted-sh`: did you mean `restricted-ssh`? (see `mamori rules list`)")
        );
        assert_eq!(suggestion(err).as_deref(), Some("restricted-ssh"));

        let flags = |select: &[&str], exclude: &[&str], params: &[(&str, &str, &str)]| Config {
            select: select.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            params: params.iter().map(|(r, n, v)| (r.to_string(), n.to_string(), v.to_string())).collect(),
            ..Config::default()
        };
        let err = flags(&["s3-bucket-versioning-enable"], &[], &[]).rule_set().err().unwrap();
        assert!(err.to_string().starts_with("--rules: unknown rule"), "{err}");
        assert_eq!(suggestion(err).as_deref(), Some("s3-bucket-versioning-enabled"));
        let err = flags(&[], &["access-key-rotated"], &[]).rule_set().err().unwrap();
        assert_eq!(suggestion(err).as_deref(), Some("access-keys-rotated"));
        let err = flags(&[], &[], &[("acess-keys-rotated", "maxAccessKeyAge", "30")]).rule_set().err().unwrap();
        assert!(err.to_string().starts_with("--param: unknown rule"), "{err}");
        assert_eq!(suggestion(err).as_deref(), Some("access-keys-rotated"));
        // Nothing close: no suggestion, and the message is the one without it.
        let err = flags(&["no-such-rule"], &[], &[]).rule_set().err().unwrap();
        assert_eq!(err.to_string(), "--rules: unknown rule `no-such-rule` (see `mamori rules list`)");
        assert_eq!(suggestion(err), None);

        // A parameter name, through the file and through --param.
        let err = flags(&[], &[], &[("access-keys-rotated", "maxAccessKeyAges", "30")]).rule_set().err().unwrap();
        let message = err.to_string();
        assert!(message.contains("has no parameter `maxAccessKeyAges`: did you mean `maxAccessKeyAge`?"), "{message}");
        let ConfigError::Param { cause: ParamError::Unknown { did_you_mean, .. }, .. } = err else {
            panic!("not an unknown parameter: {message}")
        };
        assert_eq!(did_you_mean.suggestion(), Some("maxAccessKeyAge"));
        let err = config("[rule.s3-bucket-versioning-enabled]\nparams = { isMfaDeletEnabled = true }\n")
            .unwrap()
            .rule_set()
            .err()
            .unwrap();
        assert!(err.to_string().contains("did you mean `isMfaDeleteEnabled`?"), "{err}");
    }
}
