//! Pruning the findings history, so that a store does not grow forever.
//!
//! Runs that ended badly hold nothing a reader uses: an interrupted run's findings are partial
//! (no comparison, export or dashboard reads them) and a failed run's were already dropped.
//! Complete runs are what history is made of, so they go only beyond a retention the user
//! chose, and never the latest complete run of a scope (the next run is compared with it) nor
//! a run whose notifications are still waiting to be delivered (their payloads live with the
//! run). A run still being recorded by a live process is never touched.
//!
//! Two entry points:
//! - [`Store::prune`] (`mamori runs prune`): whole runs go, with their findings, accounts,
//!   rules and delivered notifications, in one transaction; `VACUUM` on request.
//! - [`discard_interrupted_findings`], called when a run completes: the partial findings of
//!   the interrupted runs of the same scope go, their rows stay as the record that they were
//!   interrupted (with the counts of what they had recorded).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use mamori_model::{Severity, SeverityCounts, Status, StatusCounts};
use rusqlite::Connection;
use serde::Serialize;

use crate::runs::{parse_status, state_of};
use crate::{now_ms, Result, RunId, RunState, Store};

/// Which complete runs [`Store::prune`] may delete, besides every interrupted and failed run.
///
/// With no retention, complete runs are all kept. With one or both, a complete run is kept
/// when *any* given retention keeps it (it is among the `keep_last` latest of its scope, or
/// it started within `older_than`), so adding a retention never deletes more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrunePolicy {
    /// Complete runs kept per scope, latest first; 0 counts as 1, since the latest complete
    /// run of every scope is always kept.
    pub keep_last: Option<usize>,
    /// Complete runs that started longer ago than this may go.
    pub older_than: Option<Duration>,
    /// Work out everything (in a transaction that is rolled back) and delete nothing.
    pub dry_run: bool,
    /// Rebuild the database file afterwards (`VACUUM`), giving the freed space back to the
    /// file system; without it, SQLite reuses the freed pages for later runs.
    pub vacuum: bool,
}

/// Why a run was pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PruneReason {
    /// Left `running` by a process that is gone: its findings are partial.
    Interrupted,
    /// Stopped on an error: only its row and reason were left.
    Failed,
    /// A complete run outside every retention of the policy.
    Retention,
}

impl PruneReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PruneReason::Interrupted => "interrupted",
            PruneReason::Failed => "failed",
            PruneReason::Retention => "beyond retention",
        }
    }
}

/// A run that was (or, in a dry run, would be) deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrunedRun {
    pub id: RunId,
    pub scope_label: String,
    pub started_at: i64,
    pub reason: PruneReason,
    /// Its findings deleted with it.
    pub findings: u64,
}

/// Why a run the policy would delete was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeldReason {
    /// Still being recorded by a live process.
    Running,
    /// Notifications of the run are not delivered yet.
    PendingNotifications,
}

impl HeldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldReason::Running => "still running",
            HeldReason::PendingNotifications => "notifications pending",
        }
    }
}

/// A run kept although it is interrupted, failed or beyond retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldRun {
    pub id: RunId,
    pub reason: HeldReason,
}

/// What [`Store::prune`] did, or would do in a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub dry_run: bool,
    /// Oldest first.
    pub runs: Vec<PrunedRun>,
    pub held: Vec<HeldRun>,
    /// Findings deleted, all runs together.
    pub findings: u64,
    /// Space the deletion freed inside the database file (pages SQLite will reuse).
    pub freed_bytes: u64,
    /// All free space inside the file after the deletion: what `VACUUM` gives back.
    pub reclaimable_bytes: u64,
    /// The database's size before and after `VACUUM`, when it ran.
    pub vacuum: Option<(u64, u64)>,
}

struct Candidate {
    id: RunId,
    scope: String,
    scope_label: String,
    state: RunState,
    started_at: i64,
}

/// The runs `policy` deletes and those it would delete but must keep. `runs` are newest first.
fn plan(
    runs: &[Candidate],
    pending: &HashSet<RunId>,
    policy: &PrunePolicy,
    now: i64,
) -> (Vec<(RunId, PruneReason)>, Vec<HeldRun>) {
    let cutoff = policy.older_than.map(|age| now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX)));
    let mut complete_seen: HashMap<&str, usize> = HashMap::new();
    let (mut doomed, mut held) = (Vec::new(), Vec::new());
    for run in runs {
        let reason = match run.state {
            RunState::Running => {
                held.push(HeldRun { id: run.id, reason: HeldReason::Running });
                continue;
            }
            RunState::Interrupted => PruneReason::Interrupted,
            RunState::Failed => PruneReason::Failed,
            RunState::Complete => {
                let newer = complete_seen.entry(&run.scope).or_default();
                let rank = *newer;
                *newer += 1;
                if rank == 0 || (policy.keep_last.is_none() && cutoff.is_none()) {
                    continue;
                }
                let within_count = policy.keep_last.is_some_and(|keep| rank < keep.max(1));
                let within_age = cutoff.is_some_and(|cutoff| run.started_at >= cutoff);
                if within_count || within_age {
                    continue;
                }
                PruneReason::Retention
            }
        };
        if pending.contains(&run.id) {
            held.push(HeldRun { id: run.id, reason: HeldReason::PendingNotifications });
        } else {
            doomed.push((run.id, reason));
        }
    }
    (doomed, held)
}

impl Store {
    /// Delete interrupted and failed runs, and the complete runs outside `policy`'s retention,
    /// with everything recorded for them, in one transaction (see [`PrunePolicy`] for what is
    /// always kept). A dry run does the same work and rolls it back, so its figures are exact.
    pub fn prune(&mut self, policy: &PrunePolicy) -> Result<PruneReport> {
        self.ensure_writable()?;
        let page_size: i64 =
            self.conn.pragma_query_value(None, "page_size", |row| row.get(0)).map_err(|e| self.error(e))?;
        let page_size = page_size.max(0) as u64;
        let (path, options) = (self.path.clone(), self.options.clone());
        let err = |e| crate::classify_error(&path, &options, e);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let deleted = (|| -> rusqlite::Result<(Vec<PrunedRun>, Vec<HeldRun>, u64, u64)> {
            let free_pages = || -> rusqlite::Result<u64> {
                tx.pragma_query_value(None, "freelist_count", |row| row.get::<_, i64>(0)).map(|n| n.max(0) as u64)
            };
            let free_before = free_pages()?;
            let mut statement =
                tx.prepare("SELECT id, scope, scope_label, state, pid, started_at FROM runs ORDER BY id DESC")?;
            let runs = statement
                .query_map([], |row| {
                    Ok(Candidate {
                        id: row.get(0)?,
                        scope: row.get(1)?,
                        scope_label: row.get(2)?,
                        state: state_of(&row.get::<_, String>(3)?, row.get(4)?),
                        started_at: row.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(statement);
            let mut statement = tx.prepare("SELECT DISTINCT run_id FROM notifications WHERE delivered_at IS NULL")?;
            let pending = statement.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<HashSet<RunId>>>()?;
            drop(statement);

            let (doomed, held) = plan(&runs, &pending, policy, now_ms());
            let by_id: HashMap<RunId, &Candidate> = runs.iter().map(|run| (run.id, run)).collect();
            let mut pruned = Vec::with_capacity(doomed.len());
            for (id, reason) in doomed.into_iter().rev() {
                let findings = tx.execute("DELETE FROM findings WHERE run_id = ?1", [id])? as u64;
                for table in ["notifications", "run_accounts", "run_rules"] {
                    tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [id])?;
                }
                tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
                let run = by_id[&id];
                pruned.push(PrunedRun {
                    id,
                    scope_label: run.scope_label.clone(),
                    started_at: run.started_at,
                    reason,
                    findings,
                });
            }
            let free_after = free_pages()?;
            Ok((pruned, held, free_before, free_after))
        })();
        let (runs, held, free_before, free_after) = deleted.map_err(err)?;
        if policy.dry_run {
            tx.rollback().map_err(err)?;
        } else {
            tx.commit().map_err(err)?;
        }
        let vacuum = if policy.vacuum && !policy.dry_run { Some(self.vacuum()?) } else { None };
        Ok(PruneReport {
            dry_run: policy.dry_run,
            findings: runs.iter().map(|run| run.findings).sum(),
            runs,
            held,
            freed_bytes: free_after.saturating_sub(free_before) * page_size,
            reclaimable_bytes: free_after * page_size,
            vacuum,
        })
    }

    /// The database's size in bytes (its pages, wherever they are: file or write-ahead log).
    pub fn size(&self) -> Result<u64> {
        let pages: i64 =
            self.conn.pragma_query_value(None, "page_count", |row| row.get(0)).map_err(|e| self.error(e))?;
        let page_size: i64 =
            self.conn.pragma_query_value(None, "page_size", |row| row.get(0)).map_err(|e| self.error(e))?;
        Ok(pages.max(0) as u64 * page_size.max(0) as u64)
    }

    /// Rebuild the file without its free pages; returns its size before and after.
    fn vacuum(&mut self) -> Result<(u64, u64)> {
        let before = self.size()?;
        self.conn.execute_batch("VACUUM").map_err(|e| self.error(e))?;
        // VACUUM goes through the write-ahead log: copying it back now makes the file itself
        // shrink (a reader still at work only delays that to the next checkpoint).
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(|e| self.error(e))?;
        Ok((before, self.size()?))
    }
}

/// Called in the transaction that completes run `completed` of `scope`: the findings of the
/// interrupted runs of that scope recorded before it are deleted (no comparison reads them,
/// and the new run supersedes them), and their rows keep what they had recorded as counts.
/// Their pid is cleared, so they read as interrupted even once the pid is reused.
pub(crate) fn discard_interrupted_findings(conn: &Connection, scope: &str, completed: RunId) -> rusqlite::Result<u64> {
    let mut statement = conn
        .prepare("SELECT id, pid FROM runs WHERE state = 'running' AND pid IS NOT NULL AND scope = ?1 AND id < ?2")?;
    let interrupted: Vec<RunId> = statement
        .query_map(rusqlite::params![scope, completed], |row| Ok((row.get::<_, RunId>(0)?, row.get(1)?)))?
        .filter_map(|row| match row {
            Ok((id, pid)) if state_of("running", pid) == RunState::Interrupted => Some(Ok(id)),
            Ok(_) => None,
            Err(err) => Some(Err(err)),
        })
        .collect::<rusqlite::Result<_>>()?;
    drop(statement);
    let mut discarded = 0;
    for id in interrupted {
        let (counts, fail_by_severity) = partial_counts(conn, id)?;
        conn.execute(
            "UPDATE runs SET pid = NULL, pass = ?2, fail = ?3, error_count = ?4, muted = ?5, fail_by_severity = ?6 \
             WHERE id = ?1",
            rusqlite::params![
                id,
                counts.pass as i64,
                counts.fail as i64,
                counts.error as i64,
                counts.muted as i64,
                serde_json::to_string(&fail_by_severity).unwrap_or_else(|_| "{}".into())
            ],
        )?;
        discarded += conn.execute("DELETE FROM findings WHERE run_id = ?1", [id])? as u64;
    }
    Ok(discarded)
}

/// The counts of what run `id` recorded, however far it got.
fn partial_counts(conn: &Connection, id: RunId) -> rusqlite::Result<(StatusCounts, SeverityCounts)> {
    let mut statement =
        conn.prepare("SELECT status, severity, count(*) FROM findings WHERE run_id = ?1 GROUP BY status, severity")?;
    let mut rows = statement.query([id])?;
    let (mut counts, mut fail_by_severity) = (StatusCounts::default(), SeverityCounts::default());
    while let Some(row) = rows.next()? {
        let (status, severity, n): (String, String, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
        // A row this release cannot read is still deleted; it is just not counted.
        let n = n.max(0) as u64;
        match parse_status(&status) {
            Some(Status::Pass) => counts.pass += n,
            Some(Status::Fail) => {
                counts.fail += n;
                if let Ok(severity) = severity.parse::<Severity>() {
                    fail_by_severity.add_n(severity, n);
                }
            }
            Some(Status::Error) => counts.error += n,
            Some(Status::Muted) => counts.muted += n,
            None => {}
        }
    }
    Ok((counts, fail_by_severity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: RunId, scope: &str, state: RunState, started_at: i64) -> Candidate {
        Candidate { id, scope: scope.into(), scope_label: scope.into(), state, started_at }
    }

    const DAY: i64 = 86_400_000;

    #[test]
    fn retention_keeps_what_any_rule_keeps_and_always_the_latest() {
        let now = 100 * DAY;
        // Newest first: scope a has complete runs 6, 4, 3, 1 (started 1, 10, 20, 40 days ago).
        let runs = [
            run(7, "b", RunState::Complete, now - 50 * DAY),
            run(6, "a", RunState::Complete, now - DAY),
            run(5, "a", RunState::Interrupted, now - 5 * DAY),
            run(4, "a", RunState::Complete, now - 10 * DAY),
            run(3, "a", RunState::Complete, now - 20 * DAY),
            run(2, "a", RunState::Failed, now - 30 * DAY),
            run(1, "a", RunState::Complete, now - 40 * DAY),
        ];
        let ids = |policy: PrunePolicy| -> Vec<RunId> {
            plan(&runs, &HashSet::new(), &policy, now).0.into_iter().map(|(id, _)| id).collect()
        };
        let days = |n: u64| Some(Duration::from_secs(n * 86_400));
        assert_eq!(ids(PrunePolicy::default()), vec![5, 2], "no retention: complete runs stay");
        assert_eq!(ids(PrunePolicy { keep_last: Some(2), ..Default::default() }), vec![5, 3, 2, 1]);
        assert_eq!(ids(PrunePolicy { keep_last: Some(0), ..Default::default() }), vec![5, 4, 3, 2, 1]);
        assert_eq!(ids(PrunePolicy { older_than: days(15), ..Default::default() }), vec![5, 3, 2, 1]);
        // Run 7 is 50 days old but the latest of its scope; with both rules, run 3 is kept by
        // its count and run 1 goes, outside both.
        assert_eq!(ids(PrunePolicy { keep_last: Some(3), older_than: days(15), ..Default::default() }), vec![5, 2, 1]);
        assert_eq!(
            ids(PrunePolicy { keep_last: Some(1), older_than: days(0), ..Default::default() }),
            vec![5, 4, 3, 2, 1]
        );
    }

    #[test]
    fn running_runs_and_runs_with_pending_notifications_are_held() {
        let runs = [
            run(4, "a", RunState::Complete, 0),
            run(3, "a", RunState::Running, 0),
            run(2, "a", RunState::Interrupted, 0),
            run(1, "a", RunState::Complete, 0),
        ];
        let policy = PrunePolicy { keep_last: Some(1), ..Default::default() };
        let (doomed, held) = plan(&runs, &HashSet::from([1]), &policy, 0);
        assert_eq!(doomed, vec![(2, PruneReason::Interrupted)]);
        assert_eq!(
            held,
            vec![
                HeldRun { id: 3, reason: HeldReason::Running },
                HeldRun { id: 1, reason: HeldReason::PendingNotifications }
            ]
        );
    }
}
