//! Wall-clock timestamps for exports (RFC 3339, UTC).
//!
//! `SOURCE_DATE_EPOCH` (the reproducible-builds convention) replaces the clock when set, so that
//! the same inventory gives the same report byte for byte: for diffing reports across versions
//! and for tests.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use mamori_model::time::rfc3339;

/// Now (or `SOURCE_DATE_EPOCH`), as RFC 3339 text and as milliseconds since the epoch.
pub fn now() -> io::Result<(String, u128)> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => {
            let seconds: u32 = text.trim().parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("SOURCE_DATE_EPOCH `{text}` is not a number of seconds since 1970"),
                )
            })?;
            Ok((rfc3339(i64::from(seconds)), u128::from(seconds) * 1000))
        }
        Err(_) => {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            Ok((rfc3339(since.as_secs() as i64), since.as_millis()))
        }
    }
}
