//! Report formats: the organization-wide table, JSON, CSV, OCSF and ASFF.
//!
//! Findings stream into a spill file while the evaluation runs; only when it has completed is
//! the report assembled at its destination (a file is written beside its target and renamed
//! into place, stdout is written at the end). A run that fails therefore leaves no partial
//! report that could be mistaken for a complete one, and memory does not grow with findings.

mod exports;
mod table;
mod time;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use mamori_model::Finding;
use mamori_rules::{RuleMeta, RuleSet};

use crate::summary::Summary;

pub use exports::{asff_finding, ocsf_finding};

/// The output formats of `mamori evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// The organization-wide view, for people.
    Table,
    /// The summary and every finding.
    Json,
    /// One finding a line.
    Csv,
    /// OCSF Compliance Findings (Amazon Security Lake).
    Ocsf,
    /// AWS Security Finding Format (AWS Security Hub).
    Asff,
}

impl Format {
    /// The format's name, as `--format` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Ocsf => "ocsf",
            Format::Asff => "asff",
        }
    }
}

/// Where the report goes.
#[derive(Debug, Clone)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

/// Writes one report as findings arrive.
pub struct ReportWriter {
    format: Format,
    spill: BufWriter<File>,
    written: u64,
    rules: HashMap<&'static str, &'static RuleMeta>,
    now: String,
    now_millis: u128,
}

impl ReportWriter {
    pub fn new(format: Format, rules: &RuleSet) -> io::Result<ReportWriter> {
        let (now, now_millis) = time::now()?;
        Ok(ReportWriter {
            format,
            spill: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            written: 0,
            rules: rules.rules().iter().map(|active| (active.rule.meta().id, active.rule.meta())).collect(),
            now,
            now_millis,
        })
    }

    pub fn write(&mut self, finding: &Finding) -> io::Result<()> {
        if self.format == Format::Table {
            return Ok(());
        }
        let meta = self.rules.get(&*finding.rule_id).copied();
        let separator = if self.written == 0 { "\n" } else { ",\n" };
        match self.format {
            Format::Table => {}
            Format::Json => {
                self.spill.write_all(separator.as_bytes())?;
                serde_json::to_writer(&mut self.spill, &exports::json_finding(finding))?;
            }
            Format::Csv => exports::write_csv_row(&mut self.spill, finding)?,
            Format::Ocsf => {
                self.spill.write_all(separator.as_bytes())?;
                serde_json::to_writer(&mut self.spill, &exports::ocsf_finding(finding, meta, self.now_millis))?;
            }
            Format::Asff => {
                self.spill.write_all(separator.as_bytes())?;
                serde_json::to_writer(&mut self.spill, &exports::asff_finding(finding, meta, &self.now))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Forget every finding written so far: the evaluation starts over (see
    /// [`crate::pipeline`]). The spill file is replaced rather than truncated, which would
    /// need the buffer flushed into it first.
    pub fn restart(&mut self) -> io::Result<()> {
        self.spill = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
        self.written = 0;
        Ok(())
    }

    /// Assemble the report at its destination.
    pub fn finish(self, summary: &Summary, destination: &Destination) -> io::Result<()> {
        match destination {
            Destination::Stdout => {
                let stdout = io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                self.assemble(summary, &mut out)?;
                out.flush()
            }
            Destination::File(path) => write_file(path, |out| self.assemble(summary, out)),
        }
    }

    fn assemble(self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let format = self.format;
        let mut spill = self.spill.into_inner().map_err(|err| err.into_error())?;
        spill.rewind()?;
        match format {
            Format::Table => table::render(summary, out),
            Format::Json => {
                out.write_all(b"{\"summary\":")?;
                serde_json::to_writer(&mut *out, summary)?;
                out.write_all(b",\"findings\":[")?;
                io::copy(&mut spill, out)?;
                out.write_all(b"\n]}\n")
            }
            Format::Csv => {
                out.write_all(exports::CSV_HEADER.as_bytes())?;
                io::copy(&mut spill, out).map(|_| ())
            }
            Format::Ocsf | Format::Asff => {
                out.write_all(b"[")?;
                io::copy(&mut spill, out)?;
                out.write_all(b"\n]\n")
            }
        }
    }
}

/// Write a file whole or not at all: the content goes to a file beside `path` that is renamed
/// over it once complete, so a failure never leaves a partial file that looks complete.
/// Devices and pipes (`/dev/stdout`, a FIFO) cannot be renamed over: they are written directly.
///
/// Errors name `path`'s directory where it is the cause, never the staged file, whose random
/// name the user never chose.
pub fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    if is_special_file(path) {
        let mut out = BufWriter::new(File::create(path)?);
        write(&mut out)?;
        return out.flush();
    }
    if path.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut staged = Staged::create(directory)?;
    {
        let mut out = BufWriter::new(staged.file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    staged.persist(path)
}

/// The files [`write_file`] has staged and not yet renamed into place or removed. A process
/// ended by a signal runs no destructor, so without this list an interrupted report (hundreds
/// of megabytes for a large organization) would stay beside its target, hidden; the binary's
/// signal handler removes them with [`abandon_staged_files`].
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staged_files() -> MutexGuard<'static, Vec<PathBuf>> {
    // The list stays consistent whatever panicked while holding it: entries are pushed and
    // removed whole.
    STAGED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// For a process about to exit on a signal: remove every file [`write_file`] is writing. The
/// returned guard keeps any file from being staged or renamed into place until it is dropped,
/// so hold it until the process has exited: no late report appears after the cleanup either.
pub fn abandon_staged_files() -> AbandonedStagedFiles {
    let files = staged_files();
    for path in files.iter() {
        // Already gone is as good as removed; anything else cannot be helped by a process
        // that is exiting.
        let _ = std::fs::remove_file(path);
    }
    AbandonedStagedFiles { _files: files }
}

/// Returned by [`abandon_staged_files`]: while it lives, [`write_file`] cannot stage or rename.
#[must_use = "dropping it lets `write_file` rename a staged report into place again"]
pub struct AbandonedStagedFiles {
    _files: MutexGuard<'static, Vec<PathBuf>>,
}

/// A file being written beside its target, listed in [`STAGED`] from its creation until it is
/// renamed into place or removed.
struct Staged {
    file: Option<tempfile::NamedTempFile>,
}

impl Staged {
    fn create(directory: &Path) -> io::Result<Staged> {
        match std::fs::metadata(directory) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return Err(io::Error::other(format!("`{}` is not a directory", directory.display()))),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("directory `{}` does not exist", directory.display()),
                ))
            }
            Err(err) => return Err(err),
        }
        // Created and listed under the lock: a signal handler holding it sees the file listed,
        // or the file is never created.
        let mut files = staged_files();
        let file = tempfile::NamedTempFile::new_in(directory).map_err(|err| {
            // tempfile's error names the random path it tried; the directory is what the user
            // can act on. The kind says why (permission denied, read-only file system, ...).
            let kind = err.kind();
            io::Error::new(
                kind,
                format!("cannot create a file in `{}`: {}", directory.display(), io::Error::from(kind)),
            )
        })?;
        files.push(file.path().to_owned());
        Ok(Staged { file: Some(file) })
    }

    fn file_mut(&mut self) -> &mut File {
        self.file.as_mut().expect("a staged file is there until persisted or dropped").as_file_mut()
    }

    fn persist(mut self, path: &Path) -> io::Result<()> {
        let file = self.file.take().expect("a staged file is persisted once");
        let mut files = staged_files();
        files.retain(|staged| staged != file.path());
        // Renamed, or removed as the failed attempt is dropped, while the list is held: a
        // signal handler waiting for it finds the file in place or gone, never in between.
        file.persist(path).map(drop).map_err(|err| err.error)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let mut files = staged_files();
            files.retain(|staged| staged != file.path());
            drop(file);
        }
    }
}

fn is_special_file(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).map(|m| m.file_type().is_char_device() || m.file_type().is_fifo()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn errors_name_the_directory_not_the_staged_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = write_file(&missing.join("report.json"), |out| out.write_all(b"{}")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(err.to_string(), format!("directory `{}` does not exist", missing.display()));

        let err = write_file(dir.path(), |out| out.write_all(b"{}")).unwrap_err();
        assert_eq!(err.to_string(), "it is a directory");

        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = write_file(&file.join("report.json"), |out| out.write_all(b"{}")).unwrap_err();
        assert_eq!(err.to_string(), format!("`{}` is not a directory", file.display()));
        assert_eq!(entries(dir.path()), ["file"]);
    }

    #[test]
    fn abandoned_staged_files_are_removed_and_never_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        let (writing_tx, writing) = mpsc::channel();
        let (resume, resume_rx) = mpsc::channel::<()>();
        let writer = std::thread::spawn({
            let target = target.clone();
            move || {
                write_file(&target, |out| {
                    out.write_all(b"{\"partial\":")?;
                    out.flush()?;
                    writing_tx.send(()).unwrap();
                    resume_rx.recv().unwrap();
                    out.write_all(b"true}")
                })
            }
        });
        writing.recv().unwrap();
        let staged = entries(dir.path());
        assert_eq!(staged.len(), 1, "{staged:?}");
        assert_ne!(staged[0], "report.json");

        let held = abandon_staged_files();
        assert!(entries(dir.path()).is_empty(), "the staged file is removed");
        resume.send(()).unwrap();
        // The writer finishes writing and then waits for the list to rename its file; a
        // process would have exited by now. Once let go, the rename finds nothing to rename.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(entries(dir.path()).is_empty());
        drop(held);
        let result = writer.join().unwrap();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(entries(dir.path()).is_empty(), "no report appears after the cleanup");
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        let err = write_file(&target, |out| {
            out.write_all(b"{")?;
            Err(io::Error::other("the evaluation failed"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the evaluation failed");
        assert!(entries(dir.path()).is_empty());
    }
}
