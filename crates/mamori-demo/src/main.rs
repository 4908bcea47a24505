//! `mamori-demo`: runs the demo's emulator, seeds the demo organization into it and prints
//! what it planted.
//!
//! `mamori-demo emulator [--moto-server PATH]` starts moto behind the corrected front of
//! `mamori-testkit` (moto's wrong answers corrected, the services it lacks stood in for),
//! prints the front's endpoint on one line of standard output, and runs until its standard
//! input closes, then stops both.
//!
//! `mamori-demo seed --endpoint-url http://127.0.0.1:5000 [--members 40] [--regions a,b,c]
//! [--seed S] [--summary FILE]` acts as the management account with the credentials of the
//! environment or the profile (moto accepts any key, e.g. `AWS_ACCESS_KEY_ID=testing
//! AWS_SECRET_ACCESS_KEY=testing`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use clap::{Parser, Subcommand};
use mamori_demo::{Limits, Seeded, Spec};
use mamori_model::Status;

#[derive(Parser)]
#[command(name = "mamori-demo", version, about = "Seed a demo AWS organization into an emulator (moto)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the organization, its accounts and their resources, and print a summary.
    Seed(SeedArgs),
    /// Run moto behind the corrected front; print the endpoint, stop when standard input closes.
    Emulator(EmulatorArgs),
}

#[derive(clap::Args)]
struct EmulatorArgs {
    /// The `moto_server` executable (moto 5.2.5, from scripts/setup-emulator).
    #[arg(long, env = "MAMORI_MOTO_SERVER")]
    moto_server: Option<PathBuf>,
    /// Put the front before a moto already running at this loopback URL
    /// (`http://127.0.0.1:PORT`) instead of starting one.
    #[arg(long, conflicts_with = "moto_server")]
    upstream: Option<String>,
}

#[derive(clap::Args)]
struct SeedArgs {
    /// The emulator's URL; only loopback addresses are accepted.
    #[arg(long)]
    endpoint_url: String,
    /// Member accounts besides the management account.
    #[arg(long, default_value_t = Spec::demo().member_accounts)]
    members: usize,
    /// Regions, comma-separated; the first is the home region.
    #[arg(long, value_delimiter = ',', default_values_t = Spec::demo().regions)]
    regions: Vec<String>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = Spec::demo().seed)]
    seed: u64,
    /// Write the full summary (accounts and planted expectations) as JSON to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Accounts seeded at once.
    #[arg(long, default_value_t = Limits::default().accounts_in_flight)]
    concurrency: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed(args) => run_seed(args),
        Command::Emulator(args) => run_emulator(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mamori-demo: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    // Either moto and its front, or a front before a running moto; dropped at the end.
    let (endpoint, running): (String, Box<dyn std::any::Any>) = match &args.upstream {
        Some(url) => {
            let upstream = loopback_address(url)?;
            let stand_ins = mamori_testkit::standin::standard();
            let proxy = mamori_testkit::FaultProxy::builder(upstream)
                .corrected(&stand_ins)
                .start()
                .context("cannot start the corrected front")?;
            (proxy.endpoint_url(), Box::new(proxy))
        }
        None => {
            let moto_server = args.moto_server.clone().unwrap_or_else(mamori_testkit::moto_server_path);
            let front = mamori_testkit::front::Front::start(&moto_server).context("cannot start the demo emulator")?;
            (front.endpoint_url(), Box::new(front))
        }
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{endpoint}").and_then(|()| stdout.flush()).context("cannot print the endpoint")?;
    // The caller holds our standard input: when it exits or closes it, the emulator goes too
    // (dropping the front stops the proxy and moto), even if it could not signal us.
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin().lock();
    while stdin.read(&mut sink).is_ok_and(|n| n > 0) {}
    drop(running);
    Ok(())
}

/// `http://127.0.0.1:PORT` as a socket address (the proxy itself refuses non-loopback ones).
fn loopback_address(url: &str) -> anyhow::Result<std::net::SocketAddr> {
    let authority = url.strip_prefix("http://").unwrap_or(url).trim_end_matches('/');
    let address: std::net::SocketAddr = authority
        .parse()
        .with_context(|| format!("--upstream `{url}` is not an address like http://127.0.0.1:5000"))?;
    if !address.ip().is_loopback() {
        bail!("--upstream `{url}` is not a loopback address: the demo talks only to an emulator on this machine");
    }
    Ok(address)
}

fn run_seed(args: SeedArgs) -> anyhow::Result<()> {
    let spec = Spec { member_accounts: args.members, regions: args.regions, seed: args.seed };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let started = Instant::now();
    let seeded: Seeded = runtime.block_on(async {
        // Environment and profile only: the instance-metadata and container providers of the
        // default chain would reach for addresses outside the loopback the emulator lives on.
        let credentials =
            CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
                .or_else("Profile", ProfileFileCredentialsProvider::builder().build());
        let config = aws_config::defaults(BehaviorVersion::latest())
            .credentials_provider(credentials)
            .endpoint_url(&args.endpoint_url)
            .region(aws_config::Region::new(spec.home_region().to_owned()))
            .load()
            .await;
        let Some(provider) = config.credentials_provider() else {
            bail!("no credentials provider: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (moto accepts `testing`)");
        };
        if let Err(err) = provider.provide_credentials().await {
            bail!("no credentials ({err}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (moto accepts `testing`)");
        }
        let limits = Limits { accounts_in_flight: args.concurrency };
        Ok::<Seeded, anyhow::Error>(mamori_demo::seed_with(&config, &spec, limits).await?)
    })?;
    let elapsed = started.elapsed();
    if let Some(path) = &args.summary {
        let json = serde_json::to_string_pretty(&seeded).context("cannot serialise the summary")?;
        std::fs::write(path, json + "\n").with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    print!("{}", summary(&seeded, elapsed.as_secs_f64()));
    if let Some(path) = &args.summary {
        println!("summary written to {}", path.display());
    }
    Ok(())
}

/// A few lines for people: what was created and what mamori should find.
fn summary(seeded: &Seeded, seconds: f64) -> String {
    let mut out = String::new();
    let statuses: BTreeMap<&str, usize> = seeded.accounts.iter().fold(BTreeMap::new(), |mut counts, account| {
        *counts.entry(account.status.as_str()).or_default() += 1;
        counts
    });
    let statuses: Vec<String> = statuses.iter().map(|(status, count)| format!("{count} {status}")).collect();
    out.push_str(&format!(
        "organization {} (management account {}, root {}): {} accounts ({}) in {} region(s), home {}\n",
        seeded.organization_id,
        seeded.management_account_id,
        seeded.root_id,
        seeded.accounts.len(),
        statuses.join(", "),
        seeded.spec.regions.len(),
        seeded.home_region,
    ));
    for scp in &seeded.scps {
        out.push_str(&format!("  SCP {} ({}) attached to {}\n", scp.name, scp.id, scp.targets.join(", ")));
    }
    let (mut pass, mut fail) = (0usize, 0usize);
    let mut rules: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (_, _, expectation) in seeded.expectations() {
        let entry = rules.entry(expectation.rule_id.as_str()).or_default();
        if expectation.expected == Status::Pass {
            pass += 1;
            entry.0 += 1;
        } else {
            fail += 1;
            entry.1 += 1;
        }
    }
    out.push_str(&format!(
        "planted {} expectations over {} rules: {pass} PASS, {fail} FAIL\n",
        pass + fail,
        rules.len()
    ));
    for (rule, (pass, fail)) in &rules {
        out.push_str(&format!("  {rule:<52} {pass:>5} PASS {fail:>5} FAIL\n"));
    }
    out.push_str(&format!("{} API calls in {seconds:.1} s\n", seeded.api_calls));
    out
}
