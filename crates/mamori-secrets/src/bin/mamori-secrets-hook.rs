//! A minimal hook runner: `mamori-secrets-hook hook pre-commit` or
//! `mamori-secrets-hook hook commit-msg <file>`. It runs the same library code as
//! `mamori secrets hook ...`; it exists so that this crate's tests can drive real
//! git hooks without the full CLI, and for setups that want only the hook.

use mamori_secrets::hook::{self, HookOutcome};
use mamori_secrets::ScanOptions;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = ScanOptions::default();
    let result: Result<HookOutcome, mamori_secrets::Error> = match args.iter().map(String::as_str).collect::<Vec<_>>()[..]
    {
        ["hook", "pre-commit", ..] => hook::run_pre_commit(Path::new("."), &opts),
        ["hook", "commit-msg", file, ..] => hook::run_commit_msg(Path::new("."), Path::new(file), &opts),
        _ => {
            eprintln!("usage: mamori-secrets-hook hook pre-commit | hook commit-msg <message-file>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(outcome) => {
            eprint!("{}", outcome.message);
            ExitCode::from(u8::from(outcome.blocked))
        }
        Err(e) => {
            eprintln!("mamori: error: {e}");
            ExitCode::from(2)
        }
    }
}
