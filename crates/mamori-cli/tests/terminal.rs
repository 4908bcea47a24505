//! The progress bar of `mamori audit` on a real terminal (issue 12 point 4).
//!
//! The binary runs under a pseudo-terminal, as in a terminal emulator, and the test reads what
//! it draws from the terminal's other side: the bar (`pos/len account-regions`) appears while
//! the collection runs and is cleared at its end, and the lines printed after it, the
//! collection statistics and the summary of the findings, arrive whole. With standard error
//! not a terminal (a pipe), or with `--no-progress`, no bar is drawn and the collection logs
//! one line per account-region instead.
//!
//! The audit reads the emulator's default account in two regions, through the test kit's
//! corrected front (moto with its GetBucketVersioning answer corrected; Access Analyzer
//! ListAnalyzers and Detective ListGraphs and ListInvitations stood in for).

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use mamori_testkit::{FaultProxy, MotoServer};

const REGIONS: &str = "us-east-1,eu-west-1";
/// What the bar draws: `{pos}/{len} account-regions`; its length counts the account's global
/// part besides its two regions.
const BAR: &str = "/3 account-regions";

/// A pseudo-terminal of 30 rows and 120 columns: (controller, terminal).
fn openpty() -> (OwnedFd, OwnedFd) {
    let (mut controller, mut terminal) = (-1, -1);
    let size = libc::winsize { ws_row: 30, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
    #[allow(unsafe_code, reason = "openpty(3) has no wrapper in std")]
    // SAFETY: both descriptors are out-parameters written by openpty; the name buffer is null
    // (not wanted), the termios pointer is null (defaults), and `size` outlives the call.
    let status =
        unsafe { libc::openpty(&mut controller, &mut terminal, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(status, 0, "openpty failed: {}", std::io::Error::last_os_error());
    #[allow(unsafe_code, reason = "taking ownership of the descriptors openpty opened")]
    // SAFETY: openpty succeeded, so both are open descriptors owned by nobody else.
    let (controller, terminal) = unsafe { (OwnedFd::from_raw_fd(controller), OwnedFd::from_raw_fd(terminal)) };
    (controller, terminal)
}

/// `mamori audit` of the current account through `endpoint`, with `extra` flags.
fn audit(endpoint: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
    command
        .env("MAMORI_NO_STORE", "1")
        .env("MAMORI_NO_NOTIFY", "1")
        .env("TERM", "xterm-256color")
        .args(["audit", "--endpoint-url", endpoint, "--accounts", "current", "--regions", REGIONS])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", mamori_testkit::TEST_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", mamori_testkit::TEST_SECRET_ACCESS_KEY)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("MAMORI_DB");
    command
}

/// Runs `command` with standard output and error on a new terminal; returns the exit code and
/// everything the terminal received.
fn on_terminal(mut command: Command) -> (i32, String) {
    let (controller, terminal) = openpty();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(terminal.try_clone().unwrap()))
        .stderr(Stdio::from(terminal.try_clone().unwrap()));
    let mut child = command.spawn().unwrap();
    // Only the child holds the terminal now: once it exits, reading the controller ends.
    drop(command);
    drop(terminal);
    let reader = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut controller = File::from(controller);
        // Linux answers EIO once the last holder of the terminal side has closed it.
        let _ = controller.read_to_end(&mut screen);
        screen
    });
    let status = child.wait().unwrap();
    let screen = reader.join().unwrap();
    (status.code().unwrap_or(-1), String::from_utf8_lossy(&screen).into_owned())
}

/// The text of `screen` as lines: escape sequences removed, split at every line feed and
/// carriage return (a bar redraws its line after a carriage return).
fn lines(screen: &str) -> Vec<String> {
    let mut text = String::with_capacity(screen.len());
    let mut chars = screen.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte (0x40..=0x7e).
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        text.push(c);
    }
    text.split(['\n', '\r']).map(str::to_owned).filter(|line| !line.trim().is_empty()).collect()
}

#[test]
fn progress_bar_on_a_terminal_only() {
    let Some(server) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&server).start().unwrap();
    let endpoint = front.endpoint_url();

    // On a terminal: the bar is drawn, then cleared, and what follows it is whole.
    let (code, screen) = on_terminal(audit(&endpoint, &[]));
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains(BAR), "no progress bar drawn:\n{screen}");
    assert!(screen.contains("\u{1b}["), "the bar is drawn and cleared with escape sequences:\n{screen}");
    let shown = lines(&screen);
    let statistics = shown
        .iter()
        .position(|line| {
            line.starts_with("collected 1 accounts (0 could not be entered, 0 skipped), ")
                && line.contains(" account-regions, ")
                && line.ends_with('s')
        })
        .unwrap_or_else(|| panic!("no whole statistics line:\n{shown:#?}"));
    let last_bar = shown.iter().rposition(|line| line.contains(BAR)).unwrap();
    assert!(last_bar < statistics, "the bar was drawn after the collection ended:\n{shown:#?}");
    assert!(
        shown[statistics + 1..].iter().all(|line| !line.contains(BAR)),
        "the bar is left on the screen:\n{shown:#?}"
    );
    let summary = shown
        .iter()
        .find(|line| line.starts_with("Checks evaluated"))
        .unwrap_or_else(|| panic!("no summary line:\n{shown:#?}"));
    assert!(summary.contains("   PASS ") && summary.ends_with(" MUTED 0"), "{summary}");
    assert!(shown.iter().any(|line| line.starts_with("Compliance: ")), "{shown:#?}");
    // The bar replaces the per-part log lines.
    assert!(!shown.iter().any(|line| line.starts_with("collected 123456789012 ")), "{shown:#?}");

    // Not a terminal (pipes): no bar, one line per part.
    let output = audit(&endpoint, &[]).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(BAR) && !stderr.contains('\u{1b}'), "a bar drawn on a pipe:\n{stderr}");
    for region in REGIONS.split(',') {
        assert!(stderr.contains(&format!("collected 123456789012 {region}:")), "{stderr}");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|line| line.starts_with("Checks evaluated")), "{stdout}");

    // --no-progress on a terminal: no bar either.
    let (code, screen) = on_terminal(audit(&endpoint, &["--no-progress"]));
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains(BAR), "--no-progress drew a bar:\n{screen}");
    assert!(lines(&screen).iter().any(|line| line.starts_with("Checks evaluated")), "{screen}");
}
