//! The inventory model shared by every mamori crate.
//!
//! mamori's inventory record is AWS Config's configuration item, so that users who already
//! run AWS Config can feed its snapshots and API results straight in, and so that rules can be
//! checked against AWS's own documented semantics. This crate defines that record
//! ([`ConfigItem`]), the findings rules produce ([`Finding`]), the streaming readers
//! ([`read_inventory`]), and the counts of checks that every view of a run shares
//! ([`StatusCounts`], [`SeverityCounts`], the compliance score), and the CloudTrail events
//! `mamori watch` reacts to ([`event`]). It never calls AWS.

mod counts;
mod escape;
pub mod event;
mod finding;
mod item;
mod read;
pub mod remediation;
pub mod resource_types;
mod stamp;
pub mod suggest;
mod target_kind;
pub mod time;
pub mod watch;

pub use counts::{score_text, SeverityCounts, StatusCounts};
pub use escape::escape_controls;
pub use finding::{finding_id, Finding, Severity, Status, UnknownSeverity};
pub use item::{ConfigItem, ItemError, RawItem, ACCOUNT_TYPE, COLLECTION_ERROR_TYPE, GLOBAL_REGION};
pub use read::{open_maybe_gzip, read_inventory, Batch, BatchContent, InventoryError, InventoryFiles, ReadStats};
pub use stamp::{ItemStamp, RawStamp, ResourceKey, Version};
pub use target_kind::TargetKind;

/// An error and each of its sources, joined by `: `, as `anyhow` prints them with `{:#}` (the
/// binary's `error: …` line). Messages must say each cause once; tests check it with this.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
