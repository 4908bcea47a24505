//! `mamori incidents list|show`: the incidents `mamori watch` recorded, with who did what.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mamori_model::escape_controls;
use mamori_store::Incident;

use crate::settings::StoreLocation;

#[derive(Subcommand)]
pub enum IncidentsCommand {
    /// Every recorded incident, oldest first.
    List(ListArgs),
    /// One incident in full: the event, the actor and what mamori did.
    Show(ShowArgs),
}

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreLocation,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The incident (see `mamori incidents list`).
    #[arg(value_name = "INCIDENT_ID")]
    id: i64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreLocation,
}

pub fn run(command: IncidentsCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        IncidentsCommand::List(args) => list(args, out),
        IncidentsCommand::Show(args) => show(args, out),
    }
}

fn list(args: ListArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let incidents = args.store.open_read_only()?.incidents()?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&incidents)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<6} {:<20} {:<22} {:<14} {:<14} {:<48} principal",
        "id", "event time", "kind", "account", "region", "resource"
    )?;
    for incident in &incidents {
        writeln!(
            out,
            "{:<6} {:<20} {:<22} {:<14} {:<14} {:<48} {}",
            incident.id,
            mamori_model::time::rfc3339(incident.event_time),
            escape_controls(&incident.kind),
            escape_controls(&incident.account_id),
            escape_controls(&incident.region),
            escape_controls(&incident.resource),
            escape_controls(incident.principal_arn.as_deref().unwrap_or("-")),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: ShowArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let incident = args.store.open_read_only()?.incident(args.id)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&incident)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_incident(&incident, out)?;
    Ok(ExitCode::SUCCESS)
}

fn print_incident(incident: &Incident, out: &mut dyn Write) -> anyhow::Result<()> {
    // Everything here came from an event someone else wrote: escape control characters so
    // that a crafted user agent cannot rewrite the terminal.
    writeln!(out, "incident {}: {}", incident.id, escape_controls(&incident.kind))?;
    writeln!(out, "  summary:    {}", escape_controls(&incident.summary))?;
    writeln!(out, "  action:     {}", escape_controls(&incident.action))?;
    writeln!(out, "  resource:   {}", escape_controls(&incident.resource))?;
    writeln!(
        out,
        "  account:    {}  region: {}",
        escape_controls(&incident.account_id),
        escape_controls(&incident.region)
    )?;
    writeln!(out, "  principal:  {}", or_dash(incident.principal_arn.as_deref()))?;
    writeln!(out, "  source IP:  {}", or_dash(incident.source_ip.as_deref()))?;
    writeln!(out, "  user agent: {}", or_dash(incident.user_agent.as_deref()))?;
    writeln!(out, "  event time: {}", mamori_model::time::rfc3339(incident.event_time))?;
    writeln!(out, "  event id:   {}", escape_controls(&incident.event_id))?;
    writeln!(out, "  responder:  {}", escape_controls(&incident.responder))?;
    writeln!(out, "  recorded:   {}", mamori_model::time::rfc3339(incident.recorded_at / 1000))?;
    Ok(())
}

fn or_dash(value: Option<&str>) -> std::borrow::Cow<'_, str> {
    escape_controls(value.unwrap_or("-"))
}
