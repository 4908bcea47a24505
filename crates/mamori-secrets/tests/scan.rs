//! Scans of work trees and histories of real temporary repositories.

mod common;

use common::*;
use mamori_secrets::{output, Allowlist, Error, Rule, ScanOptions, Scanner};
use serde_json::Value;
use std::path::Path;

fn scanner(root: &Path) -> Scanner {
    Scanner::new(ScanOptions::default(), Allowlist::discover(root, None).unwrap())
}

fn assert_no_raw(text: &str, raws: &[&str]) {
    for raw in raws {
        assert!(!text.contains(raw), "output leaks a secret: {}", redacted(raw));
    }
}

#[test]
fn work_tree_findings_allowlists_and_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (id, sk) = (key_id(1), secret(1));
    write(d, "app/.env", &format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\n"));
    // AWS's documented example keys, and an inline-allowed line.
    let example_id = ["AKIA", "IOSFODNN7", "EXAMPLE"].concat();
    let example_sk = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
    write(d, "docs/setup.md", &format!("aws_access_key_id = {example_id}\naws_secret_access_key = {example_sk}\n"));
    write(d, "tests/fixture.py", &format!("KEY = '{}'  # mamori:allow\n", key_id(2)));
    write(d, "clean.txt", "nothing to see\n");

    let report = scanner(d).scan_path(d).unwrap();
    assert_eq!(report.exit_code(), 1);
    let found: Vec<(Rule, &str, usize)> = report.findings.iter().map(|f| (f.rule, f.path.as_str(), f.line)).collect();
    assert_eq!(found, vec![(Rule::AwsAccessKeyId, "app/.env", 1), (Rule::AwsSecretAccessKey, "app/.env", 2)]);
    assert_eq!(report.findings[1].paired_key_id.as_deref(), Some(report.findings[0].fingerprint.as_str()));
    let s = &report.summary;
    assert_eq!((s.allowed.total, s.allowed.aws_example, s.allowed.inline), (3, 2, 1));
    assert_eq!(s.scanned, 4);

    let pairs = report.credential_pairs();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].key_id.expose(), id);
    assert_eq!(pairs[0].secret.expose(), sk);

    let text = output::text(&report);
    assert!(text.contains(&redacted(&id)) && text.contains(&redacted(&sk)), "{text}");
    assert!(text.contains("app/.env:1:19"), "{text}");
    assert_no_raw(&text, &[&id, &sk]);

    let json: Value = serde_json::from_str(&output::json(&report)).unwrap();
    assert_eq!(json["findings"][0]["secret"], redacted(&id));
    assert_eq!(json["findings"][0]["rule"], "aws-access-key-id");
    assert_eq!(json["summary"]["allowed"]["aws_example"], 2);
    assert_no_raw(&output::json(&report), &[&id, &sk]);

    let sarif_text = output::sarif(&report);
    assert_no_raw(&sarif_text, &[&id, &sk]);
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "aws-secret-access-key"));
    let r = &run["results"][1];
    assert_eq!(r["ruleId"], "aws-secret-access-key");
    assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], "aws-secret-access-key");
    assert_eq!(r["level"], "error");
    assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "app/.env");
    assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
    assert!(r["partialFingerprints"]["mamoriSecretHash/v1"].as_str().unwrap().len() >= 16);
    assert!(r["message"]["text"].as_str().unwrap().contains(&redacted(&sk)));

    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "hello\n");
    assert_eq!(scanner(clean.path()).scan_path(clean.path()).unwrap().exit_code(), 0);
}

#[test]
fn allowlist_file_patterns_and_paths_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, ".mamori-secrets.toml", "[allow]\npatterns = ['fixture-only']\npaths = ['tests/fixtures/**']\n");
    write(d, "tests/fixtures/creds.env", &format!("aws_access_key_id={}\n", key_id(3)));
    write(d, "src/a.py", &format!("K = '{}'  # fixture-only\n", key_id(4)));
    write(d, "src/b.py", &format!("K = '{}'\n", key_id(5)));
    let report = scanner(d).scan_path(d).unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].path, "src/b.py");
    let a = &report.summary.allowed;
    assert_eq!((a.total, a.path, a.pattern), (2, 1, 1));
    assert!(report.summary.allowlist.as_deref().unwrap().ends_with(".mamori-secrets.toml"));
}

#[test]
fn bad_allowlists_name_the_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, ".mamori-secrets.toml", "[allow]\npatterns = ['ok', '[unclosed']\n");
    let err = Allowlist::discover(d, None).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::ConfigPattern { .. }), "{msg}");
    assert!(
        msg.contains(".mamori-secrets.toml`") && msg.contains("`allow.patterns[1]`") && msg.contains("`[unclosed`"),
        "{msg}"
    );

    write(d, "bad.toml", "[allow]\npaths = 'not-a-list'\n");
    let msg = Allowlist::discover(d, Some(&d.join("bad.toml"))).unwrap_err().to_string();
    assert!(msg.starts_with("invalid allowlist `") && msg.contains("bad.toml`") && msg.contains("line 2"), "{msg}");

    write(d, "glob.toml", "[allow]\npaths = ['a/{b']\n");
    let msg = Allowlist::discover(d, Some(&d.join("glob.toml"))).unwrap_err().to_string();
    assert!(msg.contains("`allow.paths[0]`") && msg.contains("`a/{b`"), "{msg}");

    let msg = Allowlist::discover(d, Some(&d.join("missing.toml"))).unwrap_err().to_string();
    assert!(msg.starts_with("cannot read allowlist `") && msg.contains("missing.toml`"), "{msg}");
}

#[test]
fn binary_large_and_unreadable_files_are_skipped_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let mut bin = format!("aws_access_key_id={}\n", key_id(6)).into_bytes();
    bin.extend_from_slice(&[0, 1, 2, 3]);
    std::fs::write(d.join("blob.bin"), bin).unwrap();
    write(d, "big.txt", &format!("{}\n{}", key_id(7), "x".repeat(4096)));
    write(d, "secret.txt", &format!("id {}\n", key_id(8)));
    write(d, "ok.txt", &format!("id {}\n", key_id(9)));
    set_mode(&d.join("secret.txt"), 0o000);

    let opts = ScanOptions { max_file_size: 1024, ..Default::default() };
    let report = Scanner::new(opts, Allowlist::builtin()).scan_path(d).unwrap();
    set_mode(&d.join("secret.txt"), 0o644);
    assert_eq!(report.summary.skipped_binary, 1);
    assert_eq!(report.summary.skipped_too_large, 1);
    assert!(report.findings.iter().any(|f| f.path == "ok.txt"), "the rest of the scan goes on");
    if can_bypass_permissions() {
        eprintln!("NOTE: running as root, chmod 000 does not stop reads: the unreadable-file assertion is skipped");
        assert!(report.findings.iter().any(|f| f.path == "secret.txt"));
    } else {
        assert_eq!(report.summary.skipped_errors, 1);
        assert_eq!(report.skipped[0].path.as_deref(), Some("secret.txt"));
        assert!(report.skipped[0].reason.contains("ermission denied"), "{:?}", report.skipped);
        assert!(output::text(&report).contains("skipped `secret.txt`: cannot read"));
    }
}

#[test]
fn history_reports_the_introducing_commit_of_a_removed_secret() {
    let (_tmp, repo) = new_repo();
    let (id, sk) = (key_id(10), secret(10));
    commit(&repo, &[("README.md", "# demo\n")], "init", "2021-01-01T10:00:00Z");
    let leak = commit(
        &repo,
        &[("deploy/credentials", &format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\n"))],
        "add deploy creds",
        "2021-02-03T04:05:06Z",
    );
    // The same file changes twice more, still holding the key: one finding, 3 blobs.
    commit(
        &repo,
        &[(
            "deploy/credentials",
            &format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\nregion = eu-west-1\n"),
        )],
        "region",
        "2021-02-04T00:00:00Z",
    );
    commit(
        &repo,
        &[(
            "deploy/credentials",
            &format!("# prod\n[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\nregion = eu-west-1\n"),
        )],
        "comment",
        "2021-02-05T00:00:00Z",
    );
    git(&repo, &["rm", "-q", "deploy/credentials"]);
    commit(&repo, &[("README.md", "# demo\nno more keys\n")], "remove creds", "2021-03-01T00:00:00Z");
    // A secret only on another branch.
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    let branch = commit(
        &repo,
        &[("ci.yml", &format!("env:\n  AWS_ACCESS_KEY_ID: {}\n", key_id(11)))],
        "ci",
        "2021-04-01T00:00:00Z",
    );
    git(&repo, &["checkout", "-q", "main"]);

    assert_eq!(scanner(&repo).scan_path(&repo).unwrap().findings.len(), 0, "the work tree is clean");

    let report = scanner(&repo).scan_history(&repo).unwrap();
    assert_eq!(report.exit_code(), 1);
    let f: Vec<_> = report.findings.iter().map(|f| (f.rule, f.path.as_str(), f.line, f.occurrences)).collect();
    assert_eq!(
        f,
        vec![
            (Rule::AwsAccessKeyId, "ci.yml", 2, 1),
            (Rule::AwsAccessKeyId, "deploy/credentials", 2, 3),
            (Rule::AwsSecretAccessKey, "deploy/credentials", 3, 3),
        ]
    );
    let c = report.findings[1].commit.as_ref().unwrap();
    assert_eq!(c.id, leak);
    assert_eq!((c.author.as_str(), c.email.as_str()), ("Ada Leak", "ada@example.org"));
    assert_eq!(c.date, "2021-02-03T04:05:06Z");
    assert_eq!(report.findings[0].commit.as_ref().unwrap().id, branch);
    assert_eq!(report.credential_pairs().len(), 1);
    let text = output::text(&report);
    assert!(text.contains(&format!("commit {}", &leak[..12])), "{text}");
    assert_no_raw(&text, &[&id, &sk]);
    // 7 distinct blobs: README x2, credentials x3, ci.yml, and no others.
    assert_eq!(report.summary.scanned, 6);
}

#[test]
fn history_on_a_directory_that_is_not_a_repository_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = scanner(tmp.path()).scan_history(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::NotARepository { .. }));
    assert_eq!(err.to_string(), format!("`{}` is not a git repository", tmp.path().display()));
    let missing = tmp.path().join("nope");
    assert!(scanner(tmp.path()).scan_history(&missing).unwrap_err().to_string().starts_with("cannot read `"));
}

#[test]
fn a_corrupt_object_is_reported_and_the_rest_is_scanned() {
    let (_tmp, repo) = new_repo();
    commit(&repo, &[("a.env", &format!("AWS_ACCESS_KEY_ID={}\n", key_id(12)))], "a", "2022-01-01T00:00:00Z");
    commit(&repo, &[("b.env", &format!("AWS_ACCESS_KEY_ID={}\n", key_id(13)))], "b", "2022-01-02T00:00:00Z");
    let blob = git(&repo, &["rev-parse", "HEAD:b.env"]);
    let file = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    set_mode(&file, 0o644);
    std::fs::write(&file, b"this is not zlib data").unwrap();

    let report = scanner(&repo).scan_history(&repo).unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].path, "a.env");
    assert_eq!(report.summary.skipped_errors, 1);
    let k = &report.skipped[0];
    assert_eq!(k.object.as_deref(), Some(blob.as_str()));
    assert_eq!(k.path.as_deref(), Some("b.env"));
    assert!(k.reason.contains("corrupt"), "{}", k.reason);
    assert!(output::text(&report).contains(&format!("skipped `b.env` (object {blob})")));
}

#[test]
fn a_truncated_object_does_not_stop_the_history_scan() {
    let (_tmp, repo) = new_repo();
    let big: String = (0..2000).map(|i| format!("line {i} of filler text\n")).collect();
    commit(&repo, &[("a.env", &format!("AWS_ACCESS_KEY_ID={}\n", key_id(14)))], "a", "2022-01-01T00:00:00Z");
    commit(&repo, &[("z.txt", &big)], "z", "2022-01-02T00:00:00Z");
    let blob = git(&repo, &["rev-parse", "HEAD:z.txt"]);
    let file = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let bytes = std::fs::read(&file).unwrap();
    set_mode(&file, 0o644);
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();

    let report = scanner(&repo).scan_history(&repo).unwrap();
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    assert_eq!(report.findings[0].path, "a.env");
    assert!(report.summary.skipped_errors >= 1, "{:?}", report.skipped);
    assert!(report.skipped.iter().any(|k| k.object.as_deref() == Some(blob.as_str())), "{:?}", report.skipped);
}

#[test]
fn staged_scan_reports_only_what_the_commit_introduces() {
    let (_tmp, repo) = new_repo();
    let old = key_id(15);
    commit(&repo, &[("legacy.cfg", &format!("key={old}\n"))], "legacy", "2022-01-01T00:00:00Z");
    write(&repo, "legacy.cfg", &format!("key={old}\nother=1\n"));
    write(&repo, "new.cfg", &format!("key={}\n", key_id(16)));
    write(&repo, "unstaged.cfg", &format!("key={}\n", key_id(17)));
    git(&repo, &["add", "legacy.cfg", "new.cfg"]);
    let report = scanner(&repo).scan_staged(&repo).unwrap();
    let paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["new.cfg"]);
    assert_eq!(report.summary.scanned, 2);
}

#[test]
fn account_ids_are_opt_in() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "main.tf",
        "role_arn = \"arn:aws:iam::210987654321:role/deploy\"\nallowed = [\"123456789012\"]\n",
    );
    assert!(scanner(tmp.path()).scan_path(tmp.path()).unwrap().findings.is_empty());
    let opts = ScanOptions { account_ids: true, ..Default::default() };
    let report = Scanner::new(opts, Allowlist::builtin()).scan_path(tmp.path()).unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, Rule::AwsAccountId);
    assert_eq!(report.findings[0].secret.redacted(), "2109****4321");
}

#[test]
fn blobs_reachable_only_through_a_tag_are_scanned() {
    let (_tmp, repo) = new_repo();
    commit(&repo, &[("a.txt", "hello\n")], "a", "2022-01-01T00:00:00Z");
    write(&repo, "loose.txt", &format!("id={}\n", key_id(30)));
    let blob = git(&repo, &["hash-object", "-w", "loose.txt"]);
    std::fs::remove_file(repo.join("loose.txt")).unwrap();
    // Not reachable yet: an object nobody points to is not reported.
    assert!(scanner(&repo).scan_history(&repo).unwrap().findings.is_empty());
    git(&repo, &["tag", "-a", "-m", "keys", "blob-tag", &blob]);
    let report = scanner(&repo).scan_history(&repo).unwrap();
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].blob.as_deref(), Some(blob.as_str()));
    assert!(report.findings[0].commit.is_none());
}

#[test]
fn a_shallow_clone_says_its_history_is_truncated() {
    let (tmp, repo) = new_repo();
    let (id, sk) = (key_id(20), secret(20));
    commit(
        &repo,
        &[("creds", &format!("aws_access_key_id = {id}\naws_secret_access_key = {sk}\n"))],
        "leak",
        "2021-01-01T00:00:00Z",
    );
    git(&repo, &["rm", "-q", "creds"]);
    commit(&repo, &[("README.md", "# clean\n")], "clean up", "2021-01-02T00:00:00Z");

    let full = scanner(&repo).scan_history(&repo).unwrap();
    assert_eq!(full.findings.len(), 2);
    assert!(!full.summary.shallow && full.warnings.is_empty(), "{:?}", full.warnings);
    let json: Value = serde_json::from_str(&output::json(&full)).unwrap();
    assert!(json["summary"].get("shallow").is_none() && json.get("warnings").is_none(), "{json}");

    // A CI checkout: only the last commit, so the leak is out of reach.
    let clone = tmp.path().join("clone");
    let url = format!("file://{}", repo.display());
    git(tmp.path(), &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let report = scanner(&clone).scan_history(&clone).unwrap();
    assert_eq!(report.findings.len(), 0);
    assert!(report.summary.shallow);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("shallow clone") && report.warnings[0].contains("git fetch --unshallow"));

    let text = output::text(&report);
    assert!(text.contains(&format!("warning: {}", report.warnings[0])), "{text}");
    let json: Value = serde_json::from_str(&output::json(&report)).unwrap();
    assert_eq!(json["summary"]["shallow"], true);
    assert_eq!(json["warnings"][0], report.warnings[0].as_str());
    let sarif: Value = serde_json::from_str(&output::sarif(&report)).unwrap();
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["level"] == "warning" && n["message"]["text"] == report.warnings[0].as_str()),
        "{notes}"
    );
}

#[test]
fn the_work_tree_scan_counts_submodules_and_ignored_files_it_skips() {
    let (tmp, repo) = new_repo();
    let (id, sk) = (key_id(30), secret(30));
    let lib = tmp.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    git(&lib, &["init", "-q", "-b", "main"]);
    commit(&lib, &[("lib.txt", "library\n")], "lib", "2021-01-01T00:00:00Z");
    commit(&repo, &[(".gitignore", "local.env\nbuild/\n"), ("app.txt", "app\n")], "init", "2021-01-01T00:00:00Z");
    git(&repo, &["-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.to_str().unwrap(), "vendor/lib"]);
    commit(&repo, &[], "add the library", "2021-01-02T00:00:00Z");
    // Ignored: one file (holding a key, which is not reported) and one directory of two files.
    write(&repo, "local.env", &format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\n"));
    write(&repo, "build/a.o", "a\n");
    write(&repo, "build/b.o", "b\n");

    let report = scanner(&repo).scan_path(&repo).unwrap();
    assert_eq!(report.findings.len(), 0);
    assert_eq!(report.summary.scanned, 3, ".gitignore, .gitmodules and app.txt");
    assert_eq!(report.summary.skipped_submodules, 1);
    assert_eq!(report.summary.skipped_ignored, 2, "local.env and build/");
    let text = output::text(&report);
    assert!(text.contains("1 submodule(s) and 2 ignored path(s) not scanned"), "{text}");
    let json: Value = serde_json::from_str(&output::json(&report)).unwrap();
    assert_eq!(
        (json["summary"]["skipped_submodules"].as_u64(), json["summary"]["skipped_ignored"].as_u64()),
        (Some(1), Some(2))
    );

    // Outside git nothing is ignored and there are no submodules.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), "a.txt", "a\n");
    let report = scanner(plain.path()).scan_path(plain.path()).unwrap();
    assert_eq!((report.summary.skipped_submodules, report.summary.skipped_ignored), (0, 0));
    assert!(!output::text(&report).contains("not scanned"));
}

/// A file named with a terminal escape sequence is shown with visible escapes in the text
/// report (it used to be written raw, so the name could clear or rewrite the reader's screen);
/// JSON keeps the exact name.
#[test]
fn control_characters_in_file_names_are_escaped_in_the_text_report() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let name = "evil\u{1b}[2Jname.env";
    write(d, name, &format!("AWS_ACCESS_KEY_ID={}\n", key_id(3)));
    let report = scanner(d).scan_path(d).unwrap();
    assert_eq!(report.findings.len(), 1);
    let text = output::text(&report);
    assert!(!text.contains('\u{1b}'), "raw escape in: {text:?}");
    assert!(text.contains("evil\\u{1b}[2Jname.env:1:"), "{text}");
    let json: Value = serde_json::from_str(&output::json(&report)).unwrap();
    assert_eq!(json["findings"][0]["path"], name);
}
