//! Owner notifications on the command line: after `evaluate` or `audit` recorded a complete
//! run, each owner is told what changed in their accounts since the previous complete run of
//! the same scope, and `mamori notify pending|send` show and retry what is still queued.
//!
//! It exists to glue three crates that know nothing of each other: the store (history,
//! transitions, the queue of pending notifications), `mamori-notify` (rendering, webhook
//! delivery) and the configuration (`[owners]` names a target per account, `[notify.targets]`
//! says what kind of webhook a name is and where its URL is read from).
//!
//! Every message is queued in the store before the first delivery attempt and marked
//! delivered part by part, so a message that cannot be delivered now is sent by the next run
//! (or `mamori notify send`), byte for byte, and a delivered one is never sent again. An owner
//! whose target is not configured gets their changes queued unrendered ("target not
//! configured"), rendered and sent once the target is configured: nothing is dropped.
//! Delivery problems are warnings: they never change the exit code of the run.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use mamori_engine::notify::NotifyKind;
use mamori_engine::Config;
use mamori_notify::{
    render, BlockingSender, Change, ChangeKind, DeliveryPolicy, Message, OwnerDigest, RenderOptions, RunInfo,
    TargetConfig, TargetKind, TargetRef, TargetResolver,
};
use mamori_rules::RuleSet;
use mamori_store::{Diff, NewNotification, Notification, RunSummary, Store, TransitionKind};
use serde::{Deserialize, Serialize};

use crate::history_cmd::RecordedRun;

/// A logical message: (run id, owner, target reference).
type MessageGroup = (String, String, String);

/// The owner of accounts that have a target but no owner.
const UNASSIGNED_OWNER: &str = "unassigned";

/// Notification flags of `evaluate` and `audit`.
#[derive(Args, Debug, Clone)]
pub struct NotifyArgs {
    /// Do not notify owners of this run's changes (they are not queued either: the next run is
    /// compared with this one); messages pending from earlier runs stay pending.
    #[arg(long, env = "MAMORI_NO_NOTIFY", value_parser = clap::builder::BoolishValueParser::new())]
    no_notify: bool,
    /// Print the notifications this run would send (targets by name with the source of their
    /// URL, and the payloads) and send and queue nothing.
    #[arg(long, conflicts_with = "no_notify")]
    notify_dry_run: bool,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// How long webhook deliveries may take.
#[derive(Args, Debug, Clone)]
pub struct DeliveryArgs {
    /// Timeout of one webhook request, in seconds (default: `[notify] timeout_secs`, else 15).
    #[arg(long, value_name = "SECONDS", env = "MAMORI_NOTIFY_TIMEOUT")]
    notify_timeout: Option<f64>,
    /// Time allowed for all webhook deliveries of the command, retries included, in seconds
    /// (default: `[notify] deadline_secs`, else 300).
    #[arg(long, value_name = "SECONDS", env = "MAMORI_NOTIFY_DEADLINE")]
    notify_deadline: Option<f64>,
}

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
    /// Try to deliver the pending notifications now.
    Send {
        #[command(flatten)]
        store: StoreLocation,
        #[command(flatten)]
        delivery: DeliveryArgs,
    },
}

#[derive(Args, Debug)]
pub struct StoreLocation {
    /// The findings history database (default: as for `mamori evaluate`).
    #[arg(long, value_name = "PATH", env = "MAMORI_DB")]
    db: Option<PathBuf>,
    /// Configuration file, for `[store] path` and `[notify]` (default: ./mamori.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// A queued notification's payload: a rendered message part, or (when its target was not
/// configured at the time) the owner's changes, rendered once the target is configured.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Queued {
    Message(Message),
    Unrendered(Unrendered),
}

/// An owner's digest without its target (the target's kind is what is missing): the
/// notification row keeps the target's name.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Unrendered {
    owner: String,
    run: RunInfo,
    changes: Vec<Change>,
    still_failing: u64,
}

/// The configured targets and how to reach them.
pub struct Notifier {
    targets: BTreeMap<String, TargetRef>,
    resolver: TargetResolver,
    policy: DeliveryPolicy,
    /// Whether the configuration sets up notifications at all.
    configured: bool,
}

impl Notifier {
    /// Check `[notify]` before any work is done: a bad section stops the command at once.
    pub fn prepare(config: &Config, delivery: &DeliveryArgs) -> anyhow::Result<Notifier> {
        let section = &config.file.notify;
        let origin = config.origin.as_deref().map_or("configuration".to_owned(), |p| format!("`{}`", p.display()));
        let base = config.origin.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let mut targets = BTreeMap::new();
        let mut resolver = TargetResolver::new();
        for (name, target) in &section.targets {
            let kind = match target.kind {
                NotifyKind::Slack => TargetKind::Slack,
                NotifyKind::Json => TargetKind::Json,
            };
            let reference = TargetRef::new(kind, name).with_context(|| format!("{origin} [notify.targets.{name}]"))?;
            let source = TargetConfig { url_env: target.url_env.clone(), url_file: target.url_file.clone() }
                .source(name)
                .with_context(|| format!("{origin} [notify.targets.{name}]"))?;
            if let Some(source) = source {
                let source = match source {
                    mamori_notify::UrlSource::File(path) if path.is_relative() => {
                        mamori_notify::UrlSource::File(base.join(path))
                    }
                    other => other,
                };
                resolver.set_source(name, source);
            }
            targets.insert(name.clone(), reference);
        }
        let seconds = |flag: Option<f64>, file: Option<f64>, what: &str, default: u64| -> anyhow::Result<Duration> {
            match flag.or(file) {
                None => Ok(Duration::from_secs(default)),
                Some(s) if s.is_finite() && s > 0.0 && s < 86_400.0 => Ok(Duration::from_secs_f64(s)),
                Some(s) => anyhow::bail!("{what}: `{s}` is not a number of seconds between 0 and 86400"),
            }
        };
        let request_timeout =
            seconds(delivery.notify_timeout, section.timeout_secs, "--notify-timeout / [notify] timeout_secs", 15)?;
        let deadline = seconds(
            delivery.notify_deadline,
            section.deadline_secs,
            "--notify-deadline / [notify] deadline_secs",
            300,
        )?;
        let policy = DeliveryPolicy {
            request_timeout,
            connect_timeout: request_timeout.min(Duration::from_secs(10)),
            deadline,
            ..DeliveryPolicy::default()
        };
        let configured = !targets.is_empty()
            || config.file.owners.default_target.is_some()
            || config.file.owners.account.values().any(|a| a.target.is_some());
        Ok(Notifier { targets, resolver, policy, configured })
    }

    /// The reference of the target an account names: a configured name, or `slack:NAME` /
    /// `json:NAME` written out (its URL then comes from `MAMORI_WEBHOOK_NAME`).
    fn reference(&self, name: &str) -> Option<TargetRef> {
        self.targets.get(name).cloned().or_else(|| name.parse().ok())
    }

    /// After a run: queue this run's messages, then deliver everything pending.
    pub fn after_run(
        &self,
        run: Option<&RecordedRun>,
        rules: &RuleSet,
        args: &NotifyArgs,
        dry_run_out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let Some(run) = run else {
            if self.configured || args.notify_dry_run {
                eprintln!("notify: the run was not recorded (--no-store): no change to notify");
            }
            return Ok(());
        };
        if args.no_notify {
            let store = Store::open(&run.path)?;
            let pending = store.pending_notifications()?.len();
            let kept = if pending > 0 {
                format!("; {pending} message(s) pending from earlier runs are kept")
            } else {
                "".into()
            };
            eprintln!("notify: off (--no-notify): the changes of run {} are not notified{kept}", run.id);
            return Ok(());
        }
        let mut store = Store::open(&run.path)?;
        let current = store.run(run.id)?;
        let previous = store.latest_complete_run(Some(&current.scope), Some(current.id))?;
        let groups = match &previous {
            None => {
                if self.configured {
                    eprintln!("notify: first complete run of this scope: no transitions to notify");
                }
                Vec::new()
            }
            Some(previous) => {
                let diff = store.diff(previous.id, current.id)?;
                self.groups(&diff, &current, rules)
            }
        };
        if args.notify_dry_run {
            return self.dry_run(&store, &groups, previous.as_ref(), dry_run_out);
        }
        // What each of this run's messages says, for the line printed after delivery.
        let mut descriptions: HashMap<MessageGroup, String> = HashMap::new();
        for group in &groups {
            let target_name = group.target.as_str();
            match self.reference(target_name) {
                Some(reference) => {
                    let messages = render(&group.digest(reference.clone()), &RenderOptions::default());
                    for message in &messages {
                        enqueue(&mut store, current.id, &group.owner, target_name, &Queued::Message(message.clone()))?;
                    }
                    descriptions
                        .insert((current.id.to_string(), group.owner.clone(), reference.to_string()), group.describe());
                }
                // Kept unrendered; the delivery below records why and warns.
                None => {
                    enqueue(
                        &mut store,
                        current.id,
                        &group.owner,
                        target_name,
                        &Queued::Unrendered(group.unrendered()),
                    )?;
                }
            }
        }
        if previous.is_some() && groups.is_empty() && self.configured {
            eprintln!("notify: no change for any owner since the previous run of this scope");
        }
        self.send_pending(&mut store, &descriptions)?;
        Ok(())
    }

    /// Transitions grouped by owner and target, in the order of the diff (owner, then account).
    fn groups(&self, diff: &Diff, current: &RunSummary, rules: &RuleSet) -> Vec<Group> {
        let catalog: HashMap<&str, (&str, &str)> = rules
            .rules()
            .iter()
            .map(|r| (r.rule.meta().id, (r.rule.meta().title, r.rule.meta().remediation)))
            .collect();
        let run = RunInfo {
            id: current.id.to_string(),
            started_at: mamori_model::time::rfc3339(current.started_at.div_euclid(1000)),
            scope: current.scope_label.clone(),
        };
        let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
        let mut untargeted = 0usize;
        for transition in &diff.transitions {
            let kind = match transition.kind {
                TransitionKind::NewFailure => Some(ChangeKind::NewFailure),
                TransitionKind::Resolved => Some(ChangeKind::Resolved),
                TransitionKind::NewError => Some(ChangeKind::NewError),
                TransitionKind::ErrorCleared => Some(ChangeKind::ErrorCleared),
                TransitionKind::StillFailing => None,
                // A failure muted by an exception is a decision someone recorded, not news for
                // the owner: `mamori diff` shows it, notifications do not.
                TransitionKind::Muted => continue,
            };
            let Some(target) = transition.target.clone() else {
                untargeted += usize::from(kind.is_some());
                continue;
            };
            let owner = transition.owner.clone().unwrap_or_else(|| UNASSIGNED_OWNER.to_owned());
            let group = groups.entry((owner.clone(), target.clone())).or_insert_with(|| Group {
                owner,
                target,
                run: run.clone(),
                changes: Vec::new(),
                still_failing: 0,
            });
            let Some(kind) = kind else {
                group.still_failing += 1;
                continue;
            };
            let (title, remediation) = match catalog.get(transition.rule_id.as_str()) {
                Some((title, remediation)) => {
                    ((*title).to_owned(), Some((*remediation).to_owned()).filter(|r| !r.is_empty()))
                }
                None => (transition.rule_title.clone().unwrap_or_else(|| transition.rule_id.clone()), None),
            };
            group.changes.push(Change {
                kind,
                finding_id: transition.finding_id.clone(),
                rule_id: transition.rule_id.clone(),
                rule_title: title,
                severity: transition.severity,
                account_id: transition.account_id.clone(),
                account_name: transition.account_name.clone(),
                region: transition.region.clone(),
                resource_type: transition.resource_type.clone(),
                resource_id: transition.resource_id.clone(),
                resource_arn: transition.resource_arn.clone(),
                message: transition.message.clone(),
                remediation,
            });
        }
        if untargeted > 0 && self.configured {
            eprintln!(
                "warning: notify: {untargeted} change(s) in accounts with no notification target are not notified \
                 (set `[owners] default_target`, or a target per account)"
            );
        }
        groups.into_values().filter(|g| !g.changes.is_empty()).collect()
    }

    fn dry_run(
        &self,
        store: &Store,
        groups: &[Group],
        previous: Option<&RunSummary>,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let pending = store.pending_notifications()?;
        writeln!(out, "notify dry run: nothing is sent or queued")?;
        if let Some(previous) = previous {
            writeln!(out, "changes since run {}", previous.id)?;
        }
        let mut messages = Vec::new();
        for notification in &pending {
            match decode(notification) {
                Ok(Queued::Message(message)) => messages.push(message),
                Ok(Queued::Unrendered(_)) | Err(_) => {}
            }
        }
        if !pending.is_empty() {
            writeln!(out, "{} message(s) pending from earlier runs would be sent first", pending.len())?;
        }
        for group in groups {
            match self.reference(&group.target) {
                Some(reference) => messages.extend(render(&group.digest(reference), &RenderOptions::default())),
                None => writeln!(
                    out,
                    "owner `{}`: {} would be kept pending: {}",
                    group.owner,
                    group.describe(),
                    not_configured(&group.target)
                )?,
            }
        }
        out.write_all(mamori_notify::dry_run(&messages, Some(&self.resolver)).as_bytes())?;
        Ok(())
    }

    /// Deliver every pending notification (earlier runs first), record each outcome, and
    /// print a line per owner and target. Returns how many messages are still pending.
    fn send_pending(&self, store: &mut Store, descriptions: &HashMap<MessageGroup, String>) -> anyhow::Result<usize> {
        // Changes queued for a target that is configured now are rendered first.
        for notification in store.pending_notifications()? {
            if let Ok(Queued::Unrendered(unrendered)) = decode(&notification) {
                match self.reference(&notification.target) {
                    Some(reference) => {
                        let digest = unrendered.into_digest(reference);
                        for message in render(&digest, &RenderOptions::default()) {
                            enqueue(
                                store,
                                notification.run_id,
                                &digest.owner,
                                &notification.target,
                                &Queued::Message(message),
                            )?;
                        }
                        // The row is done: its messages are queued in its place.
                        store.record_delivery(notification.id, Ok(()))?;
                    }
                    None => {
                        store.record_delivery(notification.id, Err(&not_configured(&notification.target)))?;
                    }
                }
            }
        }
        let mut pending = store.pending_notifications()?;
        pending.sort_by_key(|n| (n.run_id, n.id));
        let mut rows: HashMap<String, i64> = HashMap::new();
        let mut messages = Vec::new();
        let mut waiting = 0usize;
        for notification in &pending {
            match decode(notification) {
                Ok(Queued::Message(message)) => {
                    rows.insert(message.key.clone(), notification.id);
                    messages.push(message);
                }
                Ok(Queued::Unrendered(unrendered)) => {
                    waiting += 1;
                    eprintln!(
                        "warning: notify: run {}: owner `{}` -> `{}`: kept pending: {}",
                        notification.run_id,
                        unrendered.owner,
                        notification.target,
                        not_configured(&notification.target)
                    );
                }
                Err(err) => {
                    waiting += 1;
                    eprintln!("warning: notify: pending notification {} cannot be read, kept: {err}", notification.id);
                }
            }
        }
        if messages.is_empty() {
            return Ok(waiting);
        }
        let sender = BlockingSender::new(self.policy.clone())?;
        let deliveries = sender.deliver_all(&messages, &self.resolver);
        // (run, owner, target) -> (delivered, parts, first error)
        let mut outcomes: BTreeMap<MessageGroup, (u32, u32, Option<String>)> = BTreeMap::new();
        for (message, delivery) in messages.iter().zip(&deliveries) {
            let id = rows[&delivery.key];
            let entry = outcomes
                .entry((message.run_id.clone(), message.owner.clone(), message.target.to_string()))
                .or_insert((0, 0, None));
            entry.1 += 1;
            match &delivery.outcome {
                mamori_notify::Outcome::Delivered { .. } => {
                    store.record_delivery(id, Ok(()))?;
                    entry.0 += 1;
                }
                mamori_notify::Outcome::Undelivered { error, permanent, .. } => {
                    let mut text = error.to_string();
                    if *permanent {
                        text.push_str(" (the endpoint rejected this payload; it is kept and retried)");
                    }
                    store.record_delivery(id, Err(&text))?;
                    entry.2.get_or_insert(text);
                    waiting += 1;
                }
            }
        }
        for (key, (delivered, parts, error)) in outcomes {
            let what = descriptions.get(&key).map(|d| format!(" ({d})")).unwrap_or_default();
            let (run, owner, target) = key;
            match error {
                None => eprintln!(
                    "notify: run {run}: owner `{owner}` -> `{target}`{what}: delivered ({delivered}/{parts} part(s))"
                ),
                Some(error) => eprintln!(
                    "warning: notify: run {run}: owner `{owner}` -> `{target}`{what}: {delivered}/{parts} part(s) delivered, \
                     the rest kept for the next run: {error}"
                ),
            }
        }
        if waiting > 0 {
            eprintln!(
                "warning: notify: {waiting} notification(s) not delivered are kept in `{}` and sent by the next run \
                 (or `mamori notify send`); the exit code is not affected",
                store.path().display()
            );
        }
        Ok(waiting)
    }
}

/// One owner's changes for one target.
struct Group {
    owner: String,
    target: String,
    run: RunInfo,
    changes: Vec<Change>,
    still_failing: u64,
}

impl Group {
    fn digest(&self, target: TargetRef) -> OwnerDigest {
        self.unrendered().into_digest(target)
    }

    fn unrendered(&self) -> Unrendered {
        Unrendered {
            owner: self.owner.clone(),
            run: self.run.clone(),
            changes: self.changes.clone(),
            still_failing: self.still_failing,
        }
    }

    fn describe(&self) -> String {
        self.digest(TargetRef::new(TargetKind::Json, "describe").expect("a valid name")).counts().describe()
    }
}

impl Unrendered {
    fn into_digest(self, target: TargetRef) -> OwnerDigest {
        OwnerDigest {
            owner: self.owner,
            target,
            run: self.run,
            changes: self.changes,
            still_failing: self.still_failing,
        }
    }
}

fn not_configured(target: &str) -> String {
    format!(
        "target `{target}` is not configured: add `[notify.targets.{target}]` with `kind = \"slack\"` or \
         `kind = \"json\"` to mamori.toml"
    )
}

fn enqueue(store: &mut Store, run: i64, owner: &str, target: &str, queued: &Queued) -> anyhow::Result<i64> {
    let payload = serde_json::to_string(queued)?;
    let id = store
        .enqueue_notification(&NewNotification { run_id: run, owner: Some(owner), target, payload: &payload })
        .with_context(|| format!("cannot queue the notification of owner `{owner}` for target `{target}`"))?;
    Ok(id)
}

fn decode(notification: &Notification) -> anyhow::Result<Queued> {
    serde_json::from_str(&notification.payload)
        .with_context(|| format!("notification {} is not a message this mamori knows", notification.id))
}

fn load(location: &StoreLocation) -> anyhow::Result<(Config, PathBuf)> {
    let config = match &location.config {
        Some(path) => Config::load(path)?,
        None if Path::new("mamori.toml").is_file() => Config::load(Path::new("mamori.toml"))?,
        None => Config::default(),
    };
    let path = match (location.db.clone(), config.store_path()) {
        (Some(path), _) | (None, Some(path)) => path,
        (None, None) => {
            mamori_store::default_path().context("no home directory for the findings history: pass --db")?
        }
    };
    Ok((config, path))
}

pub fn run(command: NotifyCommand) -> anyhow::Result<ExitCode> {
    match command {
        NotifyCommand::Pending { store, json } => {
            let (_, path) = load(&store)?;
            let store = Store::open_read_only(&path)?;
            let pending = store.pending_notifications()?;
            if json {
                let rows: Vec<serde_json::Value> = pending.iter().map(pending_json).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(ExitCode::SUCCESS);
            }
            if pending.is_empty() {
                println!("no pending notification in {}", store.path().display());
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:>5}  {:>5}  {:<20}  {:<24}  {:<10}  {:>8}  last error",
                "id", "run", "owner", "target", "part", "attempts"
            );
            for notification in &pending {
                let part = match decode(notification) {
                    Ok(Queued::Message(m)) => format!("{}/{}", m.part, m.parts),
                    Ok(Queued::Unrendered(_)) => "unrendered".to_owned(),
                    Err(_) => "unreadable".to_owned(),
                };
                println!(
                    "{:>5}  {:>5}  {:<20}  {:<24}  {:<10}  {:>8}  {}",
                    notification.id,
                    notification.run_id,
                    notification.owner.as_deref().unwrap_or("-"),
                    notification.target,
                    part,
                    notification.attempts,
                    notification.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        NotifyCommand::Send { store, delivery } => {
            let (config, path) = load(&store)?;
            let notifier = Notifier::prepare(&config, &delivery)?;
            let mut store = Store::open(&path)?;
            if store.pending_notifications()?.is_empty() {
                eprintln!("notify: nothing pending in {}", store.path().display());
                return Ok(ExitCode::SUCCESS);
            }
            let waiting = notifier.send_pending(&mut store, &HashMap::new())?;
            // Unlike after a run, sending is the whole command here: say so in the exit code.
            Ok(if waiting > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

fn pending_json(notification: &Notification) -> serde_json::Value {
    let (part, parts, key) = match decode(notification) {
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
