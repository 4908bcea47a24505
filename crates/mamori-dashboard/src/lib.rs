//! The HTML dashboard: one self-contained file showing a run to people who do not use the
//! command line.
//!
//! The dashboard must open from a mail attachment or a shared drive, offline and without
//! trusting anything outside the file: so everything (styles, script, data) is inline, the
//! data travels as JSON in a `<script type="application/json">` element with `<`, `>` and `&`
//! escaped (a finding's message cannot close the element), and a Content-Security-Policy
//! allows only the dashboard's own script (by hash) and forbids every fetch.
//!
//! The data is built by [`DashboardBuilder`] from a stream of findings, so that the report
//! command (reading the run store) and tests share one aggregation. The score is the
//! terminal view's compliance: passed and muted checks over passed, failed and muted ones
//! (errors are undecided and left out), so the two views show the same number.

mod data;
mod render;

pub use data::{
    AccountRow, Checks, DashboardBuilder, DashboardData, FindingRow, HeatCell, RuleInfo, RunInfo, SeverityCounts,
    TrendPoint,
};
pub use render::render;

/// The score of checks: the share of decided checks that pass, in percent; muted checks
/// count as decided by their exception. `None` when nothing was decided.
pub fn score(checks: &Checks) -> Option<f64> {
    let decided = checks.pass + checks.fail + checks.muted;
    (decided > 0).then(|| 100.0 * (checks.pass + checks.muted) as f64 / decided as f64)
}

/// A score as the terminal view prints it: one decimal and a percent sign, `-` for none.
pub fn score_text(score: Option<f64>) -> String {
    score.map(|percent| format!("{percent:.1}%")).unwrap_or_else(|| "-".to_owned())
}
