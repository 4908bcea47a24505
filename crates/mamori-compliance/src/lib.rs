//! What counts as compliant beyond the rules' verdicts: exceptions and frameworks.
//!
//! A real organization has failures it has decided to live with for a while, and auditors who
//! ask about a standard, not about rules. This crate holds both, as data files checked when
//! they are loaded:
//! - [`exceptions`]: a YAML file of accepted failures (rule, account, region, resource, tags),
//!   each with a reason and an expiry date; loaded exceptions are the evaluator's
//!   [`FindingHook`](mamori_rules::FindingHook), so matching failures become MUTED before the
//!   summary and the reports see them;
//! - [`frameworks`]: CIS AWS Foundations Benchmark v3.0.0 and AWS Foundational Security Best
//!   Practices as files listing every control and the rules implementing it, and the
//!   per-control result of a run;
//! - [`coverage`]: the README's coverage tables, generated from the framework files.
//!
//! Like the rules, nothing here calls AWS.

pub mod coverage;
pub mod date;
pub mod exceptions;
pub mod frameworks;
mod yaml;

pub use date::Date;
pub use exceptions::{Exception, ExceptionOutcome, ExceptionState, Exceptions, ExceptionsError, EXPIRING_SOON_DAYS};
pub use frameworks::{ControlStatus, Framework, FrameworkError, FrameworkReport};
pub use yaml::Problem;
