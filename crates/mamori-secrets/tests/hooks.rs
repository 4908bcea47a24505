//! The installed hooks on a real temporary repository: a commit adding a secret
//! is blocked, a clean one and an allowed one go through, an existing hook is kept
//! and still runs, and installing twice changes nothing.

mod common;

use common::*;
use mamori_secrets::hook::{self, HookCommand, Installed};
use std::path::{Path, PathBuf};

fn hook_command() -> HookCommand {
    HookCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_mamori-secrets-hook")),
        args: vec![],
        fallback: "mamori".into(),
    }
}

/// `git commit` with hooks enabled; returns (success, stderr).
fn try_commit(repo: &Path, files: &[(&str, &str)], message: &str) -> (bool, String) {
    for (p, c) in files {
        write(repo, p, c);
        git(repo, &["add", p]);
    }
    let out = git_output(repo, &["commit", "-q", "-m", message]);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn hooks_block_secrets_keep_existing_hooks_and_are_idempotent() {
    let (_tmp, repo) = new_repo();
    commit(&repo, &[("README.md", "# app\n")], "init", "2023-01-01T00:00:00Z");
    // A pre-existing pre-commit hook that leaves a trace each time it runs.
    let hooks = repo.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let trace = repo.join(".git/existing-hook-ran");
    let existing = format!("#!/bin/sh\necho ran >> '{}'\n", trace.display());
    std::fs::write(hooks.join("pre-commit"), &existing).unwrap();
    set_mode(&hooks.join("pre-commit"), 0o755);

    let done = hook::install(&repo, &hook_command()).unwrap();
    assert_eq!(
        done,
        vec![
            Installed::Chained(hooks.join("pre-commit"), hooks.join("pre-commit.local")),
            Installed::New(hooks.join("commit-msg")),
        ]
    );
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit.local")).unwrap(), existing);
    let installed = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();

    // Installing again refreshes our hooks and keeps the chain, nothing more.
    let again = hook::install(&repo, &hook_command()).unwrap();
    assert_eq!(again, vec![Installed::Updated(hooks.join("pre-commit")), Installed::Updated(hooks.join("commit-msg"))]);
    assert_eq!(std::fs::read_to_string(hooks.join("pre-commit")).unwrap(), installed);
    assert!(!hooks.join("pre-commit.local.1").exists());

    // 1. A commit adding a secret is blocked, with a clear message, redacted.
    let (id, sk) = (key_id(20), secret(20));
    let (ok, stderr) = try_commit(
        &repo,
        &[("config/prod.env", &format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\n"))],
        "add prod config",
    );
    assert!(!ok, "the commit must be blocked");
    assert!(stderr.contains("mamori: commit blocked: 2 AWS credential(s) found in staged changes"), "{stderr}");
    assert!(stderr.contains(&redacted(&id)) && stderr.contains(&redacted(&sk)), "{stderr}");
    assert!(stderr.contains("config/prod.env:1:19"), "{stderr}");
    assert!(stderr.contains("mamori:allow") && stderr.contains(".mamori-secrets.toml"), "{stderr}");
    assert!(!stderr.contains(&id) && !stderr.contains(&sk), "the hook output leaks a secret");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "1");
    assert_eq!(std::fs::read_to_string(&trace).unwrap().lines().count(), 1, "the existing hook ran first");
    git(&repo, &["reset", "-q", "HEAD", "config/prod.env"]);
    std::fs::remove_file(repo.join("config/prod.env")).unwrap();

    // 2. A clean commit goes through (and the existing hook still runs).
    let (ok, stderr) = try_commit(&repo, &[("src/main.py", "print('hello')\n")], "add main");
    assert!(ok, "{stderr}");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "2");
    assert_eq!(std::fs::read_to_string(&trace).unwrap().lines().count(), 2);

    // 3. An allowed false positive goes through.
    let (ok, stderr) = try_commit(
        &repo,
        &[("tests/test_fake.py", &format!("FAKE = '{}'  # mamori:allow\n", key_id(21)))],
        "test fixture",
    );
    assert!(ok, "{stderr}");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "3");

    // 4. A secret in the commit message is blocked by commit-msg.
    let (ok, stderr) = try_commit(&repo, &[("notes.txt", "n\n")], &format!("rotate key {}", key_id(22)));
    assert!(!ok);
    assert!(stderr.contains("found in the commit message"), "{stderr}");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "3");

    // 5. A failing existing hook still blocks, before mamori runs.
    std::fs::write(hooks.join("pre-commit.local"), "#!/bin/sh\necho local-hook-says-no >&2\nexit 3\n").unwrap();
    let (ok, stderr) = try_commit(&repo, &[("ok.txt", "fine\n")], "should fail in the local hook");
    assert!(!ok);
    assert!(stderr.contains("local-hook-says-no") && !stderr.contains("mamori: commit blocked"), "{stderr}");
}

#[test]
fn install_outside_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = hook::install(tmp.path(), &hook_command()).unwrap_err();
    assert_eq!(err.to_string(), format!("`{}` is not a git repository", tmp.path().display()));
}

#[test]
fn hook_falls_back_to_path_when_the_binary_is_gone() {
    let (_tmp, repo) = new_repo();
    let mut cmd = hook_command();
    cmd.program = PathBuf::from("/nonexistent/mamori");
    cmd.fallback = "mamori-secrets-hook".into();
    hook::install(&repo, &cmd).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mamori-secrets-hook")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    write(&repo, "a.env", &format!("id={}\n", key_id(23)));
    git(&repo, &["add", "a.env"]);
    let out = git_cmd(&repo).env("PATH", &path).args(["commit", "-q", "-m", "x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("commit blocked"));
    // With neither the binary nor the fallback, the hook fails closed with a message.
    let out =
        git_cmd(&repo).env("PATH", "/usr/bin:/bin:/usr/local/bin").args(["commit", "-q", "-m", "x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"), "{}", String::from_utf8_lossy(&out.stderr));
}
