//! The record of remediation: every change mamori made to an account, and every rollback.
//!
//! An action row is written `started` before its first call and finished with its outcome,
//! the calls actually made and the state read afterwards, so the history of a killed apply is
//! still true (a `started` row says a change may have happened) and `remediate log` can say
//! who changed what, when, from which state to which.

use serde::Serialize;
use serde_json::Value;

use crate::{now_ms, Result, Store, StoreError};

/// A fix or the rollback of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    Fix,
    Rollback,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Fix => "fix",
            ActionKind::Rollback => "rollback",
        }
    }
}

/// How an action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionOutcome {
    /// Begun; the process stopped before it was finished (or it is running now).
    Started,
    /// The calls were made and the rule now passes on the resource (for a rollback: the
    /// recorded state is back).
    Verified,
    /// The calls were made but the resource does not read back as planned, or the rule
    /// still fails on it.
    Unverified,
    /// The resource was already in the planned end state: no call was made.
    AlreadyApplied,
    /// Not in the planned starting state any more (changed or gone): no call was made.
    Skipped,
    /// A call failed (AccessDenied, a conflict...): recorded, and the run went on.
    Failed,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Started => "started",
            ActionOutcome::Verified => "verified",
            ActionOutcome::Unverified => "unverified",
            ActionOutcome::AlreadyApplied => "already-applied",
            ActionOutcome::Skipped => "skipped",
            ActionOutcome::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<ActionOutcome> {
        [
            ActionOutcome::Started,
            ActionOutcome::Verified,
            ActionOutcome::Unverified,
            ActionOutcome::AlreadyApplied,
            ActionOutcome::Skipped,
            ActionOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }

    /// Whether the planned change is in place (nothing is left to do for it).
    pub fn is_done(self) -> bool {
        matches!(self, ActionOutcome::Verified | ActionOutcome::AlreadyApplied)
    }
}

impl std::fmt::Display for ActionOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action about to begin.
#[derive(Clone, Debug)]
pub struct NewAction<'a> {
    pub kind: ActionKind,
    pub plan_id: &'a str,
    pub finding_id: &'a str,
    pub rule_id: &'a str,
    pub account_id: &'a str,
    pub region: &'a str,
    pub resource_type: &'a str,
    pub resource_id: &'a str,
    pub fixer: &'a str,
    pub reversible: bool,
    /// For a rollback: the action it undoes.
    pub rolls_back: Option<i64>,
    pub planned_calls: &'a Value,
    pub state_before: &'a Value,
    /// The ARN of the principal making the calls (STS GetCallerIdentity of its session).
    pub caller_arn: &'a str,
}

/// A recorded action.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRecord {
    pub id: i64,
    pub kind: ActionKind,
    pub plan_id: String,
    pub finding_id: String,
    pub rule_id: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub fixer: String,
    pub reversible: bool,
    pub rolls_back: Option<i64>,
    pub planned_calls: Value,
    pub calls_made: Value,
    pub state_before: Value,
    pub state_after: Option<Value>,
    pub outcome: ActionOutcome,
    pub detail: String,
    pub caller_arn: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, plan_id, finding_id, rule_id, account_id, region, resource_type, resource_id, fixer, \
     reversible, rolls_back, planned_calls, calls_made, state_before, state_after, outcome, detail, caller_arn, \
     started_at, finished_at";

fn json(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRecord> {
    let kind: String = row.get(1)?;
    let outcome: String = row.get(16)?;
    Ok(ActionRecord {
        id: row.get(0)?,
        kind: if kind == "rollback" { ActionKind::Rollback } else { ActionKind::Fix },
        plan_id: row.get(2)?,
        finding_id: row.get(3)?,
        rule_id: row.get(4)?,
        account_id: row.get(5)?,
        region: row.get(6)?,
        resource_type: row.get(7)?,
        resource_id: row.get(8)?,
        fixer: row.get(9)?,
        reversible: row.get(10)?,
        rolls_back: row.get(11)?,
        planned_calls: json(row.get(12)?),
        calls_made: json(row.get(13)?),
        state_before: json(row.get(14)?),
        state_after: row.get::<_, Option<String>>(15)?.map(json),
        outcome: ActionOutcome::parse(&outcome).unwrap_or(ActionOutcome::Started),
        detail: row.get(17)?,
        caller_arn: row.get(18)?,
        started_at: row.get(19)?,
        finished_at: row.get(20)?,
    })
}

impl Store {
    /// Records that an action begins (before its first call); returns its id.
    pub fn begin_action(&mut self, action: &NewAction<'_>) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO remediation_actions (kind, plan_id, finding_id, rule_id, account_id, region, \
                 resource_type, resource_id, fixer, reversible, rolls_back, planned_calls, state_before, outcome, \
                 caller_arn, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'started', \
                 ?14, ?15)",
                rusqlite::params![
                    action.kind.as_str(),
                    action.plan_id,
                    action.finding_id,
                    action.rule_id,
                    action.account_id,
                    action.region,
                    action.resource_type,
                    action.resource_id,
                    action.fixer,
                    action.reversible,
                    action.rolls_back,
                    action.planned_calls.to_string(),
                    action.state_before.to_string(),
                    action.caller_arn,
                    now_ms(),
                ],
            )
            .map_err(|e| self.error(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records how an action ended.
    pub fn finish_action(
        &mut self,
        id: i64,
        outcome: ActionOutcome,
        calls_made: &Value,
        state_after: Option<&Value>,
        detail: &str,
    ) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE remediation_actions SET outcome = ?2, calls_made = ?3, state_after = ?4, detail = ?5, \
                 finished_at = ?6 WHERE id = ?1",
                rusqlite::params![
                    id,
                    outcome.as_str(),
                    calls_made.to_string(),
                    state_after.map(Value::to_string),
                    detail,
                    now_ms()
                ],
            )
            .map_err(|e| self.error(e))?;
        if changed == 0 {
            return Err(StoreError::UnknownRun { path: self.path.clone(), id: format!("remediation action {id}") });
        }
        Ok(())
    }

    /// Every action, oldest first.
    pub fn actions(&self) -> Result<Vec<ActionRecord>> {
        self.query_actions(&format!("SELECT {COLUMNS} FROM remediation_actions ORDER BY id"), rusqlite::params![])
    }

    /// One action.
    pub fn action(&self, id: i64) -> Result<ActionRecord> {
        let sql = format!("SELECT {COLUMNS} FROM remediation_actions WHERE id = ?1");
        self.query_actions(&sql, rusqlite::params![id])?.pop().ok_or_else(|| StoreError::UnknownRun {
            path: self.path.clone(),
            id: format!("remediation action {id} (see `mamori remediate log`)"),
        })
    }

    /// The actions of a plan for a finding, of `kind`, oldest first.
    pub fn actions_of(&self, plan_id: &str, finding_id: &str, kind: ActionKind) -> Result<Vec<ActionRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM remediation_actions WHERE plan_id = ?1 AND finding_id = ?2 AND kind = ?3 ORDER BY id"
        );
        self.query_actions(&sql, rusqlite::params![plan_id, finding_id, kind.as_str()])
    }

    /// The rollbacks of an action, oldest first.
    pub fn rollbacks_of(&self, action: i64) -> Result<Vec<ActionRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM remediation_actions WHERE rolls_back = ?1 ORDER BY id");
        self.query_actions(&sql, rusqlite::params![action])
    }

    fn query_actions(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<ActionRecord>> {
        let mut statement = self.conn.prepare(sql).map_err(|e| self.error(e))?;
        let rows = statement.query_map(params, from_row).map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| self.error(e))
    }
}
