//! What one owner is told about one run: the input of every renderer.
//!
//! The store computes transitions; this crate only needs them as plain data, so that it
//! compiles and tests without the store and the store can change its tables freely.

use std::cmp::Ordering;
use std::fmt;

use mamori_model::Severity;
use serde::{Deserialize, Serialize};

use crate::target::TargetRef;

/// The run the changes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// The store's run id; part of every message's idempotency key.
    pub id: String,
    /// When the run started, RFC 3339 (shown as given).
    pub started_at: String,
    /// What the run covered, e.g. `org o-abc123, 3 regions` (shown as given).
    pub scope: String,
}

/// The transition of one finding between the previous run and this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// PASS (or absent) before, FAIL now.
    NewFailure,
    /// Failing in this run, and fixed by mamori's remediation right after it (`audit
    /// --remediate`); the next run shows it resolved.
    Remediated,
    /// FAIL before, PASS (or gone) now.
    Resolved,
    /// Evaluated before, ERROR now: the input is missing or could not be read.
    NewError,
    /// ERROR before, evaluated now.
    ErrorCleared,
}

impl ChangeKind {
    /// The order in which groups appear in a message: what needs action first.
    pub const ORDER: [ChangeKind; 5] = [
        ChangeKind::NewFailure,
        ChangeKind::Remediated,
        ChangeKind::Resolved,
        ChangeKind::NewError,
        ChangeKind::ErrorCleared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "new_failure",
            ChangeKind::Remediated => "remediated",
            ChangeKind::Resolved => "resolved",
            ChangeKind::NewError => "new_error",
            ChangeKind::ErrorCleared => "error_cleared",
        }
    }

    /// The heading of the group in a message.
    pub fn heading(self) -> &'static str {
        match self {
            ChangeKind::NewFailure => "New failures",
            ChangeKind::Remediated => "Fixed by mamori",
            ChangeKind::Resolved => "Resolved",
            ChangeKind::NewError => "New evaluation errors",
            ChangeKind::ErrorCleared => "Evaluation errors cleared",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One changed finding, with what the owner needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub kind: ChangeKind,
    /// The stable finding id (`mamori_model::finding_id`), so receivers can correlate runs.
    pub finding_id: String,
    pub rule_id: String,
    pub rule_title: String,
    pub severity: Severity,
    pub account_id: String,
    #[serde(default)]
    pub account_name: Option<String>,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    #[serde(default)]
    pub resource_arn: Option<String>,
    pub message: String,
    #[serde(default)]
    pub remediation: Option<String>,
}

/// Everything one owner is told about one run, sent to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerDigest {
    /// The owner's name as configured (a team, an account owner).
    pub owner: String,
    /// Where the owner is told, by reference: never the URL.
    pub target: TargetRef,
    pub run: RunInfo,
    /// The transitions of this owner's findings, in any order.
    pub changes: Vec<Change>,
    /// Findings failing in both runs: counted in the summary, not listed.
    #[serde(default)]
    pub still_failing: u64,
}

/// How many changes of each kind a digest holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub new_failures: usize,
    pub resolved: usize,
    pub new_errors: usize,
    pub errors_cleared: usize,
    pub still_failing: u64,
    /// New failures by severity, most severe first.
    pub new_failures_by_severity: SeverityCounts,
    /// Failures fixed by remediation after the run (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub remediated: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A count per severity, serialized with every severity present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub informational: usize,
}

impl SeverityCounts {
    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Informational => self.informational += 1,
        }
    }

    /// `1 critical, 2 high`: the non-zero counts, most severe first.
    pub fn describe(&self) -> String {
        let pairs = [
            (self.critical, "critical"),
            (self.high, "high"),
            (self.medium, "medium"),
            (self.low, "low"),
            (self.informational, "informational"),
        ];
        pairs.iter().filter(|(n, _)| *n > 0).map(|(n, name)| format!("{n} {name}")).collect::<Vec<_>>().join(", ")
    }
}

impl OwnerDigest {
    /// The changes in message order: new failures, resolved, new errors, errors cleared; within
    /// a group the most severe first, then by rule, account, region and resource, so that the
    /// same digest always renders the same message.
    pub fn ordered_changes(&self) -> Vec<&Change> {
        let mut changes: Vec<&Change> = self.changes.iter().collect();
        changes.sort_by(|a, b| message_order(a, b));
        changes
    }

    /// Whether there is anything to tell: an owner with no transition gets no message.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts { still_failing: self.still_failing, ..Counts::default() };
        for change in &self.changes {
            match change.kind {
                ChangeKind::NewFailure => {
                    counts.new_failures += 1;
                    counts.new_failures_by_severity.add(change.severity);
                }
                ChangeKind::Remediated => counts.remediated += 1,
                ChangeKind::Resolved => counts.resolved += 1,
                ChangeKind::NewError => counts.new_errors += 1,
                ChangeKind::ErrorCleared => counts.errors_cleared += 1,
            }
        }
        counts
    }
}

impl Counts {
    /// `3 new failures (1 critical, 2 high), 2 resolved, 1 new error`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.new_failures > 0 {
            parts.push(format!(
                "{} ({})",
                plural(self.new_failures, "new failure", "new failures"),
                self.new_failures_by_severity.describe()
            ));
        }
        if self.remediated > 0 {
            parts.push(format!("{} fixed by mamori", self.remediated));
        }
        if self.resolved > 0 {
            parts.push(format!("{} resolved", self.resolved));
        }
        if self.new_errors > 0 {
            parts.push(plural(self.new_errors, "new error", "new errors"));
        }
        if self.errors_cleared > 0 {
            parts.push(plural(self.errors_cleared, "error cleared", "errors cleared"));
        }
        if parts.is_empty() {
            parts.push("no changes".to_owned());
        }
        parts.join(", ")
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn message_order(a: &Change, b: &Change) -> Ordering {
    a.kind
        .cmp(&b.kind)
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
        .then_with(|| a.account_id.cmp(&b.account_id))
        .then_with(|| a.region.cmp(&b.region))
        .then_with(|| a.resource_type.cmp(&b.resource_type))
        .then_with(|| a.resource_id.cmp(&b.resource_id))
        .then_with(|| a.finding_id.cmp(&b.finding_id))
}
