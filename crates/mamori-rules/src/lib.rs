//! mamori's built-in rules and the evaluator that applies them.
//!
//! Rules read configuration items and never call AWS (this crate has no AWS SDK dependency):
//! that keeps them fast, testable from fixture files, and usable on AWS Config snapshots as
//! well as on mamori's own collection. Each rule is a unit struct in its own file under
//! `rules/<service>/`, with its metadata ([`RuleMeta`]) beside its logic and its fixtures in a
//! folder of the same name; [`catalog`] lists them all.

mod catalog;
mod evaluator;
pub mod params;
mod rule;
pub mod rules;
pub mod support;

pub use catalog::{catalog, find};
pub use evaluator::{ActiveRule, CollectionFailure, Evaluator, FindingHook, ItemKind, RuleSet};
pub use params::{ParamError, ParamKind, ParamSpec, ParamValue, Params};
pub use rule::{Cx, Note, Notes, Rule, RuleMeta, Scope, Stride, Subject, Verdict};
