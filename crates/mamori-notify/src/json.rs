//! The generic JSON webhook document, a stable schema for anything that is not Slack
//! (ticketing, chat bridges, a SIEM).
//!
//! Schema `mamori.notification`, version 1 (adding fields keeps the version; removing or
//! changing one bumps it):
//!
//! ```json
//! {
//!   "schema": "mamori.notification",
//!   "version": 1,
//!   "idempotency_key": "run-42/team-a/json:secops/1-of-1",
//!   "owner": "team-a",
//!   "target": "json:secops",
//!   "run": {"id": "run-42", "started_at": "2025-01-01T00:00:00Z", "scope": "org o-abc"},
//!   "part": 1,
//!   "parts": 1,
//!   "summary": {"new_failures": 2, "resolved": 1, "new_errors": 0, "errors_cleared": 0,
//!               "still_failing": 7,
//!               "new_failures_by_severity": {"critical": 1, "high": 1, "medium": 0, "low": 0,
//!                                            "informational": 0}},
//!   "changes": [{"kind": "new_failure", "finding_id": "…", "rule_id": "…", "rule_title": "…",
//!                "severity": "critical", "account_id": "…", "account_name": "…" | null,
//!                "region": "…", "resource_type": "…", "resource_id": "…",
//!                "resource_arn": "…" | null, "message": "…", "remediation": "…" | null}]
//! }
//! ```
//! `changes` are in message order (new failures by severity, resolved, new errors, errors
//! cleared); `summary` counts the whole digest, also when it is split into parts of at most
//! [`JsonLimits::max_changes_per_part`] changes. The same key also travels in the
//! `Idempotency-Key` header, so a receiver can drop a part it already has.

use serde_json::{json, Value};

use crate::digest::OwnerDigest;
use crate::message::message_key;

pub const SCHEMA: &str = "mamori.notification";
pub const VERSION: u32 = 1;

/// How large one JSON document may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLimits {
    /// Changes per document; larger digests are split into parts.
    pub max_changes_per_part: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        JsonLimits { max_changes_per_part: 1000 }
    }
}

/// The documents of one digest, in order.
pub fn render_documents(digest: &OwnerDigest, limits: &JsonLimits) -> Vec<Value> {
    let changes = digest.ordered_changes();
    let chunks: Vec<_> = changes.chunks(limits.max_changes_per_part.max(1)).collect();
    let parts = chunks.len() as u32;
    let summary = serde_json::to_value(digest.counts()).expect("counts serialize");
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let part = i as u32 + 1;
            json!({
                "schema": SCHEMA,
                "version": VERSION,
                "idempotency_key": message_key(&digest.run.id, &digest.owner, &digest.target, part, parts),
                "owner": digest.owner,
                "target": digest.target,
                "run": digest.run,
                "part": part,
                "parts": parts,
                "summary": summary,
                "changes": chunk,
            })
        })
        .collect()
}
