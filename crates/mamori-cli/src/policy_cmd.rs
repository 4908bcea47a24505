//! `mamori policy test DIR`: run each custom policy against the test cases kept beside it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use mamori_policy::{testing, Options, PolicySet};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Run every policy of the directories against its `<policy>.tests.json` cases.
    Test {
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
}

pub fn run(command: PolicyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let PolicyCommand::Test { dirs } = command;
    let set = PolicySet::load(&dirs, Options::default())?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for policy in set.policies() {
        writeln!(out, "{} ({})", policy.metadata.id, policy.path.display())?;
        for case in testing::run(policy)? {
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
    writeln!(out, "\n{passed} passed, {failed} failed")?;
    Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
