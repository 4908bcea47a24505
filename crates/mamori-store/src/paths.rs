//! Where the store lives when no `--db` or `[store] path` says otherwise: the platform's
//! per-user data directory, as other command-line tools put their databases.

use std::path::PathBuf;

/// `$XDG_DATA_HOME/mamori/mamori.db`, else `~/.local/share/mamori/mamori.db` (Linux and other
/// Unix), `~/Library/Application Support/mamori/mamori.db` (macOS),
/// `%LOCALAPPDATA%\mamori\mamori.db` (Windows). `None` when no home directory is known.
pub fn default_path() -> Option<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|home| home.join("Library/Application Support"))
    } else {
        // XDG requires an absolute path; a relative one is to be ignored.
        env("XDG_DATA_HOME").filter(|p| p.is_absolute()).or_else(|| env("HOME").map(|h| h.join(".local/share")))
    };
    base.map(|dir| dir.join("mamori").join("mamori.db"))
}
