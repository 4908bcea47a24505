//! Wall-clock timestamps for exports (RFC 3339, UTC), without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as RFC 3339 text and as milliseconds since the epoch.
pub fn now() -> (String, u128) {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (rfc3339(since.as_secs() as i64), since.as_millis())
}

pub fn now_rfc3339() -> String {
    now().0
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_709_251_200 + 3661), "2024-03-01T01:01:01Z");
    }
}
