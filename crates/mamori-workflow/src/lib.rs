//! What happens around an evaluation: the run is recorded in the findings history, each owner
//! is told what changed for them, and what could not be delivered is delivered later.
//!
//! These steps are shared by every command that produces findings (`evaluate` and `audit`
//! today; remediation, the `watch` daemon and organization-wide enablement next), so they live
//! here rather than in the binary. Each function takes a request and returns a typed outcome
//! ([`Evaluated`], [`NotifyReport`], [`DeliveryReport`]) and prints nothing: the binary decides
//! how to show it, and a daemon or a test can use the same steps.
//!
//! - [`record`]: open the history before any work (a locked, read-only or newer store stops
//!   the command early), record every finding as it leaves the pipeline, close the run as
//!   complete with its accounts and owners, or as failed.
//! - [`notify`]: compare a recorded run with the previous complete run of its scope, queue
//!   one message per owner and target (rendered, or unrendered while the target is not
//!   configured), and deliver everything pending, oldest first, part by part.

pub mod notify;
pub mod record;

pub use notify::{DeliveryReport, DryRun, Notifier, NotifyEvent, NotifyMode, NotifyReport, Remediated};
pub use record::{evaluate_recorded, Evaluated, EvaluationRequest, History, RecordedRun, ScopeSource};

/// Why a workflow step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Config(Box<mamori_engine::ConfigError>),
    #[error(transparent)]
    Evaluate(#[from] mamori_engine::EvaluateError),
    #[error(transparent)]
    Store(#[from] mamori_store::StoreError),
    /// The evaluation completed and its report was written; only the history refused it.
    #[error("the report was written but the run could not be recorded")]
    NotRecorded(#[source] mamori_store::StoreError),
    #[error("{origin} [notify.targets.{name}]")]
    Target {
        origin: String,
        name: String,
        #[source]
        source: Box<mamori_notify::TargetError>,
    },
    #[error("cannot queue the notification of owner `{owner}` for target `{target}`")]
    Queue {
        owner: String,
        target: String,
        #[source]
        source: Box<mamori_store::StoreError>,
    },
    #[error(transparent)]
    Delivery(#[from] mamori_notify::SetupError),
}

impl From<mamori_engine::ConfigError> for WorkflowError {
    fn from(err: mamori_engine::ConfigError) -> Self {
        WorkflowError::Config(Box::new(err))
    }
}
