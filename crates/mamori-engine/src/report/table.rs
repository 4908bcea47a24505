//! The organization-wide view for a terminal: totals, severities, failing rules first, then
//! accounts from least to most compliant. Everything that comes from the inventory (account
//! ids and names, messages, resource types) goes through `escape_controls`, so that a resource
//! name cannot drive the terminal.

use std::io::{self, Write};

use mamori_model::{escape_controls, score_text, Severity, StatusCounts};

use crate::summary::Summary;

/// Rows shown per section before "… and N more".
const MAX_ROWS: usize = 40;

fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        text.chars().take(width - 1).collect::<String>() + "…"
    }
}

pub fn render(summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let checks = &summary.checks;
    writeln!(
        out,
        "mamori: {} accounts, {} regions, {} resources, {} rules",
        thousands(summary.accounts),
        thousands(summary.regions),
        thousands(summary.resources),
        summary.rules_evaluated
    )?;
    writeln!(
        out,
        "Checks evaluated (rules x resources across accounts and regions): {}   PASS {}   FAIL {}   ERROR {}   MUTED {}",
        thousands(checks.total()),
        thousands(checks.pass),
        thousands(checks.fail),
        thousands(checks.error),
        thousands(checks.muted)
    )?;
    writeln!(out, "Compliance: {}", score_text(checks.score()))?;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .map(|severity| format!("{severity} {}", thousands(summary.failing_by_severity.get(*severity))))
        .collect();
    writeln!(out, "Failing checks by severity: {}", by_severity.join("   "))?;
    if summary.collection_errors > 0 {
        writeln!(
            out,
            "Collection errors: {} (the rules that read what could not be collected report ERROR)",
            summary.collection_errors
        )?;
    }

    let mut failing: Vec<_> =
        summary.by_rule.iter().filter(|(_, rule)| rule.checks.fail + rule.checks.error > 0).collect();
    failing.sort_by(|(a_id, a), (b_id, b)| {
        (b.severity, b.checks.fail, b.checks.error, *a_id).cmp(&(a.severity, a.checks.fail, a.checks.error, *b_id))
    });
    writeln!(out)?;
    if failing.is_empty() {
        writeln!(out, "No failing checks.")?;
    } else {
        writeln!(out, "Failing rules (by severity, then failures)")?;
        writeln!(
            out,
            "  {:<13} {:<46} {:>7} {:>7} {:>6} {:>8}  EXAMPLE",
            "SEVERITY", "RULE", "FAIL", "PASS", "ERROR", "ACCOUNTS"
        )?;
        for (id, rule) in failing.iter().take(MAX_ROWS) {
            let example = rule
                .examples
                .first()
                .map(|e| escape_controls(&format!("{}/{}: {}", e.account_id, e.region, e.message)).into_owned())
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<13} {:<46} {:>7} {:>7} {:>6} {:>8}  {}",
                rule.severity.as_str(),
                clip(&escape_controls(id), 46),
                thousands(rule.checks.fail),
                thousands(rule.checks.pass),
                thousands(rule.checks.error),
                rule.accounts_failing,
                clip(&example, 90)
            )?;
        }
        if failing.len() > MAX_ROWS {
            writeln!(out, "  … and {} more failing rules (use --format json for all)", failing.len() - MAX_ROWS)?;
        }
    }

    let mut accounts: Vec<_> = summary.by_account.iter().collect();
    accounts.sort_by(|(a_id, a), (b_id, b)| {
        let score = |counts: &StatusCounts| counts.score().unwrap_or(100.0);
        score(&a.checks).total_cmp(&score(&b.checks)).then(a_id.cmp(b_id))
    });
    writeln!(out)?;
    writeln!(out, "Accounts (least compliant first)")?;
    writeln!(
        out,
        "  {:<14} {:<22} {:>7} {:>6} {:>6} {:>10}  {:>4} {:>4} {:>4} {:>4}",
        "ACCOUNT", "NAME", "CHECKS", "FAIL", "ERROR", "COMPLIANT", "CRIT", "HIGH", "MED", "LOW"
    )?;
    for (id, account) in accounts.iter().take(MAX_ROWS) {
        let failing = |severity| account.failing_by_severity.get(severity);
        writeln!(
            out,
            "  {:<14} {:<22} {:>7} {:>6} {:>6} {:>10}  {:>4} {:>4} {:>4} {:>4}",
            escape_controls(id),
            clip(&escape_controls(account.name.as_deref().unwrap_or("-")), 22),
            thousands(account.checks.total()),
            thousands(account.checks.fail),
            thousands(account.checks.error),
            score_text(account.checks.score()),
            failing(Severity::Critical),
            failing(Severity::High),
            failing(Severity::Medium),
            failing(Severity::Low)
        )?;
    }
    if accounts.len() > MAX_ROWS {
        writeln!(out, "  … and {} more accounts (use --format json for all)", accounts.len() - MAX_ROWS)?;
    }
    if !summary.not_covered.is_empty() {
        let listed: Vec<String> = summary
            .not_covered
            .iter()
            .take(10)
            .map(|(kind, count)| format!("{} ({count})", escape_controls(kind)))
            .collect();
        let more = summary.not_covered.len().saturating_sub(10);
        writeln!(out)?;
        writeln!(
            out,
            "Resource types no selected rule reads: {}{}",
            listed.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mamori_model::{Finding, Status};

    use super::*;
    use crate::pipeline::InventoryStats;
    use crate::summary::SummaryBuilder;

    /// Text from the inventory (ids, names, messages) reaches the terminal: control characters
    /// in it must show as escapes, never act on the terminal.
    #[test]
    fn control_characters_from_the_inventory_are_shown_escaped() {
        let mut builder = SummaryBuilder::new([("access-keys-rotated".to_owned(), Severity::High)]);
        let account: Arc<str> = Arc::from("1111\u{1b}]0;owned\u{7}");
        let finding = Finding {
            rule_id: Arc::from("access-keys-rotated"),
            status: Status::Fail,
            severity: Severity::High,
            account_id: account.clone(),
            region: Arc::from("us-east-1"),
            resource_type: Arc::from("AWS::IAM::User"),
            resource_id: Arc::from("alice\u{1b}[2J"),
            resource_arn: None,
            message: "key of alice\u{1b}[2J\u{9b}31m is old\r\nPASS".to_owned(),
        };
        builder.add(&finding, 0);
        let mut stats = InventoryStats { items: 1, ..InventoryStats::default() };
        stats.account_names.insert(account.to_string(), "prod\u{1b}[31m".to_owned());
        stats.not_covered.insert("AWS::X::\u{1b}Y".to_owned(), 1);
        let summary = builder.finish(&stats);
        let mut out = Vec::new();
        render(&summary, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let raw: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
        assert!(raw.is_empty(), "raw control characters {raw:?} in:\n{text}");
        assert!(text.contains(r"alice\u{1b}[2J\u{9b}31m is old\r\nPASS"), "{text}");
        assert!(text.contains(r"prod\u{1b}[31m"), "{text}");
        assert!(text.contains(r"1111\u{1b}]0;owned\u{7}"), "{text}");
        assert!(text.contains(r"AWS::X::\u{1b}Y"), "{text}");
    }
}
