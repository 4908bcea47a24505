//! Standard output, for every command.
//!
//! `println!` panics when standard output cannot be written: when the reader of a pipe has
//! gone (`mamori rules list | head -1`) or the disk is full (`> /dev/full`), which users see as
//! a crash with exit code 101. So every command writes through [`Stdout`], passed down as
//! `&mut dyn Write`, whose write errors are returned like any other error and carry a mark
//! saying they are standard output's; [`exit`] turns them into exit codes in one place:
//! - the reader went away: exit quietly with 141, the status a shell reports for a program
//!   stopped by SIGPIPE, as other tools are; so a report cut short never passes for a
//!   complete one, e.g. in `set -o pipefail` scripts gating on `--fail-on`;
//! - any other failure (a full disk): exit 2 with `error: cannot write to standard output: …`.
//!
//! [`Stdout`] keeps the standard library's line buffering, so output appears as it is
//! produced, as with `println!`; a command writing a large body in many small pieces wraps it
//! in a `BufWriter`.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

/// The exit code of a command whose reader closed standard output: 128 + SIGPIPE.
pub const CLOSED_PIPE: u8 = 141;

/// Standard output, whose write errors say they are standard output's.
pub struct Stdout(io::Stdout);

/// The process's standard output.
pub fn stdout() -> Stdout {
    Stdout(io::stdout())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark)
    }
}

/// A write to standard output that failed.
#[derive(Debug)]
struct StdoutError(io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to standard output: {}", self.0)
    }
}

// No `source()`: the cause is in the message, and a chain printed with `{:#}` would repeat it.
impl std::error::Error for StdoutError {}

/// Mark `err` as a failed write to standard output, keeping its kind.
pub fn mark(err: io::Error) -> io::Error {
    if err.get_ref().is_some_and(|inner| inner.is::<StdoutError>()) {
        return err;
    }
    io::Error::new(err.kind(), StdoutError(err))
}

/// The failed write to standard output behind `err`, if that is what it is.
fn stdout_error(err: &anyhow::Error) -> Option<&io::Error> {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .find(|io| io.get_ref().is_some_and(|inner| inner.is::<StdoutError>()))
}

/// Whether `err` is a failed write to standard output.
pub fn is_stdout_error(err: &anyhow::Error) -> bool {
    stdout_error(err).is_some()
}

/// The exit code of a command that failed with `err`, after saying why on standard error
/// (unless its reader merely closed standard output).
pub fn exit(err: &anyhow::Error) -> ExitCode {
    match stdout_error(err) {
        Some(io) if io.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(CLOSED_PIPE),
        Some(io) => {
            eprintln!("error: {io}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
