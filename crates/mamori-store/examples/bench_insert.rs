//! Recording speed: N generated findings (default 1,000,000; seeded, so every run writes the
//! same data) inserted into a fresh store, against writing the same findings as JSON Lines
//! (the `--format json` report's cost) as the baseline. Prints both times and their ratio.
//!
//! `cargo run --release -p mamori-store --example bench_insert [N] [--db PATH] [--rules ID,…]`
//!
//! `--db` records into that store and keeps it (the export benchmark, `scripts/bench-export`,
//! reads it back); `--rules` spreads the findings over these rule ids instead of 60 made-up
//! ones, so that readers find them in the catalog as they would a real run's.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use mamori_model::{Finding, Severity, Status};
use mamori_store::{NewRun, RuleInfo, Scope, Store};

fn main() {
    let (mut count, mut db, mut rule_ids) = (1_000_000usize, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => db = Some(std::path::PathBuf::from(args.next().expect("--db PATH"))),
            "--rules" => rule_ids = Some(args.next().expect("--rules ID,…")),
            n => count = n.parse().expect("N, --db PATH or --rules ID,…"),
        }
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let rules: Vec<Arc<str>> = match &rule_ids {
        Some(ids) => ids.split(',').filter(|id| !id.is_empty()).map(Arc::from).collect(),
        None => (0..60).map(|n| Arc::from(format!("rule-{n}"))).collect(),
    };
    let accounts: Vec<Arc<str>> = (0..200).map(|n| Arc::from(format!("{:012}", 100_000_000_000u64 + n))).collect();
    let regions: Vec<Arc<str>> = ["us-east-1", "eu-west-1", "ap-northeast-1"].iter().map(|r| Arc::from(*r)).collect();
    let kind: Arc<str> = Arc::from("AWS::S3::Bucket");
    let findings: Vec<Finding> = (0..count)
        .map(|n| {
            let roll = next();
            let resource: Arc<str> = Arc::from(format!("bucket-{n}"));
            Finding {
                rule_id: rules[(roll % rules.len() as u64) as usize].clone(),
                status: [Status::Pass, Status::Pass, Status::Fail, Status::Error][(roll >> 8) as usize % 4],
                severity: Severity::ALL[(roll >> 16) as usize % 5],
                account_id: accounts[(roll >> 24) as usize % 200].clone(),
                region: regions[(roll >> 32) as usize % 3].clone(),
                resource_type: kind.clone(),
                resource_arn: Some(Arc::from(format!("arn:aws:s3:::{resource}"))),
                resource_id: resource,
                message: format!("bucket-{n} has no versioning"),
            }
        })
        .collect();
    let dir = tempfile::tempdir().expect("temporary directory");

    let started = Instant::now();
    let mut lines = std::io::BufWriter::new(std::fs::File::create(dir.path().join("findings.jsonl")).unwrap());
    for finding in &findings {
        let _ = finding.id();
        serde_json::to_writer(&mut lines, finding).unwrap();
        lines.write_all(b"\n").unwrap();
    }
    lines.into_inner().unwrap().sync_all().unwrap();
    let baseline = started.elapsed().as_secs_f64();

    let db = db.unwrap_or_else(|| dir.path().join("mamori.db"));
    let started = Instant::now();
    let mut store = Store::open(&db).unwrap();
    let run = NewRun {
        kind: "bench".into(),
        scope: Scope::new("bench", &serde_json::json!({"bench": count})),
        options: serde_json::json!({}),
        rules: rules
            .iter()
            .map(|id| RuleInfo { id: id.to_string(), title: id.to_string(), severity: Severity::High })
            .collect(),
    };
    let mut recorder = store.begin_run(&run).unwrap();
    for finding in &findings {
        recorder.add(finding).unwrap();
    }
    let summary = recorder.complete(&serde_json::json!({}), &[]).unwrap();
    let stored = started.elapsed().as_secs_f64();
    assert_eq!(summary.counts.total() as usize, count);
    let size = store.size().unwrap();

    println!("{count} findings");
    println!("JSON Lines report: {baseline:.2} s");
    println!(
        "store (SQLite):    {stored:.2} s ({:.0} findings/s, {:.0} MiB)",
        count as f64 / stored,
        size as f64 / 1048576.0
    );
    println!("ratio (store / JSON Lines): {:.2}", stored / baseline);
}
