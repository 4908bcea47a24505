//! Scans: a work tree, every blob of a repository's history, the staged changes
//! of a commit, or a single buffer (a commit message).
//!
//! A file or object that cannot be read never stops a scan: it is listed in
//! [`Report::skipped`] with the reason, and the scan goes on. Binary files (a NUL
//! byte in the first 8,000 bytes, git's own test) and files over the size limit
//! are skipped and counted.

use crate::allow::{AllowReason, Allowlist};
use crate::detect::{Detector, Hit, Rule};
use crate::error::{Error, Result};
use crate::git::{self, BatchStream, CommitInfo, Object};
use crate::secret::SecretValue;
use memchr::{memchr, memrchr};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Default size limit: larger files and blobs are skipped and counted.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Options of a scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Report 12-digit account ids in AWS contexts.
    pub account_ids: bool,
    /// Files and blobs larger than this many bytes are skipped and counted.
    pub max_file_size: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { account_ids: false, max_file_size: DEFAULT_MAX_FILE_SIZE }
    }
}

/// What was scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    WorkTree,
    History,
    Staged,
    CommitMessage,
}

/// The result of verifying a key with STS (filled in by the caller, which owns
/// the AWS client; this crate never talks to AWS).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Verification {
    /// STS accepted the key: it is live.
    Live { account: String, arn: String },
    /// STS rejected the key (e.g. `InvalidClientTokenId`, `SignatureDoesNotMatch`).
    Invalid { code: String },
    /// The check itself failed (network, throttling): unknown.
    Error { message: String },
}

/// One unallowed secret.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    pub rule: Rule,
    /// Path relative to the scanned root (work tree) or repository root (history, staged), `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Redacted in every output.
    pub secret: SecretValue,
    /// Truncated SHA-256 of the value: stable across runs, not reversible.
    pub fingerprint: String,
    /// History: the commit that introduced the blob holding the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// History and staged scans: the blob holding the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// History: how many blobs at this path hold the value (the finding shows the earliest).
    pub occurrences: usize,
    /// For a secret or session token: the fingerprint of the access key id it pairs with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// Allowed hits, by reason.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AllowedCounts {
    pub total: u64,
    pub aws_example: u64,
    pub pattern: u64,
    pub path: u64,
    pub inline: u64,
}

/// Something that could not be scanned, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub reason: String,
}

/// Counts of a scan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub source: Source,
    pub root: String,
    /// Files (work tree, staged) or distinct blobs (history) scanned.
    pub scanned: u64,
    pub bytes_scanned: u64,
    pub findings: usize,
    pub allowed: AllowedCounts,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    /// Unreadable files, corrupt objects and other errors; each is in `skipped`.
    pub skipped_errors: u64,
    /// Work tree: submodules and nested repositories, which are not scanned.
    pub skipped_submodules: u64,
    /// Work tree: paths git ignores, which are not scanned (an ignored directory counts once).
    pub skipped_ignored: u64,
    /// History: the repository is a shallow clone, so the commits beyond its boundary, and
    /// the secrets they hold, were out of reach.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shallow: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<String>,
}

/// The result of a scan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// What makes the scan less complete than it looks (a shallow clone), for the user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An access key id with the secret (and session token) found next to it.
#[derive(Clone, Debug)]
pub struct CredentialPair {
    pub key_id: SecretValue,
    pub secret: SecretValue,
    pub session_token: Option<SecretValue>,
}

impl Report {
    fn new(source: Source, root: &Path, allow: &Allowlist) -> Self {
        Report {
            summary: Summary {
                source,
                root: root.display().to_string(),
                scanned: 0,
                bytes_scanned: 0,
                findings: 0,
                allowed: AllowedCounts::default(),
                skipped_binary: 0,
                skipped_too_large: 0,
                skipped_errors: 0,
                skipped_submodules: 0,
                skipped_ignored: 0,
                shallow: false,
                allowlist: allow.source().map(|p| p.display().to_string()),
            },
            findings: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn skip(&mut self, path: Option<String>, object: Option<String>, reason: String) {
        self.summary.skipped_errors += 1;
        self.skipped.push(Skipped { path, object, reason });
    }

    fn count_allowed(&mut self, reason: AllowReason) {
        let a = &mut self.summary.allowed;
        a.total += 1;
        match reason {
            AllowReason::AwsExample => a.aws_example += 1,
            AllowReason::Pattern => a.pattern += 1,
            AllowReason::Path => a.path += 1,
            AllowReason::Inline => a.inline += 1,
        }
    }

    fn finish(mut self) -> Self {
        self.findings.sort_by(|a, b| (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule)));
        self.summary.findings = self.findings.len();
        self
    }

    /// 1 when there is an unallowed secret, else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.findings.is_empty())
    }

    /// Distinct (access key id, secret) pairs found next to each other, for verification.
    pub fn credential_pairs(&self) -> Vec<CredentialPair> {
        let mut seen = HashSet::new();
        let mut pairs = Vec::new();
        for f in &self.findings {
            let Some(id_fp) = (f.rule == Rule::AwsSecretAccessKey).then_some(f.paired_key_id.as_ref()).flatten() else {
                continue;
            };
            let Some(id) = self.findings.iter().find(|g| g.rule == Rule::AwsAccessKeyId && &g.fingerprint == id_fp)
            else {
                continue;
            };
            if !seen.insert((id.fingerprint.clone(), f.fingerprint.clone())) {
                continue;
            }
            let token = self
                .findings
                .iter()
                .find(|g| {
                    g.rule == Rule::AwsSessionToken && g.paired_key_id.as_ref() == Some(id_fp) && g.path == f.path
                })
                .map(|g| g.secret.clone());
            pairs.push(CredentialPair { key_id: id.secret.clone(), secret: f.secret.clone(), session_token: token });
        }
        pairs
    }

    /// Records the verification of a pair on its key id, secret and token findings.
    pub fn set_verification(&mut self, pair: &CredentialPair, v: Verification) {
        let id_fp = pair.key_id.fingerprint();
        let secret_fp = pair.secret.fingerprint();
        for f in &mut self.findings {
            let matches = f.fingerprint == id_fp
                || (f.fingerprint == secret_fp && f.paired_key_id.as_deref() == Some(&id_fp))
                || (f.rule == Rule::AwsSessionToken && f.paired_key_id.as_deref() == Some(&id_fp));
            if matches {
                f.verification = Some(v.clone());
            }
        }
    }
}

/// A hit waiting for its path (history scan).
struct PendingHit {
    hit: Hit,
    line_text: String,
}

/// What a history scan has read so far.
#[derive(Default)]
struct HistoryState {
    pending: Vec<(String, Vec<PendingHit>)>,
    scanned: Vec<(String, u64)>,
    binary: Vec<String>,
    large: Vec<String>,
    missing: Vec<String>,
    seen: HashSet<String>,
}

impl HistoryState {
    /// Reads a stream to its end; returns the error that stopped it early, if any.
    fn process(&mut self, scanner: &Scanner, stream: &mut BatchStream) -> Option<String> {
        loop {
            match stream.next_object() {
                Ok(None) => return None,
                Ok(Some(Object::Other)) => {}
                Ok(Some(Object::Missing { oid })) => {
                    self.seen.insert(oid.to_string());
                    self.missing.push(oid.to_string());
                }
                Ok(Some(Object::Blob { oid, size, data })) => {
                    self.seen.insert(oid.to_string());
                    match data {
                        None => self.large.push(oid.to_string()),
                        Some(d) if is_binary(d) => self.binary.push(oid.to_string()),
                        Some(d) => {
                            self.scanned.push((oid.to_string(), size));
                            let hits = scanner.hits_of(d);
                            if !hits.is_empty() {
                                self.pending.push((oid.to_string(), hits));
                            }
                        }
                    }
                }
                Err(e) => return Some(e),
            }
        }
    }
}

/// Scans with one detector and one allowlist.
#[derive(Clone, Debug)]
pub struct Scanner {
    detector: Detector,
    allow: Allowlist,
    opts: ScanOptions,
}

fn is_binary(data: &[u8]) -> bool {
    memchr(0, &data[..data.len().min(8000)]).is_some()
}

fn line_text(data: &[u8], start: usize, end: usize) -> String {
    let ls = memrchr(b'\n', &data[..start]).map_or(0, |p| p + 1);
    let le = memchr(b'\n', &data[end..]).map_or(data.len(), |p| end + p);
    String::from_utf8_lossy(&data[ls..le]).into_owned()
}

impl Scanner {
    /// A scanner with these options and allowlist.
    pub fn new(opts: ScanOptions, allow: Allowlist) -> Self {
        Scanner { detector: Detector::new(opts.account_ids), allow, opts }
    }

    /// The allowlist in use.
    pub fn allowlist(&self) -> &Allowlist {
        &self.allow
    }

    /// Turns the hits of one buffer into findings or allowed counts.
    fn collect(
        &self,
        report: &mut Report,
        path: &str,
        hits: Vec<PendingHit>,
        commit: Option<(&CommitInfo, usize)>,
        blob: Option<&str>,
        order: &mut Vec<usize>,
    ) {
        let raws: Vec<String> = hits.iter().map(|h| h.hit.raw().to_string()).collect();
        for p in hits {
            let h = p.hit;
            if let Some(reason) = self.allow.check(h.raw(), path, &p.line_text, h.inline_allowed) {
                report.count_allowed(reason);
                continue;
            }
            let secret = SecretValue::new(h.raw());
            report.findings.push(Finding {
                rule: h.rule,
                path: path.to_string(),
                line: h.line,
                column: h.column,
                fingerprint: secret.fingerprint(),
                paired_key_id: h.pair.map(|i| SecretValue::new(raws[i].clone()).fingerprint()),
                secret,
                commit: commit.map(|c| c.0.clone()),
                blob: blob.map(str::to_string),
                occurrences: 1,
                verification: None,
            });
            order.push(commit.map_or(usize::MAX, |c| c.1));
        }
    }

    fn hits_of(&self, data: &[u8]) -> Vec<PendingHit> {
        self.detector
            .scan(data)
            .into_iter()
            .map(|hit| PendingHit { line_text: line_text(data, hit.start, hit.end), hit })
            .collect()
    }

    /// Scans one buffer (e.g. a commit message); `label` is its path in the report.
    pub fn scan_buffer(&self, source: Source, label: &str, data: &[u8]) -> Report {
        let mut report = Report::new(source, Path::new(label), &self.allow);
        report.summary.scanned = 1;
        report.summary.bytes_scanned = data.len() as u64;
        let hits = self.hits_of(data);
        self.collect(&mut report, label, hits, None, None, &mut Vec::new());
        report.finish()
    }

    /// Scans a file or a directory tree as it is on disk. In a git work tree the
    /// files are those git considers (tracked, and untracked but not ignored);
    /// elsewhere every regular file under `root` except `.git` directories.
    pub fn scan_path(&self, root: &Path) -> Result<Report> {
        let meta = std::fs::metadata(root).map_err(|cause| Error::Io { path: root.to_path_buf(), cause })?;
        let mut report = Report::new(Source::WorkTree, root, &self.allow);
        let files: Vec<(PathBuf, String)> = if meta.is_file() {
            let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            vec![(root.to_path_buf(), name)]
        } else if git::is_repository(root) && git::toplevel(root).is_ok() {
            report.summary.skipped_ignored = git::ignored_paths(root)?;
            git::worktree_files(root)?.into_iter().map(|rel| (root.join(&rel), rel)).collect()
        } else {
            let mut out = Vec::new();
            walk(root, "", &mut out, &mut report);
            out
        };
        let mut order = Vec::new();
        for (abs, rel) in files {
            let meta = match std::fs::symlink_metadata(&abs) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // deleted, still in the index
                Err(e) => {
                    report.skip(Some(rel), None, format!("cannot read: {e}"));
                    continue;
                }
            };
            if meta.is_dir() {
                // git lists a submodule (or a nested repository) as one path, a directory.
                report.summary.skipped_submodules += 1;
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            if meta.len() > self.opts.max_file_size {
                report.summary.skipped_too_large += 1;
                continue;
            }
            let data = match std::fs::read(&abs) {
                Ok(d) => d,
                Err(e) => {
                    report.skip(Some(rel), None, format!("cannot read: {e}"));
                    continue;
                }
            };
            if is_binary(&data) {
                report.summary.skipped_binary += 1;
                continue;
            }
            report.summary.scanned += 1;
            report.summary.bytes_scanned += data.len() as u64;
            let hits = self.hits_of(&data);
            if !hits.is_empty() {
                self.collect(&mut report, &rel, hits, None, None, &mut order);
            }
        }
        Ok(report.finish())
    }

    /// Scans every blob reachable from any ref, each once.
    ///
    /// Objects are streamed through one `git cat-file --batch-all-objects`
    /// process while, in parallel, `git rev-list --all --objects` tells which
    /// blobs are reachable (and a path for each), and one `git log --all --raw -z`
    /// walk finds the commit that introduced each blob (see
    /// `git::spawn_introductions`). Findings are deduplicated per
    /// (rule, value, path): the one shown is from the earliest introducing commit,
    /// and `occurrences` counts the blobs at that path that hold the value.
    pub fn scan_history(&self, repo: &Path) -> Result<Report> {
        if !repo.exists() {
            return Err(Error::Io {
                path: repo.to_path_buf(),
                cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            });
        }
        if !git::is_repository(repo) {
            return Err(Error::NotARepository { path: repo.to_path_buf() });
        }
        let mut report = Report::new(Source::History, repo, &self.allow);
        // A CI checkout is often `--depth 1`: its history is one commit, and finding nothing
        // there says nothing about the commits before.
        if git::is_shallow(repo)? {
            report.summary.shallow = true;
            report.warnings.push(
                "the repository is a shallow clone: commits beyond its shallow boundary were not scanned \
                 (run `git fetch --unshallow` first to scan the whole history)"
                    .to_owned(),
            );
        }
        let introductions = git::spawn_introductions(repo);

        let mut st = HistoryState::default();
        let mut errors: Vec<String> = Vec::new();

        let (mut stream, large, missing) = BatchStream::all_blobs(repo, self.opts.max_file_size)?;
        st.seen.extend(large.iter().chain(&missing).cloned());
        st.large.extend(large);
        st.missing.extend(missing);
        let stream_error = st.process(self, &mut stream);
        let finished = stream.finish();
        let mut stream_failed = stream_error.is_some();
        match finished {
            Ok(stderr) => errors.push(stderr),
            Err(e) => {
                stream_failed = true;
                report.skip(None, None, format!("object stream stopped early: {}", stream_error.clone().unwrap_or(e)));
            }
        }

        // Reachability and attribution come from the same walk: every blob of a
        // reachable commit is introduced by some reachable commit. Refs that
        // point straight at a tree or a blob (rare) are walked with rev-list.
        let intro = match introductions.join() {
            Ok(Ok(m)) => Some(m),
            Ok(Err(e)) => {
                report.skip(
                    None,
                    None,
                    format!("cannot walk the commits ({e}); every blob in the object database was scanned and paths and commits are unknown"),
                );
                None
            }
            Err(_) => {
                report.skip(None, None, "cannot walk the commits: walker thread panicked".into());
                None
            }
        };
        let reachable = match &intro {
            Some(i) => {
                let mut map = i.blob_paths();
                let odd = git::non_commit_refs(repo).and_then(|refs| {
                    if refs.is_empty() {
                        Ok(HashMap::new())
                    } else {
                        git::reachable_blobs(repo, &refs)
                    }
                });
                match odd {
                    Ok(extra) => {
                        for (o, p) in extra {
                            map.entry(o).or_insert(p);
                        }
                    }
                    Err(e) => report.skip(None, None, format!("cannot list blobs of refs to trees or blobs: {e}")),
                }
                Some(map)
            }
            None => None,
        };
        let intro = intro.unwrap_or_default();

        // Recovery: if the stream broke, read the remaining reachable blobs one
        // process at a time, marking the object a process dies on as unreadable.
        if stream_failed {
            if let Some(map) = &reachable {
                let mut remaining: Vec<String> = map.keys().filter(|o| !st.seen.contains(*o)).cloned().collect();
                remaining.sort();
                while !remaining.is_empty() {
                    let mut s = BatchStream::objects(repo, remaining.clone(), self.opts.max_file_size)?;
                    let err = st.process(self, &mut s);
                    let fin = s.finish();
                    remaining.retain(|o| !st.seen.contains(o));
                    match (err, fin) {
                        (None, Ok(stderr)) => {
                            errors.push(stderr);
                            break;
                        }
                        (e, f) => {
                            let reason = e.or(f.err()).unwrap_or_default();
                            if let Some(first) = remaining.first().cloned() {
                                st.seen.insert(first.clone());
                                st.missing.push(first);
                                errors.push(reason);
                            } else {
                                break;
                            }
                        }
                    }
                }
            }
        }

        let is_reachable = |oid: &str| reachable.as_ref().is_none_or(|m| m.contains_key(oid));
        let path_of = |oid: &str| {
            reachable.as_ref().and_then(|m| m.get(oid).cloned()).unwrap_or_else(|| "(unknown path)".to_string())
        };
        let HistoryState { mut pending, scanned, binary, large, missing, .. } = st;
        for (oid, size) in &scanned {
            if is_reachable(oid) {
                report.summary.scanned += 1;
                report.summary.bytes_scanned += size;
            }
        }
        report.summary.skipped_binary = binary.iter().filter(|o| is_reachable(o)).count() as u64;
        report.summary.skipped_too_large = large.iter().filter(|o| is_reachable(o)).count() as u64;
        let stderr_all = errors.join("\n");
        for oid in missing.iter().filter(|o| is_reachable(o)) {
            let detail: Vec<&str> = stderr_all.lines().filter(|l| l.contains(oid.as_str())).take(2).collect();
            let reason = if detail.is_empty() {
                "object cannot be read (corrupt or missing)".to_string()
            } else {
                format!("object cannot be read (corrupt or missing): {}", detail.join("; "))
            };
            report.skip(Some(path_of(oid)), Some(oid.clone()), reason);
        }

        pending.retain(|(oid, _)| is_reachable(oid));
        let mut order = Vec::new();
        for (oid, hits) in pending {
            match intro.get(&oid) {
                Some((commit, time, path)) => {
                    let rank = usize::try_from(time).unwrap_or(usize::MAX);
                    self.collect(&mut report, path, hits, Some((commit, rank)), Some(&oid), &mut order);
                }
                None => self.collect(&mut report, &path_of(&oid), hits, None, Some(&oid), &mut order),
            }
        }
        dedup_history(&mut report, order);
        Ok(report.finish())
    }

    /// Scans the changes staged for commit: the index blobs of added and modified
    /// files. A value already present in the file's `HEAD` version is not
    /// reported: the commit does not introduce it.
    pub fn scan_staged(&self, repo: &Path) -> Result<Report> {
        let top = git::toplevel(repo)?;
        let mut report = Report::new(Source::Staged, &top, &self.allow);
        let changes = git::staged_changes(&top)?;
        let mut oids: Vec<String> = Vec::new();
        for c in &changes {
            oids.push(c.new.clone());
            oids.extend(c.old.clone());
        }
        let mut blobs: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        let mut missing = Vec::new();
        let mut stream = BatchStream::objects(&top, oids, self.opts.max_file_size)?;
        loop {
            match stream.next_object() {
                Ok(None) => break,
                Ok(Some(Object::Blob { oid, data, .. })) => {
                    blobs.insert(oid.to_string(), data.map(<[u8]>::to_vec));
                }
                Ok(Some(Object::Missing { oid })) => missing.push(oid.to_string()),
                Ok(Some(Object::Other)) => {}
                Err(e) => {
                    report.skip(None, None, format!("object stream stopped early: {e}"));
                    break;
                }
            }
        }
        if let Err(e) = stream.finish() {
            report.skip(None, None, e);
        }
        let mut order = Vec::new();
        for c in &changes {
            let data = match blobs.get(&c.new) {
                Some(Some(d)) => d,
                Some(None) => {
                    report.summary.skipped_too_large += 1;
                    continue;
                }
                None => {
                    report.skip(Some(c.path.clone()), Some(c.new.clone()), "staged object cannot be read".into());
                    continue;
                }
            };
            if is_binary(data) {
                report.summary.skipped_binary += 1;
                continue;
            }
            report.summary.scanned += 1;
            report.summary.bytes_scanned += data.len() as u64;
            let mut hits = self.hits_of(data);
            if hits.is_empty() {
                continue;
            }
            if let Some(Some(old)) = c.old.as_ref().and_then(|o| blobs.get(o)) {
                let before: HashSet<(Rule, String)> =
                    self.detector.scan(old).into_iter().map(|h| (h.rule, h.raw().to_string())).collect();
                hits.retain(|p| !before.contains(&(p.hit.rule, p.hit.raw().to_string())));
            }
            self.collect(&mut report, &c.path, hits, None, Some(&c.new), &mut order);
        }
        Ok(report.finish())
    }
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(PathBuf, String)>, report: &mut Report) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let shown = if rel.is_empty() { ".".to_string() } else { rel.to_string() };
            report.skip(Some(shown), None, format!("cannot list directory: {e}"));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        match e.file_type() {
            Ok(t) if t.is_dir() && name != ".git" => walk(&e.path(), &child_rel, out, report),
            Ok(t) if t.is_file() => out.push((e.path(), child_rel)),
            _ => {}
        }
    }
}

/// Keeps one finding per (rule, value, path): the earliest by introducing commit.
fn dedup_history(report: &mut Report, order: Vec<usize>) {
    let mut best: HashMap<(Rule, String, String), (usize, usize)> = HashMap::new();
    let findings = std::mem::take(&mut report.findings);
    for (i, f) in findings.iter().enumerate() {
        let key = (f.rule, f.fingerprint.clone(), f.path.clone());
        let rank = (order[i], f.line);
        best.entry(key)
            .and_modify(|(bi, count)| {
                *count += 1;
                let b = &findings[*bi];
                let brank = (order[*bi], b.line);
                if rank < brank {
                    *bi = i;
                }
            })
            .or_insert((i, 1));
    }
    let mut keep: Vec<(usize, usize)> = best.into_values().collect();
    keep.sort();
    report.findings = keep
        .into_iter()
        .map(|(i, count)| {
            let mut f = findings[i].clone();
            f.occurrences = count;
            f
        })
        .collect();
}
