//! One loaded policy: compiled once, evaluated on every worker thread, judged like a rule.
//!
//! regorus evaluates with `&mut Engine` (it keeps the input and scratch state of the
//! evaluation), while the evaluator shares rules across its worker threads. Each thread
//! therefore keeps its own clone of the policy's prepared engine, made the first time the
//! thread evaluates the policy: the parsed and analysed modules are shared (reference
//! counted), so a clone costs a few allocations once per thread, and evaluations never wait
//! on a lock.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mamori_model::{ConfigItem, Status};
use mamori_rules::{Cx, Notes, Rule, RuleMeta, Scope, Subject};
use regorus::utils::limits::ExecutionTimerConfig;
use regorus::{Engine, Value};

use crate::metadata::{InputKind, Metadata};
use crate::value;

/// Every policy ever loaded in this process gets its own slot in the per-thread engine table.
static NEXT_SERIAL: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's engines, by policy serial.
    static ENGINES: RefCell<Vec<Option<Engine>>> = const { RefCell::new(Vec::new()) };
}

/// Why one evaluation gave no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub String);

/// What a policy concluded about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(Vec<String>),
}

pub struct Policy {
    pub metadata: Metadata,
    pub path: PathBuf,
    meta: &'static RuleMeta,
    serial: usize,
    /// The prepared engine every thread clones; behind a lock only because regorus' engine is
    /// not `Sync`. It is locked once per thread, never per evaluation.
    template: Mutex<Engine>,
    deny_rule: String,
    time_limit: Duration,
}

/// Stops every evaluation of `engine` past `limit`.
pub(crate) fn set_time_limit(engine: &mut Engine, limit: Duration) {
    // The check interval is in interpreter steps: reading the clock every 64 steps keeps its
    // cost out of the profile while stopping a runaway policy within microseconds of its limit.
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::new(64).expect("non-zero"),
    });
}

/// Where and why an evaluation failed, on one line. regorus writes a located error as
/// `--> file:line:col`, the source line, a caret, then `error: reason`; the file is the
/// policy's, already named by the caller, so `line L, column C: reason` is kept.
pub(crate) fn error_reason(err: &anyhow::Error) -> String {
    let text = format!("{err:#}");
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let location = text.lines().find_map(|line| line.trim().strip_prefix("-->")).and_then(|location| {
        let mut parts = location.trim().rsplitn(3, ':');
        let column = parts.next()?.parse::<u32>().ok()?;
        let line = parts.next()?.parse::<u32>().ok()?;
        Some((line, column))
    });
    let reason = text.lines().find_map(|line| line.trim().strip_prefix("error:")).map(|reason| {
        // A reason that introduces more located messages (`recursion detected when evaluating
        // rule:`) ends with a colon; what follows repeats source lines.
        reason.trim().trim_end_matches(':').trim().to_owned()
    });
    match (location, reason) {
        (Some((line, column)), Some(reason)) if !reason.is_empty() => format!("line {line}, column {column}: {reason}"),
        (Some((line, column)), _) => format!("line {line}, column {column}"),
        (None, _) => lines.next().unwrap_or("unknown error").to_owned(),
    }
}

/// Leak a string. Rule metadata is `&'static` because built-in rules are statics and the
/// evaluator's `ActiveRule` holds `&'static dyn Rule`; a policy set is loaded once per process
/// and lives as long as the run, so leaking it costs nothing that would ever be freed.
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

fn leak_list(items: &[String]) -> &'static [&'static str] {
    Box::leak(items.iter().map(|item| leak(item)).collect::<Vec<_>>().into_boxed_slice())
}

impl Policy {
    pub(crate) fn new(
        path: &Path,
        metadata: Metadata,
        mut engine: Engine,
        package: &str,
        time_limit: Duration,
    ) -> Policy {
        let mut read_types = metadata.resource_types.clone();
        read_types.extend(metadata.inventory_types.iter().cloned());
        let mut notes = format!("Custom Rego policy `{}` (input: {}).", path.display(), metadata.input.as_str());
        if !metadata.inventory_types.is_empty() {
            notes.push_str(&format!(" Reads as context: {}.", metadata.inventory_types.join(", ")));
        }
        let meta = Box::leak(Box::new(RuleMeta {
            id: leak(&metadata.id),
            service: "policy",
            title: leak(&metadata.title),
            severity: metadata.severity,
            resource_types: leak_list(&read_types),
            params: &[],
            rationale: leak(&metadata.description),
            remediation: leak(&metadata.remediation),
            stride: metadata.stride,
            cis: leak_list(&metadata.cis),
            fsbp: leak_list(&metadata.fsbp),
            notes: leak(&notes),
        }));
        set_time_limit(&mut engine, time_limit);
        Policy {
            metadata,
            path: path.to_owned(),
            meta,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            template: Mutex::new(engine),
            deny_rule: format!("{package}.deny"),
            time_limit,
        }
    }

    /// Evaluate `deny` on `input` with this thread's engine.
    fn eval_deny(&self, input: Value) -> Result<Value, EvalError> {
        ENGINES.with(|engines| {
            let mut engines = engines.borrow_mut();
            if engines.len() <= self.serial {
                engines.resize_with(self.serial + 1, || None);
            }
            let slot = &mut engines[self.serial];
            let engine = slot
                .get_or_insert_with(|| self.template.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone());
            let started = Instant::now();
            // A panic inside the interpreter concerns this policy and this input only: it
            // becomes an ERROR like any other failure, and the engine, whose state it may have
            // left half-updated, is replaced by a fresh clone at the next evaluation.
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                engine.set_input(input);
                let result = engine.eval_rule(self.deny_rule.clone());
                // Drop the input now rather than at the next evaluation: it may be a whole region.
                engine.set_input(Value::Undefined);
                result
            }));
            let elapsed = started.elapsed();
            match result {
                Err(_) => {
                    *slot = None;
                    Err(EvalError(format!("policy `{}` failed: the interpreter panicked", self.metadata.id)))
                }
                Ok(Err(err)) => Err(self.describe_error(&err)),
                // The interpreter checks its clock between steps, and one step (a builtin
                // such as `regex.match` on a long string) can outlast the limit: a verdict
                // that came too late is not one.
                Ok(Ok(_)) if elapsed > self.time_limit => Err(self.time_limit_error()),
                Ok(Ok(value)) => Ok(value),
            }
        })
    }

    fn time_limit_error(&self) -> EvalError {
        EvalError(format!(
            "policy `{}` stopped: it exceeded its execution limit of {} ms",
            self.metadata.id,
            self.time_limit.as_millis()
        ))
    }

    fn describe_error(&self, err: &anyhow::Error) -> EvalError {
        if let Some(regorus::LimitError::TimeLimitExceeded { .. }) = err.downcast_ref::<regorus::LimitError>() {
            return self.time_limit_error();
        }
        EvalError(format!("policy `{}` failed: {}", self.metadata.id, error_reason(err)))
    }

    /// The verdict on one item (for `item` policies).
    pub fn judge_item(&self, input: Value) -> Result<Outcome, EvalError> {
        let deny = self.eval_deny(input)?;
        let mut messages = Vec::new();
        for entry in entries(&deny, &self.metadata.id)? {
            match entry {
                Value::String(text) => messages.push(text.to_string()),
                other => {
                    return Err(EvalError(format!(
                        "policy `{}`: `deny` must hold strings, found `{other}`",
                        self.metadata.id
                    )))
                }
            }
        }
        Ok(if messages.is_empty() { Outcome::Pass } else { Outcome::Fail(messages) })
    }

    /// The verdicts on every subject of one account and region (for `region-inventory`
    /// policies), keyed by resource id.
    pub fn judge_region(
        &self,
        account: &str,
        region: &str,
        items: Vec<Value>,
        subjects: &[&str],
    ) -> Result<BTreeMap<String, Outcome>, EvalError> {
        let mut input = BTreeMap::new();
        input.insert(Value::from("accountId"), Value::from(account));
        input.insert(Value::from("awsRegion"), Value::from(region));
        input.insert(Value::from("items"), Value::from(items));
        let deny = self.eval_deny(Value::from(input))?;
        let mut out: BTreeMap<String, Outcome> = subjects.iter().map(|id| (id.to_string(), Outcome::Pass)).collect();
        for entry in entries(&deny, &self.metadata.id)? {
            let field = |name: &str| match &entry {
                Value::Object(object) => match object.get(&Value::from(name)) {
                    Some(Value::String(text)) => Some(text.to_string()),
                    _ => None,
                },
                _ => None,
            };
            let (Some(resource), Some(message)) = (field("resourceId"), field("message")) else {
                return Err(EvalError(format!(
                    "policy `{}`: `deny` must hold {{\"resourceId\": string, \"message\": string}} objects, found `{entry}`",
                    self.metadata.id
                )));
            };
            match out.get_mut(&resource) {
                Some(Outcome::Fail(messages)) => messages.push(message),
                Some(outcome) => *outcome = Outcome::Fail(vec![message]),
                None => {
                    return Err(EvalError(format!(
                        "policy `{}` named resource `{resource}`, which is not one of the {} it judges in this account and region",
                        self.metadata.id,
                        self.metadata.resource_types.join(", ")
                    )))
                }
            }
        }
        Ok(out)
    }

    fn subject_label(&self, subject: &Subject) -> String {
        format!("{} {}", subject.resource_type, subject.resource_id)
    }

    fn emit(&self, cx: &mut Cx<'_>, subject: Subject, outcome: Result<Outcome, EvalError>) {
        match outcome {
            Ok(Outcome::Pass) => {
                let message = format!("{}: complies with {}", self.subject_label(&subject), self.metadata.id);
                cx.verdict(subject, Status::Pass, message)
            }
            Ok(Outcome::Fail(messages)) => cx.verdict(subject, Status::Fail, messages.join("; ")),
            Err(EvalError(message)) => cx.verdict(subject, Status::Error, message),
        }
    }
}

/// The elements of `deny`: a set (`deny contains ...`), or nothing when undefined.
fn entries(deny: &Value, id: &str) -> Result<Vec<Value>, EvalError> {
    match deny {
        Value::Undefined => Ok(Vec::new()),
        Value::Set(set) => Ok(set.iter().cloned().collect()),
        Value::Array(items) => Ok(items.iter().cloned().collect()),
        other => Err(EvalError(format!("policy `{id}`: `deny` must be a set, found `{other}`"))),
    }
}

/// The item as a Rego value, converted once for all the policies that judge it.
struct ItemValue(Value);

/// What a region-inventory policy keeps of each item until the region is complete.
struct InventoryNote {
    /// Set when the item is one the policy judges.
    subject: Option<Subject>,
    value: Value,
}

impl Rule for Policy {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let value = cx.memo(item, || ItemValue(value::from_item(item)));
        match self.metadata.input {
            InputKind::Item => {
                let outcome = self.judge_item(value.0.clone());
                self.emit(cx, cx.subject_of(item), outcome);
            }
            InputKind::RegionInventory => {
                let subject = self.metadata.resource_types.contains(&item.resource_type).then(|| cx.subject_of(item));
                cx.note(Scope::region_of(item), InventoryNote { subject, value: value.0.clone() });
            }
        }
    }

    fn conclude(&self, scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let Scope::Region { account, region } = scope else { return };
        let notes = notes.of::<InventoryNote>();
        let subjects: Vec<Subject> = notes.iter().filter_map(|note| note.subject.clone()).collect();
        if subjects.is_empty() {
            return;
        }
        let ids: Vec<&str> = subjects.iter().map(|subject| &*subject.resource_id).collect();
        let items: Vec<Value> = notes.into_iter().map(|note| note.value).collect();
        match self.judge_region(account, region, items, &ids) {
            Ok(mut outcomes) => {
                for subject in subjects {
                    let outcome = outcomes.remove(&*subject.resource_id).unwrap_or(Outcome::Pass);
                    self.emit(cx, subject, Ok(outcome));
                }
            }
            Err(err) => {
                for subject in subjects {
                    self.emit(cx, subject, Err(err.clone()));
                }
            }
        }
    }
}
