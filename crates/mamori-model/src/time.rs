//! Dates without a date-time dependency: ISO-8601 timestamps to epoch seconds and back, and
//! days since the epoch to a civil date (Howard Hinnant's algorithms). Rules count days from
//! configuration items' capture times; reports stamp exports; the generator writes dates.

/// Seconds since 1970 of an ISO-8601 UTC timestamp (offset honoured, fractions dropped).
pub fn epoch_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 10 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> { text.get(range)?.parse().ok() };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (mut hour, mut minute, mut second, mut offset) = (0, 0, 0, 0);
    if bytes.len() >= 19 {
        hour = number(11..13)?;
        minute = number(14..16)?;
        second = number(17..19)?;
        let mut rest = &text[19..];
        if let Some(stripped) = rest.strip_prefix('.') {
            rest = stripped.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
            let zone = &rest[1..];
            let hours: i64 = zone.get(0..2)?.parse().ok()?;
            let minutes: i64 = zone.get(zone.len().saturating_sub(2)..)?.parse().unwrap_or(0);
            offset = (hours * 3600 + minutes * 60) * if sign == '+' { 1 } else { -1 };
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Milliseconds since 1970 of a capture time as AWS writes it: ISO-8601 text (snapshot and
/// history files, the CLI: `2024-03-01T10:00:00.123Z`, `...+00:00`) or epoch seconds with a
/// fraction (the APIs' raw JSON: `1709287200.123`). What orders several items of one resource.
pub fn epoch_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.contains(['-', 'T', ':']) || text.starts_with('-') {
        let seconds: f64 = text.parse().ok()?;
        return seconds.is_finite().then(|| (seconds * 1000.0).round() as i64);
    }
    let seconds = epoch_seconds(text)?;
    let millis = match text.get(19..).and_then(|rest| rest.strip_prefix('.')) {
        Some(fraction) => {
            let digits: String = fraction.chars().take_while(char::is_ascii_digit).take(3).collect();
            format!("{digits:0<3}").parse::<i64>().unwrap_or(0)
        }
        None => 0,
    };
    seconds.checked_mul(1000)?.checked_add(millis)
}

/// The civil date (year, month, day) of a day counted from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(seconds: i64) -> String {
    let rest = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_200 + 3661), "2024-03-01T01:01:01Z");
        assert_eq!(epoch_seconds("2024-03-01T01:01:01Z"), Some(1_709_251_200 + 3661));
        assert_eq!(civil_from_days(20_758), (2026, 11, 1));
    }

    #[test]
    fn capture_times_in_every_spelling_give_milliseconds() {
        let base = 1_709_287_200_000;
        assert_eq!(epoch_millis("2024-03-01T10:00:00.000Z"), Some(base));
        assert_eq!(epoch_millis("2024-03-01T10:00:00.5Z"), Some(base + 500));
        assert_eq!(epoch_millis("2024-03-01T10:00:00.123456Z"), Some(base + 123));
        assert_eq!(epoch_millis("2024-03-01T11:00:00.250+01:00"), Some(base + 250));
        assert_eq!(epoch_millis("2024-03-01T10:00:00Z"), Some(base));
        assert_eq!(epoch_millis("1709287200.25"), Some(base + 250));
        assert_eq!(epoch_millis("1.70928720025E9"), Some(base + 250));
        assert_eq!(epoch_millis("1709287200"), Some(base));
        assert_eq!(epoch_millis("yesterday"), None);
        assert_eq!(epoch_millis(""), None);
    }
}
