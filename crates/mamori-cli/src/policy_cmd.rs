//! `mamori policy test DIR`: run each custom policy against the test cases kept beside it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use mamori_policy::{testing, Options, PolicySet};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Run every policy of the directories against its `<policy>.tests.json` cases.
    ///
    /// Exit code: 0 when every case passes, 1 when a case fails or a policy's test file is
    /// missing or unreadable (every other policy is still tested), 2 when a policy does not load.
    Test {
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
}

pub fn run(command: PolicyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let PolicyCommand::Test { dirs } = command;
    let set = PolicySet::load(&dirs, Options::default())?;
    let (mut passed, mut failed, mut untested) = (0usize, 0usize, 0usize);
    for policy in set.policies() {
        writeln!(out, "{} ({})", policy.metadata.id, policy.path.display())?;
        // A policy whose tests cannot be read is reported and counted; the others still run.
        let cases = match testing::run(policy) {
            Ok(cases) => cases,
            Err(err) => {
                untested += 1;
                writeln!(out, "  ERROR {err}")?;
                continue;
            }
        };
        for case in cases {
            if case.passed() {
                passed += 1;
                writeln!(out, "  ok    {}", case.name)?;
            } else {
                failed += 1;
                writeln!(out, "  FAIL  {}", case.name)?;
                for problem in &case.problems {
                    writeln!(out, "        {problem}")?;
                }
            }
        }
    }
    let untested_text =
        if untested > 0 { format!(", {untested} policies without usable tests") } else { String::new() };
    writeln!(out, "\n{passed} passed, {failed} failed{untested_text}")?;
    Ok(if failed > 0 || untested > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
