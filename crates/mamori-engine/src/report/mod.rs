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

use mamori_model::Finding;
use mamori_rules::{RuleMeta, RuleSet};

use crate::summary::Summary;

pub use exports::{asff_finding, ocsf_finding};

/// The output formats of `mamori evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Ocsf,
    Asff,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["table", "json", "csv", "ocsf", "asff"];

    pub fn parse(text: &str) -> Option<Format> {
        Some(match text {
            "table" => Format::Table,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "ocsf" => Format::Ocsf,
            "asff" => Format::Asff,
            _ => return None,
        })
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
        let (now, now_millis) = time::now();
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

/// `/dev/null`, `/dev/stdout` and pipes cannot be renamed over: write them directly.
/// Write a file whole or not at all: the content goes to a file beside `path` that is renamed
/// over it once complete, so a failure never leaves a partial file that looks complete.
/// Devices and pipes (`/dev/stdout`, a FIFO) are written directly.
pub fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    if is_special_file(path) {
        let mut out = BufWriter::new(File::create(path)?);
        write(&mut out)?;
        return out.flush();
    }
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut staged = tempfile::NamedTempFile::new_in(directory)?;
    {
        let mut out = BufWriter::new(staged.as_file_mut());
        write(&mut out)?;
        out.flush()?;
    }
    staged.persist(path).map_err(|err| err.error)?;
    Ok(())
}

fn is_special_file(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).map(|m| m.file_type().is_char_device() || m.file_type().is_fifo()).unwrap_or(false)
}
