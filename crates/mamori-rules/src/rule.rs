//! What a rule is: its metadata, its parameters, and the two hooks the evaluator calls.
//!
//! Most rules judge one configuration item on its own in [`Rule::evaluate`]. Some need other
//! items of the same account or region (trails for `cloudtrail-enabled`, the account's public
//! access block for `s3-bucket-public-read-prohibited`, prefix lists for security-group
//! rules). The inventory streams by in no particular order, so such rules leave small typed
//! notes under a [`Scope`] while items pass, and decide in [`Rule::conclude`] once the whole
//! inventory has been read. Notes hold only what the verdict needs, so memory grows with
//! findings, never with the raw inventory.

use std::any::{Any, TypeId};
use std::sync::Arc;

use mamori_model::{ConfigItem, Finding, Severity, Status};

use crate::params::{ParamSpec, Params};

/// STRIDE threat category a rule guards against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stride {
    Spoofing,
    Tampering,
    Repudiation,
    InformationDisclosure,
    DenialOfService,
    ElevationOfPrivilege,
}

impl Stride {
    pub fn as_str(self) -> &'static str {
        match self {
            Stride::Spoofing => "Spoofing",
            Stride::Tampering => "Tampering",
            Stride::Repudiation => "Repudiation",
            Stride::InformationDisclosure => "Information disclosure",
            Stride::DenialOfService => "Denial of service",
            Stride::ElevationOfPrivilege => "Elevation of privilege",
        }
    }
}

/// Everything about a rule that is data, not logic.
#[derive(Debug)]
pub struct RuleMeta {
    /// The AWS Config managed rule identifier where one exists; `mamori-…` otherwise.
    pub id: &'static str,
    /// The folder under `src/rules/` that holds the rule's file and fixtures.
    pub service: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Resource types [`Rule::evaluate`] is called with (subjects and context alike).
    pub resource_types: &'static [&'static str],
    pub params: &'static [ParamSpec],
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub stride: Stride,
    /// CIS AWS Foundations Benchmark v3.0.0 recommendation numbers, e.g. `"1.5"`.
    pub cis: &'static [&'static str],
    /// AWS Foundational Security Best Practices control ids, e.g. `"IAM.6"`.
    pub fsbp: &'static [&'static str],
    /// Where mamori's semantics differ from the AWS Config managed rule of the same id (or
    /// what a `mamori-` rule decides); empty when they are the same.
    pub notes: &'static str,
}

impl RuleMeta {
    /// Whether the id is an AWS Config managed rule identifier rather than mamori's own.
    pub fn is_aws_managed_id(&self) -> bool {
        !self.id.starts_with("mamori-")
    }

    pub fn reads(&self, resource_type: &str) -> bool {
        self.resource_types.contains(&resource_type)
    }
}

/// Where a scoped rule's notes are gathered and concluded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Everything that was read (for example a trail whose bucket lives in another account).
    Inventory,
    Account(String),
    Region {
        account: String,
        region: String,
    },
}

impl Scope {
    pub fn account_of(item: &ConfigItem) -> Scope {
        Scope::Account(item.account_id.clone())
    }

    pub fn region_of(item: &ConfigItem) -> Scope {
        Scope::Region { account: item.account_id.clone(), region: item.aws_region.clone() }
    }
}

/// The resource a verdict is about. Cloning is cheap: the identifiers are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub account_id: Arc<str>,
    pub region: Arc<str>,
    pub resource_type: Arc<str>,
    pub resource_id: Arc<str>,
    pub resource_arn: Option<Arc<str>>,
}

impl Subject {
    pub fn of(item: &ConfigItem) -> Subject {
        Subject {
            account_id: Arc::from(item.account_id.as_str()),
            region: Arc::from(item.aws_region.as_str()),
            resource_type: Arc::from(item.resource_type.as_str()),
            resource_id: Arc::from(item.resource_id.as_str()),
            resource_arn: item.arn.as_deref().map(Arc::from),
        }
    }
}

/// A rule's verdict before the evaluator stamps it with the rule id and severity.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub subject: Subject,
    pub status: Status,
    pub message: String,
}

/// A note a scoped rule leaves for [`Rule::conclude`]; any `Send` type private to the rule.
pub type Note = Box<dyn Any + Send>;

/// The notes of one rule in one scope, in the order the items were read.
pub struct Notes(pub(crate) Vec<Note>);

impl Notes {
    /// The notes of type `T`; notes of other types are left out.
    pub fn of<T: 'static>(&mut self) -> Vec<T> {
        let mut taken = Vec::new();
        let mut rest = Vec::new();
        for note in self.0.drain(..) {
            match note.downcast::<T>() {
                Ok(note) => taken.push(*note),
                Err(other) => rest.push(other),
            }
        }
        self.0 = rest;
        taken
    }
}

/// Values derived from the item being evaluated, shared by all the rules that judge it (a
/// security group's permissions are parsed once, not once per rule). Cleared per item. An
/// item has a slot or two, so a list beats hashing the type id.
#[derive(Default)]
pub(crate) struct Memo(Vec<(TypeId, Arc<dyn Any + Send + Sync>)>);

impl Memo {
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// What a rule works with while it evaluates: its parameters, and where verdicts and notes go.
pub struct Cx<'a> {
    params: &'a Params,
    verdicts: &'a mut Vec<Verdict>,
    notes: &'a mut Vec<(Scope, Note)>,
    /// The item being evaluated and its subject, built once for all the rules that judge it.
    current: Option<(&'a ConfigItem, &'a Subject)>,
    memo: Option<&'a mut Memo>,
}

impl<'a> Cx<'a> {
    pub fn new(params: &'a Params, verdicts: &'a mut Vec<Verdict>, notes: &'a mut Vec<(Scope, Note)>) -> Self {
        Cx { params, verdicts, notes, current: None, memo: None }
    }

    /// A context for evaluating `item`, whose subject was built already.
    pub(crate) fn for_item(
        params: &'a Params,
        verdicts: &'a mut Vec<Verdict>,
        notes: &'a mut Vec<(Scope, Note)>,
        item: &'a ConfigItem,
        subject: &'a Subject,
        memo: &'a mut Memo,
    ) -> Self {
        Cx { params, verdicts, notes, current: Some((item, subject)), memo: Some(memo) }
    }

    /// `compute(item)`, computed once per item for all the rules that ask with the same type.
    /// Slots are keyed by `T`: give each computation a type of its own (a private struct),
    /// never a general one such as `Result<String, String>`.
    pub fn memo<T: Any + Send + Sync>(&mut self, item: &ConfigItem, compute: impl FnOnce() -> T) -> Arc<T> {
        let is_current = self.current.is_some_and(|(current, _)| std::ptr::eq(current, item));
        let Some(memo) = self.memo.as_deref_mut().filter(|_| is_current) else {
            return Arc::new(compute());
        };
        let key = TypeId::of::<T>();
        if let Some(Ok(value)) =
            memo.0.iter().find(|(slot, _)| *slot == key).map(|(_, value)| value.clone().downcast::<T>())
        {
            return value;
        }
        let value = Arc::new(compute());
        memo.0.push((key, value.clone()));
        value
    }

    /// The subject of `item`: shared with the other rules when it is the item being evaluated.
    pub fn subject_of(&self, item: &ConfigItem) -> Subject {
        match self.current {
            Some((current, subject)) if std::ptr::eq(current, item) => subject.clone(),
            _ => Subject::of(item),
        }
    }

    pub fn params(&self) -> &Params {
        self.params
    }

    /// A compliant verdict. Passing verdicts are most of a run's millions of findings, so
    /// the busiest rules build their messages by concatenation (`[..].concat()`), which costs
    /// a fraction of `format!`.
    pub fn pass(&mut self, item: &ConfigItem, message: impl Into<String>) {
        self.verdict(self.subject_of(item), Status::Pass, message);
    }

    pub fn fail(&mut self, item: &ConfigItem, message: impl Into<String>) {
        self.verdict(self.subject_of(item), Status::Fail, message);
    }

    /// The item lacks what the rule needs (not collected, or collection failed).
    pub fn error(&mut self, item: &ConfigItem, message: impl Into<String>) {
        self.verdict(self.subject_of(item), Status::Error, message);
    }

    pub fn verdict(&mut self, subject: Subject, status: Status, message: impl Into<String>) {
        self.verdicts.push(Verdict { subject, status, message: message.into() });
    }

    pub fn note<T: Any + Send>(&mut self, scope: Scope, note: T) {
        self.notes.push((scope, Box::new(note)));
    }
}

/// A built-in rule. Implementations are unit structs listed in the catalog.
pub trait Rule: Send + Sync + 'static {
    fn meta(&self) -> &'static RuleMeta;

    /// Judge one item (of a type listed in `meta().resource_types`), or leave notes.
    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>);

    /// Decide from the notes left in one scope. Called once per scope that has notes, after
    /// every item was evaluated, in scope order.
    fn conclude(&self, scope: &Scope, notes: Notes, cx: &mut Cx<'_>) {
        let _ = (scope, notes, cx);
    }
}

impl Verdict {
    pub fn into_finding(self, rule_id: &Arc<str>, severity: Severity) -> Finding {
        Finding {
            rule_id: rule_id.clone(),
            status: self.status,
            severity,
            account_id: self.subject.account_id,
            region: self.subject.region,
            resource_type: self.subject.resource_type,
            resource_id: self.subject.resource_id,
            resource_arn: self.subject.resource_arn,
            message: self.message,
        }
    }
}
