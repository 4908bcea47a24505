//! Recording a run: the `running` row first, findings in batches, `complete` last.

use std::collections::BTreeMap;

use mamori_model::{Finding, Severity, SeverityCounts, Status, StatusCounts};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{now_ms, Result, RunId, RunSummary, Store, StoreError};

/// Findings per write transaction: large enough that committing costs nothing, small enough
/// that another writer never waits long for the lock.
const BATCH: usize = 50_000;

/// What a run looked at. Two runs are comparable when their scopes are equal: the same
/// inventory or accounts source and regions, or the same name given by the user. The rule
/// selection is not part of it: [`Store::diff`] compares only the rules both runs evaluated,
/// and a rule new in the later run brings new findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// A canonical JSON description (object keys sorted), compared as text.
    pub key: String,
    /// A short description for people.
    pub label: String,
}

impl Scope {
    /// `description` is canonicalised (serde_json objects keep keys sorted).
    pub fn new(label: impl Into<String>, description: &Value) -> Scope {
        Scope { key: description.to_string(), label: label.into() }
    }
}

/// A rule of the run, so that readers show titles without the catalog (custom policies have
/// none there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
}

/// An account of the run with its resolved owner and notification target (by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    /// Where the owner came from (`config`, `csv`, `tag`, ...).
    pub owner_source: Option<String>,
    pub target: Option<String>,
    pub target_source: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A run about to be recorded.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The command: `evaluate` or `audit`.
    pub kind: String,
    pub scope: Scope,
    /// Options that do not change the scope (parameters, severities, format, threads).
    pub options: Value,
    pub rules: Vec<RuleInfo>,
}

/// A run being recorded. Dropping it without [`RunRecorder::complete`] leaves the run
/// `running` with at most its committed batches, which no comparison uses.
pub struct RunRecorder<'s> {
    store: &'s mut Store,
    id: RunId,
    scope: String,
    in_transaction: usize,
    counts: StatusCounts,
    fail_by_severity: SeverityCounts,
}

const INSERT_FINDING: &str = "INSERT INTO findings (run_id, finding_id, rule_id, status, severity, account_id, \
     region, resource_type, resource_id, resource_arn, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

impl Store {
    /// Start recording a run: its row is committed at once as `running`.
    pub fn begin_run(&mut self, run: &NewRun) -> Result<RunRecorder<'_>> {
        self.ensure_writable()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| crate::classify_error(&self.path, &self.options, e))?;
        let inserted = (|| -> rusqlite::Result<RunId> {
            tx.execute(
                "INSERT INTO runs (kind, scope, scope_label, options, started_at, state, pid) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)",
                rusqlite::params![
                    run.kind,
                    run.scope.key,
                    run.scope.label,
                    run.options.to_string(),
                    now_ms(),
                    std::process::id()
                ],
            )?;
            let id = tx.last_insert_rowid();
            let mut statement = tx.prepare(
                "INSERT OR REPLACE INTO run_rules (run_id, rule_id, title, severity) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for rule in &run.rules {
                statement.execute(rusqlite::params![id, rule.id, rule.title, rule.severity.as_str()])?;
            }
            drop(statement);
            Ok(id)
        })();
        let id = inserted.map_err(|e| crate::classify_error(&self.path, &self.options, e))?;
        tx.commit().map_err(|e| crate::classify_error(&self.path, &self.options, e))?;
        Ok(RunRecorder {
            store: self,
            id,
            scope: run.scope.key.clone(),
            in_transaction: 0,
            counts: StatusCounts::default(),
            fail_by_severity: SeverityCounts::default(),
        })
    }

    pub(crate) fn ensure_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            Err(StoreError::ReadOnly { path: self.path.clone(), reason: "it was opened for reading only".into() })
        }
    }
}

impl RunRecorder<'_> {
    pub fn id(&self) -> RunId {
        self.id
    }

    /// Record one finding.
    pub fn add(&mut self, finding: &Finding) -> Result<()> {
        self.add_with_id(&finding.id(), finding)
    }

    /// Record one finding whose id the caller already computed.
    pub fn add_with_id(&mut self, finding_id: &str, finding: &Finding) -> Result<()> {
        if self.in_transaction == 0 {
            self.execute_batch("BEGIN IMMEDIATE")?;
        }
        let conn = &self.store.conn;
        let inserted = conn.prepare_cached(INSERT_FINDING).and_then(|mut statement| {
            statement.execute(rusqlite::params![
                self.id,
                finding_id,
                &*finding.rule_id,
                finding.status.as_str(),
                finding.severity.as_str(),
                &*finding.account_id,
                &*finding.region,
                &*finding.resource_type,
                &*finding.resource_id,
                finding.resource_arn.as_deref(),
                finding.message,
            ])
        });
        inserted.map_err(|e| self.store.error(e))?;
        self.counts.add(finding.status);
        if finding.status == Status::Fail {
            self.fail_by_severity.add(finding.severity);
        }
        self.in_transaction += 1;
        if self.in_transaction >= BATCH {
            self.execute_batch("COMMIT")?;
            self.in_transaction = 0;
        }
        Ok(())
    }

    /// Mark the run complete, with its statistics and accounts, in the same transaction as
    /// its last findings. The same transaction deletes the partial findings of the interrupted
    /// runs of the same scope, keeping their rows (see `prune`).
    pub fn complete(mut self, statistics: &Value, accounts: &[AccountRecord]) -> Result<RunSummary> {
        if self.in_transaction == 0 {
            self.execute_batch("BEGIN IMMEDIATE")?;
            self.in_transaction = 1;
        }
        let store = &*self.store;
        let written = (|| -> rusqlite::Result<()> {
            let mut statement = store.conn.prepare(
                "INSERT OR REPLACE INTO run_accounts (run_id, account_id, name, owner, owner_source, target, target_source, tags) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for account in accounts {
                let tags = serde_json::to_string(&account.tags).unwrap_or_else(|_| "{}".into());
                statement.execute(rusqlite::params![
                    self.id,
                    account.id,
                    account.name,
                    account.owner,
                    account.owner_source,
                    account.target,
                    account.target_source,
                    tags
                ])?;
            }
            // Earlier releases wrote the same object with its keys in alphabetical order; readers
            // of either release take both.
            let by_severity = serde_json::to_string(&self.fail_by_severity).unwrap_or_else(|_| "{}".into());
            store.conn.execute(
                "UPDATE runs SET state = 'complete', finished_at = ?2, statistics = ?3, pass = ?4, fail = ?5, \
                 error_count = ?6, muted = ?7, fail_by_severity = ?8 WHERE id = ?1",
                rusqlite::params![
                    self.id,
                    now_ms(),
                    statistics.to_string(),
                    self.counts.pass as i64,
                    self.counts.fail as i64,
                    self.counts.error as i64,
                    self.counts.muted as i64,
                    by_severity
                ],
            )?;
            crate::prune::discard_interrupted_findings(&store.conn, &self.scope, self.id)?;
            Ok(())
        })();
        written.map_err(|e| store.error(e))?;
        self.execute_batch("COMMIT")?;
        self.in_transaction = 0;
        self.store.run(self.id)
    }

    /// Forget every finding recorded so far: the evaluation starts over (it found several
    /// items of one resource and judges each resource on its latest item only).
    pub fn discard_findings(&mut self) -> Result<()> {
        if self.in_transaction > 0 {
            self.execute_batch("ROLLBACK")?;
            self.in_transaction = 0;
        }
        let store = &*self.store;
        store.conn.execute("DELETE FROM findings WHERE run_id = ?1", [self.id]).map_err(|e| store.error(e))?;
        self.counts = StatusCounts::default();
        self.fail_by_severity = SeverityCounts::default();
        Ok(())
    }

    /// Mark the run failed (the evaluation stopped on an error): its findings are dropped,
    /// only the row and the reason stay.
    pub fn fail(mut self, reason: &str) -> Result<()> {
        if self.in_transaction > 0 {
            self.execute_batch("ROLLBACK")?;
            self.in_transaction = 0;
        }
        let store = &*self.store;
        let tx_result = (|| -> rusqlite::Result<()> {
            store.conn.execute_batch("BEGIN IMMEDIATE")?;
            store.conn.execute("DELETE FROM findings WHERE run_id = ?1", [self.id])?;
            store.conn.execute(
                "UPDATE runs SET state = 'failed', finished_at = ?2, error = ?3 WHERE id = ?1",
                rusqlite::params![self.id, now_ms(), reason],
            )?;
            store.conn.execute_batch("COMMIT")
        })();
        if let Err(err) = tx_result {
            let _ = store.conn.execute_batch("ROLLBACK");
            return Err(store.error(err));
        }
        Ok(())
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.store.conn.execute_batch(sql).map_err(|e| self.store.error(e))
    }
}

impl Drop for RunRecorder<'_> {
    fn drop(&mut self) {
        // An abandoned recorder (an error elsewhere) discards its open batch; the run stays
        // `running`, exactly as if the process had been killed.
        if self.in_transaction > 0 {
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}
