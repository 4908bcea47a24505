//! `mamori rules list` and `mamori rules show ID`: the built-in catalog, and the custom
//! policies of `--policies` or `[policies]` beside it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Subcommand;
use mamori_rules::{catalog, find, Rule};
use serde_json::json;

use crate::settings::{CustomPolicies, ListFormat};

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List every built-in rule, and the custom policies given.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        custom: CustomPolicies,
    },
    /// Show one rule or custom policy: metadata, parameters, mappings.
    Show {
        id: String,
        #[command(flatten)]
        custom: CustomPolicies,
    },
}

fn is_custom(rule: &dyn Rule) -> bool {
    find(rule.meta().id).is_none()
}

fn to_json(rule: &dyn Rule) -> serde_json::Value {
    let meta = rule.meta();
    json!({
        "id": meta.id,
        "service": meta.service,
        "title": meta.title,
        "severity": meta.severity,
        "resourceTypes": meta.resource_types,
        "parameters": meta.params.iter().map(|p| json!({
            "name": p.name, "type": p.kind.as_str(), "default": p.default, "description": p.description,
        })).collect::<Vec<_>>(),
        "rationale": meta.rationale,
        "remediation": meta.remediation,
        "stride": meta.stride.as_str(),
        "cisAwsFoundations3.0.0": meta.cis,
        "fsbp": meta.fsbp,
        "awsConfigManagedRule": !is_custom(rule) && meta.is_aws_managed_id(),
        "custom": is_custom(rule),
        "notes": meta.notes,
    })
}

pub fn run(command: RulesCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::List { format: ListFormat::Json, custom } => {
            let rules: Vec<_> = custom.rules()?.into_iter().map(to_json).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?;
        }
        RulesCommand::List { custom, .. } => {
            let rules = custom.rules()?;
            writeln!(out, "{:<52} {:<13} {:<14} {:<16} TITLE", "ID", "SEVERITY", "SERVICE", "CIS 3.0 / FSBP")?;
            for rule in &rules {
                let meta = rule.meta();
                let mappings: Vec<&str> = meta.cis.iter().chain(meta.fsbp.iter()).copied().collect();
                writeln!(
                    out,
                    "{:<52} {:<13} {:<14} {:<16} {}",
                    meta.id,
                    meta.severity.as_str(),
                    meta.service,
                    mappings.join(" "),
                    meta.title
                )?;
            }
            let custom = rules.len() - catalog().len();
            writeln!(out, "\n{} rules ({} built in, {custom} custom)", rules.len(), catalog().len())?;
        }
        RulesCommand::Show { id, custom } => {
            let rules = custom.rules()?;
            let rule = rules
                .iter()
                .find(|rule| rule.meta().id == id)
                .ok_or_else(|| anyhow!("unknown rule `{id}` (see `mamori rules list`)"))?;
            let meta = rule.meta();
            writeln!(out, "{}  [{}]{}", meta.id, meta.severity, if is_custom(*rule) { "  custom policy" } else { "" })?;
            writeln!(out, "{}\n", meta.title)?;
            writeln!(out, "Resource types: {}", meta.resource_types.join(", "))?;
            writeln!(out, "STRIDE:         {}", meta.stride.as_str())?;
            writeln!(out, "CIS v3.0.0:     {}", if meta.cis.is_empty() { "-".into() } else { meta.cis.join(", ") })?;
            writeln!(out, "FSBP:           {}", if meta.fsbp.is_empty() { "-".into() } else { meta.fsbp.join(", ") })?;
            writeln!(
                out,
                "AWS Config:     {}",
                if is_custom(*rule) {
                    "custom policy"
                } else if meta.is_aws_managed_id() {
                    "same id as the AWS Config managed rule"
                } else {
                    "mamori rule"
                }
            )?;
            if !meta.params.is_empty() {
                writeln!(out, "\nParameters:")?;
                for param in meta.params {
                    let default = if param.default.is_empty() { "(not set)" } else { param.default };
                    writeln!(
                        out,
                        "  {} ({}, default {}): {}",
                        param.name,
                        param.kind.as_str(),
                        default,
                        param.description
                    )?;
                }
            }
            writeln!(out, "\nWhy: {}", meta.rationale)?;
            writeln!(out, "\nFix: {}", meta.remediation)?;
            if let Some(fixer) = mamori_aws::fix::find(meta.id) {
                let fixer = fixer.meta();
                writeln!(
                    out,
                    "\nmamori remediate: {} ({}; set `mode` under [remediation.rule.{}])",
                    fixer.summary,
                    if fixer.reversible { "reversible" } else { "not reversible" },
                    meta.id
                )?;
            }
            if !meta.notes.is_empty() {
                writeln!(out, "\nNotes: {}", meta.notes)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
