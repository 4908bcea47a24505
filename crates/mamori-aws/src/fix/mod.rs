//! Remediation: fixers that change an account so that a failing rule passes, within the
//! plan → apply → verify → record → undo shape every change of mamori follows.
//!
//! A fixer is a unit struct beside its rule's name (`fix/<service>/<rule_id>.rs`), listed in
//! [`registry::FIXERS`], with its metadata ([`FixerMeta`]: the rule it fixes, the IAM write
//! actions it calls, whether it is reversible, the `mamori.toml` settings it needs) and four
//! small steps of the [`Fixer`] trait. The split is what makes the guarantees checkable in
//! one place instead of in every fixer:
//! - [`Fixer::read`] reads the state the fix is about, now (normalised JSON, so two reads of
//!   an unchanged resource compare equal);
//! - [`Fixer::plan`] and [`Fixer::undo`] are pure: from a state, the exact calls and the state
//!   they leave, or why not ([`NotPlanned`]). No AWS call can hide in planning;
//! - [`Fixer::call`] makes one planned call, exactly as written in the plan, and nothing else.
//!
//! The driver ([`run`]) re-reads the state right before each change (skips when it is no
//! longer the planned one, makes no call when it is already the expected one), makes the
//! calls, reads again, and verifies by re-collecting the resource and re-running the rule.

pub mod cloudtrail;
pub mod config;
pub mod ec2;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod rds;
pub mod registry;
pub mod run;
pub mod s3;
pub mod securityhub;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
pub use mamori_model::remediation::{ApiCall, FindingRef, LeftOutReason};
use mamori_rules::Params;
use serde_json::Value;

use crate::collect::ApiError;
use crate::limits::Gates;
use crate::stats::{AttemptCounter, Stats};

pub use registry::{find, write_actions, FIXERS};

/// The future a fixer's AWS step returns.
pub type FixFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a fixer declares about itself.
#[derive(Debug)]
pub struct FixerMeta {
    /// The rule whose FAIL it fixes (also the fixer's name and file name).
    pub rule_id: &'static str,
    /// Resource types of the findings it takes.
    pub resource_types: &'static [&'static str],
    /// The collector that reads the resource back for verification (`--collectors` name).
    pub collector: &'static str,
    /// IAM actions of [`Fixer::read`].
    pub read_actions: &'static [&'static str],
    /// IAM actions of [`Fixer::call`] (fix and undo): the source of
    /// `mamori iam-policy --remediation`.
    pub write_actions: &'static [&'static str],
    /// Whether an applied fix can be rolled back ([`Fixer::undo`]).
    pub reversible: bool,
    /// `[remediation.settings]` keys it reads; a missing one leaves the finding out.
    pub settings: &'static [&'static str],
    /// One line for the README and `--help`: what the fix changes.
    pub summary: &'static str,
}

/// What planning a fix starts from.
pub struct PlanInput<'a> {
    pub finding: &'a FindingRef,
    /// The state [`Fixer::read`] returned just now.
    pub state: &'a Value,
    /// The rule's parameters as configured (the fix goes to what the rule asks for).
    pub params: &'a Params,
    pub settings: &'a Settings,
}

/// What undoing an applied fix starts from.
pub struct UndoInput<'a> {
    pub finding: &'a FindingRef,
    /// The state recorded before the fix.
    pub before: &'a Value,
    /// The state read just now (the driver checked it is the one the fix left).
    pub now: &'a Value,
}

/// A change: the calls and the state they leave.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub calls: Vec<ApiCall>,
    pub after: Value,
    pub reversible: bool,
}

/// Why a fixer makes no change for a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotPlanned {
    pub reason: LeftOutReason,
    pub detail: String,
}

impl NotPlanned {
    pub fn new(reason: LeftOutReason, detail: impl Into<String>) -> NotPlanned {
        NotPlanned { reason, detail: detail.into() }
    }
}

/// `[remediation.settings]`: choices a fix needs that the finding cannot make.
#[derive(Clone, Debug, Default)]
pub struct Settings(pub BTreeMap<String, Value>);

impl Settings {
    /// A text setting, or the reason the finding is left out.
    pub fn text(&self, key: &str) -> Result<&str, NotPlanned> {
        match self.0.get(key) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text),
            Some(other) => Err(NotPlanned::new(
                LeftOutReason::SettingMissing,
                format!("[remediation.settings] {key} = {other}: expected a non-empty string"),
            )),
            None => {
                Err(NotPlanned::new(LeftOutReason::SettingMissing, format!("[remediation.settings] {key} is not set")))
            }
        }
    }
}

/// A fixer: see the module documentation for the division of work.
pub trait Fixer: Send + Sync {
    fn meta(&self) -> &'static FixerMeta;

    /// The state the fix is about, read now; `None` when the resource no longer exists.
    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>>;

    /// The calls that fix the finding from `input.state`, or why none are planned (already
    /// compliant: [`LeftOutReason::ResourceChanged`]; a choice missing:
    /// [`LeftOutReason::SettingMissing`]). Change only what the finding is about.
    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned>;

    /// The calls that restore `input.before`; only reversible fixers override it.
    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        Err(NotPlanned::new(
            LeftOutReason::NotFixable,
            format!("the fix of {} on {} is not reversible", self.meta().rule_id, input.finding.resource_id),
        ))
    }

    /// Makes one call of a plan or an undo, exactly as written. An operation the fixer does
    /// not declare is refused without a call.
    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>>;
}

/// The session a fixer acts through: one account and region, within the run's limits.
pub struct FixCx {
    account_id: String,
    region: String,
    sdk: SdkConfig,
    gates: Arc<Gates>,
    stats: Arc<Stats>,
}

impl FixCx {
    /// `sdk` acts in `account_id`; calls go to `region`.
    pub fn new(account_id: &str, region: &str, sdk: &SdkConfig, gates: Arc<Gates>, stats: Arc<Stats>) -> FixCx {
        FixCx {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            sdk: sdk.to_builder().region(aws_config::Region::new(region.to_owned())).build(),
            gates,
            stats,
        }
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The interceptor every fixer's client registers, so retries are counted.
    pub fn attempt_counter(&self) -> AttemptCounter {
        AttemptCounter::new(Arc::clone(&self.stats))
    }

    /// Sends one call through the gates (as collection does: limits, adaptive retry on
    /// throttling, timeouts) and counts it.
    pub async fn call<T, E>(
        &self,
        service: &'static str,
        call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let _permit = self.gates.enter(&self.account_id, service).await;
        let result = call.await.map_err(|e| ApiError::from_sdk(&e));
        self.stats.call(service, result.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
        result
    }
}

/// A parameter of a planned call, or the error that refuses the call.
pub fn param<'a>(call: &'a ApiCall, name: &str) -> Result<&'a Value, ApiError> {
    call.parameters
        .get(name)
        .ok_or_else(|| ApiError::new("InvalidPlan", format!("{} has no parameter `{name}`", call.action())))
}

/// A text parameter of a planned call.
pub fn text_param<'a>(call: &'a ApiCall, name: &str) -> Result<&'a str, ApiError> {
    param(call, name)?
        .as_str()
        .ok_or_else(|| ApiError::new("InvalidPlan", format!("{}: `{name}` is not a string", call.action())))
}

/// The refusal of an operation a fixer does not make.
pub fn unknown_operation(fixer: &FixerMeta, call: &ApiCall) -> ApiError {
    ApiError::new("InvalidPlan", format!("the {} fixer does not make {}", fixer.rule_id, call.action()))
}
