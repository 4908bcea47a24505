//! The findings history: every run with its scope, options, times, statistics, accounts and
//! findings, in an embedded SQLite database.
//!
//! It exists so that mamori can say what *changed* — which checks started failing, which were
//! fixed — and tell each account's owner only that. Everything that reads history (the
//! `runs` and `diff` commands, the notifier's pending queue, the dashboard's trends) goes
//! through this crate; it knows nothing of AWS.
//!
//! Durability rules: a run row is committed as `running` before its first finding, findings
//! are written in batches, and the run becomes `complete` in the same transaction as its
//! final counts. A run killed midway therefore stays `running` (shown as interrupted) and
//! [`Store::latest_complete_run`] never returns it. When the next run of its scope completes,
//! an interrupted run's partial findings are deleted and its row stays as the record of the
//! interruption; [`Store::prune`] deletes whole runs (see `prune`). WAL journaling means
//! readers never block the writer and a crash never corrupts the file. A database written by
//! a newer mamori is refused untouched.

mod notifications;
mod paths;
mod prune;
mod record;
mod remediation;
mod runs;
mod schema;
mod transitions;
mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use notifications::{NewNotification, Notification};
pub use paths::default_path;
pub use prune::{HeldReason, HeldRun, PrunePolicy, PruneReason, PruneReport, PrunedRun};
pub use record::{AccountRecord, NewRun, RuleInfo, RunRecorder, Scope};
pub use remediation::{ActionKind, ActionOutcome, ActionRecord, NewAction};
pub use runs::{RunState, RunSummary, StoredFinding};
pub use schema::LATEST as SCHEMA_VERSION;
pub use transitions::{classify, Diff, Transition, TransitionKind};
pub use watch::{Claim, EventRecord, EventState, Incident, NewIncident};

/// A run's id: increasing with time.
pub type RunId = i64;

/// Why the store refused a request. Every variant names the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store `{path}` is locked by another process (waited {waited_ms} ms); try again when it has finished")]
    Locked { path: PathBuf, waited_ms: u128 },
    #[error("the store `{path}` cannot be written: {reason}")]
    ReadOnly { path: PathBuf, reason: String },
    #[error(
        "the store `{path}` has schema version {found}, newer than this mamori knows ({known}); upgrade mamori or pass another --db"
    )]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
    #[error("`{path}` is not a mamori store: {reason}")]
    NotAStore { path: PathBuf, reason: String },
    #[error(
        "no store at `{path}`: nothing was recorded there yet (run `mamori evaluate` or `mamori audit`, or pass --db)"
    )]
    Missing { path: PathBuf },
    #[error("`{path}` is a directory, not a findings history database")]
    IsDirectory { path: PathBuf },
    // The causes of these two are part of the message and not a `source()`: printing the error
    // with its chain (`{:#}`) would say them twice.
    #[error("cannot create the directory of the store `{path}`: {cause}")]
    CreateDir { path: PathBuf, cause: std::io::Error },
    #[error("store `{path}`: {cause}")]
    Sqlite { path: PathBuf, cause: rusqlite::Error },
    #[error("store `{path}`: no run `{id}` (see `mamori runs list`)")]
    UnknownRun { path: PathBuf, id: String },
    #[error("store `{path}`: run {id} is {state}, not complete: its findings are partial")]
    IncompleteRun { path: PathBuf, id: RunId, state: String },
    #[error(
        "store `{path}`: runs {previous} and {current} have different scopes (`{previous_scope}` vs `{current_scope}`): their findings cannot be compared"
    )]
    ScopeMismatch { path: PathBuf, previous: RunId, current: RunId, previous_scope: String, current_scope: String },
    #[error("store `{path}`: event `{event_id}` is not claimed (claim it before finishing it; a handled event is finished once)")]
    NotClaimed { path: PathBuf, event_id: String },
    #[error("store `{path}`: no incident {id} (see `mamori incidents list`)")]
    UnknownIncident { path: PathBuf, id: i64 },
    #[error("store `{path}`: {message}")]
    NotEnoughRuns { path: PathBuf, message: String },
    #[error("store `{path}`: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "notification target `{0}` is not a name: targets are stored by name (a configuration key), never as a URL"
    )]
    TargetIsUrl(String),
    #[error("notification payload {0}")]
    BadPayload(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// How long to wait for another writer before giving up with [`StoreError::Locked`].
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { busy_timeout: Duration::from_secs(10) }
    }
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    options: OpenOptions,
    writable: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("writable", &self.writable).finish()
    }
}

impl Store {
    /// Open (creating it and its directory if needed) a store for recording, upgrading its
    /// schema when it is older than this code.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, OpenOptions::default())
    }

    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Store> {
        if path.is_dir() {
            return Err(StoreError::IsDirectory { path: path.to_owned() });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|cause| StoreError::CreateDir { path: path.to_owned(), cause })?;
        }
        if let Ok(metadata) = std::fs::metadata(path) {
            if metadata.permissions().readonly() {
                return Err(StoreError::ReadOnly { path: path.to_owned(), reason: "the file is read-only".into() });
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify_error(path, &options, e))?;
        let mut store = Store { conn, path: path.to_owned(), options, writable: true };
        store.prepare()?;
        store.check_identity()?;
        if store.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(StoreError::ReadOnly { path: store.path, reason: "SQLite opened it read-only".into() });
        }
        store.set_wal()?;
        store.migrate()?;
        Ok(store)
    }

    /// Open an existing store for reading only (`runs list`, `diff`, the dashboard): works on
    /// a read-only file or directory, never creates or upgrades anything.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        Store::open_read_only_with(path, OpenOptions::default())
    }

    pub fn open_read_only_with(path: &Path, options: OpenOptions) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing { path: path.to_owned() });
        }
        if path.is_dir() {
            return Err(StoreError::IsDirectory { path: path.to_owned() });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let opened = Connection::open_with_flags(path, flags).and_then(|conn| {
            // A WAL database needs its shared-memory file; in a read-only directory that
            // cannot be created, and the first read fails. Then read it as immutable: no
            // writer can be at work where nothing can be written.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(conn)
        });
        let conn = match opened {
            Ok(conn) => conn,
            Err(err) if is_cannot_open(&err) => {
                let flags = flags | OpenFlags::SQLITE_OPEN_URI;
                Connection::open_with_flags(immutable_uri(path), flags)
                    .map_err(|e| classify_error(path, &options, e))?
            }
            Err(err) => return Err(classify_error(path, &options, err)),
        };
        let mut store = Store { conn, path: path.to_owned(), options, writable: false };
        store.prepare()?;
        let version = store.check_identity()?;
        if version < schema::LATEST {
            return Err(StoreError::NotAStore {
                path: store.path,
                reason: format!(
                    "schema version {version} is older than {} and the store is opened read-only; record a run with it once to upgrade",
                    schema::LATEST
                ),
            });
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn prepare(&mut self) -> Result<()> {
        self.conn.busy_timeout(self.options.busy_timeout).map_err(|e| self.error(e))?;
        if self.writable {
            self.conn.pragma_update(None, "foreign_keys", true).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// Refuse what is not ours, or is newer than we know, before anything is written.
    fn check_identity(&self) -> Result<i64> {
        let read = || -> rusqlite::Result<(i64, i64, i64)> {
            let version: i64 = self.conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
            let application: i64 = self.conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
            let tables: i64 =
                self.conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |row| row.get(0))?;
            Ok((version, application, tables))
        };
        let (version, application, tables) = read().map_err(|e| self.error(e))?;
        if application != 0 && application != schema::APPLICATION_ID {
            return Err(StoreError::NotAStore {
                path: self.path.clone(),
                reason: format!("it is the SQLite database of another application (application_id {application:#x})"),
            });
        }
        if application == 0 && tables > 0 {
            return Err(StoreError::NotAStore {
                path: self.path.clone(),
                reason: "it is a SQLite database with tables mamori did not create".into(),
            });
        }
        if version > schema::LATEST {
            return Err(StoreError::NewerSchema { path: self.path.clone(), found: version, known: schema::LATEST });
        }
        Ok(version)
    }

    fn set_wal(&self) -> Result<()> {
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(|e| self.error(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
                reason: format!("cannot switch it to write-ahead logging (journal mode stays `{mode}`)"),
            });
        }
        // In WAL mode, NORMAL loses at most the last transactions on power loss, never the
        // file's consistency.
        self.conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| self.error(e))
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let options = self.options.clone();
        let err = |e| classify_error(&path, &options, e);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        // Read again under the write lock: another process may have upgraded meanwhile.
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(err)?;
        if version > schema::LATEST {
            return Err(StoreError::NewerSchema { path, found: version, known: schema::LATEST });
        }
        if version == schema::LATEST {
            return Ok(());
        }
        for migration in &schema::MIGRATIONS[version as usize..] {
            tx.execute_batch(migration).map_err(err)?;
        }
        tx.pragma_update(None, "application_id", schema::APPLICATION_ID).map_err(err)?;
        tx.pragma_update(None, "user_version", schema::LATEST).map_err(err)?;
        tx.commit().map_err(err)
    }

    fn error(&self, err: rusqlite::Error) -> StoreError {
        classify_error(&self.path, &self.options, err)
    }
}

fn is_cannot_open(err: &rusqlite::Error) -> bool {
    matches!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::CannotOpen))
}

/// A `file:` URI for `path` with `immutable=1`; characters with a meaning in URIs are escaped.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut uri = String::from("file:");
    for byte in absolute.to_string_lossy().bytes() {
        match byte {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{byte:02X}")),
            _ => uri.push(byte as char),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Turn SQLite's codes into errors a user can act on.
fn classify_error(path: &Path, options: &OpenOptions, err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    let path = path.to_owned();
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Locked { path, waited_ms: options.busy_timeout.as_millis() }
        }
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path, reason: err.to_string() },
        Some(ErrorCode::CannotOpen) => StoreError::ReadOnly {
            path,
            reason: format!("{err} (is its directory writable? SQLite keeps a journal beside the file)"),
        },
        Some(ErrorCode::NotADatabase) => StoreError::NotAStore { path, reason: err.to_string() },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path, message: err.to_string() },
        _ => StoreError::Sqlite { path, cause: err },
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
