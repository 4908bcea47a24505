//! Notifications waiting to be delivered, kept per run, owner and target so that a failed
//! delivery is retried by the next run and nothing is sent twice.
//!
//! A webhook URL carries its own credentials, so the store never holds one: a target is the
//! *name* under which the configuration (or an environment variable) keeps the URL, payloads
//! that contain a known webhook address are refused, and delivery errors are stored with every
//! URL replaced by `<url>`.

use serde::Serialize;

use crate::{now_ms, Result, RunId, Store, StoreError};

/// A notification to queue.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub run_id: RunId,
    pub owner: Option<&'a str>,
    /// The target's name (e.g. a key of the notification configuration), never its URL.
    pub target: &'a str,
    /// The message, as JSON text.
    pub payload: &'a str,
}

/// A queued notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: i64,
    pub run_id: RunId,
    pub owner: Option<String>,
    pub target: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: u32,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// Addresses of webhooks whose URL is the credential.
const WEBHOOK_HOSTS: &[&str] =
    &["hooks.slack.com/", "webhook.office.com/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/"];

/// Replace every `scheme://…` in `text` by `<url>` (HTTP client errors quote the URL).
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        if scheme_start == at {
            out.push_str(&rest[..at + 3]);
            rest = &rest[at + 3..];
            continue;
        }
        out.push_str(&rest[..scheme_start]);
        out.push_str("<url>");
        let tail = &rest[at + 3..];
        let end =
            tail.find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ',')).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

const COLUMNS: &str =
    "id, run_id, owner, target, payload, created_at, attempts, last_attempt_at, last_error, delivered_at";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: row.get(0)?,
        run_id: row.get(1)?,
        owner: row.get(2)?,
        target: row.get(3)?,
        payload: row.get(4)?,
        created_at: row.get(5)?,
        attempts: row.get(6)?,
        last_attempt_at: row.get(7)?,
        last_error: row.get(8)?,
        delivered_at: row.get(9)?,
    })
}

impl Store {
    /// Queue a notification; returns its id.
    pub fn enqueue_notification(&mut self, notification: &NewNotification<'_>) -> Result<i64> {
        let target = notification.target;
        if target.trim().is_empty() || target.contains("://") || target.contains('/') {
            return Err(StoreError::TargetIsUrl(if target.contains("://") {
                redact_urls(target)
            } else {
                target.into()
            }));
        }
        if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(notification.payload) {
            return Err(StoreError::BadPayload(format!("is not JSON: {err}")));
        }
        if let Some(host) = WEBHOOK_HOSTS.iter().find(|host| notification.payload.contains(*host)) {
            return Err(StoreError::BadPayload(format!(
                "contains a webhook address (`{host}…`): a webhook URL is a secret and is never stored"
            )));
        }
        self.run(notification.run_id)?;
        self.conn
            .execute(
                "INSERT INTO notifications (run_id, owner, target, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![notification.run_id, notification.owner, target, notification.payload, now_ms()],
            )
            .map_err(|e| self.error(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Notifications not delivered yet, oldest first.
    pub fn pending_notifications(&self) -> Result<Vec<Notification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE delivered_at IS NULL ORDER BY id");
        self.query_notifications(&sql, rusqlite::params![])
    }

    /// Every notification of a run, delivered or not.
    pub fn notifications_of_run(&self, run: RunId) -> Result<Vec<Notification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE run_id = ?1 ORDER BY id");
        self.query_notifications(&sql, rusqlite::params![run])
    }

    fn query_notifications(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<Notification>> {
        let mut statement = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        let rows = statement.query_map(params, from_row).map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error(e))
    }

    /// Record a delivery attempt: `Ok` marks the notification delivered, `Err` keeps it
    /// pending with the error (URLs redacted).
    pub fn record_delivery(&mut self, id: i64, outcome: std::result::Result<(), &str>) -> Result<Notification> {
        let now = now_ms();
        let changed = match outcome {
            Ok(()) => self.conn.execute(
                "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?2, delivered_at = ?2, \
                 last_error = NULL WHERE id = ?1",
                rusqlite::params![id, now],
            ),
            Err(error) => self.conn.execute(
                "UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
                rusqlite::params![id, now, redact_urls(error)],
            ),
        }
        .map_err(|e| self.error(e))?;
        if changed == 0 {
            return Err(StoreError::UnknownRun { path: self.path.clone(), id: format!("notification {id}") });
        }
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = ?1");
        let mut found = self.query_notifications(&sql, rusqlite::params![id])?;
        Ok(found.remove(0))
    }
}
