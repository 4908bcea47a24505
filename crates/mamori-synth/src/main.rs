//! `mamori-synth`: generate synthetic inventories and run the evaluation benchmark.
//!
//! - `mamori-synth generate --out DIR [--accounts N --regions N --items N --seed S --gzip]`
//! - `mamori-synth demo --out DIR`: the bundled example organization (examples/demo-org).
//! - `mamori-synth bench-evaluate --mamori PATH`: generates the 1,000,000-item inventory
//!   (500 accounts x 17 regions, seed 42) once, then measures in one run parse-only time
//!   (`mamori inventory`) and full evaluation time with every rule (`mamori evaluate`), as
//!   child processes, and prints throughput, their ratio and peak memory.
//! - `mamori-synth bench-rego --mamori PATH`: on the same inventory, the evaluation throughput
//!   of 20 custom Rego policies (`bench-policies/`) against that of the built-in rules, as a
//!   ratio measured in one run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use mamori_synth::{generate, Spec};

#[derive(Parser)]
#[command(name = "mamori-synth", about = "Synthetic AWS inventories and the evaluation benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate an inventory.
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 6)]
        accounts: usize,
        #[arg(long, default_value_t = 3)]
        regions: usize,
        #[arg(long, default_value_t = 600)]
        items: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, default_value_t = 0.8)]
        compliant_share: f64,
        #[arg(long)]
        gzip: bool,
    },
    /// Generate the bundled example organization.
    Demo {
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure evaluation against parse-only on the large generated inventory.
    BenchEvaluate {
        /// The mamori binary to measure (a release build).
        #[arg(long)]
        mamori: PathBuf,
        /// Where the generated inventory is kept between runs.
        #[arg(long, default_value = "bench-data/inventory-1m")]
        data: PathBuf,
        #[arg(long, default_value_t = 500)]
        accounts: usize,
        #[arg(long, default_value_t = 17)]
        regions: usize,
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// Runs of each measurement; the best is reported.
        #[arg(long, default_value_t = 2)]
        repeat: usize,
    },
    /// Measure 20 custom Rego policies against the built-in rules on the large inventory.
    BenchRego {
        /// The mamori binary to measure (a release build).
        #[arg(long)]
        mamori: PathBuf,
        #[arg(long, default_value = "bench-data/inventory-1m")]
        data: PathBuf,
        /// The benchmark policies.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/bench-policies"))]
        policies: PathBuf,
        #[arg(long, default_value_t = 500)]
        accounts: usize,
        #[arg(long, default_value_t = 17)]
        regions: usize,
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// Runs of each measurement; the best is reported.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Generate { out, accounts, regions, items, seed, compliant_share, gzip } => {
            let spec = Spec { accounts, regions, items, seed, compliant_share, gzip };
            let written = generate(&spec, &out)?;
            eprintln!("wrote {} items in {} files to {}", written.items, written.files, out.display());
        }
        Cmd::Demo { out } => {
            let written = generate(&Spec::demo(), &out)?;
            eprintln!("wrote {} items in {} files to {}", written.items, written.files, out.display());
        }
        Cmd::BenchEvaluate { mamori, data, accounts, regions, items, repeat } => {
            let spec = Spec { accounts, regions, items, ..Spec::benchmark() };
            bench_evaluate(&mamori, &data, &spec, repeat.max(1))?;
        }
        Cmd::BenchRego { mamori, data, policies, accounts, regions, items, repeat } => {
            let spec = Spec { accounts, regions, items, ..Spec::benchmark() };
            bench_rego(&mamori, &data, &policies, &spec, repeat.max(1))?;
        }
    }
    Ok(())
}

/// Generate the benchmark inventory unless `data` already holds it (same spec).
fn ensure_inventory(data: &Path, spec: &Spec) -> anyhow::Result<()> {
    let marker = data.join(".spec");
    let wanted = format!("{spec:?}");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        if data.exists() {
            std::fs::remove_dir_all(data).with_context(|| format!("removing stale {}", data.display()))?;
        }
        eprintln!(
            "generating {} items ({} accounts x {} regions, seed {})…",
            spec.items, spec.accounts, spec.regions, spec.seed
        );
        let started = Instant::now();
        let written = generate(spec, data)?;
        std::fs::write(&marker, &wanted)?;
        eprintln!("generated {} items in {:.1} s", written.items, started.elapsed().as_secs_f64());
    }
    Ok(())
}

fn bench_evaluate(mamori: &Path, data: &Path, spec: &Spec, repeat: usize) -> anyhow::Result<()> {
    ensure_inventory(data, spec)?;
    let bytes: u64 = std::fs::read_dir(data)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();

    // Evaluation is measured without the findings history (`MAMORI_NO_STORE`); recording
    // every finding in a store of its own is measured apart, so that both costs are visible
    // and no benchmark run lands in the user's history.
    let history = tempfile::tempdir()?;
    let inventory = |args: &[&str], store: Option<&Path>| {
        let mut command = Command::new(mamori);
        command.args(args).arg(data).stdout(Stdio::null()).stderr(Stdio::inherit());
        match store {
            Some(db) => command.env_remove("MAMORI_NO_STORE").env("MAMORI_DB", db),
            None => command.env("MAMORI_NO_STORE", "true"),
        };
        command
    };
    let output = std::env::temp_dir().join(format!("mamori-bench-{}.json", std::process::id()));
    let output_arg = output.to_string_lossy().to_string();
    let mut parse = Measurement::default();
    let mut table = Measurement::default();
    let mut json = Measurement::default();
    let mut recorded = Measurement::default();
    for run in 0..repeat {
        parse.add(measure(inventory(&["inventory"], None))?);
        table.add(measure(inventory(&["evaluate", "--format", "table"], None))?);
        json.add(measure(inventory(&["evaluate", "--format", "json", "--output", &output_arg], None))?);
        let db = history.path().join(format!("run-{run}.db"));
        recorded.add(measure(inventory(&["evaluate", "--format", "table"], Some(&db)))?);
    }
    let json_bytes = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    std::fs::remove_file(&output).ok();
    let counted = Command::new(mamori).args(["inventory", "--json"]).arg(data).output()?;
    let stats: serde_json::Value = serde_json::from_slice(&counted.stdout).context("mamori inventory --json")?;
    let items = stats["items"].as_u64().unwrap_or(0);
    let rules = Command::new(mamori).args(["rules", "list", "--format", "json"]).output()?;
    let rules: serde_json::Value = serde_json::from_slice(&rules.stdout).context("mamori rules list")?;

    println!("mamori evaluation benchmark (best of {repeat} runs each, 2 worker threads on this machine)");
    println!(
        "inventory: {items} configuration items, {} accounts x {} regions, {} gzip files, {:.0} MiB compressed, seed {}",
        spec.accounts,
        spec.regions,
        spec.accounts,
        bytes as f64 / 1_048_576.0,
        spec.seed
    );
    println!("rules: {}", rules.as_array().map(|r| r.len()).unwrap_or(0));
    parse.print("parse-only (mamori inventory)", items);
    table.print("evaluate, all rules (table view)", items);
    json.print("evaluate, all rules, JSON report", items);
    recorded.print("evaluate, recorded in history", items);
    println!("JSON report size: {:.0} MiB", json_bytes as f64 / 1_048_576.0);
    let ratio = table.best.as_secs_f64() / parse.best.as_secs_f64();
    let json_ratio = json.best.as_secs_f64() / parse.best.as_secs_f64();
    let recorded_ratio = recorded.best.as_secs_f64() / parse.best.as_secs_f64();
    println!(
        "ratio evaluate / parse-only: {ratio:.2} (target <= 1.5); with the JSON report: {json_ratio:.2}; \
         recorded in the findings history: {recorded_ratio:.2}"
    );
    println!(
        "peak memory of evaluate: {:.0} MiB (target < 1024 MiB); with the JSON report: {:.0} MiB",
        table.peak_kib as f64 / 1024.0,
        json.peak_kib as f64 / 1024.0
    );
    Ok(())
}

/// The checks (rules x resources) a table report counted: its line
/// `Checks evaluated (...): 2,309   PASS ...`.
fn checks_in(report: &str) -> Option<u64> {
    let line = report.lines().find(|line| line.starts_with("Checks evaluated"))?;
    let after = line.split_once("):")?.1.trim_start();
    after.split_whitespace().next()?.replace(',', "").parse().ok()
}

fn bench_rego(mamori: &Path, data: &Path, policies: &Path, spec: &Spec, repeat: usize) -> anyhow::Result<()> {
    ensure_inventory(data, spec)?;
    let policy_count = std::fs::read_dir(policies)
        .with_context(|| format!("reading {}", policies.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "rego"))
        .count();
    let report = std::env::temp_dir().join(format!("mamori-bench-rego-{}.txt", std::process::id()));
    let run = |args: &[&std::ffi::OsStr]| -> anyhow::Result<(Duration, u64, Option<u64>)> {
        let mut command = Command::new(mamori);
        // The inventory right after the subcommand: `--rules` takes every value that follows it.
        command.arg(args[0]).arg(data).args(&args[1..]);
        command.stdout(std::fs::File::create(&report)?).stderr(Stdio::inherit());
        command.env("MAMORI_NO_STORE", "true");
        // regorus captures a backtrace with each internal error (a failed lookup in a policy
        // is one) when these ask for backtraces: a developer's shell setting, not a user's,
        // worth about 7 % of the Rego run.
        command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
        let (elapsed, peak) = measure(command)?;
        Ok((elapsed, peak, checks_in(&std::fs::read_to_string(&report).unwrap_or_default())))
    };
    let os = |text: &'static str| std::ffi::OsStr::new(text);
    let mut parse = Measurement::default();
    let mut builtin = Measurement::default();
    let mut rego = Measurement::default();
    let (mut builtin_checks, mut rego_checks) = (0, 0);
    for _ in 0..repeat {
        let (elapsed, peak, _) = run(&[os("inventory")])?;
        parse.add((elapsed, peak));
        let (elapsed, peak, checks) = run(&[os("evaluate"), os("--format"), os("table")])?;
        builtin.add((elapsed, peak));
        builtin_checks = checks.context("no check count in the built-in rules' report")?;
        let (elapsed, peak, checks) = run(&[
            os("evaluate"),
            os("--format"),
            os("table"),
            os("--policies"),
            policies.as_os_str(),
            os("--rules"),
            os("bench-*"),
            os("org-*"),
        ])?;
        rego.add((elapsed, peak));
        rego_checks = checks.context("no check count in the policies' report")?;
    }
    std::fs::remove_file(&report).ok();
    let counted = Command::new(mamori).args(["inventory", "--json"]).arg(data).output()?;
    let stats: serde_json::Value = serde_json::from_slice(&counted.stdout).context("mamori inventory --json")?;
    let items = stats["items"].as_u64().unwrap_or(0);
    let rules = Command::new(mamori).args(["rules", "list", "--format", "json"]).output()?;
    let rules: serde_json::Value = serde_json::from_slice(&rules.stdout).context("mamori rules list")?;
    let rule_count = rules.as_array().map(|r| r.len()).unwrap_or(0);

    println!("mamori Rego policy benchmark (best of {repeat} runs each, 2 worker threads on this machine)");
    println!(
        "inventory: {items} configuration items, {} accounts x {} regions, seed {}",
        spec.accounts, spec.regions, spec.seed
    );
    parse.print("parse-only (mamori inventory)", items);
    builtin.print(&format!("{rule_count} built-in rules"), items);
    rego.print(&format!("{policy_count} Rego policies"), items);
    // Reading and decoding the inventory costs the same in both runs: throughput of the
    // evaluation itself is measured over the time beyond parse-only.
    let eval = |m: &Measurement| (m.best.as_secs_f64() - parse.best.as_secs_f64()).max(1e-9);
    let (builtin_eval, rego_eval) = (eval(&builtin), eval(&rego));
    println!(
        "evaluation alone (run - parse-only): built-in {:.0} items/s ({} checks, {:.0} checks/s); Rego {:.0} items/s ({} checks, {:.0} checks/s)",
        items as f64 / builtin_eval,
        builtin_checks,
        builtin_checks as f64 / builtin_eval,
        items as f64 / rego_eval,
        rego_checks,
        rego_checks as f64 / rego_eval
    );
    println!(
        "ratio Rego / built-in throughput: {:.3} items/s (evaluation alone), {:.3} checks/s (evaluation alone), {:.3} items/s (whole run)",
        builtin_eval / rego_eval,
        (rego_checks as f64 / rego_eval) / (builtin_checks as f64 / builtin_eval),
        builtin.best.as_secs_f64() / rego.best.as_secs_f64()
    );
    Ok(())
}

#[derive(Default)]
struct Measurement {
    best: Duration,
    peak_kib: u64,
}

impl Measurement {
    fn add(&mut self, (elapsed, peak_kib): (Duration, u64)) {
        if self.best.is_zero() || elapsed < self.best {
            self.best = elapsed;
        }
        self.peak_kib = self.peak_kib.max(peak_kib);
    }

    fn print(&self, label: &str, items: u64) {
        println!(
            "{label:<36} {:>7.2} s  {:>10.0} items/s  peak RSS {:>5.0} MiB",
            self.best.as_secs_f64(),
            items as f64 / self.best.as_secs_f64(),
            self.peak_kib as f64 / 1024.0
        );
    }
}

/// Run a command to completion; its wall time and peak resident memory (KiB), from wait4.
fn measure(mut command: Command) -> anyhow::Result<(Duration, u64)> {
    let started = Instant::now();
    let child = command.spawn().context("starting mamori")?;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child, which we have not reaped.
    #[allow(unsafe_code, reason = "peak memory of a child needs wait4's rusage, which std does not expose")]
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    #[allow(unsafe_code, reason = "peak memory of a child needs wait4's rusage, which std does not expose")]
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    if reaped != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{command:?} failed with status {status}");
    }
    Ok((elapsed, usage.ru_maxrss as u64))
}
