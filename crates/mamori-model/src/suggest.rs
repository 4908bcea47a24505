//! "Did you mean …?" for names users type: rule ids, rule parameters, collector names.
//!
//! A typo in `mamori.toml` or a flag is refused (never silently ignored), and the refusal is
//! most useful when it names the intended spelling. The rule catalog, the parameters and the
//! collectors live in three crates that share only this one, hence the helper here rather
//! than a dependency on a string-similarity crate.

use std::fmt;

/// The candidate closest to `given` by edit distance (ignoring ASCII case), when it is close
/// enough to be a typo of it: at most a third of the shorter name's length (at least one
/// edit allowed). Ties go to the candidate listed first.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given_lower = given.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&given_lower, &candidate.to_ascii_lowercase());
        let shorter = given.chars().count().min(candidate.chars().count());
        if distance > (shorter / 3).max(1) {
            continue;
        }
        if best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters (insertions, deletions, substitutions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // One row of the dynamic-programming table: distances from a prefix of `a` to every
    // prefix of `b`.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Formats as `: did you mean `x`?` when there is a suggestion and as nothing otherwise, so
/// an error message can end with it: `unknown rule `restricted-sh`: did you mean `restricted-ssh`?`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DidYouMean(pub Option<String>);

impl DidYouMean {
    /// The suggestion for `given` among `candidates`, if one is close.
    pub fn among<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> DidYouMean {
        DidYouMean(closest(given, candidates).map(str::to_owned))
    }

    pub fn suggestion(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Display for DidYouMean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(name) => write!(f, ": did you mean `{name}`?"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("restricted-ssh", "restricted-ssh"), 0);
        assert_eq!(edit_distance("restriced-ssh", "restricted-ssh"), 1);
        assert_eq!(edit_distance("ec2", "ce2"), 2);
    }

    #[test]
    fn suggests_close_names_only() {
        let rules = ["restricted-ssh", "restricted-common-ports", "s3-bucket-versioning-enabled"];
        assert_eq!(closest("restricted-sh", rules), Some("restricted-ssh"));
        assert_eq!(closest("s3-bucket-versioning-enable", rules), Some("s3-bucket-versioning-enabled"));
        assert_eq!(closest("no-such-rule", rules), None);
        let params = ["maxAccessKeyAge", "authorizedTcpPorts"];
        assert_eq!(closest("maxaccesskeyage", params), Some("maxAccessKeyAge"));
        assert_eq!(closest("maxAccessKeyAg", params), Some("maxAccessKeyAge"));
        let collectors = ["iam", "kms", "ec2", "s3"];
        assert_eq!(closest("ec", collectors), Some("ec2"));
        assert_eq!(closest("lambda", collectors), None);
        assert_eq!(closest("IAM", collectors), Some("iam"));
    }

    #[test]
    fn renders_as_a_message_tail() {
        assert_eq!(DidYouMean::among("ec", ["ec2"]).to_string(), ": did you mean `ec2`?");
        assert_eq!(DidYouMean::among("xyz", ["ec2"]).to_string(), "");
    }
}
