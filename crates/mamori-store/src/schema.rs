//! The schema, as an ordered list of migrations. The database's `PRAGMA user_version` is the
//! number of migrations applied; a store is upgraded by applying the missing ones in one
//! transaction, and a store whose version is higher than [`LATEST`] was written by a newer
//! mamori and is refused untouched (an older binary cannot know what the newer columns mean).

/// `PRAGMA application_id` of a mamori store ("mamo"), so that another application's SQLite
/// file given by mistake is refused rather than extended with our tables.
pub const APPLICATION_ID: i64 = 0x6d61_6d6f;

/// Migration `n` (1-based) takes a store from version `n - 1` to `n`. Append only: a
/// released migration is never edited.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, their rules, accounts and findings; pending notifications.
    r#"
    CREATE TABLE runs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL,
        scope         TEXT NOT NULL,
        scope_label   TEXT NOT NULL,
        options       TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        state         TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed')),
        error         TEXT,
        pid           INTEGER,
        statistics    TEXT,
        pass          INTEGER NOT NULL DEFAULT 0,
        fail          INTEGER NOT NULL DEFAULT 0,
        error_count   INTEGER NOT NULL DEFAULT 0,
        muted         INTEGER NOT NULL DEFAULT 0,
        fail_by_severity TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX runs_by_scope ON runs (scope, state, id);

    CREATE TABLE run_rules (
        run_id    INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        rule_id   TEXT NOT NULL,
        title     TEXT NOT NULL,
        severity  TEXT NOT NULL,
        PRIMARY KEY (run_id, rule_id)
    ) WITHOUT ROWID;

    CREATE TABLE run_accounts (
        run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        account_id    TEXT NOT NULL,
        name          TEXT,
        owner         TEXT,
        owner_source  TEXT,
        target        TEXT,
        target_source TEXT,
        tags          TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, account_id)
    ) WITHOUT ROWID;

    -- Rows arrive in run order, so the run_id index grows at its end: inserting stays fast
    -- at millions of rows. Finding ids are looked up per run, in memory.
    CREATE TABLE findings (
        run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        finding_id    TEXT NOT NULL,
        rule_id       TEXT NOT NULL,
        status        TEXT NOT NULL,
        severity      TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        region        TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id   TEXT NOT NULL,
        resource_arn  TEXT,
        message       TEXT NOT NULL
    );
    CREATE INDEX findings_by_run ON findings (run_id);

    -- Targets are names (a configuration key), never URLs: a webhook URL is a secret.
    CREATE TABLE notifications (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        owner           TEXT,
        target          TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_attempt_at INTEGER,
        last_error      TEXT,
        delivered_at    INTEGER
    );
    CREATE INDEX notifications_pending ON notifications (delivered_at, id);
    "#,
    // 2: a run's rule selection no longer separates scopes (adding a rule or a policy keeps the
    // history; the comparison handles rules added and removed), so it leaves the scope key.
    // The keys are compact JSON with sorted keys; json_remove keeps both properties.
    r#"
    UPDATE runs SET scope = json_remove(scope, '$.rules')
     WHERE json_valid(scope) AND json_type(scope, '$.rules') IS NOT NULL;
    "#,
    // 3: remediation actions: each change (or rollback) mamori made, started before its first
    // call and finished with its outcome, so a killed apply leaves a `started` row to resume.
    r#"
    CREATE TABLE remediation_actions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL CHECK (kind IN ('fix', 'rollback')),
        plan_id       TEXT NOT NULL,
        finding_id    TEXT NOT NULL,
        rule_id       TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        region        TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id   TEXT NOT NULL,
        fixer         TEXT NOT NULL,
        reversible    INTEGER NOT NULL,
        rolls_back    INTEGER REFERENCES remediation_actions (id),
        planned_calls TEXT NOT NULL,
        calls_made    TEXT NOT NULL DEFAULT '[]',
        state_before  TEXT NOT NULL,
        state_after   TEXT,
        outcome       TEXT NOT NULL,
        detail        TEXT NOT NULL DEFAULT '',
        caller_arn    TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER
    );
    CREATE INDEX remediation_by_plan ON remediation_actions (plan_id, finding_id);
    "#,
    // 4: `mamori watch`: every message it received (an event, keyed by CloudTrail's eventID so
    // that a duplicate delivery is acknowledged and never acted on twice, or a malformed
    // message with the reason), and the incidents responders recorded about events.
    r#"
    CREATE TABLE watch_events (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id           TEXT UNIQUE,
        message_id         TEXT NOT NULL,
        event_source       TEXT,
        event_name         TEXT,
        account_id         TEXT,
        region             TEXT,
        principal_arn      TEXT,
        logged_arn         TEXT,
        source_ip          TEXT,
        user_agent         TEXT,
        event_time         INTEGER,
        request_parameters TEXT,
        raw                TEXT,
        state              TEXT NOT NULL CHECK (state IN ('claimed', 'handled', 'failed', 'malformed')),
        outcome            TEXT NOT NULL DEFAULT '',
        detail             TEXT NOT NULL DEFAULT '',
        attempts           INTEGER NOT NULL DEFAULT 1,
        duplicates         INTEGER NOT NULL DEFAULT 0,
        received_at        INTEGER NOT NULL,
        finished_at        INTEGER
    );
    CREATE TABLE incidents (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id      TEXT NOT NULL REFERENCES watch_events (event_id),
        responder     TEXT NOT NULL,
        kind          TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        region        TEXT NOT NULL,
        resource      TEXT NOT NULL,
        principal_arn TEXT,
        source_ip     TEXT,
        user_agent    TEXT,
        event_time    INTEGER NOT NULL,
        summary       TEXT NOT NULL,
        action        TEXT NOT NULL,
        recorded_at   INTEGER NOT NULL
    );
    CREATE INDEX incidents_by_principal ON incidents (principal_arn, event_time);
    "#,
];

/// The schema version this code writes and reads.
pub const LATEST: i64 = MIGRATIONS.len() as i64;
