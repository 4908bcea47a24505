//! What opening a store says when the path cannot be one: each message names the path and
//! the reason once, even when printed with its whole chain of causes as the binary does.

use std::error::Error;
use std::path::Path;

use mamori_store::{Store, StoreError};

/// The error and its causes, as `anyhow`'s `{:#}` prints them.
fn with_causes(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        text.push_str(&format!(": {next}"));
        cause = next.source();
    }
    text
}

fn expect_error(result: Result<Store, StoreError>) -> StoreError {
    match result {
        Ok(store) => panic!("opened {}", store.path().display()),
        Err(err) => err,
    }
}

#[test]
fn a_directory_is_named_as_one_for_recording_and_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    let expected = format!("`{}` is a directory, not a findings history database", dir.path().display());
    for err in [expect_error(Store::open(dir.path())), expect_error(Store::open_read_only(dir.path()))] {
        assert!(matches!(err, StoreError::IsDirectory { .. }), "{err:?}");
        assert_eq!(with_causes(&err), expected);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing was created in the directory");
}

#[test]
fn a_cause_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let err = expect_error(Store::open(&file.join("sub").join("mamori.db")));
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    let text = with_causes(&err);
    let cause = std::io::Error::from_raw_os_error(20).to_string(); // ENOTDIR: `file` is no directory
    assert_eq!(text.matches(&cause).count(), 1, "{text}");

    let err = StoreError::Sqlite { path: Path::new("mamori.db").to_owned(), cause: rusqlite::Error::InvalidQuery };
    assert_eq!(with_causes(&err), "store `mamori.db`: Query is not read-only");
}
