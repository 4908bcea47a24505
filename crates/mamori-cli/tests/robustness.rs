//! The binary when its surroundings fail: standard output closed by its reader or full, Ctrl-C
//! while a report is written, and paths that cannot be what they are given as. Each case must
//! end with its documented exit code and one clear message, never a panic, a message that says
//! its cause twice, or a file left behind.

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The exit code of a command whose standard output was closed by its reader (128 + SIGPIPE).
const CLOSED_PIPE: i32 = 141;

fn demo_org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org")
}

/// `mamori` run in `dir` (so no `./mamori.toml` of the caller applies), recording nothing and
/// notifying no one unless told to.
fn mamori(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command.current_dir(dir).env("MAMORI_NO_STORE", "1").env("MAMORI_NO_NOTIFY", "1").env_remove("MAMORI_DB");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A standard output nobody reads: the other end of the connection is closed before the
/// command starts, so its first write fails with EPIPE, whatever the size of its output.
fn closed_stdout() -> Stdio {
    let (ours, theirs) = UnixStream::pair().unwrap();
    drop(theirs);
    Stdio::from(OwnedFd::from(ours))
}

/// A standard output on which every write fails with ENOSPC.
fn full_stdout() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").unwrap())
}

/// A findings history with two complete runs of the bundled organization.
fn store_with_two_runs(dir: &Path) -> PathBuf {
    let db = dir.join("history.db");
    for _ in 0..2 {
        let output = mamori(dir)
            .env_remove("MAMORI_NO_STORE")
            .arg("evaluate")
            .arg(demo_org())
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    db
}

/// A directory with a leaked (made-up) access key, for `secrets scan`.
fn leaked_key(dir: &Path) -> PathBuf {
    let repo = dir.join("leaky");
    std::fs::create_dir(&repo).unwrap();
    let key_id = ["AKIA", "QWERTYUIOPASDFGH"].concat();
    std::fs::write(repo.join("creds.txt"), format!("aws_access_key_id = {key_id}\n")).unwrap();
    repo
}

/// The commands that print to standard output, with what they need.
fn printing_commands(dir: &Path) -> Vec<(&'static str, Vec<String>)> {
    let db = store_with_two_runs(dir).display().to_string();
    let demo = demo_org().display().to_string();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exceptions = root.join("crates/mamori-cli/tests/fixtures/demo-org-exceptions.yaml").display().to_string();
    let policies = root.join("examples/policies").display().to_string();
    let leaky = leaked_key(dir).display().to_string();
    let report = dir.join("report.html").display().to_string();
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("rules list", args(&["rules", "list"])),
        ("rules list --format json", args(&["rules", "list", "--format", "json"])),
        ("rules show", args(&["rules", "show", "restricted-ssh"])),
        ("iam-policy", args(&["iam-policy"])),
        ("inventory", args(&["inventory", &demo])),
        ("inventory --json", args(&["inventory", &demo, "--json"])),
        ("runs list", args(&["runs", "list", "--db", &db])),
        ("runs list --json", args(&["runs", "list", "--db", &db, "--json"])),
        ("diff", args(&["diff", "--db", &db])),
        ("diff --format json", args(&["diff", "--db", &db, "--format", "json"])),
        ("export ocsf", args(&["export", "ocsf", "--db", &db])),
        ("report --framework", args(&["report", "--db", &db, "-o", &report, "--framework", "cis-aws-3.0"])),
        ("notify pending", args(&["notify", "pending", "--db", &db])),
        ("notify pending --json", args(&["notify", "pending", "--db", &db, "--json"])),
        ("exceptions check", args(&["exceptions", "check", &exceptions])),
        ("policy test", args(&["policy", "test", &policies])),
        ("secrets scan", args(&["secrets", "scan", &leaky])),
        ("secrets scan --format json", args(&["secrets", "scan", &leaky, "--format", "json"])),
        ("evaluate", args(&["evaluate", &demo])),
        ("evaluate --format json", args(&["evaluate", &demo, "--format", "json"])),
        ("evaluate --exceptions", args(&["evaluate", &demo, "--exceptions", &exceptions])),
    ]
}

#[test]
fn a_closed_standard_output_ends_every_command_quietly_with_141() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in printing_commands(dir.path()) {
        let output = mamori(dir.path()).args(&args).stdout(closed_stdout()).stderr(Stdio::piped()).output().unwrap();
        let stderr = stderr(&output);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert_eq!(output.status.code(), Some(CLOSED_PIPE), "{name}: {stderr}");
        assert!(!stderr.contains("error"), "{name} says nothing about the closed pipe: {stderr}");
    }
}

#[test]
fn a_full_standard_output_is_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in printing_commands(dir.path()) {
        let output = mamori(dir.path()).args(&args).stdout(full_stdout()).stderr(Stdio::piped()).output().unwrap();
        let stderr = stderr(&output);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        // The evaluation's report goes out through the engine, which also spills findings to
        // a temporary file on the way: its message does not claim to know which of the two.
        let expected = if name.starts_with("evaluate") {
            "error: cannot write the report: No space left on device"
        } else {
            "error: cannot write to standard output: No space left on device"
        };
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(stderr.matches("No space left on device").count(), 1, "{name}: {stderr}");
    }
}

/// `mamori … | head -c1`: the reader takes one byte of an output larger than a pipe holds
/// and goes away.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_org();
    let commands: [&[&str]; 2] =
        [&["rules", "list", "--format", "json"], &["evaluate", demo.to_str().unwrap(), "--format", "json"]];
    for args in commands {
        let mut child = mamori(dir.path()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut first = [0u8; 1];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = stderr(&output);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(CLOSED_PIPE), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// An inventory of `copies` times the bundled organization, each copy under other account ids.
fn large_inventory(path: &Path, copies: usize) {
    let mut text = String::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(demo_org()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let accounts: Vec<(String, String)> = files
        .iter()
        .map(|file| {
            let account = file.file_stem().unwrap().to_str().unwrap().to_owned();
            (account, std::fs::read_to_string(file).unwrap())
        })
        .collect();
    for copy in 0..copies {
        for (index, (account, lines)) in accounts.iter().enumerate() {
            let id = format!("{:012}", 300_000_000_000 + copy * 100 + index);
            text.push_str(&lines.replace(account.as_str(), &id));
        }
    }
    std::fs::write(path, text).unwrap();
}

fn signal(name: &str, child: &Child) {
    let status = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status().unwrap();
    assert!(status.success(), "kill -{name}");
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Ctrl-C while the report is being written (the staged file beside `--output` exists) exits
/// 130 and leaves neither the staged file nor a report.
#[test]
fn ctrl_c_while_the_report_is_written_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.jsonl");
    large_inventory(&inventory, 80); // about 61,000 items: a 60 MB JSON report
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let report = out_dir.join("out.json");

    // The report is written in a fraction of a second at the end of the run: the test freezes
    // the process as soon as the staged file appears, checks that it is still being written,
    // and only then interrupts it. A run that got past that point first is run again.
    for _attempt in 0..3 {
        let mut child = mamori(dir.path())
            .arg("evaluate")
            .arg(&inventory)
            .args(["--format", "json", "-o"])
            .arg(&report)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(600);
        let caught = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            if entries(&out_dir).iter().any(|name| name != "out.json") {
                signal("STOP", &child);
                let now = entries(&out_dir);
                break now.len() == 1 && now[0] != "out.json";
            }
            assert!(Instant::now() < deadline, "the evaluation took too long");
            std::thread::sleep(Duration::from_millis(1));
        };
        if caught {
            signal("INT", &child);
            signal("CONT", &child);
        } else if child.try_wait().unwrap().is_none() {
            signal("CONT", &child);
        }
        let output = child.wait_with_output().unwrap();
        let stderr = stderr(&output);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if !caught {
            assert!(output.status.success(), "{stderr}");
            std::fs::remove_file(&report).unwrap();
            continue;
        }
        assert_eq!(output.status.code(), Some(130), "{stderr}");
        assert_eq!(entries(&out_dir), Vec::<String>::new(), "no temporary file and no report is left");
        return;
    }
    panic!("the report was written before the test could interrupt it, three times");
}

/// Whether the process catches SIGINT and SIGTERM yet (`SigCgt` of its status).
fn catches_interrupts(child: &Child) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let caught = status.lines().find_map(|line| line.strip_prefix("SigCgt:")).map(str::trim);
    let mask = caught.and_then(|hex| u64::from_str_radix(hex, 16).ok()).unwrap_or(0);
    let bit = |signal: u32| 1u64 << (signal - 1);
    mask & bit(2) != 0 && mask & bit(15) != 0
}

/// SIGTERM (a service manager stopping mamori) is handled as Ctrl-C is, with its own status.
#[test]
fn sigterm_exits_143() {
    let dir = tempfile::tempdir().unwrap();
    // An inventory read from a pipe that stays open: the evaluation waits for it.
    let mut child = mamori(dir.path())
        .args(["evaluate", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !catches_interrupts(&child) {
        assert!(Instant::now() < deadline, "mamori never handled SIGINT and SIGTERM");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Open until mamori has exited: at end of input it would end on its own.
    let input = child.stdin.take();
    signal("TERM", &child);
    let output = child.wait_with_output().unwrap();
    drop(input);
    assert_eq!(output.status.code(), Some(143), "{}", stderr(&output));
}

#[test]
fn a_directory_given_as_the_store_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let expected = format!("error: `{}` is a directory, not a findings history database\n", dir.path().display());
    let evaluate = mamori(dir.path())
        .env_remove("MAMORI_NO_STORE")
        .arg("evaluate")
        .arg(demo_org())
        .arg("--db")
        .arg(dir.path())
        .output()
        .unwrap();
    let runs = mamori(dir.path()).args(["runs", "list", "--db"]).arg(dir.path()).output().unwrap();
    for output in [evaluate, runs] {
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_eq!(stderr(&output), expected);
        assert!(output.stdout.is_empty(), "no work was done");
    }
}

#[test]
fn output_into_a_missing_directory_names_the_output_and_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_two_runs(dir.path());
    let missing = dir.path().join("missing");
    let target = |name: &str| missing.join(name).display().to_string();
    let no_directory = format!("directory `{}` does not exist", missing.display());
    let cases = [
        (
            mamori(dir.path())
                .arg("evaluate")
                .arg(demo_org())
                .args(["--format", "json", "-o", &target("out.json")])
                .output(),
            format!("error: cannot write the report to `{}`: {no_directory}\n", target("out.json")),
        ),
        (
            mamori(dir.path())
                .arg("evaluate")
                .arg(demo_org())
                .args(["--framework", "cis-aws-3.0", "--framework-output", &target("cis.json")])
                .stdout(Stdio::null())
                .output(),
            format!("error: cannot write the framework report to `{}`: {no_directory}\n", target("cis.json")),
        ),
        (
            mamori(dir.path()).args(["export", "ocsf", "--db"]).arg(&db).args(["-o", &target("ocsf.json")]).output(),
            format!("error: cannot write `{}`: {no_directory}\n", target("ocsf.json")),
        ),
        (
            mamori(dir.path()).args(["report", "--db"]).arg(&db).args(["-o", &target("report.html")]).output(),
            format!("error: cannot write `{}`: {no_directory}\n", target("report.html")),
        ),
    ];
    for (output, expected) in cases {
        let output = output.unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_eq!(stderr(&output), expected);
    }
    assert!(!missing.exists());
}

/// Every message printed with its chain of causes: no cause twice.
#[test]
fn causes_are_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let store = file.join("sub").join("mamori.db");
    let cases = [
        // The report onto a directory.
        (
            mamori(dir.path()).arg("evaluate").arg(demo_org()).arg("-o").arg(dir.path()).output(),
            format!("error: cannot write the report to `{}`: it is a directory\n", dir.path().display()),
        ),
        // The store under a file, as if it were a directory.
        (
            mamori(dir.path())
                .env_remove("MAMORI_NO_STORE")
                .arg("evaluate")
                .arg(demo_org())
                .arg("--db")
                .arg(&store)
                .output(),
            format!(
                "error: cannot create the directory of the store `{}`: {}\n",
                store.display(),
                std::io::Error::from_raw_os_error(20) // ENOTDIR
            ),
        ),
    ];
    for (output, expected) in cases {
        let output = output.unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_eq!(stderr(&output), expected);
    }
}
