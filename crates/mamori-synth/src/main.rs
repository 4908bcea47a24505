//! `mamori-synth`: generate synthetic inventories and run the evaluation benchmark.
//!
//! - `mamori-synth generate --out DIR [--accounts N --regions N --items N --seed S --gzip]`
//! - `mamori-synth demo --out DIR`: the bundled example organization (examples/demo-org).
//! - `mamori-synth bench-evaluate --mamori PATH`: generates the 1,000,000-item inventory
//!   (500 accounts x 17 regions, seed 42) once, then measures in one run parse-only time
//!   (`mamori inventory`) and full evaluation time with every rule (`mamori evaluate`), as
//!   child processes, and prints throughput, their ratio and peak memory.

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
    }
    Ok(())
}

fn bench_evaluate(mamori: &Path, data: &Path, spec: &Spec, repeat: usize) -> anyhow::Result<()> {
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
    let bytes: u64 = std::fs::read_dir(data)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();

    let inventory = |args: &[&str]| {
        let mut command = Command::new(mamori);
        command.args(args).arg(data).stdout(Stdio::null()).stderr(Stdio::inherit());
        command
    };
    let output = std::env::temp_dir().join(format!("mamori-bench-{}.json", std::process::id()));
    let output_arg = output.to_string_lossy().to_string();
    let mut parse = Measurement::default();
    let mut table = Measurement::default();
    let mut json = Measurement::default();
    for _ in 0..repeat {
        parse.add(measure(inventory(&["inventory"]))?);
        table.add(measure(inventory(&["evaluate", "--format", "table"]))?);
        json.add(measure(inventory(&["evaluate", "--format", "json", "--output", &output_arg]))?);
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
    println!("JSON report size: {:.0} MiB", json_bytes as f64 / 1_048_576.0);
    let ratio = table.best.as_secs_f64() / parse.best.as_secs_f64();
    let json_ratio = json.best.as_secs_f64() / parse.best.as_secs_f64();
    println!("ratio evaluate / parse-only: {ratio:.2} (target <= 1.5); with the JSON report: {json_ratio:.2}");
    println!(
        "peak memory of evaluate: {:.0} MiB (target < 1024 MiB); with the JSON report: {:.0} MiB",
        table.peak_kib as f64 / 1024.0,
        json.peak_kib as f64 / 1024.0
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
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
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
