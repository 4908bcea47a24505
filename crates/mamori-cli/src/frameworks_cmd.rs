//! `--framework`: the per-control result of a compliance framework after a run.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use mamori_compliance::{Framework, FrameworkReport};
use mamori_engine::Summary;
use mamori_rules::RuleSet;

use crate::exceptions_cmd::known_rules;

/// Resolve `--framework` before the run, so that a bad framework costs no evaluation.
/// Custom policies join the controls their metadata maps them to.
pub fn resolve(name: &str, rules: &RuleSet) -> anyhow::Result<Framework> {
    let mut framework = Framework::resolve(name, &known_rules(rules))?;
    if let Some(field) = framework.mapping_field() {
        for active in rules.rules() {
            let meta = active.rule.meta();
            if mamori_rules::find(meta.id).is_some() {
                continue;
            }
            let controls = if field == "cis" { meta.cis } else { meta.fsbp };
            framework.map_rule(meta.id, controls)?;
        }
    }
    Ok(framework)
}

/// Each control's result from the run's per-rule counts. A rule of the framework that was not
/// selected in the run has no entry in the summary.
pub fn evaluate(framework: &Framework, summary: &Summary) -> FrameworkReport {
    framework.evaluate(|rule| summary.by_rule.get(rule).map(|rule| rule.checks))
}

pub fn render(report: &FrameworkReport, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out)?;
    report.render_table(out)?;
    Ok(())
}

pub fn write_json(report: &FrameworkReport, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    mamori_engine::report::write_file(path, |out| writeln!(out, "{text}"))
        .with_context(|| format!("cannot write the framework report to `{}`", path.display()))
}
