//! Calendar dates (UTC), as days since 1970-01-01: enough for expiry dates without a date-time
//! dependency.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use mamori_model::time::{civil_from_days, epoch_seconds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Date(seconds.div_euclid(86_400))
    }

    /// A strict `YYYY-MM-DD` that names a real day (no 2027-02-30).
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape {
            return None;
        }
        let days = epoch_seconds(text)?.div_euclid(86_400);
        let date = Date(days);
        (date.to_string() == text).then_some(date)
    }

    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    pub fn add_days(self, days: i64) -> Date {
        Date(self.0 + days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0);
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_real_days() {
        assert_eq!(Date::parse("2027-01-31").unwrap().to_string(), "2027-01-31");
        assert_eq!(Date::parse("2028-02-29").unwrap().to_string(), "2028-02-29");
        for bad in ["2027-02-29", "2027-13-01", "2027-1-31", "31/01/2027", "2027-01-31T00:00:00Z", "", "2027-00-10"] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
        let day = Date::parse("2026-12-31").unwrap();
        assert_eq!(day.add_days(1).to_string(), "2027-01-01");
        assert_eq!(day.days_until(Date::parse("2027-01-31").unwrap()), 31);
    }
}
