//! Helpers for tests on real temporary git repositories. Secrets are built at run
//! time so that this source holds none a scanner would find.
#![allow(dead_code, reason = "each test binary uses a part of the common module")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A made-up access key id (valid shape, never issued): `AKIA` + 16 characters.
pub fn key_id(n: u32) -> String {
    format!("AKIA{}{:04}", "Q7ZX4M2N6P3R", n)
}

/// A made-up 40-character secret access key.
pub fn secret(n: u32) -> String {
    format!("{}{:04}", "Zq8r3Tk9Lm2Pw7Xc4Vb1Nn6Hs5Jd0Fg+Ae8Y", n)
}

/// The redacted form mamori must print.
pub fn redacted(s: &str) -> String {
    format!("{}****{}", &s[..4], &s[s.len() - 4..])
}

pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Leak")
        .env("GIT_AUTHOR_EMAIL", "ada@example.org")
        .env("GIT_COMMITTER_NAME", "Ada Leak")
        .env("GIT_COMMITTER_EMAIL", "ada@example.org");
    c
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    git_cmd(dir).args(args).output().expect("git runs")
}

pub fn new_repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    (tmp, dir)
}

pub fn write(dir: &Path, path: &str, content: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Writes, stages and commits (no hooks: `--no-verify`), with a fixed date.
pub fn commit(dir: &Path, files: &[(&str, &str)], message: &str, date: &str) -> String {
    for (p, c) in files {
        write(dir, p, c);
        git(dir, &["add", p]);
    }
    let out = git_cmd(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["commit", "-q", "--no-verify", "-m", message])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    git(dir, &["rev-parse", "HEAD"])
}

/// Whether the process can read a file it has no permission for (root can).
pub fn can_bypass_permissions() -> bool {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let p = tmp.path().to_path_buf();
    set_mode(&p, 0o000);
    let readable = std::fs::read(&p).is_ok();
    set_mode(&p, 0o600);
    readable
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}
