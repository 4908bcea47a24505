//! git plumbing, run as subprocesses.
//!
//! Only machine-readable plumbing output is parsed: `rev-list --objects`,
//! `cat-file --batch` / `--batch-all-objects`, `diff-index -z`, and `log -z --raw`
//! with a NUL-separated format. Nothing parses porcelain text.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

/// Who made a commit, and when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, ISO 8601 strict (`%aI`).
    pub date: String,
}

pub(crate) fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    c.env("LC_ALL", "C").env("GIT_OPTIONAL_LOCKS", "0");
    c.stdin(Stdio::null());
    c
}

fn describe<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> String {
    args.into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .filter(|a| !a.starts_with("--find-object="))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs git and returns stdout; a non-zero exit is an error carrying stderr.
pub(crate) fn run<I, S>(dir: &Path, args: I) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S> + Clone,
    S: AsRef<OsStr>,
{
    let out = git(dir).args(args.clone()).output().map_err(Error::GitSpawn)?;
    if !out.status.success() {
        return Err(Error::Git {
            command: describe(args),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(out.stdout)
}

/// The top-level directory of the work tree holding `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf> {
    if !dir.exists() {
        return Err(Error::Io {
            path: dir.to_path_buf(),
            cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        });
    }
    let out = git(dir).args(["rev-parse", "--show-toplevel"]).output().map_err(Error::GitSpawn)?;
    if !out.status.success() {
        return Err(Error::NotARepository { path: dir.to_path_buf() });
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n')))
}

/// Whether `dir` is inside a git repository (a work tree or a bare one).
pub fn is_repository(dir: &Path) -> bool {
    git(dir)
        .args(["rev-parse", "--git-dir"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The hooks directory (honours `core.hooksPath`).
pub fn hooks_dir(dir: &Path) -> Result<PathBuf> {
    if !is_repository(dir) {
        return Err(Error::NotARepository { path: dir.to_path_buf() });
    }
    let out = run(dir, ["rev-parse", "--git-path", "hooks"])?;
    let p = PathBuf::from(String::from_utf8_lossy(&out).trim_end_matches('\n'));
    Ok(if p.is_absolute() { p } else { dir.join(p) })
}

/// Refs whose target (peeled through tags) is a tree or a blob rather than a
/// commit: their blobs are reachable without any commit introducing them.
pub(crate) fn non_commit_refs(dir: &Path) -> Result<Vec<String>> {
    let out = run(dir, ["for-each-ref", "--format=%(objectname) %(objecttype) %(*objecttype)"])?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| {
            let mut p = l.split(' ');
            let (oid, kind, peeled) = (p.next()?, p.next()?, p.next().unwrap_or(""));
            let target = if kind == "tag" { peeled } else { kind };
            matches!(target, "tree" | "blob").then(|| oid.to_string())
        })
        .collect())
}

/// Runs `git rev-list --objects <revs>` restricted to blobs; the result maps
/// each blob to the first path it was seen at.
pub(crate) fn reachable_blobs(dir: &Path, revs: &[String]) -> Result<HashMap<String, String>> {
    let dir = dir.to_path_buf();
    {
        let mut args: Vec<String> = ["rev-list", "--objects", "--filter=object:type=blob"].map(String::from).to_vec();
        args.extend(revs.iter().cloned());
        let mut child =
            git(&dir).args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(Error::GitSpawn)?;
        let stderr = drain(child.stderr.take());
        let mut map = HashMap::new();
        let mut reader = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(Error::GitSpawn)?;
            if n == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            // "<oid> <path>" for blobs; commits (no path) are skipped.
            if let Some(sp) = line.iter().position(|b| *b == b' ') {
                let oid = String::from_utf8_lossy(&line[..sp]).into_owned();
                let path = String::from_utf8_lossy(&line[sp + 1..]).into_owned();
                map.entry(oid).or_insert(path);
            }
        }
        let status = child.wait().map_err(Error::GitSpawn)?;
        let stderr = stderr.join().unwrap_or_default();
        if !status.success() {
            return Err(Error::Git { command: describe(&args), stderr: stderr.trim().to_string() });
        }
        Ok(map)
    }
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut r) = r {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            s = String::from_utf8_lossy(&buf[..buf.len().min(64 * 1024)]).into_owned();
        }
        s
    })
}

/// One object from a `cat-file --batch` stream.
pub(crate) enum Object<'a> {
    /// A blob's content (or `None` when it was larger than the limit and skipped).
    Blob { oid: &'a str, size: u64, data: Option<&'a [u8]> },
    /// A commit, tree or tag (content skipped).
    Other,
    /// Listed but unreadable: cat-file says `missing` for a corrupt object.
    Missing { oid: &'a str },
}

/// Asks for a 1 MiB pipe buffer: with the default 64 KiB, streaming tens of
/// MiB costs more in context switches than git spends reading the objects.
#[cfg(target_os = "linux")]
fn enlarge_pipe(stdout: &ChildStdout) {
    use std::os::fd::AsRawFd;
    // SAFETY: F_SETPIPE_SZ on a pipe fd we own; failure is harmless (keeps the default).
    #[allow(unsafe_code, reason = "libc::fcntl has no safe wrapper in std")]
    unsafe {
        libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn enlarge_pipe(_: &ChildStdout) {}

/// Reads a `cat-file --batch` stream whose header is `%(objectname) %(objecttype) %(objectsize)`.
pub(crate) struct BatchStream {
    child: Child,
    reader: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    writer: Option<JoinHandle<()>>,
    header: Vec<u8>,
    oid: String,
    buf: Vec<u8>,
    max_size: u64,
    command: String,
}

const BATCH_FORMAT: &str = "--batch=%(objectname) %(objecttype) %(objectsize)";

impl BatchStream {
    /// The given objects, in the given order (a writer thread feeds stdin).
    pub(crate) fn objects(dir: &Path, oids: Vec<String>, max_size: u64) -> Result<Self> {
        let args = ["cat-file", BATCH_FORMAT];
        let mut child = git(dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::GitSpawn)?;
        let stdin = child.stdin.take().expect("piped");
        let writer = std::thread::spawn(move || {
            let mut w = std::io::BufWriter::new(stdin);
            for oid in oids {
                if writeln!(w, "{oid}").is_err() {
                    return;
                }
            }
            let _ = w.flush();
        });
        Ok(Self::wrap(child, Some(writer), max_size, describe(args)))
    }

    /// Every blob of the object database, in pack order: one `--batch-check` pass
    /// lists objects with type and size (cheap: headers only), then only blobs
    /// within the size limit are read, so trees, commits and large blobs are
    /// never inflated. Returns the stream and the blobs listed but not read:
    /// `(too large, unreadable)`.
    pub(crate) fn all_blobs(dir: &Path, max_size: u64) -> Result<(Self, Vec<String>, Vec<String>)> {
        let out = run(
            dir,
            [
                "cat-file",
                "--batch-all-objects",
                "--unordered",
                "--batch-check=%(objectname) %(objecttype) %(objectsize)",
            ],
        )?;
        let (mut wanted, mut large, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let line = String::from_utf8_lossy(line);
            let mut parts = line.split(' ');
            let (oid, kind, size) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next());
            match (kind, size.and_then(|s| s.parse::<u64>().ok())) {
                ("blob", Some(size)) if size <= max_size => wanted.push(oid.to_string()),
                ("blob", Some(_)) => large.push(oid.to_string()),
                ("missing", _) => missing.push(oid.to_string()),
                _ => {}
            }
        }
        Ok((Self::objects(dir, wanted, max_size)?, large, missing))
    }

    fn wrap(mut child: Child, writer: Option<JoinHandle<()>>, max_size: u64, command: String) -> Self {
        let stdout = child.stdout.take().expect("piped");
        enlarge_pipe(&stdout);
        BatchStream {
            reader: BufReader::with_capacity(1 << 20, stdout),
            stderr: Some(drain(child.stderr.take())),
            child,
            writer,
            header: Vec::new(),
            oid: String::new(),
            buf: Vec::new(),
            max_size,
            command,
        }
    }

    /// The next object, `Ok(None)` at the end of the stream.
    pub(crate) fn next_object(&mut self) -> Result<Option<Object<'_>>, String> {
        self.header.clear();
        match self.reader.read_until(b'\n', &mut self.header) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        if self.header.last() != Some(&b'\n') {
            return Err("truncated object header".into());
        }
        self.header.pop();
        let text = String::from_utf8_lossy(&self.header).into_owned();
        let mut parts = text.split(' ');
        let oid = parts.next().unwrap_or_default().to_string();
        let kind = parts.next().unwrap_or_default().to_string();
        if kind == "missing" || kind == "ambiguous" {
            self.oid = oid;
            return Ok(Some(Object::Missing { oid: &self.oid }));
        }
        let size: u64 =
            parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("unexpected header `{text}`"))?;
        self.oid = oid;
        let keep = kind == "blob" && size <= self.max_size;
        if keep {
            self.buf.resize(size as usize, 0);
            self.reader.read_exact(&mut self.buf).map_err(|e| format!("object `{}` truncated: {e}", self.oid))?;
        } else {
            let copied =
                std::io::copy(&mut (&mut self.reader).take(size), &mut std::io::sink()).map_err(|e| e.to_string())?;
            if copied != size {
                return Err(format!("object `{}` truncated", self.oid));
            }
        }
        let mut nl = [0u8; 1];
        self.reader.read_exact(&mut nl).map_err(|e| format!("object `{}` truncated: {e}", self.oid))?;
        Ok(Some(match (kind.as_str(), keep) {
            ("blob", true) => Object::Blob { oid: &self.oid, size, data: Some(&self.buf) },
            ("blob", false) => Object::Blob { oid: &self.oid, size, data: None },
            _ => Object::Other,
        }))
    }

    /// Waits for git: `Ok(stderr)` when it succeeded, `Err(message)` when it failed.
    pub(crate) fn finish(self) -> Result<String, String> {
        let BatchStream { mut child, reader, stderr, writer, command, .. } = self;
        drop(reader);
        if let Some(w) = writer {
            let _ = w.join();
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
        if status.success() {
            Ok(stderr)
        } else {
            Err(format!("`git {command}` failed: {}", stderr.trim()))
        }
    }
}

/// Which commit introduced each blob, from one walk over all commits.
#[derive(Default)]
pub(crate) struct Introductions {
    /// Commits with their author time (seconds).
    commits: Vec<(CommitInfo, u64)>,
    /// Blob id -> (index in `commits`, path the blob was added at).
    blobs: HashMap<String, (usize, String)>,
}

impl Introductions {
    /// Every blob some reachable commit introduced, with its path: that is every
    /// blob of every reachable commit's tree (see [`spawn_introductions`]).
    pub(crate) fn blob_paths(&self) -> HashMap<String, String> {
        self.blobs.iter().map(|(o, (_, p))| (o.clone(), p.clone())).collect()
    }

    /// The introducing commit of `oid`, its author time, and the path.
    pub(crate) fn get(&self, oid: &str) -> Option<(&CommitInfo, u64, &str)> {
        self.blobs.get(oid).map(|(i, p)| (&self.commits[*i].0, self.commits[*i].1, p.as_str()))
    }
}

/// Starts, on a thread, one walk over every commit reachable from any ref
/// (`git log --all --root --diff-merges=first-parent --raw -z`) that records, for
/// every blob, the commit that introduced it: the commit with the earliest author
/// date whose diff against its first parent (or, for a root commit, against the
/// empty tree) adds the blob, and the path it was added at. Diffing merges against
/// their first parent makes every blob of every reachable commit appear in some
/// diff, so every reachable blob gets a commit.
pub(crate) fn spawn_introductions(dir: &Path) -> JoinHandle<Result<Introductions>> {
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let args = [
            "log",
            "--all",
            "--root",
            "--diff-merges=first-parent",
            "-z",
            "--no-abbrev",
            "--raw",
            "--no-renames",
            "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%at",
        ];
        let out = run(&dir, args)?;
        let mut intro = Introductions::default();
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        for record in out.split(|b| *b == 0x01).filter(|r| !r.is_empty()) {
            let mut fields = record.split(|b| *b == 0);
            let mut next = || {
                fields
                    .next()
                    .ok_or_else(|| Error::GitOutput { command: describe(args), detail: "short commit record".into() })
            };
            let info = CommitInfo { id: s(next()?), author: s(next()?), email: s(next()?), date: s(next()?) };
            let time: u64 = s(next()?).trim().parse().unwrap_or(u64::MAX);
            let index = intro.commits.len();
            intro.commits.push((info, time));
            let rest: Vec<&[u8]> = fields.collect();
            let mut k = 0;
            while k < rest.len() {
                let meta = rest[k];
                let meta = meta.strip_prefix(b"\n").unwrap_or(meta);
                if meta.first() != Some(&b':') {
                    k += 1;
                    continue;
                }
                let path = rest.get(k + 1).map(|p| s(p)).unwrap_or_default();
                k += 2;
                // ":<old mode> <new mode> <old oid> <new oid> <status>"
                let Some(new_oid) = meta.split(|b| *b == b' ').nth(3) else { continue };
                if new_oid.iter().all(|b| *b == b'0') {
                    continue;
                }
                let new_oid = s(new_oid);
                let earlier = intro.blobs.get(&new_oid).is_none_or(|(i, _)| time < intro.commits[*i].1);
                if earlier {
                    intro.blobs.insert(new_oid, (index, path));
                }
            }
        }
        Ok(intro)
    })
}

/// A staged change: the blob in the index and, for a modification, the blob it replaces.
#[derive(Debug)]
pub(crate) struct StagedChange {
    pub path: String,
    pub old: Option<String>,
    pub new: String,
}

/// Added and modified files in the index, against `HEAD` (or the empty tree).
pub(crate) fn staged_changes(dir: &Path) -> Result<Vec<StagedChange>> {
    let base = match run(dir, ["rev-parse", "--verify", "-q", "HEAD^{commit}"]) {
        Ok(out) => String::from_utf8_lossy(&out).trim().to_string(),
        Err(_) => {
            let out = git(dir).args(["hash-object", "-t", "tree", "--stdin"]).output().map_err(Error::GitSpawn)?;
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        }
    };
    let out = run(
        dir,
        ["diff-index", "--cached", "-z", "--no-renames", "--diff-filter=AM", "--ignore-submodules", base.as_str()],
    )?;
    let fields: Vec<&[u8]> = out.split(|b| *b == 0).collect();
    let mut changes = Vec::new();
    let mut i = 0;
    while i + 1 < fields.len() {
        let meta = String::from_utf8_lossy(fields[i]).into_owned();
        let path = String::from_utf8_lossy(fields[i + 1]).into_owned();
        i += 2;
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        if parts.len() < 5 {
            return Err(Error::GitOutput {
                command: "diff-index --cached -z".into(),
                detail: format!("unexpected entry `{meta}`"),
            });
        }
        if parts[1] == "160000" || parts[1] == "120000" {
            continue; // submodule or symlink
        }
        let zero = parts[2].bytes().all(|b| b == b'0');
        changes.push(StagedChange { path, old: (!zero).then(|| parts[2].to_string()), new: parts[3].to_string() });
    }
    Ok(changes)
}

/// Paths of the files in a work tree that git would consider (tracked, and
/// untracked but not ignored), relative to `dir`.
/// Whether the repository holding `dir` is a shallow clone (its history cut at some commits).
pub fn is_shallow(dir: &Path) -> Result<bool> {
    let out = run(dir, ["rev-parse", "--is-shallow-repository"])?;
    Ok(out.trim_ascii() == b"true")
}

/// How many paths under `dir` git ignores: files, and ignored directories counted once
/// (`--directory`, so that a `target/` or `node_modules/` is not walked).
pub(crate) fn ignored_paths(dir: &Path) -> Result<u64> {
    let out = run(dir, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"])?;
    Ok(out.split(|b| *b == 0).filter(|p| !p.is_empty()).count() as u64)
}

pub(crate) fn worktree_files(dir: &Path) -> Result<Vec<String>> {
    let out = run(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"])?;
    Ok(out.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| String::from_utf8_lossy(p).into_owned()).collect())
}
