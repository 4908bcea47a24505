//! The store against real SQLite files: migrations, killed runs, refusals (newer schema,
//! read-only, locked, foreign files), transitions, the notification queue and pruning.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mamori_model::{Finding, Severity, Status};
use mamori_store::{
    classify, AccountRecord, HeldReason, HeldRun, NewNotification, NewRun, OpenOptions, PrunePolicy, PruneReason,
    RuleInfo, RunState, Scope, Store, StoreError, TransitionKind, SCHEMA_VERSION,
};
use serde_json::json;

fn finding(rule: &str, resource: &str, status: Status) -> Finding {
    Finding {
        rule_id: Arc::from(rule),
        status,
        severity: Severity::High,
        account_id: Arc::from("111111111111"),
        region: Arc::from("us-east-1"),
        resource_type: Arc::from("AWS::S3::Bucket"),
        resource_id: Arc::from(resource),
        resource_arn: Some(Arc::from(format!("arn:aws:s3:::{resource}"))),
        message: format!("{resource} is {status}"),
    }
}

fn new_run(scope: &str) -> NewRun {
    NewRun {
        kind: "evaluate".into(),
        scope: Scope::new(scope, &json!({ "inputs": [scope] })),
        options: json!({}),
        rules: vec![
            RuleInfo { id: "r1".into(), title: "Rule one".into(), severity: Severity::High },
            RuleInfo { id: "r2".into(), title: "Rule two".into(), severity: Severity::High },
        ],
    }
}

fn owner() -> AccountRecord {
    AccountRecord {
        id: "111111111111".into(),
        name: Some("prod".into()),
        owner: Some("payments".into()),
        owner_source: Some("mamori.toml".into()),
        target: Some("payments-slack".into()),
        target_source: Some("mamori.toml".into()),
        ..AccountRecord::default()
    }
}

fn record(store: &mut Store, scope: &str, findings: &[Finding]) -> i64 {
    let mut run = store.begin_run(&new_run(scope)).unwrap();
    for finding in findings {
        run.add(finding).unwrap();
    }
    run.complete(&json!({"items": findings.len()}), &[owner()]).unwrap().id
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/mamori.db");
    (dir, path)
}

fn quick() -> OpenOptions {
    OpenOptions { busy_timeout: Duration::from_millis(200) }
}

#[test]
fn a_new_store_is_migrated_once_and_reopens() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!((version, mode.as_str()), (SCHEMA_VERSION, "wal"));
    drop(conn);
    let mut store = Store::open(&path).unwrap();
    let id = record(&mut store, "s", &[finding("r1", "b1", Status::Fail)]);
    let run = store.run(id).unwrap();
    assert_eq!((run.state, run.counts.fail, run.counts.total()), (RunState::Complete, 1, 1));
    assert_eq!(run.fail_by_severity.get(Severity::High), 1);
    let findings = store.findings(id).unwrap();
    assert_eq!(findings[0].rule_title.as_deref(), Some("Rule one"));
    assert_eq!(findings[0].finding_id, finding("r1", "b1", Status::Fail).id());
}

#[test]
fn failing_severities_read_back_whichever_release_wrote_them() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let mut findings = Vec::new();
    for (n, (severity, status)) in [
        (Severity::Critical, Status::Fail),
        (Severity::Critical, Status::Fail),
        (Severity::Low, Status::Fail),
        (Severity::Informational, Status::Fail),
        (Severity::High, Status::Pass),
        (Severity::Medium, Status::Error),
        (Severity::Medium, Status::Muted),
    ]
    .into_iter()
    .enumerate()
    {
        findings.push(Finding { severity, ..finding("r1", &format!("b{n}"), status) });
    }
    let id = record(&mut store, "s", &findings);
    let run = store.run(id).unwrap();
    assert_eq!((run.counts.pass, run.counts.fail, run.counts.error, run.counts.muted), (1, 4, 1, 1));
    let expected: Vec<(Severity, u64)> = vec![
        (Severity::Critical, 2),
        (Severity::High, 0),
        (Severity::Medium, 0),
        (Severity::Low, 1),
        (Severity::Informational, 1),
    ];
    assert_eq!(run.fail_by_severity.iter().collect::<Vec<_>>(), expected);
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored = || -> String {
        conn.query_row("SELECT fail_by_severity FROM runs WHERE id = ?1", [id], |row| row.get(0)).unwrap()
    };
    // The zero severities are left out, least severe first.
    assert_eq!(stored(), r#"{"informational":1,"low":1,"critical":2}"#);
    // Earlier releases wrote the keys of a map of severity names: alphabetical order.
    conn.execute(
        "UPDATE runs SET fail_by_severity = ?2 WHERE id = ?1",
        rusqlite::params![id, r#"{"critical":2,"informational":1,"low":1}"#],
    )
    .unwrap();
    drop(conn);
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.run(id).unwrap(), run);
}

#[test]
fn a_killed_run_never_hides_the_last_complete_run() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let complete = record(&mut store, "s", &[finding("r1", "b1", Status::Fail)]);
    // More than one batch, so that some findings of the killed run are committed.
    let mut run = store.begin_run(&new_run("s")).unwrap();
    let killed = run.id();
    for n in 0..60_001 {
        run.add(&finding("r1", &format!("bucket-{n}"), Status::Pass)).unwrap();
    }
    // A kill runs no destructor: the connection just goes away.
    std::mem::forget(run);
    drop(store);

    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.latest_complete_run(None, None).unwrap().unwrap().id, complete);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let committed: i64 =
        conn.query_row("SELECT count(*) FROM findings WHERE run_id = ?1", [killed], |r| r.get(0)).unwrap();
    assert_eq!(committed, 50_000, "the first batch was committed, the rest rolled back");
    conn.execute("UPDATE runs SET pid = 2147483646 WHERE id = ?1", [killed]).unwrap();
    assert_eq!(store.run(killed).unwrap().state, RunState::Interrupted);
    let err = store.diff(complete, killed).unwrap_err();
    assert!(matches!(err, StoreError::IncompleteRun { .. }), "{err}");
    assert!(err.to_string().contains("interrupted, not complete"), "{err}");
    // The default comparison skips the interrupted run.
    let err = store.diff_runs(None, None).unwrap_err().to_string();
    assert!(err.contains(&format!("run {complete} is the only complete run")), "{err}");
}

/// A run of `scope` whose recording process committed `findings` and then stopped without
/// closing it (written straight into the file, as a killed process's batches are). It reads
/// as running while its pid is this process; [`kill`] makes it interrupted.
fn partial_run(store: &mut Store, path: &Path, scope: &str, findings: &[Finding]) -> i64 {
    let run = store.begin_run(&new_run(scope)).unwrap();
    let id = run.id();
    std::mem::forget(run);
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    for f in findings {
        tx.execute(
            "INSERT INTO findings (run_id, finding_id, rule_id, status, severity, account_id, region, resource_type, \
             resource_id, resource_arn, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            rusqlite::params![
                id,
                f.id(),
                &*f.rule_id,
                f.status.as_str(),
                f.severity.as_str(),
                &*f.account_id,
                &*f.region,
                &*f.resource_type,
                &*f.resource_id,
                f.resource_arn.as_deref(),
                f.message
            ],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    id
}

/// The process recording run `id` is gone.
fn kill(path: &Path, id: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute("UPDATE runs SET pid = 2147483646 WHERE id = ?1", [id]).unwrap();
}

fn rows(path: &Path, table: &str, run: i64) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    let column = if table == "runs" { "id" } else { "run_id" };
    conn.query_row(&format!("SELECT count(*) FROM {table} WHERE {column} = ?1"), [run], |r| r.get(0)).unwrap()
}

#[test]
fn completing_a_run_discards_the_partial_findings_of_interrupted_runs_of_its_scope() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let first = record(&mut store, "s", &[finding("r1", "b1", Status::Fail)]);
    let partial: Vec<Finding> = (0..30)
        .map(|n| finding("r1", &format!("b{n}"), if n % 3 == 0 { Status::Fail } else { Status::Pass }))
        .collect();
    let killed = partial_run(&mut store, &path, "s", &partial);
    kill(&path, killed);
    let other_scope = partial_run(&mut store, &path, "other", &partial);
    kill(&path, other_scope);
    // Still being recorded by a live process (this one): left alone.
    let live = partial_run(&mut store, &path, "s", &partial);
    let second = record(&mut store, "s", &[finding("r1", "b1", Status::Pass)]);

    assert!(store.findings(killed).unwrap().is_empty(), "partial findings are discarded");
    let run = store.run(killed).unwrap();
    assert_eq!(run.state, RunState::Interrupted, "the row stays, as the record of the interruption");
    assert_eq!((run.counts.pass, run.counts.fail, run.counts.total()), (20, 10, 30), "with what it had recorded");
    assert_eq!(run.fail_by_severity.get(Severity::High), 10);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let pid: Option<i64> = conn.query_row("SELECT pid FROM runs WHERE id = ?1", [killed], |r| r.get(0)).unwrap();
    assert_eq!(pid, None, "interrupted for good, even once its pid is reused");

    assert_eq!(store.findings(other_scope).unwrap().len(), 30, "another scope's runs are not superseded");
    assert_eq!(store.run(live).unwrap().state, RunState::Running);
    assert_eq!(store.findings(live).unwrap().len(), 30);
    let diff = store.diff(first, second).unwrap();
    assert_eq!(diff.counts.get(&TransitionKind::Resolved), Some(&1));
    // Completing again finds nothing left to discard and changes nothing.
    record(&mut store, "s", &[]);
    assert_eq!(store.run(killed).unwrap(), run);
}

#[test]
fn prune_deletes_ended_runs_and_complete_runs_beyond_retention() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let many = |status| (0..2000).map(|n| finding("r1", &format!("bucket-{n}"), status)).collect::<Vec<_>>();
    let c1 = record(&mut store, "a", &many(Status::Fail));
    let c2 = record(&mut store, "a", &many(Status::Fail));
    let mut run = store.begin_run(&new_run("a")).unwrap();
    let failed = run.id();
    run.add(&finding("r1", "b1", Status::Fail)).unwrap();
    run.fail("invalid JSON on line 4").unwrap();
    let c3 = record(&mut store, "a", &many(Status::Pass));
    let c4 = record(&mut store, "a", &many(Status::Pass));
    let b1 = record(&mut store, "b", &many(Status::Fail));
    let interrupted = partial_run(&mut store, &path, "a", &many(Status::Pass));
    kill(&path, interrupted);
    let live = partial_run(&mut store, &path, "a", &many(Status::Pass));
    let notify = |store: &mut Store, run_id| {
        store.enqueue_notification(&NewNotification { run_id, owner: None, target: "security", payload: "{}" }).unwrap()
    };
    let delivered = notify(&mut store, c1);
    store.record_delivery(delivered, Ok(())).unwrap();
    let pending = notify(&mut store, c2);
    // The only run of scope b is old: still the latest of its scope.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE runs SET started_at = started_at - 400 * 86400000 WHERE id IN (?1, ?2)", [b1, c1]).unwrap();

    let keep_one = PrunePolicy { keep_last: Some(1), ..PrunePolicy::default() };
    let dry = store.prune(&PrunePolicy { dry_run: true, ..keep_one.clone() }).unwrap();
    let gone: Vec<(i64, PruneReason, u64)> = dry.runs.iter().map(|r| (r.id, r.reason, r.findings)).collect();
    assert_eq!(
        gone,
        vec![
            (c1, PruneReason::Retention, 2000),
            (failed, PruneReason::Failed, 0),
            (c3, PruneReason::Retention, 2000),
            (interrupted, PruneReason::Interrupted, 2000),
        ]
    );
    assert_eq!(
        dry.held,
        vec![
            HeldRun { id: live, reason: HeldReason::Running },
            HeldRun { id: c2, reason: HeldReason::PendingNotifications }
        ]
    );
    assert_eq!(dry.findings, 6000);
    assert!(dry.freed_bytes > 6000 * 50 && dry.reclaimable_bytes >= dry.freed_bytes, "{dry:?}");
    assert_eq!(store.runs().unwrap().len(), 8, "a dry run deletes nothing");
    assert_eq!(store.findings(c1).unwrap().len(), 2000);

    let report = store.prune(&keep_one).unwrap();
    assert_eq!(report, mamori_store::PruneReport { dry_run: false, ..dry });
    let left: Vec<i64> = store.runs().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(left, vec![c2, c4, b1, live]);
    for id in [c1, failed, c3, interrupted] {
        for table in ["runs", "findings", "run_accounts", "run_rules", "notifications"] {
            assert_eq!(rows(&path, table, id), 0, "run {id}: {table}");
        }
    }
    assert_eq!(store.pending_notifications().unwrap()[0].id, pending);
    assert_eq!(store.latest_complete_run(Some(&new_run("a").scope.key), None).unwrap().unwrap().id, c4);
    assert_eq!(store.findings(c4).unwrap().len(), 2000);
    assert_eq!(rows(&path, "run_accounts", c4), 1);

    // Age alone: the recent run with pending notifications and the latest runs stay.
    let by_age = PrunePolicy { older_than: Some(Duration::from_secs(30 * 86_400)), ..PrunePolicy::default() };
    assert!(store.prune(&by_age).unwrap().runs.is_empty());
    // Once its notifications are delivered, run 2 goes; VACUUM gives the space back.
    store.record_delivery(pending, Ok(())).unwrap();
    let report = store.prune(&PrunePolicy { vacuum: true, ..keep_one }).unwrap();
    assert_eq!(report.runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![c2]);
    let (before, after) = report.vacuum.unwrap();
    assert!(after < before && before - after >= report.reclaimable_bytes, "{report:?}");
    assert_eq!(store.size().unwrap(), after);
    assert_eq!(store.prune(&PrunePolicy::default()).unwrap().reclaimable_bytes, 0);
    drop(store);

    let err = Store::open_read_only(&path).unwrap().prune(&PrunePolicy::default()).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
}

#[test]
fn a_failed_run_keeps_its_reason_not_its_findings() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let mut run = store.begin_run(&new_run("s")).unwrap();
    run.add(&finding("r1", "b1", Status::Fail)).unwrap();
    let id = run.id();
    run.fail("invalid JSON on line 4").unwrap();
    let run = store.run(id).unwrap();
    assert_eq!((run.state, run.error.as_deref()), (RunState::Failed, Some("invalid JSON on line 4")));
    assert!(store.findings(id).unwrap().is_empty());
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    conn.pragma_update(None, "journal_mode", "delete").unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    for result in [Store::open(&path), Store::open_read_only(&path)] {
        let err = result.unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, StoreError::NewerSchema { .. }), "{message}");
        assert!(message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)), "{message}");
        assert!(message.contains(&format!("({SCHEMA_VERSION})")) && message.contains("mamori.db"), "{message}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not change");
}

#[test]
fn a_read_only_file_is_refused_for_writing_and_read_for_listing() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let id = record(&mut store, "s", &[finding("r1", "b1", Status::Fail)]);
    drop(store);
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("mamori.db") && err.to_string().contains("read-only"), "{err}");
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.runs().unwrap().len(), 1);
    assert_eq!(store.findings(id).unwrap().len(), 1);
}

#[test]
fn a_locked_store_is_reported_after_the_busy_timeout() {
    let (_dir, path) = temp_db();
    let mut store = Store::open_with(&path, quick()).unwrap();
    let id = record(&mut store, "s", &[finding("r1", "b1", Status::Fail)]);
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE; INSERT INTO runs (kind, scope, scope_label, options, started_at, state) VALUES ('x', 'x', 'x', '{}', 0, 'running');").unwrap();
    let err = store.begin_run(&new_run("s")).err().unwrap();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("mamori.db` is locked") && err.to_string().contains("200 ms"), "{err}");
    // Readers are not blocked, and nothing was lost.
    assert_eq!(Store::open_read_only(&path).unwrap().run(id).unwrap().counts.fail, 1);
    holder.execute_batch("ROLLBACK").unwrap();
    record(&mut store, "s", &[finding("r1", "b1", Status::Pass)]);
    assert_eq!(store.runs().unwrap().len(), 2);
}

#[test]
fn foreign_files_are_not_stores() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "x".repeat(4096)).unwrap();
    let err = Store::open(&text).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let err = Store::open(&other).unwrap_err().to_string();
    assert!(err.contains("other.db` is not a mamori store") && err.contains("did not create"), "{err}");
    let err = Store::open_read_only(&dir.path().join("none.db")).unwrap_err().to_string();
    assert!(err.contains("no store at") && err.contains("none.db"), "{err}");
}

#[test]
fn every_status_pair_has_its_transition() {
    use Status::*;
    use TransitionKind as K;
    let table: &[(Option<Status>, Option<Status>, Option<TransitionKind>)] = &[
        (None, Some(Pass), None),
        (None, Some(Fail), Some(K::NewFailure)),
        (None, Some(Error), Some(K::NewError)),
        (None, Some(Muted), None),
        (Some(Pass), Some(Pass), None),
        (Some(Pass), Some(Fail), Some(K::NewFailure)),
        (Some(Pass), Some(Error), Some(K::NewError)),
        (Some(Pass), Some(Muted), None),
        (Some(Pass), None, None),
        (Some(Fail), Some(Pass), Some(K::Resolved)),
        (Some(Fail), Some(Fail), Some(K::StillFailing)),
        (Some(Fail), Some(Error), Some(K::NewError)),
        (Some(Fail), Some(Muted), Some(K::Muted)),
        (Some(Fail), None, Some(K::Resolved)),
        (Some(Error), Some(Pass), Some(K::ErrorCleared)),
        (Some(Error), Some(Fail), Some(K::NewFailure)),
        (Some(Error), Some(Error), None),
        (Some(Error), Some(Muted), Some(K::ErrorCleared)),
        (Some(Error), None, Some(K::ErrorCleared)),
        (Some(Muted), Some(Pass), None),
        (Some(Muted), Some(Fail), Some(K::NewFailure)),
        (Some(Muted), Some(Error), Some(K::NewError)),
        (Some(Muted), Some(Muted), None),
        (Some(Muted), None, None),
    ];
    for (previous, current, expected) in table {
        assert_eq!(classify(*previous, *current), *expected, "{previous:?} -> {current:?}");
    }
}

#[test]
fn diff_reports_each_change_with_its_owner() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let mut error_elsewhere = finding("r2", "*", Status::Error);
    error_elsewhere.resource_type = Arc::from("*");
    let first = record(
        &mut store,
        "s",
        &[
            finding("r1", "fixed", Status::Fail),
            finding("r1", "broke", Status::Pass),
            finding("r1", "still", Status::Fail),
            finding("r1", "gone", Status::Fail),
            finding("r1", "excepted", Status::Fail),
            finding("r2", "unknown-now", Status::Fail),
            finding("r1", "was-error", Status::Error),
        ],
    );
    let second = record(
        &mut store,
        "s",
        &[
            finding("r1", "fixed", Status::Pass),
            finding("r1", "broke", Status::Fail),
            finding("r1", "still", Status::Fail),
            finding("r1", "excepted", Status::Muted),
            finding("r1", "new", Status::Fail),
            error_elsewhere,
            finding("r1", "was-error", Status::Pass),
        ],
    );
    let diff = store.diff(first, second).unwrap();
    let seen: Vec<(&str, &str, Option<&str>)> =
        diff.transitions.iter().map(|t| (t.kind.as_str(), t.resource_id.as_str(), t.note.as_deref())).collect();
    assert_eq!(
        seen,
        vec![
            ("NEW_FAILURE", "broke", None),
            ("NEW_FAILURE", "new", None),
            ("NEW_ERROR", "*", None),
            ("STILL_FAILING", "still", None),
            ("MUTED", "excepted", None),
            ("ERROR_CLEARED", "was-error", None),
            ("RESOLVED", "fixed", None),
            ("RESOLVED", "gone", Some("resource gone")),
        ]
    );
    assert_eq!(diff.unverified, 1, "`unknown-now` failed before and its rule is ERROR in its scope now");
    assert!(diff.transitions.iter().all(|t| t.owner.as_deref() == Some("payments")
        && t.target.as_deref() == Some("payments-slack")
        && t.account_name.as_deref() == Some("prod")));
    assert_eq!(diff.counts[&TransitionKind::NewFailure], 2);
    assert_eq!(store.diff_runs(None, None).unwrap().1.id, second);

    let other = record(&mut store, "other scope", &[]);
    let err = store.diff(second, other).unwrap_err().to_string();
    assert!(err.contains("different scopes") && err.contains("`other scope`"), "{err}");
    // The default pair is the latest complete run and the previous one of *its* scope.
    let err = store.diff_runs(None, None).unwrap_err().to_string();
    assert!(err.contains(&format!("run {other} is the only complete run of its scope")), "{err}");
    let err = store.run_by_name("nine").unwrap_err().to_string();
    assert!(err.contains("no run `nine`"), "{err}");
}

#[test]
fn notifications_are_queued_by_target_name_and_never_hold_a_url() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let run = record(&mut store, "s", &[]);
    let queue = |store: &mut Store, target: &str, payload: &str| {
        store.enqueue_notification(&NewNotification { run_id: run, owner: Some("payments"), target, payload })
    };
    let id = queue(&mut store, "payments-slack", r#"{"text":"2 new failures"}"#).unwrap();
    let err = queue(&mut store, "https://hooks.slack.com/services/T0/B0/secret", "{}").unwrap_err().to_string();
    assert!(err.contains("targets are stored by name") && !err.contains("secret"), "{err}");
    let err = queue(&mut store, "t", r#"{"url":"https://hooks.slack.com/services/T0/B0/x"}"#).unwrap_err().to_string();
    assert!(err.contains("webhook address"), "{err}");
    assert!(queue(&mut store, "t", "not json").unwrap_err().to_string().contains("is not JSON"));
    let err = store
        .enqueue_notification(&NewNotification { run_id: 99, owner: None, target: "t", payload: "{}" })
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun { .. }), "{err}");

    let failed = store
        .record_delivery(
            id,
            Err("error sending request for url (https://hooks.slack.com/services/T0/B0/secret): timed out"),
        )
        .unwrap();
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.last_error.as_deref(), Some("error sending request for url (<url>): timed out"));
    assert_eq!(store.pending_notifications().unwrap().len(), 1);
    let delivered = store.record_delivery(id, Ok(())).unwrap();
    assert!(delivered.delivered_at.is_some() && delivered.attempts == 2 && delivered.last_error.is_none());
    assert!(store.pending_notifications().unwrap().is_empty());
    assert_eq!(store.notifications_of_run(run).unwrap().len(), 1);
}

#[test]
fn the_default_path_follows_the_platform() {
    let path = mamori_store::default_path();
    if let Some(path) = path {
        assert!(path.ends_with(Path::new("mamori").join("mamori.db")), "{}", path.display());
    }
}

fn run_with_rules(store: &mut Store, scope: &str, rules: &[&str], findings: &[Finding]) -> i64 {
    let mut new = new_run(scope);
    new.rules =
        rules.iter().map(|id| RuleInfo { id: (*id).into(), title: (*id).into(), severity: Severity::High }).collect();
    let mut run = store.begin_run(&new).unwrap();
    for finding in findings {
        run.add(finding).unwrap();
    }
    run.complete(&json!({"items": findings.len()}), &[owner()]).unwrap().id
}

#[test]
fn a_changed_rule_selection_compares_rules_added_are_new_and_rules_removed_are_not_resolved() {
    let (_dir, path) = temp_db();
    let mut store = Store::open(&path).unwrap();
    let first = run_with_rules(
        &mut store,
        "s",
        &["kept", "dropped"],
        &[finding("kept", "b1", Status::Fail), finding("dropped", "b1", Status::Fail)],
    );
    let second = run_with_rules(
        &mut store,
        "s",
        &["kept", "added"],
        &[
            finding("kept", "b1", Status::Pass),
            finding("added", "b1", Status::Fail),
            finding("added", "b2", Status::Pass),
        ],
    );
    let diff = store.diff(first, second).unwrap();
    let got: Vec<(TransitionKind, &str)> = diff.transitions.iter().map(|t| (t.kind, t.rule_id.as_str())).collect();
    assert_eq!(got, [(TransitionKind::NewFailure, "added"), (TransitionKind::Resolved, "kept")]);
}

/// A store written by mamori 0.1.0 kept the rule selection in the scope key; the upgrade takes
/// it out (compact JSON with sorted keys, as this release writes keys) and its runs still
/// compare.
#[test]
fn scopes_of_a_0_1_0_store_lose_their_rule_list_and_still_compare() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mamori-workflow/tests/fixtures/store-0.1.0.db");
    std::fs::copy(fixture, &path).unwrap();
    let before: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT scope FROM runs WHERE id = 2", [], |row| row.get(0))
        .unwrap();
    assert!(before.contains("\"rules\""), "{before}");
    let store = Store::open(&path).unwrap();
    let run = store.run(2).unwrap();
    let mut expected: serde_json::Value = serde_json::from_str(&before).unwrap();
    expected.as_object_mut().unwrap().remove("rules");
    assert_eq!(run.scope, expected.to_string());
    assert_eq!(store.run(1).unwrap().scope, run.scope);
    let diff = store.diff(1, 2).unwrap();
    assert_eq!(diff.counts[&TransitionKind::NewFailure], 11, "{:?}", diff.counts);
}
