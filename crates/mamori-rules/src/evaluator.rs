//! Applies a set of rules to configuration items, one item at a time.
//!
//! An [`Evaluator`] is single-threaded and cheap; the engine runs one per worker thread, each
//! on its own batches, and merges them with [`Evaluator::absorb`] before [`Evaluator::finish`]
//! concludes the scoped rules. Notes carry the sequence number of the batch they came from,
//! so conclusions see them in input order whatever thread read them.
//!
//! Collection-error records (`Mamori::Collection::Error`) are handled here, once for all
//! rules: every rule that reads the resource type that could not be read reports ERROR for
//! that account and region, and a scoped rule's verdict on a scope touched by such a failure
//! becomes ERROR, because a verdict drawn from missing data is not a PASS.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

use mamori_model::{ConfigItem, Finding, Severity, Status, COLLECTION_ERROR_TYPE, GLOBAL_REGION};

use crate::params::Params;
use crate::rule::{Cx, Memo, Note, Notes, Rule, Scope, Subject, Verdict};
use crate::support::hash::FastMap;

/// A rule as configured for one run.
pub struct ActiveRule {
    pub rule: &'static dyn Rule,
    pub params: Params,
    pub severity: Severity,
}

impl ActiveRule {
    /// The rule with its default parameters and severity.
    pub fn with_defaults(rule: &'static dyn Rule) -> ActiveRule {
        let meta = rule.meta();
        ActiveRule { rule, params: Params::defaults(meta.id, meta.params).unwrap_or_default(), severity: meta.severity }
    }
}

/// Changes findings as they are made, before anything counts or writes them: exceptions mute
/// accepted failures here, inside the worker threads, so that the summary, every report
/// format and the exit code see the same statuses.
pub trait FindingHook: Send + Sync {
    /// Adjust one finding. `tags` are the tags of the resource it is about, when known: always
    /// for verdicts on an item, and for scoped rules' verdicts on a resource whose tags
    /// [`remember_tags`](Self::remember_tags) asked to keep.
    fn adjust(&self, finding: &mut Finding, tags: Option<&BTreeMap<String, String>>);

    /// Whether to keep these tags of an item for the verdicts scoped rules reach on it later.
    /// Kept only on request, so memory still grows with findings, not with the inventory.
    fn remember_tags(&self, tags: &BTreeMap<String, String>) -> bool;
}

/// The rules of a run, indexed by the resource types they read.
pub struct RuleSet {
    rules: Vec<ActiveRule>,
    /// The rule ids, shared by every finding of the rule.
    ids: Vec<Arc<str>>,
    by_type: FastMap<&'static str, Vec<usize>>,
    hook: Option<Arc<dyn FindingHook>>,
}

impl RuleSet {
    pub fn new(rules: Vec<ActiveRule>) -> RuleSet {
        let mut by_type: FastMap<&'static str, Vec<usize>> = FastMap::default();
        for (index, active) in rules.iter().enumerate() {
            for resource_type in active.rule.meta().resource_types {
                by_type.entry(resource_type).or_default().push(index);
            }
        }
        let ids = rules.iter().map(|active| Arc::from(active.rule.meta().id)).collect();
        RuleSet { rules, ids, by_type, hook: None }
    }

    /// Pass every finding of the run through `hook` before it is counted.
    pub fn set_hook(&mut self, hook: Arc<dyn FindingHook>) {
        self.hook = Some(hook);
    }

    pub fn rules(&self) -> &[ActiveRule] {
        &self.rules
    }

    /// Whether any rule of the set reads this resource type.
    pub fn covers(&self, resource_type: &str) -> bool {
        self.by_type.contains_key(resource_type)
    }
}

/// A part of the inventory that could not be read, from a collection-error record.
#[derive(Debug, Clone)]
pub struct CollectionFailure {
    pub account_id: String,
    pub region: String,
    /// The resource type that could not be read; `*` when the whole account or region could
    /// not be entered.
    pub resource_type: String,
    pub reason: String,
}

impl CollectionFailure {
    fn from_item(item: &ConfigItem) -> CollectionFailure {
        let text = |key: &str| item.config(key).and_then(|v| v.as_str()).unwrap_or("");
        let resource_type = match text("resourceType") {
            "" => "*",
            other => other,
        };
        let mut reason = String::new();
        for part in [text("operation"), text("errorCode"), text("message")] {
            if !part.is_empty() {
                if !reason.is_empty() {
                    reason.push_str(": ");
                }
                reason.push_str(part);
            }
        }
        if reason.is_empty() {
            reason.push_str("unknown error");
        }
        CollectionFailure {
            account_id: item.account_id.clone(),
            region: item.aws_region.clone(),
            resource_type: resource_type.to_owned(),
            reason,
        }
    }

    fn affects_type(&self, rule: &dyn Rule) -> bool {
        self.resource_type == "*" || rule.meta().reads(&self.resource_type)
    }

    /// Whether this failure leaves a scoped rule's verdict without its input. Within an
    /// account or region scope, any failure of that scope does. Inventory-wide scopes (an
    /// organization trail, a log bucket in another account) would otherwise let one
    /// unreachable account turn every account's verdict into ERROR, so there a failure only
    /// touches the verdicts on its own account: a verdict that depended on another account's
    /// missing data can then be a FAIL, never a PASS drawn from nothing, since rules pass only
    /// on evidence they found.
    fn affects_verdict(&self, scope: &Scope, verdict: &Verdict) -> bool {
        match scope {
            Scope::Inventory => *verdict.subject.account_id == *self.account_id,
            Scope::Account(account) => *account == self.account_id,
            Scope::Region { account, region } => {
                *account == self.account_id && (*region == self.region || self.region == GLOBAL_REGION)
            }
        }
    }
}

/// One rule's notes: (batch sequence, scope, note).
type RuleNotes = Vec<(u64, Scope, Note)>;

/// A resource as findings name it: account, region, type, id.
type ResourceKey = (Arc<str>, Arc<str>, Arc<str>, Arc<str>);

/// Tags of resources kept for the verdicts of scoped rules, at the hook's request.
type RememberedTags = FastMap<ResourceKey, Arc<BTreeMap<String, String>>>;

fn resource_key(finding: &Finding) -> ResourceKey {
    (finding.account_id.clone(), finding.region.clone(), finding.resource_type.clone(), finding.resource_id.clone())
}

/// What an item meant to the evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// Some rule read it.
    Covered,
    /// No rule of the set reads its resource type.
    NotCovered,
    /// A collection-error record.
    CollectionError,
}

/// Accounts, regions and resource types recur on every item: one shared copy of each. Items
/// come file by file, and a file usually holds one account, so the last account and region
/// are tried before the map.
#[derive(Default)]
struct Interner {
    map: FastMap<Box<str>, Arc<str>>,
    last_account: Option<Arc<str>>,
    last_region: Option<Arc<str>>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.map.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.map.insert(Box::from(text), shared.clone());
        shared
    }

    fn account(&mut self, text: &str) -> Arc<str> {
        match &self.last_account {
            Some(last) if **last == *text => last.clone(),
            _ => {
                let shared = self.get(text);
                self.last_account = Some(shared.clone());
                shared
            }
        }
    }

    fn region(&mut self, text: &str) -> Arc<str> {
        match &self.last_region {
            Some(last) if **last == *text => last.clone(),
            _ => {
                let shared = self.get(text);
                self.last_region = Some(shared.clone());
                shared
            }
        }
    }
}

pub struct Evaluator<'s> {
    set: &'s RuleSet,
    /// The rule ids this evaluator's findings share: a copy per evaluator, because every
    /// finding clones and drops its rule id, and a reference count that worker threads
    /// updated together would bounce between their cores millions of times.
    ids: Vec<Arc<str>>,
    interned: Interner,
    /// Per rule: (batch sequence, scope, note).
    notes: Vec<RuleNotes>,
    failures: Vec<CollectionFailure>,
    sequence: u64,
    verdicts: Vec<Verdict>,
    scratch_notes: Vec<(Scope, Note)>,
    memo: Memo,
    tags: RememberedTags,
}

impl<'s> Evaluator<'s> {
    pub fn new(set: &'s RuleSet) -> Evaluator<'s> {
        Evaluator {
            set,
            ids: set.ids.iter().map(|id| Arc::from(&**id)).collect(),
            interned: Interner::default(),
            notes: (0..set.rules.len()).map(|_| Vec::new()).collect(),
            failures: Vec::new(),
            sequence: 0,
            verdicts: Vec::new(),
            scratch_notes: Vec::new(),
            memo: Memo::default(),
            tags: RememberedTags::default(),
        }
    }

    /// Mark the items that follow as coming from batch `sequence` (input order).
    pub fn set_sequence(&mut self, sequence: u64) {
        self.sequence = sequence;
    }

    /// Evaluate one item with every rule that reads its type; findings go to `sink`.
    pub fn evaluate(&mut self, item: &ConfigItem, sink: &mut impl FnMut(Finding)) -> ItemKind {
        if item.resource_type == COLLECTION_ERROR_TYPE {
            self.failures.push(CollectionFailure::from_item(item));
            return ItemKind::CollectionError;
        }
        let Some(indices) = self.set.by_type.get(item.resource_type.as_str()) else {
            return ItemKind::NotCovered;
        };
        let subject = Subject {
            account_id: self.interned.account(&item.account_id),
            region: self.interned.region(&item.aws_region),
            resource_type: self.interned.get(&item.resource_type),
            resource_id: Arc::from(item.resource_id.as_str()),
            resource_arn: item.arn.as_deref().map(Arc::from),
        };
        self.memo.clear();
        let hook = self.set.hook.as_deref();
        if let Some(hook) = hook {
            if !item.tags.is_empty() && hook.remember_tags(&item.tags) {
                let key = (
                    subject.account_id.clone(),
                    subject.region.clone(),
                    subject.resource_type.clone(),
                    subject.resource_id.clone(),
                );
                self.tags.insert(key, Arc::new(item.tags.clone()));
            }
        }
        for &index in indices {
            let active = &self.set.rules[index];
            let mut cx = Cx::for_item(
                &active.params,
                &mut self.verdicts,
                &mut self.scratch_notes,
                item,
                &subject,
                &mut self.memo,
            );
            active.rule.evaluate(item, &mut cx);
            for verdict in self.verdicts.drain(..) {
                let mut finding = verdict.into_finding(&self.ids[index], active.severity);
                if let Some(hook) = hook {
                    hook.adjust(&mut finding, Some(&item.tags));
                }
                sink(finding);
            }
            let sequence = self.sequence;
            self.notes[index].extend(self.scratch_notes.drain(..).map(|(scope, note)| (sequence, scope, note)));
        }
        ItemKind::Covered
    }

    /// Take over another evaluator's notes and failures (from another worker thread).
    pub fn absorb(&mut self, other: Evaluator<'s>) {
        for (mine, theirs) in self.notes.iter_mut().zip(other.notes) {
            mine.extend(theirs);
        }
        self.failures.extend(other.failures);
        self.tags.extend(other.tags);
    }

    pub fn failures(&self) -> &[CollectionFailure] {
        &self.failures
    }

    /// Conclude every scoped rule and report the collection failures. Findings come rule by
    /// rule in catalog order, scopes in order.
    pub fn finish(self, sink: &mut impl FnMut(Finding)) {
        self.finish_on(1, sink);
    }

    /// [`finish`](Self::finish) with the rules concluded on up to `threads` threads: rules
    /// conclude independently of each other (an organization-wide rule such as
    /// `cloudtrail-enabled` weighs every account against every trail), and the findings still
    /// reach `sink` rule by rule in catalog order.
    pub fn finish_on(mut self, threads: usize, sink: &mut impl FnMut(Finding)) {
        self.failures.sort_by(|a, b| {
            (&a.account_id, &a.region, &a.resource_type).cmp(&(&b.account_id, &b.region, &b.resource_type))
        });
        let notes = std::mem::take(&mut self.notes);
        let threads = threads.clamp(1, notes.len().max(1));
        if threads == 1 {
            for (index, notes) in notes.into_iter().enumerate() {
                conclude_rule(self.set, &self.failures, &self.tags, index, notes).into_iter().for_each(&mut *sink);
            }
            return;
        }
        let count = notes.len();
        let pending: Vec<Mutex<Option<RuleNotes>>> = notes.into_iter().map(|notes| Mutex::new(Some(notes))).collect();
        let done: Vec<Mutex<Option<Vec<Finding>>>> = (0..count).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let (set, failures, tags) = (self.set, self.failures.as_slice(), &self.tags);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let notes = pending[index].lock().expect("notes lock poisoned").take().unwrap_or_default();
                    let findings = conclude_rule(set, failures, tags, index, notes);
                    *done[index].lock().expect("findings lock poisoned") = Some(findings);
                });
            }
        });
        for slot in done {
            let findings = slot.into_inner().expect("findings lock poisoned").unwrap_or_default();
            findings.into_iter().for_each(&mut *sink);
        }
    }
}

/// The findings of one rule's conclusions, then of the collection failures that concern it,
/// each passed through the set's hook.
fn conclude_rule(
    set: &RuleSet,
    failures: &[CollectionFailure],
    tags: &RememberedTags,
    index: usize,
    notes: RuleNotes,
) -> Vec<Finding> {
    let mut out = conclude_rule_verdicts(set, failures, index, notes);
    if let Some(hook) = set.hook.as_deref() {
        for finding in &mut out {
            let remembered = if tags.is_empty() { None } else { tags.get(&resource_key(finding)) };
            hook.adjust(finding, remembered.map(|tags| &**tags));
        }
    }
    out
}

fn conclude_rule_verdicts(
    set: &RuleSet,
    failures: &[CollectionFailure],
    index: usize,
    notes: RuleNotes,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let active = &set.rules[index];
    let id = &set.ids[index];
    let mut by_scope: BTreeMap<Scope, Vec<(u64, Note)>> = BTreeMap::new();
    for (sequence, scope, note) in notes {
        by_scope.entry(scope).or_default().push((sequence, note));
    }
    for (scope, mut notes) in by_scope {
        notes.sort_by_key(|(sequence, _)| *sequence);
        let notes = Notes(notes.into_iter().map(|(_, note)| note).collect());
        let mut verdicts = Vec::new();
        let mut ignored_notes = Vec::new();
        let mut cx = Cx::new(&active.params, &mut verdicts, &mut ignored_notes);
        active.rule.conclude(&scope, notes, &mut cx);
        for mut verdict in verdicts {
            let failure = failures
                .iter()
                .find(|failure| failure.affects_type(active.rule) && failure.affects_verdict(&scope, &verdict));
            if let (Some(failure), Status::Pass | Status::Fail) = (failure, verdict.status) {
                verdict.status = Status::Error;
                verdict.message = format!(
                    "cannot be decided: {} in account {} region {} could not be read ({})",
                    failure.resource_type, failure.account_id, failure.region, failure.reason
                );
            }
            out.push(verdict.into_finding(id, active.severity));
        }
    }
    for failure in failures.iter().filter(|failure| failure.affects_type(active.rule)) {
        let subject = Subject {
            account_id: Arc::from(failure.account_id.as_str()),
            region: Arc::from(failure.region.as_str()),
            resource_type: Arc::from(failure.resource_type.as_str()),
            resource_id: Arc::from(format!("collection:{}", failure.resource_type)),
            resource_arn: None,
        };
        let message = format!(
            "not evaluated: {} in account {} region {} could not be read ({})",
            if failure.resource_type == "*" { "the account" } else { &failure.resource_type },
            failure.account_id,
            failure.region,
            failure.reason
        );
        out.push(Verdict { subject, status: Status::Error, message }.into_finding(id, active.severity));
    }
    out
}
