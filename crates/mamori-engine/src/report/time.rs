//! Wall-clock timestamps for exports (RFC 3339, UTC).

use std::time::{SystemTime, UNIX_EPOCH};

use mamori_model::time::rfc3339;

/// Now, as RFC 3339 text and as milliseconds since the epoch.
pub fn now() -> (String, u128) {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (rfc3339(since.as_secs() as i64), since.as_millis())
}
