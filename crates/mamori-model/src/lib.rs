//! The inventory model shared by every mamori crate.
//!
//! mamori's inventory record is AWS Config's configuration item, so that users who already
//! run AWS Config can feed its snapshots and API results straight in, and so that rules can be
//! checked against AWS's own documented semantics. This crate defines that record
//! ([`ConfigItem`]), the findings rules produce ([`Finding`]), and the streaming readers
//! ([`read_inventory`]). It never calls AWS.

mod escape;
mod finding;
mod item;
mod read;
mod stamp;
pub mod time;

pub use escape::escape_controls;
pub use finding::{finding_id, Finding, Severity, Status, UnknownSeverity};
pub use item::{ConfigItem, ItemError, RawItem, ACCOUNT_TYPE, COLLECTION_ERROR_TYPE};
pub use read::{open_maybe_gzip, read_inventory, Batch, BatchContent, InventoryError, InventoryFiles, ReadStats};
pub use stamp::{ItemStamp, RawStamp, ResourceKey, Version};
