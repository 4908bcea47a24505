//! The findings history end to end, through the real binary: two `mamori evaluate` runs of
//! the example organization with one bucket broken and one fixed in between, then
//! `mamori runs list` and `mamori diff` (exact transitions, owners from mamori.toml, the
//! accounts CSV details and Organizations tags), and the refusals (unknown run, newer
//! schema, read-only store) with exit 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{copy_demo_org, edit_items, mamori, run, set_versioning};

const PAYMENTS: &str = "100000000000";
const BROKEN: &str = "payments-prod-1-185f17";
const FIXED: &str = "payments-prod-2-faae83";

fn ok(command: &mut Command) -> String {
    let output = run(command);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn refused(command: &mut Command, expected: &[&str]) {
    let output = run(command);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    for fragment in expected {
        assert!(message.contains(fragment), "`{fragment}` not in: {message}");
    }
}

fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inventory = copy_demo_org(dir.path());
    // Owners from each source: the configuration (payments), the accounts CSV details the
    // collector copies into the account record (data), Organizations tags (identity), and
    // the default target for the rest.
    edit_items(&inventory.join("100000022174.jsonl"), |item| {
        if item["resourceType"] != "AWS::::Account" {
            return false;
        }
        item["supplementaryConfiguration"]["mamoriAccountDetails"] =
            serde_json::json!({"owner": "data-team", "email": "data@example.com", "columns": {"slack": "data-alerts"}});
        true
    });
    edit_items(&inventory.join("100000013424.jsonl"), |item| {
        if item["resourceType"] != "AWS::::Account" {
            return false;
        }
        item["tags"] = serde_json::json!({"team": "identity", "alerts": "identity-alerts"});
        true
    });
    let config = dir.path().join("mamori.toml");
    std::fs::write(
        &config,
        format!(
            "[owners]\nowner_tag = \"team\"\ntarget_tag = \"alerts\"\ntarget_column = \"slack\"\ndefault_target = \"security\"\n\
             [owners.account.{PAYMENTS}]\nowner = \"payments\"\ntarget = \"payments-slack\"\n"
        ),
    )
    .unwrap();
    let db = dir.path().join("history/mamori.db");
    (dir, inventory, config, db)
}

#[test]
fn two_evaluations_give_exact_transitions_by_owner() {
    let (_dir, inventory, config, db) = setup();
    let evaluate = |db: &Path| {
        let mut command = mamori(db);
        command.arg("evaluate").arg(&inventory).arg("--config").arg(&config);
        command
    };
    ok(&mut evaluate(&db));
    set_versioning(&inventory, PAYMENTS, BROKEN, "Suspended");
    set_versioning(&inventory, PAYMENTS, FIXED, "Enabled");
    // The table view records findings too (it does not need them for itself).
    ok(&mut evaluate(&db));

    let runs: Value = serde_json::from_str(&ok(mamori(&db).args(["runs", "list", "--json"]))).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r["state"] == "complete" && r["scope"] == runs[0]["scope"]));
    let (first_fail, second_fail) = (runs[0]["counts"]["fail"].as_u64().unwrap(), runs[1]["counts"]["fail"].as_u64());
    assert_eq!(Some(first_fail), second_fail, "one failure more, one fewer");
    let listing = ok(mamori(&db).args(["runs", "list"]));
    assert!(listing.contains("complete") && listing.contains("inventory"), "{listing}");

    let diff: Value =
        serde_json::from_str(&ok(mamori(&db).args(["diff", "--format", "json", "--config"]).arg(&config))).unwrap();
    let changes: Vec<(String, String, String, String, String)> = diff["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] != "STILL_FAILING")
        .map(|t| {
            let text = |key: &str| t[key].as_str().unwrap_or("-").to_owned();
            (text("kind"), text("ruleId"), text("resourceId"), text("owner"), text("target"))
        })
        .collect();
    let expected = |kind: &str, bucket: &str| {
        (
            kind.to_owned(),
            "s3-bucket-versioning-enabled".to_owned(),
            bucket.to_owned(),
            "payments".to_owned(),
            "payments-slack".to_owned(),
        )
    };
    assert_eq!(changes, vec![expected("NEW_FAILURE", BROKEN), expected("RESOLVED", FIXED)]);
    assert_eq!(diff["counts"]["STILL_FAILING"].as_u64(), Some(first_fail - 1));
    assert_eq!(diff["previous"]["id"], runs[0]["id"]);

    let owners: Vec<(String, String, String, String)> = diff["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let text = |key: &str| a[key].as_str().unwrap_or("-").to_owned();
            (text("id"), text("owner"), text("target"), text("target_source"))
        })
        .collect();
    let expected_owners = [
        ("100000000000", "payments", "payments-slack", "mamori.toml"),
        ("100000013424", "identity", "identity-alerts", "organizations tag"),
        ("100000022174", "data-team", "data-alerts", "accounts csv"),
        ("100000029887", "-", "security", "default"),
    ];
    for (id, owner, target, source) in expected_owners {
        let row = (id.to_owned(), owner.to_owned(), target.to_owned(), source.to_owned());
        assert!(owners.contains(&row), "{row:?} not in {owners:?}");
    }

    let table = ok(mamori(&db).args(["diff", "--changes-only"]));
    assert!(table.contains("1 NEW_FAILURE") && table.contains("1 RESOLVED"), "{table}");
    assert!(
        table.contains("owner: payments\n  account 100000000000 (payments-prod), notify payments-slack"),
        "{table}"
    );
    assert!(!table.contains("STILL_FAILING   "), "--changes-only leaves still-failing rows out: {table}");
}

#[test]
fn bad_requests_and_unusable_stores_exit_2_and_lose_nothing() {
    let (dir, inventory, _config, db) = setup();
    refused(mamori(&db).args(["runs", "list"]), &["no store at", "mamori.db"]);
    ok(mamori(&db).arg("evaluate").arg(&inventory));
    refused(mamori(&db).args(["diff", "1", "42"]), &["no run `42`", "mamori.db", "runs list"]);
    refused(mamori(&db).args(["diff", "one"]), &["no run `one`"]);
    refused(mamori(&db).arg("diff"), &["only complete run of its scope"]);
    let other_scope = run(mamori(&db).arg("evaluate").arg(&inventory).args(["--scope", "elsewhere"]));
    assert!(other_scope.status.success());
    refused(mamori(&db).args(["diff", "1", "2"]), &["different scopes", "`elsewhere"]);

    // A store from a newer mamori: refused, named, untouched.
    let newer = dir.path().join("newer.db");
    std::fs::copy(&db, &newer).unwrap();
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", mamori_store::SCHEMA_VERSION + 1).unwrap();
    conn.pragma_update(None, "journal_mode", "delete").unwrap();
    drop(conn);
    let before = std::fs::read(&newer).unwrap();
    let version = format!("schema version {}", mamori_store::SCHEMA_VERSION + 1);
    refused(mamori(&newer).arg("evaluate").arg(&inventory), &["newer.db", &version]);
    refused(mamori(&newer).args(["runs", "list"]), &["newer.db", &version]);
    assert_eq!(std::fs::read(&newer).unwrap(), before);

    // A read-only store: recording is refused before any work, listing still works.
    let mut permissions = std::fs::metadata(&db).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&db, permissions).unwrap();
    let report = dir.path().join("report.json");
    refused(
        mamori(&db).arg("evaluate").arg(&inventory).args(["--format", "json", "--output"]).arg(&report),
        &["mamori.db` cannot be written", "read-only"],
    );
    assert!(!report.exists());
    let listing: Value = serde_json::from_str(&ok(mamori(&db).args(["runs", "list", "--json"]))).unwrap();
    assert_eq!(listing.as_array().unwrap().len(), 2);

    // --no-store records nothing, also with MAMORI_DB set (it used to be refused as if
    // --db had been given), and MAMORI_NO_STORE does the same.
    let unused = dir.path().join("unused.db");
    ok(mamori(&unused).arg("evaluate").arg(&inventory).arg("--no-store"));
    ok(mamori(&unused).arg("evaluate").arg(&inventory).env("MAMORI_NO_STORE", "1"));
    assert!(!unused.exists());
}

/// Dated snapshot folders of the same source compare (dates in paths are not part of the
/// scope), a changed rule selection compares (a rule added brings new findings, a rule
/// removed resolves nothing), and `--scope NAME` compares runs of any inputs.
#[test]
fn dated_snapshots_changed_rules_and_named_scopes_compare() {
    let (dir, inventory, config, db) = setup();
    let day = |name: &str| {
        let folder = dir.path().join("snaps").join(name);
        std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
        std::fs::rename(&inventory, &folder).ok();
        copy_tree(&folder, &inventory);
        folder
    };
    let first = day("2026-12-01");
    ok(mamori(&db).arg("evaluate").arg(&first).arg("--config").arg(&config).args(["--rules", "s3-*"]));
    set_versioning(&inventory, PAYMENTS, BROKEN, "Suspended");
    let second = day("2026-12-02");
    ok(mamori(&db).arg("evaluate").arg(&second).arg("--config").arg(&config).args([
        "--rules",
        "s3-*",
        "restricted-ssh",
    ]));
    let diff: Value = serde_json::from_str(&ok(mamori(&db).args(["diff", "--format", "json"]))).unwrap();
    assert_eq!(diff["scope"].as_str().map(|s| s.contains("/snaps/*")), Some(true), "{}", diff["scope"]);
    let kinds = |diff: &Value, rule: &str| -> Vec<String> {
        diff["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["ruleId"] == rule && t["kind"] != "STILL_FAILING")
            .map(|t| format!("{} {}", t["kind"].as_str().unwrap(), t["resourceId"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(kinds(&diff, "s3-bucket-versioning-enabled"), [format!("NEW_FAILURE {BROKEN}")]);
    let ssh = kinds(&diff, "restricted-ssh");
    assert!(!ssh.is_empty() && ssh.iter().all(|k| k.starts_with("NEW_FAILURE")), "{ssh:?}");

    // Dropping the rule again resolves nothing.
    ok(mamori(&db).arg("evaluate").arg(&second).arg("--config").arg(&config).args(["--rules", "s3-*"]));
    let diff: Value = serde_json::from_str(&ok(mamori(&db).args(["diff", "--format", "json"]))).unwrap();
    assert!(kinds(&diff, "restricted-ssh").is_empty(), "{diff}");

    // A named scope: runs of different inputs compare.
    ok(mamori(&db).arg("evaluate").arg(&first).args(["--scope", "prod-org"]));
    ok(mamori(&db).arg("evaluate").arg(&inventory).args(["--scope", "prod-org"]));
    let diff: Value = serde_json::from_str(&ok(mamori(&db).args(["diff", "--format", "json"]))).unwrap();
    assert!(diff["scope"].as_str().unwrap().starts_with("prod-org"), "{}", diff["scope"]);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The findings rows of run `run`.
fn findings_of(db: &Path, run: i64) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM findings WHERE run_id = ?1", [run], |r| r.get(0)).unwrap()
}

/// A run of the same scope as run 1 left `running` by a process that is gone, holding the
/// findings it had committed (a copy of run 1's).
fn interrupted_copy_of_run_1(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "INSERT INTO runs (kind, scope, scope_label, options, started_at, state, pid) \
         SELECT kind, scope, scope_label, options, started_at + 1, 'running', 2147483646 FROM runs WHERE id = 1",
        [],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO findings SELECT ?1, finding_id, rule_id, status, severity, account_id, region, resource_type, \
         resource_id, resource_arn, message FROM findings WHERE run_id = 1",
        [id],
    )
    .unwrap();
    id
}

#[test]
fn interrupted_runs_are_superseded_and_runs_prune_applies_the_retention() {
    let (dir, inventory, _config, db) = setup();
    refused(mamori(&db).args(["runs", "prune"]), &["no store at", "mamori.db"]);
    assert!(!db.exists(), "pruning creates no store");
    ok(mamori(&db).arg("evaluate").arg(&inventory));
    let checks = findings_of(&db, 1);
    let interrupted = interrupted_copy_of_run_1(&db);
    let listing = ok(mamori(&db).args(["runs", "list"]));
    assert!(listing.contains("interrupted"), "{listing}");

    // A dry run lists what would go and deletes nothing.
    let dry = ok(mamori(&db).args(["runs", "prune", "--dry-run"]));
    assert!(dry.contains(&format!("would delete 1 run ({checks} findings)")), "{dry}");
    assert!(dry.contains(&format!("{interrupted:>5}  interrupted")) && dry.contains("would free"), "{dry}");
    assert_eq!(findings_of(&db, interrupted), checks);

    // The next complete run of the scope discards the partial findings and keeps the row.
    ok(mamori(&db).arg("evaluate").arg(&inventory));
    assert_eq!(findings_of(&db, interrupted), 0);
    let runs: Value = serde_json::from_str(&ok(mamori(&db).args(["runs", "list", "--json"]))).unwrap();
    let row = &runs.as_array().unwrap()[1];
    assert_eq!((row["id"].as_i64(), row["state"].as_str()), (Some(interrupted), Some("interrupted")));
    let recorded: i64 = ["pass", "fail", "error", "muted"].iter().map(|k| row["counts"][k].as_i64().unwrap()).sum();
    assert_eq!(recorded, checks, "what it had recorded stays counted");

    // Retention from mamori.toml: two complete runs of the scope; the flag wins over it.
    ok(mamori(&db).arg("evaluate").arg(&inventory));
    let config = dir.path().join("retention.toml");
    std::fs::write(&config, "[store]\nkeep_last = 2\nolder_than_days = 0\n").unwrap();
    let pruned = ok(mamori(&db).args(["runs", "prune", "--vacuum", "--config"]).arg(&config));
    assert!(pruned.contains(&format!("deleted 2 runs ({checks} findings)")), "{pruned}");
    assert!(pruned.contains("    1  beyond retention") && pruned.contains("interrupted"), "{pruned}");
    assert!(pruned.contains("vacuumed: "), "{pruned}");
    let runs: Value = serde_json::from_str(&ok(mamori(&db).args(["runs", "list", "--json"]))).unwrap();
    let ids: Vec<i64> = runs.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![3, 4]);
    let diff: Value = serde_json::from_str(&ok(mamori(&db).args(["diff", "--format", "json"]))).unwrap();
    assert_eq!((diff["previous"]["id"].as_i64(), diff["current"]["id"].as_i64()), (Some(3), Some(4)));

    let pruned = ok(mamori(&db).args(["runs", "prune", "--keep-last", "1", "--config"]).arg(&config));
    assert!(pruned.contains("deleted 1 run (") && pruned.contains("    3  beyond retention"), "{pruned}");
    let nothing = ok(mamori(&db).args(["runs", "prune", "--keep-last", "1"]));
    assert!(nothing.contains("no run to prune"), "{nothing}");
    refused(mamori(&db).args(["runs", "prune", "--keep-last", "0"]), &["--keep-last"]);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[store]\nkeep_last = 0\n").unwrap();
    refused(mamori(&db).args(["runs", "prune", "--config"]).arg(&bad), &["bad.toml", "line 2", "nonzero"]);
}
