//! git hooks that block a commit introducing a secret.
//!
//! `install` writes `pre-commit` (scans the staged blobs only) and `commit-msg`
//! (scans the message) into the repository's hooks directory (honouring
//! `core.hooksPath`). A hook that is already there and is not ours is kept: it is
//! renamed `<hook>.local` and our hook runs it first, passing its arguments and
//! stopping if it fails. Installing again only refreshes our hook.

use crate::allow::Allowlist;
use crate::error::{Error, Result};
use crate::git;
use crate::output;
use crate::scan::{Report, ScanOptions, Scanner, Source};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The line that marks a hook as written by mamori.
pub const MARKER: &str = "# mamori-secrets-hook: installed by `mamori secrets install-hook`";

/// The two hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookKind {
    PreCommit,
    CommitMsg,
}

impl HookKind {
    /// The hook's file name (and the subcommand name).
    pub fn name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::CommitMsg => "commit-msg",
        }
    }
}

/// How a hook invokes mamori: `program args... hook <kind> "$@"`.
#[derive(Clone, Debug)]
pub struct HookCommand {
    /// Absolute path of the binary; the hook falls back to `fallback` on `PATH` if it is gone.
    pub program: PathBuf,
    /// Arguments before `hook <kind>`, e.g. `["secrets"]` for `mamori secrets hook pre-commit`.
    pub args: Vec<String>,
    /// Name looked up on `PATH` when `program` no longer exists.
    pub fallback: String,
}

/// What `install` did for one hook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installed {
    /// No hook was there.
    New(PathBuf),
    /// Our hook was there and was refreshed.
    Updated(PathBuf),
    /// Another hook was there: kept at the second path and chained.
    Chained(PathBuf, PathBuf),
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn script(kind: HookKind, cmd: &HookCommand, local: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#!/bin/sh");
    let _ = writeln!(s, "{MARKER}; re-run it to update. Blocks commits that add AWS credentials.");
    if let Some(local) = local {
        let _ = writeln!(s, "# The {} hook that was here before is kept as {local} and runs first.", kind.name());
        let _ = writeln!(s, "local_hook=\"$(dirname \"$0\")/{local}\"");
        let _ = writeln!(s, "if [ -x \"$local_hook\" ]; then");
        let _ = writeln!(s, "    \"$local_hook\" \"$@\" || exit $?");
        let _ = writeln!(s, "fi");
    }
    let program = cmd.program.display().to_string();
    let _ = writeln!(s, "mamori={}", sh_quote(&program));
    let _ = writeln!(s, "if [ ! -x \"$mamori\" ]; then");
    let _ = writeln!(
        s,
        "    mamori=\"$(command -v {} 2>/dev/null)\" || {{ echo \"mamori: {} not found and no {} on PATH; install mamori or remove $0 (git commit --no-verify skips it once)\" >&2; exit 1; }}",
        sh_quote(&cmd.fallback),
        program.replace('"', ""),
        cmd.fallback.replace('"', "")
    );
    let _ = writeln!(s, "fi");
    let args: Vec<String> = cmd.args.iter().map(|a| sh_quote(a)).collect();
    let _ = writeln!(s, "exec \"$mamori\" {} hook {} \"$@\"", args.join(" "), kind.name());
    s
}

/// Installs both hooks in the repository holding `repo`.
pub fn install(repo: &Path, cmd: &HookCommand) -> Result<Vec<Installed>> {
    let dir = git::hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::Hook { path: dir.clone(), message: e.to_string() })?;
    let mut done = Vec::new();
    for kind in [HookKind::PreCommit, HookKind::CommitMsg] {
        done.push(install_one(&dir, kind, cmd)?);
    }
    Ok(done)
}

fn install_one(dir: &Path, kind: HookKind, cmd: &HookCommand) -> Result<Installed> {
    let path = dir.join(kind.name());
    let err = |e: std::io::Error| Error::Hook { path: path.clone(), message: e.to_string() };
    let existing = match std::fs::read(&path) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(e)),
    };
    let (local, outcome) = match existing {
        Some(text) if text.contains(MARKER) => {
            // Ours: keep whatever chain it already has.
            let local = text
                .lines()
                .find_map(|l| l.strip_prefix("local_hook=\"$(dirname \"$0\")/"))
                .map(|l| l.trim_end_matches('"').to_string());
            (local, Installed::Updated(path.clone()))
        }
        Some(_) => {
            let mut n = 0;
            let local = loop {
                let name = if n == 0 { format!("{}.local", kind.name()) } else { format!("{}.local.{n}", kind.name()) };
                if !dir.join(&name).exists() {
                    break name;
                }
                n += 1;
            };
            std::fs::rename(&path, dir.join(&local)).map_err(err)?;
            (Some(local.clone()), Installed::Chained(path.clone(), dir.join(local)))
        }
        None => (None, Installed::New(path.clone())),
    };
    let tmp = dir.join(format!(".{}.mamori-tmp", kind.name()));
    std::fs::write(&tmp, script(kind, cmd, local.as_deref())).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).map_err(err)?;
    }
    std::fs::rename(&tmp, &path).map_err(err)?;
    Ok(outcome)
}

/// The outcome of running a hook.
#[derive(Debug)]
pub struct HookOutcome {
    pub report: Report,
    /// The commit must be blocked.
    pub blocked: bool,
    /// What to print on stderr.
    pub message: String,
}

/// Runs the pre-commit check for the repository holding `repo`.
pub fn run_pre_commit(repo: &Path, opts: &ScanOptions) -> Result<HookOutcome> {
    let top = git::toplevel(repo)?;
    let allow = Allowlist::discover(&top, None)?;
    let report = Scanner::new(opts.clone(), allow).scan_staged(&top)?;
    Ok(outcome(report, "staged changes"))
}

/// Runs the commit-msg check on the message file git passes to the hook.
pub fn run_commit_msg(repo: &Path, message_file: &Path, opts: &ScanOptions) -> Result<HookOutcome> {
    let top = git::toplevel(repo)?;
    let allow = Allowlist::discover(&top, None)?;
    let data = std::fs::read(message_file).map_err(|cause| Error::Io { path: message_file.to_path_buf(), cause })?;
    let report = Scanner::new(opts.clone(), allow).scan_buffer(Source::CommitMessage, "commit message", &data);
    Ok(outcome(report, "the commit message"))
}

fn outcome(report: Report, what: &str) -> HookOutcome {
    let blocked = !report.findings.is_empty();
    let mut message = String::new();
    if blocked {
        let _ =
            writeln!(message, "mamori: commit blocked: {} AWS credential(s) found in {what}:", report.findings.len());
        for f in &report.findings {
            let _ = writeln!(message, "  {:<22} {}  {}:{}:{}", f.rule.id(), f.secret, f.path, f.line, f.column);
        }
        let _ = write!(
            message,
            "\nRemove the credential from the {what} (and deactivate the key in IAM if it was ever shared or pushed), then commit again.\n\
             If this is a false positive, allow it in one of these ways:\n\
             \x20 - add `mamori:allow` in a comment on the same line;\n\
             \x20 - add the file or a pattern to .mamori-secrets.toml at the repository root:\n\
             \x20     [allow]\n\
             \x20     paths = [\"tests/fixtures/**\"]\n\
             \x20     patterns = ['^AKIA[A-Z0-9]{{12}}TESTONLY$']\n\
             To skip all hooks for one commit (not recommended): git commit --no-verify\n"
        );
    }
    if !report.skipped.is_empty() {
        message.push_str(
            &output::text(&report).lines().filter(|l| l.starts_with("skipped")).collect::<Vec<_>>().join("\n"),
        );
        message.push('\n');
    }
    HookOutcome { report, blocked, message }
}
