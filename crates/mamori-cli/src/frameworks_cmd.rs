//! `--framework`: the per-control result of a compliance framework after a run.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use mamori_compliance::{Counts, Framework, FrameworkReport};
use mamori_engine::Summary;
use mamori_rules::RuleSet;

use crate::exceptions_cmd::known_rules;

/// Resolve `--framework` before the run, so that a bad framework costs no evaluation.
pub fn resolve(name: &str, rules: &RuleSet) -> anyhow::Result<Framework> {
    Ok(Framework::resolve(name, &known_rules(Some(rules)))?)
}

/// Each control's result from the run's per-rule counts. A rule of the framework that was not
/// selected in the run has no entry in the summary.
pub fn evaluate(framework: &Framework, summary: &Summary) -> FrameworkReport {
    framework.evaluate(|rule| {
        summary.by_rule.get(rule).map(|rule| Counts {
            pass: rule.checks.pass,
            fail: rule.checks.fail,
            error: rule.checks.error,
            muted: rule.checks.muted,
        })
    })
}

pub fn render(report: &FrameworkReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out)?;
    report.render_table(out)?;
    Ok(())
}

pub fn write_json(report: &FrameworkReport, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n")
        .with_context(|| format!("cannot write the framework report to `{}`", path.display()))
}
