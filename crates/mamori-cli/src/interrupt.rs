//! Ctrl-C (SIGINT) and SIGTERM.
//!
//! A process ended by a signal runs no destructor, so a report being written (a hidden file
//! beside `--output`, renamed into place once complete, hundreds of megabytes for a large
//! organization) would stay behind. A thread waits for either signal instead, removes the
//! files `mamori_engine::report::write_file` is staging, and exits with 128 + the signal's
//! number (130, 143), the status a shell shows for a program a signal stopped. A run being
//! recorded stays `running` in the store, which no comparison uses.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Start the thread handling SIGINT and SIGTERM for the rest of the process.
pub fn handle() -> std::io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until the process is gone: no staged report can be renamed into place
            // after the cleanup.
            let _abandoned = mamori_engine::report::abandon_staged_files();
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}
