//! Reading runs back: the list, one run's summary, accounts and findings.

use mamori_model::{Severity, SeverityCounts, Status, StatusCounts};
use serde::Serialize;

use crate::{AccountRecord, Result, RuleInfo, RunId, Store, StoreError};

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Being recorded by a live process.
    Running,
    /// Left `running` by a process that is gone (killed, crashed): its findings are partial.
    Interrupted,
    Complete,
    /// Stopped on an error; the reason is kept, the findings are not.
    Failed,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Interrupted => "interrupted",
            RunState::Complete => "complete",
            RunState::Failed => "failed",
        }
    }
}

/// One run as listed (and as a point of a trend).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub id: RunId,
    pub kind: String,
    pub scope: String,
    pub scope_label: String,
    pub state: RunState,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub counts: StatusCounts,
    /// FAIL checks by severity.
    pub fail_by_severity: SeverityCounts,
    pub error: Option<String>,
    pub options: serde_json::Value,
    pub statistics: Option<serde_json::Value>,
}

impl RunSummary {
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at.map(|end| end - self.started_at)
    }
}

/// A finding as stored, with its rule's title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFinding {
    pub finding_id: String,
    pub rule_id: String,
    pub rule_title: Option<String>,
    pub status: Status,
    pub severity: Severity,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_arn: Option<String>,
    pub message: String,
}

impl StoredFinding {
    /// The finding as the engine's reports and exports take it.
    pub fn into_finding(self) -> mamori_model::Finding {
        use std::sync::Arc;
        mamori_model::Finding {
            rule_id: Arc::from(self.rule_id),
            status: self.status,
            severity: self.severity,
            account_id: Arc::from(self.account_id),
            region: Arc::from(self.region),
            resource_type: Arc::from(self.resource_type),
            resource_id: Arc::from(self.resource_id),
            resource_arn: self.resource_arn.map(Arc::from),
            message: self.message,
        }
    }
}

const RUN_COLUMNS: &str = "id, kind, scope, scope_label, state, started_at, finished_at, pass, fail, error_count, \
     muted, fail_by_severity, error, options, statistics, pid";

pub(crate) fn parse_status(text: &str) -> Option<Status> {
    match text {
        "PASS" => Some(Status::Pass),
        "FAIL" => Some(Status::Fail),
        "ERROR" => Some(Status::Error),
        "MUTED" => Some(Status::Muted),
        _ => None,
    }
}

fn process_alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        return true;
    }
    // Linux answers from /proc; elsewhere a `running` row is shown as such.
    let proc_root = std::path::Path::new("/proc/self");
    if proc_root.exists() {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// A run's state from its stored `state` and the process that records it: a `running` row
/// whose process is gone (or whose pid was cleared when its findings were pruned) was
/// interrupted.
pub(crate) fn state_of(stored: &str, pid: Option<i64>) -> RunState {
    match stored {
        "complete" => RunState::Complete,
        "failed" => RunState::Failed,
        _ if pid.is_some_and(process_alive) => RunState::Running,
        _ => RunState::Interrupted,
    }
}

fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let state: String = row.get(4)?;
    let pid: Option<i64> = row.get(15)?;
    let state = state_of(&state, pid);
    let json = |index: usize| -> rusqlite::Result<Option<serde_json::Value>> {
        let text: Option<String> = row.get(index)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    };
    let count = |index: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(index)?.max(0) as u64) };
    let fail_by_severity: String = row.get(11)?;
    Ok(RunSummary {
        id: row.get(0)?,
        kind: row.get(1)?,
        scope: row.get(2)?,
        scope_label: row.get(3)?,
        state,
        started_at: row.get(5)?,
        finished_at: row.get(6)?,
        counts: StatusCounts { pass: count(7)?, fail: count(8)?, error: count(9)?, muted: count(10)? },
        fail_by_severity: serde_json::from_str(&fail_by_severity).unwrap_or_default(),
        error: row.get(12)?,
        options: json(13)?.unwrap_or(serde_json::Value::Null),
        statistics: json(14)?,
    })
}

impl Store {
    /// Every run, oldest first (a dashboard's trend reads the complete ones).
    pub fn runs(&self) -> Result<Vec<RunSummary>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id");
        let mut statement = self.conn.prepare(&sql).map_err(|e| self.error(e))?;
        let rows = statement.query_map([], run_from_row).map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error(e))
    }

    /// One run; [`StoreError::UnknownRun`] when there is none with this id.
    pub fn run(&self, id: RunId) -> Result<RunSummary> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
        let mut statement = self.conn.prepare(&sql).map_err(|e| self.error(e))?;
        let mut rows = statement.query_map([id], run_from_row).map_err(|e| self.error(e))?;
        match rows.next() {
            Some(run) => run.map_err(|e| self.error(e)),
            None => Err(StoreError::UnknownRun { path: self.path.clone(), id: id.to_string() }),
        }
    }

    /// Remove a run and everything recorded with it (findings, rules, accounts, queued
    /// notifications): a dry run's comparison leaves nothing a later run would compare with.
    pub fn discard_run(&mut self, id: RunId) -> Result<()> {
        self.ensure_writable()?;
        let deleted = self.conn.execute("DELETE FROM runs WHERE id = ?1", [id]).map_err(|e| self.error(e))?;
        if deleted == 0 {
            return Err(StoreError::UnknownRun { path: self.path.clone(), id: id.to_string() });
        }
        Ok(())
    }

    /// A run named on the command line: its id as text.
    pub fn run_by_name(&self, name: &str) -> Result<RunSummary> {
        match name.trim().parse::<RunId>() {
            Ok(id) => self.run(id),
            Err(_) => Err(StoreError::UnknownRun { path: self.path.clone(), id: name.to_owned() }),
        }
    }

    /// The latest complete run, of `scope` when given, older than `before` when given.
    pub fn latest_complete_run(&self, scope: Option<&str>, before: Option<RunId>) -> Result<Option<RunSummary>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE state = 'complete' AND (?1 IS NULL OR scope = ?1) \
             AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT 1"
        );
        let mut statement = self.conn.prepare(&sql).map_err(|e| self.error(e))?;
        let mut rows =
            statement.query_map(rusqlite::params![scope, before], run_from_row).map_err(|e| self.error(e))?;
        rows.next().transpose().map_err(|e| self.error(e))
    }

    /// The accounts of a run with their owners.
    pub fn accounts(&self, run: RunId) -> Result<Vec<AccountRecord>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT account_id, name, owner, owner_source, target, target_source, tags FROM run_accounts \
                 WHERE run_id = ?1 ORDER BY account_id",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([run], |row| {
                let tags: String = row.get(6)?;
                Ok(AccountRecord {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    owner: row.get(2)?,
                    owner_source: row.get(3)?,
                    target: row.get(4)?,
                    target_source: row.get(5)?,
                    tags: serde_json::from_str(&tags).unwrap_or_default(),
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error(e))
    }

    /// The rules a run evaluated (built-in and custom), by id: a rule of the run that has no
    /// finding judged nothing, which is not the same as a rule that did not run.
    pub fn rules(&self, run: RunId) -> Result<Vec<RuleInfo>> {
        let mut statement = self
            .conn
            .prepare("SELECT rule_id, title, severity FROM run_rules WHERE run_id = ?1 ORDER BY rule_id")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([run], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))
            .map_err(|e| self.error(e))?;
        let mut rules = Vec::new();
        for row in rows {
            let (id, title, severity) = row.map_err(|e| self.error(e))?;
            let severity = severity.parse::<Severity>().map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                message: format!("run {run}: rule `{id}` has an unknown severity `{severity}`"),
            })?;
            rules.push(RuleInfo { id, title, severity });
        }
        Ok(rules)
    }

    /// Every finding of a run, in recording order, streamed to `visit`.
    pub fn for_each_finding(&self, run: RunId, mut visit: impl FnMut(StoredFinding)) -> Result<()> {
        self.try_for_each_finding(run, |finding| {
            visit(finding);
            Ok::<(), StoreError>(())
        })
    }

    /// [`Store::for_each_finding`] whose `visit` can fail (a writer whose reader went away):
    /// the first error stops the walk and is returned as it is, so nothing more is read.
    pub fn try_for_each_finding<E: From<StoreError>>(
        &self,
        run: RunId,
        mut visit: impl FnMut(StoredFinding) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT f.finding_id, f.rule_id, r.title, f.status, f.severity, f.account_id, f.region, \
                 f.resource_type, f.resource_id, f.resource_arn, f.message FROM findings f \
                 LEFT JOIN run_rules r ON r.run_id = f.run_id AND r.rule_id = f.rule_id \
                 WHERE f.run_id = ?1 ORDER BY f.rowid",
            )
            .map_err(|e| self.error(e))?;
        let mut rows = statement.query([run]).map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            let finding = (|| -> rusqlite::Result<std::result::Result<StoredFinding, String>> {
                let status: String = row.get(3)?;
                let severity: String = row.get(4)?;
                let Some(status) = parse_status(&status) else {
                    return Ok(Err(format!("unknown status `{status}`")));
                };
                let Ok(severity) = severity.parse::<Severity>() else {
                    return Ok(Err(format!("unknown severity `{severity}`")));
                };
                Ok(Ok(StoredFinding {
                    finding_id: row.get(0)?,
                    rule_id: row.get(1)?,
                    rule_title: row.get(2)?,
                    status,
                    severity,
                    account_id: row.get(5)?,
                    region: row.get(6)?,
                    resource_type: row.get(7)?,
                    resource_id: row.get(8)?,
                    resource_arn: row.get(9)?,
                    message: row.get(10)?,
                }))
            })()
            .map_err(|e| self.error(e))?;
            match finding {
                Ok(finding) => visit(finding)?,
                Err(message) => {
                    return Err(StoreError::Corrupt {
                        path: self.path.clone(),
                        message: format!("run {run}: {message}"),
                    }
                    .into())
                }
            }
        }
        Ok(())
    }

    /// Every finding of a run (see [`Store::for_each_finding`] for large runs).
    pub fn findings(&self, run: RunId) -> Result<Vec<StoredFinding>> {
        let mut findings = Vec::new();
        self.for_each_finding(run, |finding| findings.push(finding))?;
        Ok(findings)
    }
}
