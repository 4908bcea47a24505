//! Owner notifications on the command line: what `mamori-workflow`'s notifier did after a run,
//! and `mamori notify pending|send` to show and retry what is still queued.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Subcommand;
use mamori_notify::Queued;
use mamori_store::{Notification, Store};
use mamori_workflow::notify::describe_part;
use mamori_workflow::{NotifyEvent, NotifyReport};

use crate::settings::{DeliveryArgs, StoreLocation};

#[derive(Subcommand)]
pub enum NotifyCommand {
    /// List the notifications not delivered yet, oldest first, with their last error.
    Pending {
        #[command(flatten)]
        store: StoreLocation,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Try to deliver the pending notifications now (exit 1 when some are still pending).
    Send {
        #[command(flatten)]
        store: StoreLocation,
        #[command(flatten)]
        delivery: DeliveryArgs,
    },
}

/// Print what the notifier did after a run: events on standard error, a dry run's preview on
/// `dry_run_out`. Delivery problems never change the exit code of a run, and say so.
pub fn print_report(report: &NotifyReport, dry_run_out: &mut dyn Write) -> io::Result<()> {
    for event in &report.events {
        let tail = match event {
            NotifyEvent::StillPending { .. } => "; the exit code is not affected",
            _ => "",
        };
        print_event(event, tail);
    }
    if let Some(dry_run) = &report.dry_run {
        write!(dry_run_out, "{dry_run}")?;
    }
    Ok(())
}

fn print_event(event: &NotifyEvent, tail: &str) {
    let prefix = if event.is_warning() { "warning: notify" } else { "notify" };
    eprintln!("{prefix}: {event}{tail}");
}

pub fn run(command: NotifyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        NotifyCommand::Pending { store, json } => {
            let store = store.open_read_only()?;
            let pending = store.pending_notifications()?;
            if json {
                let rows: Vec<serde_json::Value> = pending.iter().map(pending_json).collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
                return Ok(ExitCode::SUCCESS);
            }
            if pending.is_empty() {
                writeln!(out, "no pending notification in {}", store.path().display())?;
                return Ok(ExitCode::SUCCESS);
            }
            writeln!(
                out,
                "{:>5}  {:>5}  {:<20}  {:<24}  {:<10}  {:>8}  last error",
                "id", "run", "owner", "target", "part", "attempts"
            )?;
            for notification in &pending {
                writeln!(
                    out,
                    "{:>5}  {:>5}  {:<20}  {:<24}  {:<10}  {:>8}  {}",
                    notification.id,
                    notification.run_id,
                    notification.owner.as_deref().unwrap_or("-"),
                    notification.target,
                    describe_part(notification),
                    notification.attempts,
                    notification.last_error.as_deref().unwrap_or("-")
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        NotifyCommand::Send { store, delivery } => {
            let (config, path) = store.resolve()?;
            let notifier = delivery.notifier(&config)?;
            let mut store = Store::open(&path)?;
            if store.pending_notifications()?.is_empty() {
                eprintln!("notify: nothing pending in {}", store.path().display());
                return Ok(ExitCode::SUCCESS);
            }
            let report = notifier.send_pending(&mut store)?;
            // Unlike after a run, sending is the whole command here: what is still pending
            // makes the exit code 1.
            for event in &report.events {
                print_event(event, "");
            }
            Ok(if report.still_pending > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

fn pending_json(notification: &Notification) -> serde_json::Value {
    let (part, parts, key) = match Queued::decode(&notification.payload) {
        Ok(Queued::Message(m)) => (Some(m.part), Some(m.parts), Some(m.key)),
        _ => (None, None, None),
    };
    serde_json::json!({
        "id": notification.id,
        "runId": notification.run_id,
        "owner": notification.owner,
        "target": notification.target,
        "key": key,
        "part": part,
        "parts": parts,
        "attempts": notification.attempts,
        "lastError": notification.last_error,
        "createdAt": notification.created_at,
    })
}
