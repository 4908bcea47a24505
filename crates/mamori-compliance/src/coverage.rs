//! The coverage tables of the README, generated from the framework files so that the figures a
//! user reads are the data's, never a hand count that drifts as rules are added. A test compares
//! the README with [`markdown`] and rewrites it on request (`MAMORI_BLESS=1`).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::frameworks::{percent, Framework};

/// The marker lines between which the README holds the generated tables.
pub const BEGIN: &str = "<!-- coverage tables: generated from frameworks/ by `MAMORI_BLESS=1 cargo test -p mamori-compliance --test frameworks`; do not edit by hand -->";
pub const END: &str = "<!-- end of generated coverage tables -->";

/// One section's row: its name, how many controls, those with rules, the automated ones without.
struct SectionRow<'a> {
    name: String,
    controls: u64,
    covered: Vec<&'a str>,
    missing: Vec<&'a str>,
}

/// Markdown tables of the given frameworks' coverage: one summary row per framework, the
/// automated controls without a rule, and per section (service) the controls that have rules.
pub fn markdown(frameworks: &[&Framework]) -> String {
    let mut out = String::new();
    out.push_str("| framework | controls | with rules | automated | automated with rules | retired (not counted) |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for framework in frameworks {
        let coverage = framework.evaluate(|_| None).coverage;
        let _ = writeln!(
            out,
            "| {} (`{}`) | {} | {} ({:.1} %) | {} | {} ({:.1} %) | {} |",
            framework.name,
            framework.id,
            coverage.controls,
            coverage.with_rules,
            percent(coverage.with_rules, coverage.controls),
            coverage.automated,
            coverage.automated_with_rules,
            percent(coverage.automated_with_rules, coverage.automated),
            coverage.retired
        );
    }
    for framework in frameworks {
        let _ = writeln!(out, "\n{} by section:\n", framework.name);
        out.push_str("| section | controls | with rules | automated, no rule yet |\n|---|---|---|---|\n");
        let mut sections: BTreeMap<usize, SectionRow> = BTreeMap::new();
        let mut order: BTreeMap<String, usize> = BTreeMap::new();
        for control in framework.controls.iter().filter(|control| !control.retired) {
            let name = control.section.clone().unwrap_or_else(|| "(no section)".to_owned());
            let next = order.len();
            let index = *order.entry(name.clone()).or_insert(next);
            let row = sections.entry(index).or_insert_with(|| SectionRow {
                name,
                controls: 0,
                covered: Vec::new(),
                missing: Vec::new(),
            });
            row.controls += 1;
            if !control.rules.is_empty() {
                row.covered.push(&control.id);
            } else if control.automated {
                row.missing.push(&control.id);
            }
        }
        for SectionRow { name, controls, covered, missing } in sections.values() {
            let list = |ids: &[&str]| if ids.is_empty() { "—".to_owned() } else { ids.join(", ") };
            let _ = writeln!(
                out,
                "| {name} | {controls} | {} | {} |",
                if covered.is_empty() { "0".to_owned() } else { format!("{}: {}", covered.len(), covered.join(", ")) },
                list(missing)
            );
        }
    }
    out
}

/// `readme` with the text between [`BEGIN`] and [`END`] replaced by `tables`; `None` when the
/// markers are missing or out of order.
pub fn splice(readme: &str, tables: &str) -> Option<String> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    Some(format!("{}\n{}{}", &readme[..start], tables, &readme[end..]))
}
