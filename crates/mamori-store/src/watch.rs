//! The record of `mamori watch`: every message it received and the incidents it recorded.
//!
//! Event delivery is at least once, so the store is where duplicates are recognised: an event
//! is *claimed* by its CloudTrail `eventID` before any action ([`Store::claim_event`]). A
//! second delivery of a handled event is a [`Claim::Duplicate`] — acknowledged, never acted on
//! twice; an event whose earlier attempt failed or was cut short (the process stopped between
//! claim and finish) is a [`Claim::Retry`], acted on again (responders read before they
//! change, so a retry of a done action makes no change). An event is finished together with
//! its incidents in one transaction ([`Store::finish_event`]); the daemon deletes the message
//! only after that commit. Malformed messages are recorded with their reason and the message
//! as received ([`Store::record_malformed`]), so that dropping them is never silent.

use mamori_model::event::CloudTrailEvent;
use serde::Serialize;

use crate::{now_ms, Result, Store, StoreError};

/// The most of a malformed message kept: enough to see what it was, bounded whatever is sent.
const RAW_LIMIT: usize = 16 * 1024;

/// What claiming an event found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First delivery: act on it.
    New,
    /// Delivered before and an attempt did not finish it (failed, or cut short): act again.
    /// `attempt` counts this one (2 for the first retry).
    Retry { attempt: i64 },
    /// Already handled: acknowledge the message, do nothing.
    Duplicate,
}

/// Where a received message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventState {
    /// Claimed and not finished: being handled, or the process stopped midway.
    Claimed,
    /// Handled: its actions and incidents are committed.
    Handled,
    /// The last attempt failed (the reason is in `detail`); a redelivery retries it.
    Failed,
    /// Not an event mamori can read (the reason is in `detail`, the message in `raw`).
    Malformed,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Claimed => "claimed",
            EventState::Handled => "handled",
            EventState::Failed => "failed",
            EventState::Malformed => "malformed",
        }
    }

    fn parse(text: &str) -> Option<EventState> {
        [EventState::Claimed, EventState::Handled, EventState::Failed, EventState::Malformed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// A received message as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub id: i64,
    /// CloudTrail's eventID; `None` for a malformed message.
    pub event_id: Option<String>,
    /// Where it came from: the SQS message id, or `FILE:LINE` for `--events`.
    pub message_id: String,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// The principal behind the call (the role behind a session).
    pub principal_arn: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The call's time, in seconds since 1970.
    pub event_time: Option<i64>,
    /// A malformed message as received (at most 16 KiB of it).
    pub raw: Option<String>,
    pub state: EventState,
    /// What was done (`restored`, `no-responder`, …), set when handled.
    pub outcome: String,
    /// The reason of a failure or of a malformed message, or what the action did.
    pub detail: String,
    pub attempts: i64,
    /// Deliveries acknowledged as duplicates.
    pub duplicates: i64,
    /// Milliseconds since the Unix epoch.
    pub received_at: i64,
    pub finished_at: Option<i64>,
}

/// An incident about to be recorded with the event it is about.
#[derive(Clone, Debug)]
pub struct NewIncident<'a> {
    /// The responder's name (its `[watch.responders.<name>]` key).
    pub responder: &'a str,
    /// What happened, in a stable kebab-case word (`trail-stopped`, `trail-deleted`,
    /// `principal-quarantined`).
    pub kind: &'a str,
    /// The resource it is about (a trail ARN, a role ARN).
    pub resource: &'a str,
    /// One sentence for people.
    pub summary: &'a str,
    /// What mamori did about it (`StartLogging called and verified`, `none: notified`).
    pub action: &'a str,
}

/// A recorded incident, with the actor copied from its event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Incident {
    pub id: i64,
    pub event_id: String,
    pub responder: String,
    pub kind: String,
    pub account_id: String,
    pub region: String,
    pub resource: String,
    pub principal_arn: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The call's time, in seconds since 1970.
    pub event_time: i64,
    pub summary: String,
    pub action: String,
    /// Milliseconds since the Unix epoch.
    pub recorded_at: i64,
}

const EVENT_COLUMNS: &str = "id, event_id, message_id, event_source, event_name, account_id, region, principal_arn, \
     source_ip, user_agent, event_time, raw, state, outcome, detail, attempts, duplicates, received_at, finished_at";

const INCIDENT_COLUMNS: &str =
    "id, event_id, responder, kind, account_id, region, resource, principal_arn, source_ip, \
     user_agent, event_time, summary, action, recorded_at";

fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRecord> {
    let state: String = row.get(12)?;
    Ok(EventRecord {
        id: row.get(0)?,
        event_id: row.get(1)?,
        message_id: row.get(2)?,
        event_source: row.get(3)?,
        event_name: row.get(4)?,
        account_id: row.get(5)?,
        region: row.get(6)?,
        principal_arn: row.get(7)?,
        source_ip: row.get(8)?,
        user_agent: row.get(9)?,
        event_time: row.get(10)?,
        raw: row.get(11)?,
        state: EventState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                12,
                rusqlite::types::Type::Text,
                format!("state `{state}`").into(),
            )
        })?,
        outcome: row.get(13)?,
        detail: row.get(14)?,
        attempts: row.get(15)?,
        duplicates: row.get(16)?,
        received_at: row.get(17)?,
        finished_at: row.get(18)?,
    })
}

fn incident_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: row.get(0)?,
        event_id: row.get(1)?,
        responder: row.get(2)?,
        kind: row.get(3)?,
        account_id: row.get(4)?,
        region: row.get(5)?,
        resource: row.get(6)?,
        principal_arn: row.get(7)?,
        source_ip: row.get(8)?,
        user_agent: row.get(9)?,
        event_time: row.get(10)?,
        summary: row.get(11)?,
        action: row.get(12)?,
        recorded_at: row.get(13)?,
    })
}

/// The first `limit` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, limit: usize) -> &str {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Store {
    /// Claims an event before acting on it; see [`Claim`]. `message_id` says where this
    /// delivery came from.
    pub fn claim_event(&mut self, event: &CloudTrailEvent, message_id: &str) -> Result<Claim> {
        let path = self.path.clone();
        let options = self.options.clone();
        let err = |e| crate::classify_error(&path, &options, e);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let known: Option<(String, i64)> = tx
            .query_row("SELECT state, attempts FROM watch_events WHERE event_id = ?1", [&event.event_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .map(Some)
            .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })
            .map_err(err)?;
        let claim = match known {
            Some((state, _)) if state == EventState::Handled.as_str() => {
                tx.execute(
                    "UPDATE watch_events SET duplicates = duplicates + 1 WHERE event_id = ?1",
                    [&event.event_id],
                )
                .map_err(err)?;
                Claim::Duplicate
            }
            Some((_, attempts)) => {
                tx.execute(
                    "UPDATE watch_events SET state = 'claimed', attempts = attempts + 1, message_id = ?2 \
                     WHERE event_id = ?1",
                    rusqlite::params![event.event_id, message_id],
                )
                .map_err(err)?;
                Claim::Retry { attempt: attempts + 1 }
            }
            None => {
                tx.execute(
                    "INSERT INTO watch_events (event_id, message_id, event_source, event_name, account_id, region, \
                     principal_arn, logged_arn, source_ip, user_agent, event_time, request_parameters, state, \
                     received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'claimed', ?13)",
                    rusqlite::params![
                        event.event_id,
                        message_id,
                        event.event_source,
                        event.event_name,
                        event.account,
                        event.region,
                        event.principal.arn,
                        event.principal.logged_arn,
                        event.source_ip,
                        event.user_agent,
                        event.time,
                        event.request_parameters.to_string(),
                        now_ms(),
                    ],
                )
                .map_err(err)?;
                Claim::New
            }
        };
        tx.commit().map_err(err)?;
        Ok(claim)
    }

    /// Marks a claimed event handled with what was done, and records its incidents, in one
    /// transaction: after it returns the message may be deleted.
    pub fn finish_event(
        &mut self,
        event: &CloudTrailEvent,
        outcome: &str,
        detail: &str,
        incidents: &[NewIncident<'_>],
    ) -> Result<Vec<i64>> {
        let path = self.path.clone();
        let options = self.options.clone();
        let err = |e| crate::classify_error(&path, &options, e);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let now = now_ms();
        let changed = tx
            .execute(
                "UPDATE watch_events SET state = 'handled', outcome = ?2, detail = ?3, finished_at = ?4 \
                 WHERE event_id = ?1 AND state = 'claimed'",
                rusqlite::params![event.event_id, outcome, detail, now],
            )
            .map_err(err)?;
        if changed == 0 {
            return Err(StoreError::NotClaimed { path: path.clone(), event_id: event.event_id.clone() });
        }
        let mut ids = Vec::with_capacity(incidents.len());
        for incident in incidents {
            tx.execute(
                "INSERT INTO incidents (event_id, responder, kind, account_id, region, resource, principal_arn, \
                 source_ip, user_agent, event_time, summary, action, recorded_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                rusqlite::params![
                    event.event_id,
                    incident.responder,
                    incident.kind,
                    event.account,
                    event.region,
                    incident.resource,
                    event.principal.arn,
                    event.source_ip,
                    event.user_agent,
                    event.time,
                    incident.summary,
                    incident.action,
                    now,
                ],
            )
            .map_err(err)?;
            ids.push(tx.last_insert_rowid());
        }
        tx.commit().map_err(err)?;
        Ok(ids)
    }

    /// Records that an attempt at a claimed event failed, with the reason; a redelivery of the
    /// message retries it.
    pub fn fail_event(&mut self, event_id: &str, reason: &str) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE watch_events SET state = 'failed', detail = ?2, finished_at = ?3 \
                 WHERE event_id = ?1 AND state = 'claimed'",
                rusqlite::params![event_id, reason, now_ms()],
            )
            .map_err(|e| self.error(e))?;
        if changed == 0 {
            return Err(StoreError::NotClaimed { path: self.path.clone(), event_id: event_id.to_string() });
        }
        Ok(())
    }

    /// Records a message that is not an event mamori can read, with the reason; returns its id.
    pub fn record_malformed(&mut self, message_id: &str, raw: &str, reason: &str) -> Result<i64> {
        let now = now_ms();
        self.conn
            .execute(
                "INSERT INTO watch_events (message_id, raw, state, detail, received_at, finished_at) \
                 VALUES (?1, ?2, 'malformed', ?3, ?4, ?4)",
                rusqlite::params![message_id, truncated(raw, RAW_LIMIT), reason, now],
            )
            .map_err(|e| self.error(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every received message, oldest first.
    pub fn watch_events(&self) -> Result<Vec<EventRecord>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM watch_events ORDER BY id");
        self.query_rows(&sql, rusqlite::params![], event_from_row)
    }

    /// The record of one event, by CloudTrail eventID.
    pub fn watch_event(&self, event_id: &str) -> Result<Option<EventRecord>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM watch_events WHERE event_id = ?1");
        Ok(self.query_rows(&sql, rusqlite::params![event_id], event_from_row)?.pop())
    }

    /// Every incident, oldest first.
    pub fn incidents(&self) -> Result<Vec<Incident>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY id");
        self.query_rows(&sql, rusqlite::params![], incident_from_row)
    }

    /// One incident (`mamori incidents show ID`).
    pub fn incident(&self, id: i64) -> Result<Incident> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1");
        self.query_rows(&sql, rusqlite::params![id], incident_from_row)?
            .pop()
            .ok_or_else(|| StoreError::UnknownIncident { path: self.path.clone(), id })
    }

    /// The incidents of `kinds` caused by `principal_arn` at or after `since` (seconds since
    /// 1970, the events' own times), oldest first: what the repeat-offender count reads.
    pub fn incidents_by_principal(&self, principal_arn: &str, kinds: &[&str], since: i64) -> Result<Vec<Incident>> {
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE principal_arn = ?1 AND event_time >= ?2 \
             AND kind IN (SELECT value FROM json_each(?3)) ORDER BY event_time, id"
        );
        let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
        self.query_rows(&sql, rusqlite::params![principal_arn, since, kinds], incident_from_row)
    }

    fn query_rows<T>(
        &self,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
        map: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        let rows = statement.query_map(params, map).map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use mamori_model::event::{CloudTrailEvent, Principal, PrincipalKind};
    use serde_json::json;

    use super::*;

    fn event(id: &str, principal: &str, time: i64) -> CloudTrailEvent {
        CloudTrailEvent {
            event_id: id.into(),
            event_source: "cloudtrail.amazonaws.com".into(),
            event_name: "StopLogging".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            principal: Principal {
                kind: PrincipalKind::IamUser,
                arn: Some(principal.into()),
                logged_arn: Some(principal.into()),
            },
            source_ip: Some("198.51.100.7".into()),
            user_agent: Some("aws-cli/2".into()),
            time,
            request_parameters: json!({ "name": "org" }),
            error_code: None,
        }
    }

    fn incident<'a>(kind: &'a str) -> NewIncident<'a> {
        NewIncident {
            responder: "cloudtrail_tampering",
            kind,
            resource: "org",
            summary: "stopped",
            action: "restarted",
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("h.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_handled_event_is_a_duplicate_and_an_unfinished_one_is_retried() {
        let (_dir, mut store) = store();
        let stop = event("e-1", "arn:aws:iam::111122223333:user/mallory", 1_000);
        assert_eq!(store.claim_event(&stop, "m-1").unwrap(), Claim::New);
        // Cut short (no finish): the redelivery acts again.
        assert_eq!(store.claim_event(&stop, "m-2").unwrap(), Claim::Retry { attempt: 2 });
        store.fail_event("e-1", "AccessDenied on StartLogging").unwrap();
        assert_eq!(store.watch_event("e-1").unwrap().unwrap().state, EventState::Failed);
        assert_eq!(store.claim_event(&stop, "m-3").unwrap(), Claim::Retry { attempt: 3 });
        let ids = store.finish_event(&stop, "restored", "StartLogging verified", &[incident("trail-stopped")]).unwrap();
        assert_eq!(store.claim_event(&stop, "m-4").unwrap(), Claim::Duplicate);
        assert_eq!(store.claim_event(&stop, "m-5").unwrap(), Claim::Duplicate);

        let record = store.watch_event("e-1").unwrap().unwrap();
        assert_eq!((record.state, record.attempts, record.duplicates), (EventState::Handled, 3, 2));
        assert_eq!((record.outcome.as_str(), record.message_id.as_str()), ("restored", "m-3"));
        let recorded = store.incident(ids[0]).unwrap();
        assert_eq!(recorded.principal_arn.as_deref(), Some("arn:aws:iam::111122223333:user/mallory"));
        assert_eq!((recorded.source_ip.as_deref(), recorded.event_time), (Some("198.51.100.7"), 1_000));
        assert_eq!(store.incidents().unwrap().len(), 1);
    }

    #[test]
    fn finishing_or_failing_needs_a_claim() {
        let (_dir, mut store) = store();
        let stop = event("e-1", "arn:aws:iam::111122223333:user/mallory", 1_000);
        assert!(store
            .finish_event(&stop, "restored", "", &[])
            .unwrap_err()
            .to_string()
            .contains("event `e-1` is not claimed"));
        assert!(store.fail_event("e-1", "x").is_err());
        store.claim_event(&stop, "m-1").unwrap();
        store.finish_event(&stop, "restored", "", &[]).unwrap();
        // Finished once: neither finished again nor failed afterwards.
        assert!(store.finish_event(&stop, "restored", "", &[]).is_err());
        assert!(store.fail_event("e-1", "late").is_err());
        assert!(store.incident(1).unwrap_err().to_string().contains("no incident 1 (see `mamori incidents list`)"));
    }

    #[test]
    fn malformed_messages_are_kept_bounded_with_their_reason() {
        let (_dir, mut store) = store();
        let raw = "é".repeat(RAW_LIMIT);
        store.record_malformed("m-9", &raw, "not JSON: expected value at line 1 column 1").unwrap();
        let records = store.watch_events().unwrap();
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!((record.state, record.event_id.as_deref()), (EventState::Malformed, None));
        assert!(record.detail.starts_with("not JSON"));
        let kept = record.raw.as_deref().unwrap();
        assert!(kept.len() <= RAW_LIMIT && kept.len() >= RAW_LIMIT - 1 && raw.starts_with(kept));
    }

    #[test]
    fn incidents_by_principal_within_a_window_and_of_kinds() {
        let (_dir, mut store) = store();
        let mallory = "arn:aws:iam::111122223333:user/mallory";
        for (id, who, time, kind) in [
            ("e-1", mallory, 100, "trail-stopped"),
            ("e-2", mallory, 200, "trail-stopped"),
            ("e-3", "arn:aws:iam::111122223333:user/bob", 250, "trail-stopped"),
            ("e-4", mallory, 300, "guardrail-changed"),
        ] {
            let stop = event(id, who, time);
            store.claim_event(&stop, id).unwrap();
            store.finish_event(&stop, "restored", "", &[incident(kind)]).unwrap();
        }
        let found = store.incidents_by_principal(mallory, &["trail-stopped", "trail-deleted"], 150).unwrap();
        assert_eq!(found.iter().map(|i| i.event_id.as_str()).collect::<Vec<_>>(), ["e-2"]);
        assert_eq!(store.incidents_by_principal(mallory, &["trail-stopped"], 0).unwrap().len(), 2);
        assert_eq!(store.incidents_by_principal(mallory, &[], 0).unwrap().len(), 0);
    }
}
