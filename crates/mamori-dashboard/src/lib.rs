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
//! command (reading the run store) and tests share one aggregation. Counts and scores are
//! mamori-model's [`StatusCounts`](mamori_model::StatusCounts) and its one score formula, the
//! terminal view's, so the two views show the same number.

mod data;
mod render;

pub use data::{AccountRow, DashboardBuilder, DashboardData, FindingRow, HeatCell, RuleInfo, RunInfo, TrendPoint};
pub use render::render;
