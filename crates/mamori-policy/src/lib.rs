//! Custom policies in Rego, evaluated in-process with `regorus`.
//!
//! Organizations have rules of their own (tag policies, exemption conventions, network
//! allow-lists) that no built-in rule can know. This crate lets them write those rules in
//! Rego, OPA's language, in a directory of `.rego` files, and turns each file into a
//! [`mamori_rules::Rule`]: its findings then go through the same evaluator, summary, muting
//! and report formats as the built-in rules, with no special case anywhere downstream.
//!
//! A policy is compiled once when loaded and evaluated for every matching item; an error on
//! one item is an ERROR finding for that item only, and an execution time limit stops a
//! runaway policy, while it loads as well. A policy that could take the whole process down
//! (a stack overflow cannot be caught) is refused when it loads: see `analysis`. See [`metadata`] for the metadata convention and [`testing`] for the
//! test files that sit beside each policy (`mamori policy test`).

mod analysis;
mod error;
mod guard;
pub mod metadata;
mod policy;
pub mod testing;
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mamori_model::resource_types;
use mamori_rules::{catalog, Rule};
use regorus::Engine;

pub use error::PolicyError;
pub use metadata::{InputKind, Metadata};
pub use policy::{EvalError, Outcome, Policy};

/// The resource types a policy may name: those the collectors write
/// ([`mamori_model::resource_types`]), the account record, and those of the built-in rules
/// (which also read types that only AWS Config's own inventories hold). Never the
/// collection-error record: the evaluator takes it as a failed read, never hands it to a rule.
pub fn known_resource_types() -> BTreeSet<String> {
    let mut known: BTreeSet<String> = resource_types::COLLECTED.iter().map(|t| t.to_string()).collect();
    known.insert(resource_types::ACCOUNT.to_owned());
    for rule in catalog() {
        known.extend(rule.meta().resource_types.iter().map(|t| t.to_string()));
    }
    known.remove(resource_types::COLLECTION_ERROR);
    known
}

/// How policies are evaluated.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Wall-clock budget of one evaluation (one item, or one region for region-inventory
    /// policies); past it the evaluation stops with ERROR and the run goes on.
    pub time_limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { time_limit: Duration::from_secs(1) }
    }
}

/// The policies of one or more directories, loaded and compiled.
pub struct PolicySet {
    policies: Vec<&'static Policy>,
}

impl PolicySet {
    /// Load every `.rego` file under `dirs` (recursively, in path order). Each file is one
    /// policy, with its own package, `metadata` and `deny`.
    ///
    /// Loading runs on a thread of its own with a large stack: regorus parses and prepares a
    /// policy by recursion, and the static checks that make evaluation safe on ordinary stacks
    /// (see `analysis`) can only run once a policy is parsed.
    pub fn load(dirs: &[PathBuf], options: Options) -> Result<PolicySet, PolicyError> {
        std::thread::scope(|scope| {
            let loader = std::thread::Builder::new()
                .name("mamori-policy-load".to_owned())
                .stack_size(LOAD_STACK_SIZE)
                .spawn_scoped(scope, || PolicySet::load_here(dirs, options))
                .map_err(|err| PolicyError::LoadThread { cause: err.to_string() })?;
            loader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    fn load_here(dirs: &[PathBuf], options: Options) -> Result<PolicySet, PolicyError> {
        let known = known_resource_types();
        let builtin: BTreeSet<&str> = catalog().iter().map(|rule| rule.meta().id).collect();
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut policies = Vec::new();
        for dir in dirs {
            let files = rego_files(dir)?;
            if files.is_empty() {
                return Err(PolicyError::Empty { path: dir.clone() });
            }
            for path in files {
                let policy = load_file(&path, &known, options)?;
                let id = policy.metadata.id.clone();
                if builtin.contains(id.as_str()) {
                    return Err(PolicyError::BuiltinId { path, id });
                }
                if let Some(other) = seen.get(&id) {
                    return Err(PolicyError::DuplicateId { path, id, other: other.clone() });
                }
                seen.insert(id, path);
                // Leaked on purpose: the evaluator's rule set holds `&'static dyn Rule`
                // (built-in rules are statics), and a policy set is loaded once per process
                // and used until it exits.
                policies.push(&*Box::leak(Box::new(policy)));
            }
        }
        Ok(PolicySet { policies })
    }

    pub fn policies(&self) -> &[&'static Policy] {
        &self.policies
    }

    /// The policies as rules of the evaluator.
    pub fn rules(&self) -> Vec<&'static dyn Rule> {
        self.policies.iter().map(|policy| *policy as &'static dyn Rule).collect()
    }
}

/// Stack of the loading thread. Only the pages a load touches are ever committed.
const LOAD_STACK_SIZE: usize = 256 * 1024 * 1024;

/// The `.rego` files under `dir`, sorted.
fn rego_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let entries =
            std::fs::read_dir(&current).map_err(|cause| PolicyError::ReadDir { path: current.clone(), cause })?;
        for entry in entries {
            let entry = entry.map_err(|cause| PolicyError::ReadDir { path: current.clone(), cause })?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rego") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The line and message of a regorus parse error, which reads
/// `--> <file>:<line>:<col>`, the source excerpt, then `error: <message>`.
fn error_line(message: &str) -> Option<(u32, String)> {
    let location = message.lines().find_map(|line| line.trim().strip_prefix("-->"))?;
    let mut parts = location.trim().rsplitn(3, ':');
    let _column = parts.next()?;
    let line = parts.next()?.parse::<u32>().ok()?;
    let text = message.lines().find_map(|line| line.trim().strip_prefix("error:")).unwrap_or("invalid rego").trim();
    Some((line, text.to_owned()))
}

fn load_file(path: &Path, known: &BTreeSet<String>, options: Options) -> Result<Policy, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|cause| PolicyError::Read { path: path.to_owned(), cause })?;
    if let Some(line) = analysis::bracket_nesting(&text, analysis::MAX_BRACKET_NESTING) {
        return Err(PolicyError::Nesting { path: path.to_owned(), line, limit: analysis::MAX_BRACKET_NESTING });
    }
    let mut engine = Engine::new();
    let package = match engine.add_policy(path.display().to_string(), text) {
        Ok(package) => package,
        Err(err) => {
            let message = format!("{err:#}");
            return Err(match error_line(&message) {
                Some((line, text)) => PolicyError::Syntax { path: path.to_owned(), line, message: text },
                None => PolicyError::Compile { path: path.to_owned(), message: first_line(&message) },
            });
        }
    };
    // Before anything is evaluated: a recursive or too deeply nested policy would overflow the
    // stack of whichever thread evaluates it, and abort the process.
    if let Some(module) = engine.get_modules().last() {
        analysis::check(module, &["deny", "metadata"]).map_err(|problem| match problem {
            analysis::Problem::Recursion { line, chain } => PolicyError::Recursion {
                path: path.to_owned(),
                line,
                function: chain[0].clone(),
                chain: shown_chain(&chain),
            },
            analysis::Problem::TooDeep { entry, depth, chain } => PolicyError::TooDeep {
                path: path.to_owned(),
                rule: entry,
                depth,
                limit: analysis::MAX_EVALUATION_DEPTH,
                chain: shown_chain(&chain),
            },
        })?;
    }
    guard::install(&mut engine);
    // The time limit applies from the first evaluation on, the ones below included: a rule
    // that does not depend on the input is computed here, and a runaway one must not hang the
    // load (`rules list`, `policy test` and every evaluation load policies first).
    policy::set_time_limit(&mut engine, options.time_limit);
    let load_error = |rule: &str, err: anyhow::Error| {
        if err.downcast_ref::<regorus::LimitError>().is_some() {
            PolicyError::LoadTimeLimit {
                path: path.to_owned(),
                rule: rule.to_owned(),
                limit_ms: options.time_limit.as_millis(),
            }
        } else {
            PolicyError::Compile { path: path.to_owned(), message: policy::error_reason(&err) }
        }
    };
    // Evaluating `metadata` also prepares (analyses) the modules once, so that every
    // per-thread clone starts from a prepared engine.
    let metadata_value = match engine.eval_rule(format!("{package}.metadata")) {
        Ok(value) => value,
        Err(err) => {
            let message = format!("{err:#}");
            if message.contains("not a valid rule path") || message.contains("not found") {
                return Err(PolicyError::MissingMetadata { path: path.to_owned() });
            }
            return Err(load_error("metadata", err));
        }
    };
    let metadata = Metadata::parse(path, &metadata_value, known)?;
    // A missing rule is refused; other errors are left to evaluation, where they concern one
    // item (with no input, `deny` is usually just empty); running out of time is refused.
    if let Err(err) = engine.eval_rule(format!("{package}.deny")) {
        if format!("{err:#}").contains("not a valid rule path") {
            return Err(PolicyError::MissingDeny { path: path.to_owned() });
        }
        if err.downcast_ref::<regorus::LimitError>().is_some() {
            return Err(load_error("deny", err));
        }
    }
    Ok(Policy::new(path, metadata, engine, &package, options.time_limit))
}

/// A chain of rule and function names for a message: `a` -> `b`, its middle elided when long.
fn shown_chain(chain: &[String]) -> String {
    const SHOWN: usize = 4;
    if chain.len() <= 2 * SHOWN {
        return chain.join("` -> `");
    }
    format!(
        "{}` -> ({} more) -> `{}",
        chain[..SHOWN].join("` -> `"),
        chain.len() - 2 * SHOWN,
        chain[chain.len() - SHOWN..].join("` -> `")
    )
}

fn first_line(message: &str) -> String {
    message.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("unknown error").to_owned()
}
