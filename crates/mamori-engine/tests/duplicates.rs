//! Several items of one resource: AWS Config history files and API results list every state a
//! resource went through, and inputs may overlap (two snapshots, a file given twice). The
//! latest item of each resource is its state; a deletion after it removes the resource; an
//! exact repeat counts once. Each case is a fixture file under `fixtures/duplicates/`, run
//! through every way the pipeline can take: no sink, a sink that can restart (optimistic pass,
//! then a pre-scan when repeats turn up) and one that cannot (pre-scan first).

use std::path::{Path, PathBuf};

use mamori_engine::pipeline::{self, Sink};
use mamori_engine::{Destination, Format, InventoryStats};
use mamori_model::{Finding, InventoryError};
use mamori_rules::{ActiveRule, RuleSet};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/duplicates").join(name)
}

fn versioning_rule() -> RuleSet {
    RuleSet::new(vec![ActiveRule::with_defaults(mamori_rules::find("s3-bucket-versioning-enabled").unwrap())])
}

/// A sink that can start over, and counts how often it had to.
#[derive(Default)]
struct Restartable {
    findings: Vec<Finding>,
    restarts: usize,
}

impl Sink for Restartable {
    fn finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }
    fn restartable(&self) -> bool {
        true
    }
    fn restart(&mut self) {
        self.findings.clear();
        self.restarts += 1;
    }
}

type Found = Vec<(String, String)>;

fn found(findings: &[Finding]) -> Found {
    let mut found: Found = findings.iter().map(|f| (f.resource_id.to_string(), f.status.to_string())).collect();
    found.sort();
    found
}

/// (resource id, status) of every finding, sorted, with the statistics of the run and how
/// often an optimistic pass had to start over. Every path through the pipeline must agree.
fn evaluate_with(rules: &RuleSet, inputs: &[PathBuf], threads: usize) -> (Found, InventoryStats, usize) {
    let mut restartable = Restartable::default();
    let (stats, builder) = pipeline::evaluate(inputs, rules, threads, Some(&mut restartable)).unwrap();
    let optimistic = found(&restartable.findings);

    let mut findings: Vec<Finding> = Vec::new();
    let mut closure = |finding: Finding| findings.push(finding);
    let (prescanned_stats, prescanned_builder) =
        pipeline::evaluate(inputs, rules, threads, Some(&mut closure)).unwrap();
    assert_eq!(found(&findings), optimistic, "pre-scanned and optimistic findings of {inputs:?}");
    assert_eq!(prescanned_stats, stats, "statistics of {inputs:?}");

    let (unsunk_stats, unsunk_builder) = pipeline::evaluate(inputs, rules, threads, None).unwrap();
    assert_eq!(unsunk_stats, stats, "statistics without a sink of {inputs:?}");
    let counts = |builder: mamori_engine::SummaryBuilder| builder.finish(&stats).checks;
    let summary = counts(builder);
    assert_eq!(summary, counts(prescanned_builder), "summary of {inputs:?}");
    assert_eq!(summary, counts(unsunk_builder), "summary without a sink of {inputs:?}");
    let pass = optimistic.iter().filter(|(_, status)| status == "PASS").count() as u64;
    let fail = optimistic.iter().filter(|(_, status)| status == "FAIL").count() as u64;
    assert_eq!((summary.pass, summary.fail), (pass, fail), "summary of {inputs:?}");
    (optimistic, stats, restartable.restarts)
}

fn evaluate(inputs: &[PathBuf], threads: usize) -> (Found, InventoryStats) {
    let (found, stats, _) = evaluate_with(&versioning_rule(), inputs, threads);
    (found, stats)
}

fn expect(pairs: &[(&str, &str)]) -> Found {
    pairs.iter().map(|(id, status)| (id.to_string(), status.to_string())).collect()
}

#[test]
fn history_file_old_fail_then_new_pass_gives_only_the_pass() {
    for threads in [1, 3] {
        let (found, stats) = evaluate(&[fixture("history-fail-then-pass.json")], threads);
        assert_eq!(found, expect(&[("logs", "PASS"), ("other", "PASS")]), "{threads} threads");
        assert_eq!((stats.items, stats.items_superseded, stats.items_skipped), (2, 1, 0));
    }
}

#[test]
fn api_history_newest_first_gives_the_newest_state() {
    let (found, stats) = evaluate(&[fixture("api-history-newest-first.json")], 2);
    assert_eq!(found, expect(&[("logs", "PASS")]));
    assert_eq!((stats.items, stats.items_superseded), (1, 1));
}

#[test]
fn a_deletion_after_the_latest_state_removes_the_resource() {
    let (found, stats) = evaluate(&[fixture("history-then-deleted.json")], 2);
    assert_eq!(found, expect(&[("other", "PASS")]));
    assert_eq!((stats.items, stats.items_superseded, stats.items_skipped), (1, 2, 1));
}

#[test]
fn change_notifications_keep_the_latest_state() {
    let (found, stats) = evaluate(&[fixture("notifications.jsonl")], 2);
    assert_eq!(found, expect(&[("logs", "PASS"), ("other", "FAIL")]));
    assert_eq!((stats.items, stats.items_superseded), (2, 1));
}

#[test]
fn ties_go_to_the_state_id_then_to_the_later_item() {
    let (found, stats) = evaluate(&[fixture("ties.jsonl")], 2);
    assert_eq!(
        found,
        expect(&[
            ("no-time", "PASS"),
            ("recreated", "PASS"),
            ("repeated", "FAIL"),
            ("same-id-other-region", "FAIL"),
            ("same-id-other-region", "PASS"),
            ("same-time", "PASS"),
        ])
    );
    // Superseded: same-time's state 3, no-time's first, one repeat, recreated's first state
    // and its deletion.
    assert_eq!((stats.items, stats.items_superseded, stats.items_skipped), (6, 5, 0));
}

#[test]
fn overlapping_snapshots_keep_the_latest_item_of_each_resource() {
    let (found, stats) = evaluate(&[fixture("snapshots")], 2);
    assert_eq!(found, expect(&[("gone", "FAIL"), ("logs", "PASS"), ("other", "PASS")]));
    assert_eq!((stats.items, stats.items_superseded), (3, 1));
}

#[test]
fn the_same_input_twice_counts_once() {
    let once = evaluate(&[fixture("snapshots")], 2);
    let twice =
        evaluate(&[fixture("snapshots"), fixture("snapshots/../snapshots"), fixture("snapshots/a-newer.jsonl")], 2);
    assert_eq!(once, twice);
    let history = evaluate(&[fixture("history-fail-then-pass.json")], 2);
    assert_eq!(history, evaluate(&[fixture("history-fail-then-pass.json"), fixture("history-fail-then-pass.json")], 2));
}

#[test]
fn a_copy_of_an_input_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    for copy in ["one", "two"] {
        std::fs::create_dir(dir.path().join(copy)).unwrap();
        for name in ["a-newer.jsonl", "b-older.jsonl"] {
            std::fs::copy(fixture("snapshots").join(name), dir.path().join(copy).join(name)).unwrap();
        }
    }
    let (found, stats) = evaluate(&[dir.path().to_owned()], 2);
    assert_eq!(found, expect(&[("gone", "FAIL"), ("logs", "PASS"), ("other", "PASS")]));
    assert_eq!((stats.items, stats.items_superseded), (3, 5));
}

/// Scoped rules (notes per account and region, conclusions at the end) see each resource once
/// too: a second copy of the demo organization changes no finding and no count.
#[test]
fn a_copy_of_the_demo_organization_changes_nothing() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("copy")).unwrap();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("copy").join(entry.file_name())).unwrap();
    }
    let rules = mamori_engine::Config::default().rule_set().unwrap();
    let (alone, alone_stats, alone_restarts) = evaluate_with(&rules, std::slice::from_ref(&demo), 2);
    assert_eq!(alone_restarts, 0, "an inventory without repeats is read once");
    assert_eq!(alone_stats.items_superseded, 0);
    let (doubled, doubled_stats, restarts) = evaluate_with(&rules, &[demo, dir.path().join("copy")], 2);
    assert_eq!(restarts, 1);
    assert_eq!(doubled, alone);
    assert_eq!(doubled_stats.items, alone_stats.items);
    assert_eq!(doubled_stats.items_superseded, alone_stats.items);
    assert_eq!(doubled_stats.items_by_type, alone_stats.items_by_type);
}

#[test]
fn the_json_report_holds_only_the_standing_state() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let outcome = mamori_engine::evaluate_to_report(
        &[fixture("history-fail-then-pass.json")],
        &versioning_rule(),
        Format::Json,
        &Destination::File(report.clone()),
        2,
    )
    .unwrap();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let mut found: Found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["resourceId"].as_str().unwrap().to_owned(), f["status"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    assert_eq!(found, expect(&[("logs", "PASS"), ("other", "PASS")]));
    assert_eq!(outcome.summary.checks.fail, 0);
    assert_eq!(report["summary"]["resourcesSuperseded"], 1);
}

/// A FIFO made by coreutils' `mkfifo` (unsafe code is denied workspace-wide).
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Evaluate a FIFO fed with `content`, with a sink that can restart or not.
fn evaluate_stream(content: String, restartable: bool) -> Result<Found, InventoryError> {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stream.jsonl");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, content).unwrap())
    };
    let rules = versioning_rule();
    let result = if restartable {
        let mut sink = Restartable::default();
        pipeline::evaluate(&[fifo], &rules, 2, Some(&mut sink)).map(|_| found(&sink.findings))
    } else {
        let mut findings = Vec::new();
        let mut sink = |finding: Finding| findings.push(finding);
        pipeline::evaluate(&[fifo], &rules, 2, Some(&mut sink)).map(|_| found(&findings))
    };
    writer.join().unwrap();
    result
}

/// A stream is read once, even for a sink that cannot restart (no pre-scan); several items of
/// one resource in it are an error naming it, not a wrong result.
#[test]
fn a_stream_is_read_once_and_its_repeats_are_an_error() {
    let plain = std::fs::read_to_string(fixture("snapshots/a-newer.jsonl")).unwrap();
    let repeats = std::fs::read_to_string(fixture("notifications.jsonl")).unwrap();
    for restartable in [true, false] {
        assert_eq!(
            evaluate_stream(plain.clone(), restartable).unwrap(),
            expect(&[("logs", "PASS"), ("other", "PASS")])
        );
        let err = evaluate_stream(repeats.clone(), restartable).unwrap_err();
        assert!(matches!(err, InventoryError::Stream { .. }), "{err}");
        assert!(err.to_string().contains("stream.jsonl` is a stream"), "{err}");
    }
}
