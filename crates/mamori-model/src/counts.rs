//! Counts of checks: by status, failing ones by severity, and the compliance score.
//!
//! The terminal view, the JSON report, the findings history, the dashboard and the framework
//! results all count the same checks. They share these types so that they cannot disagree:
//! one score formula (a dashboard saying 87.5 % where the terminal says 87.6 % would be a bug
//! nobody notices), one way to tally severities, and one serialized form of each, which the
//! JSON report and the store already wrote before these types existed.

use std::fmt;
use std::ops::AddAssign;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Severity, Status};

/// Checks by status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusCounts {
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub muted: u64,
}

impl StatusCounts {
    /// Count one check.
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Error => self.error += 1,
            Status::Muted => self.muted += 1,
        }
    }

    /// Add the checks counted elsewhere (another worker, another rule of a control).
    pub fn absorb(&mut self, other: &StatusCounts) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.error += other.error;
        self.muted += other.muted;
    }

    pub fn total(&self) -> u64 {
        self.pass + self.fail + self.error + self.muted
    }

    /// The compliance score: the share of decided checks that pass, in percent. A muted
    /// check is decided by its exception and counts as passing; an error decides nothing and
    /// is left out. `None` when nothing was decided, which is not the same as 0 % or 100 %.
    pub fn score(&self) -> Option<f64> {
        let decided = self.pass + self.fail + self.muted;
        (decided > 0).then(|| 100.0 * (self.pass + self.muted) as f64 / decided as f64)
    }
}

impl AddAssign<&StatusCounts> for StatusCounts {
    fn add_assign(&mut self, other: &StatusCounts) {
        self.absorb(other);
    }
}

/// A score as every view prints it: one decimal and a percent sign, `-` for none.
pub fn score_text(score: Option<f64>) -> String {
    score.map(|percent| format!("{percent:.1}%")).unwrap_or_else(|| "-".to_owned())
}

/// A count per severity (failing checks, as a rule).
///
/// Serialized as a JSON object of the severities whose count is not zero, least severe first
/// (`{"low": 3, "critical": 1}`): exactly what a `BTreeMap<Severity, u64>` filled only on
/// failure wrote in the JSON report and the store, so neither changes. Reading accepts any
/// such object; a missing severity is zero.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeverityCounts {
    /// Indexed by `Severity as usize`, which is the severities' ascending order.
    counts: [u64; 5],
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        self.add_n(severity, 1);
    }

    pub fn add_n(&mut self, severity: Severity, count: u64) {
        self.counts[severity as usize] += count;
    }

    pub fn get(&self, severity: Severity) -> u64 {
        self.counts[severity as usize]
    }

    pub fn set(&mut self, severity: Severity, count: u64) {
        self.counts[severity as usize] = count;
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Every severity with its count (zeros too), most severe first as [`Severity::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (Severity, u64)> + '_ {
        Severity::ALL.iter().map(|&severity| (severity, self.get(severity)))
    }
}

impl AddAssign<&SeverityCounts> for SeverityCounts {
    fn add_assign(&mut self, other: &SeverityCounts) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }
}

/// Least severe first: the order of `Severity`'s `Ord`, in which a `BTreeMap` wrote them.
const ASCENDING: [Severity; 5] =
    [Severity::Informational, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

impl Serialize for SeverityCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let present = self.counts.iter().filter(|&&count| count > 0).count();
        let mut map = serializer.serialize_map(Some(present))?;
        for severity in ASCENDING {
            let count = self.get(severity);
            if count > 0 {
                map.serialize_entry(&severity, &count)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SeverityCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountsVisitor;

        impl<'de> Visitor<'de> for CountsVisitor {
            type Value = SeverityCounts;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from severity (critical, high, medium, low, informational) to a count")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SeverityCounts, A::Error> {
                let mut counts = SeverityCounts::default();
                let mut seen = [false; 5];
                while let Some((severity, count)) = map.next_entry::<Severity, u64>()? {
                    if std::mem::replace(&mut seen[severity as usize], true) {
                        return Err(serde::de::Error::duplicate_field(severity.as_str()));
                    }
                    counts.set(severity, count);
                }
                Ok(counts)
            }
        }

        deserializer.deserialize_map(CountsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn status_counts_add_total_and_score() {
        let mut counts = StatusCounts::default();
        for status in [Status::Pass, Status::Pass, Status::Fail, Status::Error, Status::Muted] {
            counts.add(status);
        }
        assert_eq!(counts, StatusCounts { pass: 2, fail: 1, error: 1, muted: 1 });
        assert_eq!(counts.total(), 5);
        // (pass + muted) / (pass + fail + muted) = 3 / 4; the error is undecided.
        assert_eq!(counts.score(), Some(75.0));
        assert_eq!(score_text(counts.score()), "75.0%");
        let mut doubled = counts;
        doubled += &counts;
        assert_eq!(doubled, StatusCounts { pass: 4, fail: 2, error: 2, muted: 2 });
        assert_eq!(doubled.score(), counts.score());
    }

    #[test]
    fn nothing_decided_has_no_score() {
        assert_eq!(StatusCounts::default().score(), None);
        assert_eq!(StatusCounts { error: 3, ..StatusCounts::default() }.score(), None);
        assert_eq!(score_text(None), "-");
        assert_eq!(score_text(Some(200.0 / 3.0)), "66.7%");
    }

    #[test]
    fn status_counts_serialize_in_field_order() {
        let counts = StatusCounts { pass: 1, fail: 2, error: 3, muted: 4 };
        let text = serde_json::to_string(&counts).unwrap();
        assert_eq!(text, r#"{"pass":1,"fail":2,"error":3,"muted":4}"#);
        assert_eq!(serde_json::from_str::<StatusCounts>(&text).unwrap(), counts);
    }

    #[test]
    fn severity_counts_tally_and_iterate_most_severe_first() {
        let mut counts = SeverityCounts::default();
        counts.add(Severity::Low);
        counts.add(Severity::Critical);
        counts.add_n(Severity::Low, 2);
        counts.set(Severity::Medium, 5);
        assert_eq!((counts.get(Severity::Low), counts.get(Severity::High)), (3, 0));
        assert_eq!(counts.total(), 9);
        let listed: Vec<(Severity, u64)> = counts.iter().collect();
        assert_eq!(
            listed,
            [
                (Severity::Critical, 1),
                (Severity::High, 0),
                (Severity::Medium, 5),
                (Severity::Low, 3),
                (Severity::Informational, 0)
            ]
        );
        let mut sum = counts;
        sum += &counts;
        assert_eq!(sum.get(Severity::Medium), 10);
    }

    /// What the JSON report wrote before: a map filled only when a check failed.
    fn as_map(counts: &SeverityCounts) -> BTreeMap<Severity, u64> {
        counts.iter().filter(|(_, count)| *count > 0).collect()
    }

    #[test]
    fn severity_counts_serialize_as_the_map_of_non_zero_severities() {
        let mut cases = vec![SeverityCounts::default()];
        for (index, severity) in Severity::ALL.iter().enumerate() {
            let mut one = SeverityCounts::default();
            one.set(*severity, index as u64 + 1);
            cases.push(one);
        }
        let mut all = SeverityCounts::default();
        for (index, severity) in Severity::ALL.iter().enumerate() {
            all.set(*severity, 10 + index as u64);
        }
        cases.push(all);
        let mut gaps = SeverityCounts::default();
        gaps.set(Severity::Critical, 2);
        gaps.set(Severity::Low, 7);
        cases.push(gaps);
        for counts in cases {
            let text = serde_json::to_string(&counts).unwrap();
            assert_eq!(text, serde_json::to_string(&as_map(&counts)).unwrap());
            assert_eq!(
                serde_json::to_string_pretty(&counts).unwrap(),
                serde_json::to_string_pretty(&as_map(&counts)).unwrap()
            );
            assert_eq!(serde_json::from_str::<SeverityCounts>(&text).unwrap(), counts);
        }
        assert_eq!(serde_json::to_string(&gaps).unwrap(), r#"{"low":7,"critical":2}"#);
    }

    #[test]
    fn severity_counts_read_any_order_zeros_and_refuse_strangers() {
        // The store wrote its keys in alphabetical order.
        let read: SeverityCounts =
            serde_json::from_str(r#"{"critical":2,"informational":1,"low":3,"high":0}"#).unwrap();
        assert_eq!(read.iter().map(|(_, count)| count).collect::<Vec<_>>(), [2, 0, 0, 3, 1]);
        assert_eq!(serde_json::from_str::<SeverityCounts>("{}").unwrap(), SeverityCounts::default());
        assert!(serde_json::from_str::<SeverityCounts>(r#"{"urgent":1}"#).is_err());
        assert!(serde_json::from_str::<SeverityCounts>(r#"{"low":1,"low":2}"#).is_err());
        assert!(serde_json::from_str::<SeverityCounts>(r#"{"low":-1}"#).is_err());
    }
}
