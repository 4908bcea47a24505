//! Renders a report as text, JSON or SARIF 2.1.0. Secrets appear redacted
//! (first 4 and last 4 characters) in all three: the report only holds
//! [`crate::SecretValue`]s, which cannot print themselves in full.

use crate::detect::RULES;
use crate::scan::{Finding, Report, Source, Verification};
use mamori_model::escape_controls;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Sarif => sarif(report),
    }
}

fn verification_text(v: &Verification) -> String {
    match v {
        Verification::Live { account, arn } => format!("LIVE key: account {account}, {arn}"),
        Verification::Invalid { code } => format!("not live ({code})"),
        Verification::Error { message } => format!("verification failed: {message}"),
    }
}

/// File names, authors and reasons come from the scanned repository: in the text report,
/// control characters in them are shown as visible escapes, so that a file named with a
/// terminal escape sequence cannot rewrite the reader's screen.
fn location(f: &Finding) -> String {
    format!("{}:{}:{}", escape_controls(&f.path), f.line, f.column)
}

/// Human-readable report.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let what = match s.source {
        Source::WorkTree => "files",
        Source::History => "blobs",
        Source::Staged => "staged files",
        Source::CommitMessage => "commit messages",
    };
    for f in &report.findings {
        let _ = write!(out, "{:<22} {}  {}", f.rule.id(), f.secret, location(f));
        if let Some(c) = &f.commit {
            let _ = write!(
                out,
                "  commit {} by {} <{}> on {}",
                &c.id[..c.id.len().min(12)],
                escape_controls(&c.author),
                escape_controls(&c.email),
                c.date
            );
        }
        if f.occurrences > 1 {
            let _ = write!(out, "  ({} blobs)", f.occurrences);
        }
        if let Some(v) = &f.verification {
            let _ = write!(out, "  [{}]", verification_text(v));
        }
        out.push('\n');
    }
    for k in &report.skipped {
        let _ = write!(out, "skipped");
        if let Some(p) = &k.path {
            let _ = write!(out, " `{}`", escape_controls(p));
        }
        if let Some(o) = &k.object {
            let _ = write!(out, " (object {o})");
        }
        let _ = writeln!(out, ": {}", escape_controls(&k.reason));
    }
    for w in &report.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let a = &s.allowed;
    let _ = writeln!(
        out,
        "{} finding(s) in {} {} ({:.1} MiB) of `{}`; allowed {} (AWS examples {}, patterns {}, paths {}, inline {}); skipped {} binary, {} too large, {} unreadable",
        s.findings,
        s.scanned,
        what,
        s.bytes_scanned as f64 / (1024.0 * 1024.0),
        escape_controls(&s.root),
        a.total,
        a.aws_example,
        a.pattern,
        a.path,
        a.inline,
        s.skipped_binary,
        s.skipped_too_large,
        s.skipped_errors
    );
    if s.skipped_submodules > 0 || s.skipped_ignored > 0 {
        out.pop();
        let _ = writeln!(
            out,
            "; {} submodule(s) and {} ignored path(s) not scanned",
            s.skipped_submodules, s.skipped_ignored
        );
    }
    out
}

/// JSON report: `{"summary": ..., "findings": [...], "skipped": [...]}`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("report serializes")
}

fn uri_encode(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// SARIF 2.1.0 log with one run.
pub fn sarif(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.title().replace(' ', ""),
                "shortDescription": {"text": r.title()},
                "fullDescription": {"text": r.description()},
                "help": {"text": r.help()},
                "defaultConfiguration": {"level": r.level()},
                "properties": {"tags": ["security", "secret", "aws"], "precision": "high"}
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = RULES.iter().position(|r| *r == f.rule).unwrap_or(0);
            let mut message = format!("{} `{}` found", f.rule.title(), f.secret);
            if let Some(c) = &f.commit {
                let _ = write!(message, " in commit {} by {} on {}", c.id, c.author, c.date);
            }
            if let Some(v) = &f.verification {
                let _ = write!(message, "; {}", verification_text(v));
            }
            let mut properties = json!({"redactedSecret": f.secret, "occurrences": f.occurrences});
            if let Some(c) = &f.commit {
                properties["commit"] = json!(c);
            }
            if let Some(b) = &f.blob {
                properties["blob"] = json!(b);
            }
            if let Some(v) = &f.verification {
                properties["verification"] = json!(v);
            }
            json!({
                "ruleId": f.rule.id(),
                "ruleIndex": index,
                "level": f.rule.level(),
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_encode(&f.path), "uriBaseId": "SRCROOT"},
                        "region": {"startLine": f.line, "startColumn": f.column}
                    }
                }],
                "partialFingerprints": {"mamoriSecretHash/v1": f.fingerprint},
                "properties": properties
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .skipped
        .iter()
        .map(|k| {
            let mut text = String::from("skipped");
            if let Some(p) = &k.path {
                let _ = write!(text, " `{p}`");
            }
            if let Some(o) = &k.object {
                let _ = write!(text, " (object {o})");
            }
            let _ = write!(text, ": {}", k.reason);
            json!({"level": "warning", "message": {"text": text}})
        })
        .chain(report.warnings.iter().map(|w| json!({"level": "warning", "message": {"text": w}})))
        .collect();
    let root = report.summary.root.trim_end_matches('/');
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mamori",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "originalUriBaseIds": {"SRCROOT": {"uri": format!("file://{}/", uri_encode(root))}},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications
            }],
            "results": results,
            "properties": {"summary": report.summary}
        }]
    });
    serde_json::to_string_pretty(&log).expect("sarif serializes")
}
