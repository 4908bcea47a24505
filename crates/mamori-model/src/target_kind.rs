//! The kinds of notification target: which payload format a webhook receives.
//!
//! Shared by the configuration (`[notify.targets.NAME] kind = "slack"`, read by
//! `mamori-engine`, which must not link the HTTP stack) and by `mamori-notify`, which renders
//! and sends each kind, so that a new kind is declared once.

use serde::{Deserialize, Serialize};

/// The payload format a target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A Slack incoming webhook: Block Kit, split to Slack's limits.
    Slack,
    /// Any HTTPS endpoint taking the documented JSON document (`schema` `mamori.notification`).
    Json,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Slack => "slack",
            TargetKind::Json => "json",
        }
    }
}
