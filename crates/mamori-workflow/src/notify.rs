//! Owner notifications: after a run was recorded complete, each owner is told what changed in
//! their accounts since the previous complete run of the same scope.
//!
//! It joins three things that know nothing of each other: the store (history, transitions,
//! the queue of pending notifications), `mamori-notify` (rendering, the queued payload format,
//! webhook delivery) and the configuration (`[owners]` names a target per account,
//! `[notify.targets]` says what kind of webhook a name is and where its URL is read from).
//!
//! Every message is queued in the store before the first delivery attempt and marked
//! delivered part by part, so a message that cannot be delivered now is sent by the next run
//! (or `mamori notify send`), byte for byte, and a delivered one is never sent again. An owner
//! whose target is not configured gets their changes queued unrendered, rendered and sent once
//! the target is configured: nothing is dropped. Delivery problems are reported as events,
//! never as errors: they do not stop the run.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use mamori_engine::Config;
use mamori_notify::{
    render, BlockingSender, Change, ChangeKind, DeliveryPolicy, Message, OwnerDigest, Queued, RenderOptions, RunInfo,
    TargetConfig, TargetKind, TargetRef, TargetResolver, Unrendered, UrlSource,
};
use mamori_rules::RuleSet;
use mamori_store::{Diff, NewNotification, Notification, RunId, RunSummary, Store, TransitionKind};

use crate::record::RecordedRun;
use crate::WorkflowError;

/// The owner of accounts that have a target but no owner.
const UNASSIGNED_OWNER: &str = "unassigned";

/// What to do with a run's changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyMode {
    /// Queue this run's messages and deliver everything pending.
    Send,
    /// Show what would be sent; send and queue nothing, and leave the store as it was.
    DryRun,
    /// Neither notify nor queue this run's changes (the next run is compared with this one);
    /// messages pending from earlier runs stay pending.
    Off,
}

/// Something the notifier did or could not do, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum NotifyEvent {
    /// The run was not recorded (`--no-store`): there is nothing to compare.
    NotRecorded,
    /// Notifications are off for this run.
    Off { run: RunId, pending_earlier: usize },
    /// The run is the first complete run of its scope.
    FirstRun,
    /// No owner has a change since the previous run.
    NoChange,
    /// Changes in accounts that name no target.
    Untargeted { changes: usize },
    /// An owner's changes wait for their target to be configured.
    KeptPending { run: RunId, owner: String, target: String },
    /// A queued payload this mamori cannot read (kept as it is).
    Unreadable { id: i64, error: String },
    /// One owner's message for one target, all its parts delivered.
    Delivered { group: MessageGroup, description: Option<String>, parts: u32 },
    /// Some parts of a message were not delivered; they are kept for the next run.
    PartlyDelivered { group: MessageGroup, description: Option<String>, delivered: u32, parts: u32, error: String },
    /// Messages still pending after this attempt, kept in the store.
    StillPending { count: usize, store: PathBuf },
}

impl NotifyEvent {
    /// Whether the event asks for attention (shown as a warning).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            NotifyEvent::Untargeted { .. }
                | NotifyEvent::KeptPending { .. }
                | NotifyEvent::Unreadable { .. }
                | NotifyEvent::PartlyDelivered { .. }
                | NotifyEvent::StillPending { .. }
        )
    }
}

impl fmt::Display for NotifyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyEvent::NotRecorded => f.write_str("the run was not recorded (--no-store): no change to notify"),
            NotifyEvent::Off { run, pending_earlier } => {
                write!(f, "off (--no-notify): the changes of run {run} are not notified")?;
                if *pending_earlier > 0 {
                    write!(f, "; {pending_earlier} message(s) pending from earlier runs are kept")?;
                }
                Ok(())
            }
            NotifyEvent::FirstRun => f.write_str("first complete run of this scope: no transitions to notify"),
            NotifyEvent::NoChange => f.write_str("no change for any owner since the previous run of this scope"),
            NotifyEvent::Untargeted { changes } => write!(
                f,
                "{changes} change(s) in accounts with no notification target are not notified \
                 (set `[owners] default_target`, or a target per account)"
            ),
            NotifyEvent::KeptPending { run, owner, target } => {
                write!(f, "run {run}: owner `{owner}` -> `{target}`: kept pending: {}", not_configured(target))
            }
            NotifyEvent::Unreadable { id, error } => write!(f, "pending notification {id} cannot be read, kept: {error}"),
            NotifyEvent::Delivered { group, description, parts } => {
                write!(f, "{group}{}: delivered ({parts}/{parts} part(s))", described(description))
            }
            NotifyEvent::PartlyDelivered { group, description, delivered, parts, error } => write!(
                f,
                "{group}{}: {delivered}/{parts} part(s) delivered, the rest kept for the next run: {error}",
                described(description)
            ),
            NotifyEvent::StillPending { count, store } => write!(
                f,
                "{count} notification(s) not delivered are kept in `{}` and sent by the next run (or `mamori notify send`)",
                store.display()
            ),
        }
    }
}

fn described(description: &Option<String>) -> String {
    description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
}

/// One logical message: a run's changes for one owner at one target (all its parts).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageGroup {
    pub run: String,
    pub owner: String,
    pub target: String,
}

impl fmt::Display for MessageGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {}: owner `{}` -> `{}`", self.run, self.owner, self.target)
    }
}

/// What a dry run would send.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRun {
    /// The run the changes are computed against.
    pub previous: Option<RunId>,
    /// Messages of earlier runs that would be sent first.
    pub pending_earlier: usize,
    /// Owners whose changes would be kept pending: (owner, what changed, why).
    pub kept: Vec<(String, String, String)>,
    /// The messages with their targets (by name and URL source, never the URL) and payloads.
    pub preview: String,
    /// The run compared, then removed from the history so that the next run is compared with
    /// the same baseline as this one.
    pub discarded: Option<RunId>,
}

impl fmt::Display for DryRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "notify dry run: nothing is sent or queued")?;
        if let Some(run) = self.discarded {
            writeln!(f, "run {run} was compared, then removed from the findings history: the next run compares with the same runs as this one")?;
        }
        if let Some(previous) = self.previous {
            writeln!(f, "changes since run {previous}")?;
        }
        if self.pending_earlier > 0 {
            writeln!(f, "{} message(s) pending from earlier runs would be sent first", self.pending_earlier)?;
        }
        for (owner, description, reason) in &self.kept {
            writeln!(f, "owner `{owner}`: {description} would be kept pending: {reason}")?;
        }
        f.write_str(&self.preview)
    }
}

/// What notifying a run did.
#[derive(Debug, Default)]
pub struct NotifyReport {
    pub events: Vec<NotifyEvent>,
    /// With [`NotifyMode::DryRun`], what would have been sent.
    pub dry_run: Option<DryRun>,
}

/// What a delivery attempt of the pending messages did.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub events: Vec<NotifyEvent>,
    /// Messages still pending afterwards.
    pub still_pending: usize,
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
    /// Read `[notify.targets]` and `[owners]` before any work is done: a bad section stops the
    /// command at once. `policy` is the delivery policy already merged from flags and file.
    pub fn new(config: &Config, policy: DeliveryPolicy) -> Result<Notifier, WorkflowError> {
        let origin = config.origin.as_deref().map_or("configuration".to_owned(), |p| format!("`{}`", p.display()));
        let base = config.origin.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let target_error = |name: &str, source| WorkflowError::Target {
            origin: origin.clone(),
            name: name.to_owned(),
            source: Box::new(source),
        };
        let mut targets = BTreeMap::new();
        let mut resolver = TargetResolver::new();
        for (name, target) in &config.file.notify.targets {
            let reference = TargetRef::new(target.kind, name).map_err(|source| target_error(name, source))?;
            let source = TargetConfig { url_env: target.url_env.clone(), url_file: target.url_file.clone() }
                .source(name)
                .map_err(|source| target_error(name, source))?;
            if let Some(source) = source {
                let source = match source {
                    UrlSource::File(path) if path.is_relative() => UrlSource::File(base.join(path)),
                    other => other,
                };
                resolver.set_source(name, source);
            }
            targets.insert(name.clone(), reference);
        }
        let owners = &config.file.owners;
        let configured = !targets.is_empty()
            || owners.default_target.is_some()
            || owners.account.values().any(|account| account.target.is_some());
        Ok(Notifier { targets, resolver, policy, configured })
    }

    /// The reference of the target an account names: a configured name, or `slack:NAME` /
    /// `json:NAME` written out (its URL then comes from `MAMORI_WEBHOOK_NAME`).
    fn reference(&self, name: &str) -> Option<TargetRef> {
        self.targets.get(name).cloned().or_else(|| name.parse().ok())
    }

    /// After a run: queue the run's messages, then deliver everything pending (or, in a dry
    /// run, say what would be sent and change nothing).
    pub fn after_run(
        &self,
        run: Option<&RecordedRun>,
        rules: &RuleSet,
        mode: NotifyMode,
    ) -> Result<NotifyReport, WorkflowError> {
        self.after_run_remediated(run, rules, mode, &[])
    }

    /// [`after_run`](Self::after_run), with the fixes remediation made after the run
    /// (`audit --remediate`): each owner's message also says what was fixed in their accounts.
    pub fn after_run_remediated(
        &self,
        run: Option<&RecordedRun>,
        rules: &RuleSet,
        mode: NotifyMode,
        remediated: &[Remediated],
    ) -> Result<NotifyReport, WorkflowError> {
        let mut report = NotifyReport::default();
        let Some(run) = run else {
            if self.configured || mode == NotifyMode::DryRun {
                report.events.push(NotifyEvent::NotRecorded);
            }
            return Ok(report);
        };
        // Where notifications are not set up, a run's comparison is no news worth a line.
        let say = |events: &mut Vec<NotifyEvent>, event: NotifyEvent| {
            if self.configured {
                events.push(event);
            }
        };
        if mode == NotifyMode::Off {
            let store = Store::open(&run.path)?;
            let pending_earlier = store.pending_notifications()?.len();
            report.events.push(NotifyEvent::Off { run: run.id, pending_earlier });
            return Ok(report);
        }
        let mut store = Store::open(&run.path)?;
        let current = store.run(run.id)?;
        let previous = store.latest_complete_run(Some(&current.scope), Some(current.id))?;
        let mut groups = match &previous {
            None => {
                say(&mut report.events, NotifyEvent::FirstRun);
                Vec::new()
            }
            Some(previous) => {
                let diff = store.diff(previous.id, current.id)?;
                let (groups, untargeted) = self.groups(&diff, &current, rules);
                if untargeted > 0 {
                    say(&mut report.events, NotifyEvent::Untargeted { changes: untargeted });
                }
                groups
            }
        };
        add_remediated(&mut groups, &store, &current, rules, remediated)?;
        if mode == NotifyMode::DryRun {
            let mut dry_run = self.dry_run(&store, &groups, previous.as_ref())?;
            // The run was recorded only to be compared: kept, it would become the baseline of
            // the next run, whose changes would then never be notified.
            store.discard_run(current.id)?;
            dry_run.discarded = Some(current.id);
            report.dry_run = Some(dry_run);
            return Ok(report);
        }
        // What each of this run's messages says, for the events after delivery.
        let mut descriptions: HashMap<MessageGroup, String> = HashMap::new();
        for group in &groups {
            let queued = match self.reference(&group.target) {
                Some(reference) => {
                    let key = MessageGroup {
                        run: current.id.to_string(),
                        owner: group.owner.clone(),
                        target: reference.to_string(),
                    };
                    descriptions.insert(key, group.describe());
                    render(&group.digest(reference), &RenderOptions::default())
                        .into_iter()
                        .map(Queued::Message)
                        .collect()
                }
                // Kept unrendered; the delivery below says why.
                None => vec![Queued::Unrendered(group.unrendered())],
            };
            for payload in &queued {
                enqueue(&mut store, current.id, &group.owner, &group.target, payload)?;
            }
        }
        if previous.is_some() && groups.is_empty() {
            say(&mut report.events, NotifyEvent::NoChange);
        }
        let delivery = self.deliver(&mut store, &descriptions)?;
        report.events.extend(delivery.events);
        Ok(report)
    }

    /// Deliver every pending notification (`mamori notify send`).
    pub fn send_pending(&self, store: &mut Store) -> Result<DeliveryReport, WorkflowError> {
        self.deliver(store, &HashMap::new())
    }

    /// Transitions grouped by owner and target, in the order of the diff (owner, then
    /// account), and how many changes name no target.
    fn groups(&self, diff: &Diff, current: &RunSummary, rules: &RuleSet) -> (Vec<Group>, usize) {
        let catalog: HashMap<&str, (&str, &str)> = rules
            .rules()
            .iter()
            .map(|r| (r.rule.meta().id, (r.rule.meta().title, r.rule.meta().remediation)))
            .collect();
        let run = run_info(current);
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
        (groups.into_values().filter(|g| !g.changes.is_empty()).collect(), untargeted)
    }

    fn dry_run(&self, store: &Store, groups: &[Group], previous: Option<&RunSummary>) -> Result<DryRun, WorkflowError> {
        let pending = store.pending_notifications()?;
        let mut messages: Vec<Message> = pending
            .iter()
            .filter_map(|notification| match Queued::decode(&notification.payload) {
                Ok(Queued::Message(message)) => Some(message),
                Ok(Queued::Unrendered(_)) | Err(_) => None,
            })
            .collect();
        let mut kept = Vec::new();
        for group in groups {
            match self.reference(&group.target) {
                Some(reference) => messages.extend(render(&group.digest(reference), &RenderOptions::default())),
                None => kept.push((group.owner.clone(), group.describe(), not_configured(&group.target))),
            }
        }
        Ok(DryRun {
            previous: previous.map(|run| run.id),
            pending_earlier: pending.len(),
            kept,
            preview: mamori_notify::dry_run(&messages, Some(&self.resolver)),
            discarded: None,
        })
    }

    /// Deliver every pending notification (earlier runs first) and record each outcome.
    fn deliver(
        &self,
        store: &mut Store,
        descriptions: &HashMap<MessageGroup, String>,
    ) -> Result<DeliveryReport, WorkflowError> {
        let mut report = DeliveryReport::default();
        // Changes queued for a target that is configured now are rendered first.
        for notification in store.pending_notifications()? {
            if let Ok(Queued::Unrendered(unrendered)) = Queued::decode(&notification.payload) {
                match self.reference(&notification.target) {
                    Some(reference) => {
                        let digest = unrendered.into_digest(reference);
                        for message in render(&digest, &RenderOptions::default()) {
                            let payload = Queued::Message(message);
                            enqueue(store, notification.run_id, &digest.owner, &notification.target, &payload)?;
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
        for notification in &pending {
            match Queued::decode(&notification.payload) {
                Ok(Queued::Message(message)) => {
                    rows.insert(message.key.clone(), notification.id);
                    messages.push(message);
                }
                Ok(Queued::Unrendered(Unrendered { owner, .. })) => {
                    report.still_pending += 1;
                    report.events.push(NotifyEvent::KeptPending {
                        run: notification.run_id,
                        owner,
                        target: notification.target.clone(),
                    });
                }
                Err(err) => {
                    report.still_pending += 1;
                    report.events.push(NotifyEvent::Unreadable { id: notification.id, error: err.to_string() });
                }
            }
        }
        if messages.is_empty() {
            return Ok(report);
        }
        self.send(store, &messages, &rows, descriptions, &mut report)?;
        if report.still_pending > 0 {
            report
                .events
                .push(NotifyEvent::StillPending { count: report.still_pending, store: store.path().to_owned() });
        }
        Ok(report)
    }

    fn send(
        &self,
        store: &mut Store,
        messages: &[Message],
        rows: &HashMap<String, i64>,
        descriptions: &HashMap<MessageGroup, String>,
        report: &mut DeliveryReport,
    ) -> Result<(), WorkflowError> {
        /// How the parts of one message fared.
        #[derive(Default)]
        struct Parts {
            delivered: u32,
            total: u32,
            first_error: Option<String>,
        }
        let sender = BlockingSender::new(self.policy.clone())?;
        let deliveries = sender.deliver_all(messages, &self.resolver);
        let mut outcomes: BTreeMap<MessageGroup, Parts> = BTreeMap::new();
        for (message, delivery) in messages.iter().zip(&deliveries) {
            let id = rows[&delivery.key];
            let group = MessageGroup {
                run: message.run_id.clone(),
                owner: message.owner.clone(),
                target: message.target.to_string(),
            };
            let parts = outcomes.entry(group).or_default();
            parts.total += 1;
            match &delivery.outcome {
                mamori_notify::Outcome::Delivered { .. } => {
                    store.record_delivery(id, Ok(()))?;
                    parts.delivered += 1;
                }
                mamori_notify::Outcome::Undelivered { error, permanent, .. } => {
                    let mut text = error.to_string();
                    if *permanent {
                        text.push_str(" (the endpoint rejected this payload; it is kept and retried)");
                    }
                    store.record_delivery(id, Err(&text))?;
                    parts.first_error.get_or_insert(text);
                    report.still_pending += 1;
                }
            }
        }
        for (group, parts) in outcomes {
            let description = descriptions.get(&group).cloned();
            report.events.push(match parts.first_error {
                None => NotifyEvent::Delivered { group, description, parts: parts.total },
                Some(error) => NotifyEvent::PartlyDelivered {
                    group,
                    description,
                    delivered: parts.delivered,
                    parts: parts.total,
                    error,
                },
            });
        }
        Ok(())
    }
}

/// One owner's changes for one target.
/// A fix remediation made after a run, for the owners' messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remediated {
    /// The finding of the run that was fixed.
    pub finding_id: String,
    /// What was done, in one line (the calls, the action id, the outcome).
    pub summary: String,
}

fn run_info(current: &RunSummary) -> RunInfo {
    RunInfo {
        id: current.id.to_string(),
        started_at: mamori_model::time::rfc3339(current.started_at.div_euclid(1000)),
        scope: current.scope_label.clone(),
    }
}

/// Adds each fix to the message of its account's owner and target (creating the message when
/// the run brought no other news for them). A fix in an account without a target is not told.
fn add_remediated(
    groups: &mut Vec<Group>,
    store: &Store,
    current: &RunSummary,
    rules: &RuleSet,
    remediated: &[Remediated],
) -> Result<(), WorkflowError> {
    if remediated.is_empty() {
        return Ok(());
    }
    let accounts: HashMap<String, mamori_store::AccountRecord> =
        store.accounts(current.id)?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let wanted: HashMap<&str, &Remediated> = remediated.iter().map(|r| (r.finding_id.as_str(), r)).collect();
    let mut findings = Vec::new();
    store.for_each_finding(current.id, |finding| {
        if let Some(fix) = wanted.get(finding.finding_id.as_str()) {
            findings.push((finding, fix.summary.clone()));
        }
    })?;
    for (finding, summary) in findings {
        let account = accounts.get(&finding.account_id);
        let Some(target) = account.and_then(|a| a.target.clone()) else { continue };
        let owner = account.and_then(|a| a.owner.clone()).unwrap_or_else(|| UNASSIGNED_OWNER.to_owned());
        let index = match groups.iter().position(|g| g.owner == owner && g.target == target) {
            Some(index) => index,
            None => {
                groups.push(Group {
                    owner: owner.clone(),
                    target: target.clone(),
                    run: run_info(current),
                    changes: Vec::new(),
                    still_failing: 0,
                });
                groups.len() - 1
            }
        };
        let title = rules
            .rules()
            .iter()
            .find(|r| r.rule.meta().id == finding.rule_id)
            .map(|r| r.rule.meta().title.to_owned())
            .or(finding.rule_title.clone())
            .unwrap_or_else(|| finding.rule_id.clone());
        groups[index].changes.push(Change {
            kind: ChangeKind::Remediated,
            finding_id: finding.finding_id,
            rule_id: finding.rule_id,
            rule_title: title,
            severity: finding.severity,
            account_id: finding.account_id,
            account_name: account.and_then(|a| a.name.clone()),
            region: finding.region,
            resource_type: finding.resource_type,
            resource_id: finding.resource_id,
            resource_arn: finding.resource_arn,
            message: summary,
            remediation: None,
        });
    }
    Ok(())
}

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

    /// What changed, in words (`2 new failures, 1 resolved`).
    fn describe(&self) -> String {
        self.digest(TargetRef::new(TargetKind::Json, "describe").expect("a valid name")).counts().describe()
    }
}

fn not_configured(target: &str) -> String {
    format!(
        "target `{target}` is not configured: add `[notify.targets.{target}]` with `kind = \"slack\"` or \
         `kind = \"json\"` to mamori.toml"
    )
}

fn enqueue(store: &mut Store, run: RunId, owner: &str, target: &str, payload: &Queued) -> Result<i64, WorkflowError> {
    let payload = payload.encode();
    store.enqueue_notification(&NewNotification { run_id: run, owner: Some(owner), target, payload: &payload }).map_err(
        |source| WorkflowError::Queue { owner: owner.to_owned(), target: target.to_owned(), source: Box::new(source) },
    )
}

/// A pending notification's part as `i/n`, or what it is when it is not a rendered message.
pub fn describe_part(notification: &Notification) -> String {
    match Queued::decode(&notification.payload) {
        Ok(Queued::Message(message)) => format!("{}/{}", message.part, message.parts),
        Ok(Queued::Unrendered(_)) => "unrendered".to_owned(),
        Err(_) => "unreadable".to_owned(),
    }
}
