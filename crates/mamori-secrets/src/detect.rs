//! Detection of AWS credentials in a buffer.
//!
//! An Aho-Corasick automaton (SIMD "Teddy" search, ASCII case-insensitive) finds
//! the few literals every detection starts with: the access-key-id prefixes and
//! the words `secret`, `session`, `security`. Only at those positions does one
//! anchored regular expression check for an access key id or for the assignment
//! of a secret access key or session token. So the common case, a blob with
//! nothing in it, costs little more than a memory scan. A 40-character secret that is not
//! in an assignment is reported only when it stands within a few lines of an
//! access key id, which keeps hashes and other random strings out.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::{memchr, memchr_iter, memrchr};
use regex::bytes::Regex;

/// The detection rules. The id is the rule id in every output (SARIF `ruleId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `aws-access-key-id`
    AwsAccessKeyId,
    /// `aws-secret-access-key`
    AwsSecretAccessKey,
    /// `aws-session-token`
    AwsSessionToken,
    /// `aws-account-id` (opt-in)
    AwsAccountId,
}

/// Every rule, in SARIF rule-index order.
pub const RULES: &[Rule] = &[Rule::AwsAccessKeyId, Rule::AwsSecretAccessKey, Rule::AwsSessionToken, Rule::AwsAccountId];

impl Rule {
    /// The stable rule id.
    pub fn id(self) -> &'static str {
        match self {
            Rule::AwsAccessKeyId => "aws-access-key-id",
            Rule::AwsSecretAccessKey => "aws-secret-access-key",
            Rule::AwsSessionToken => "aws-session-token",
            Rule::AwsAccountId => "aws-account-id",
        }
    }

    /// One-line title.
    pub fn title(self) -> &'static str {
        match self {
            Rule::AwsAccessKeyId => "AWS access key id",
            Rule::AwsSecretAccessKey => "AWS secret access key",
            Rule::AwsSessionToken => "AWS session token",
            Rule::AwsAccountId => "AWS account id",
        }
    }

    /// What the rule finds and why it matters.
    pub fn description(self) -> &'static str {
        match self {
            Rule::AwsAccessKeyId => "An AWS access key id (AKIA, ASIA, AIDA, AROA, AGPA, AIPA, ANPA, ANVA, ABIA, ACCA or A3T prefix, 20 characters). With its secret it grants API access to the account.",
            Rule::AwsSecretAccessKey => "A 40-character AWS secret access key, in an assignment or next to an access key id. Anyone holding it with its key id can act as the key's owner.",
            Rule::AwsSessionToken => "An AWS session token in an assignment. Temporary credentials still grant access until they expire.",
            Rule::AwsAccountId => "A 12-digit AWS account id in an AWS context. Not a credential, but it helps an attacker target the account.",
        }
    }

    /// How to fix it.
    pub fn help(self) -> &'static str {
        match self {
            Rule::AwsAccountId => "Move account ids to configuration if they should not be public, or allow them in .mamori-secrets.toml.",
            _ => "Deactivate and delete the key in IAM (it must be treated as leaked even after the commit is removed), rotate it, and load credentials from the environment, a profile or a role instead of the source. For a false positive add `mamori:allow` on the line or an [allow] entry in .mamori-secrets.toml.",
        }
    }

    /// SARIF level.
    pub fn level(self) -> &'static str {
        match self {
            Rule::AwsAccountId => "note",
            _ => "error",
        }
    }
}

/// One detected value in a buffer. Holds the raw value: callers wrap it in a
/// [`crate::SecretValue`] before it can reach any output.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule: Rule,
    /// 1-based line.
    pub line: usize,
    /// 1-based byte column.
    pub column: usize,
    /// Byte offsets of the value.
    pub start: usize,
    pub end: usize,
    pub(crate) raw: String,
    /// The line carries a `mamori:allow` marker.
    pub inline_allowed: bool,
    /// Index (in the same hit list) of the access key id this secret or token belongs to.
    pub pair: Option<usize>,
}

impl Hit {
    /// The raw value (crate-internal consumers wrap it in a `SecretValue`).
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

/// How many lines apart an id and a secret may be to count as a pair.
const PAIR_DISTANCE: usize = 5;

const SEP: &str = r#"["'\]>]?(?:[ \t]*(?::=|=>|=|:|,|>)[ \t]*|[ \t]+)"#;
const KEY_ID: &str = "(?:A3T[A-Z0-9]|AKIA|ASIA|AIDA|AROA|AGPA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}";

/// The compiled detector.
#[derive(Clone, Debug)]
pub struct Detector {
    prefilter: AhoCorasick,
    combined: Regex,
    standalone_secret: Regex,
    account: Option<Regex>,
}

impl Default for Detector {
    fn default() -> Self {
        Detector::new(false)
    }
}

impl Detector {
    /// Builds the detector; `account_ids` enables the account-id rule.
    pub fn new(account_ids: bool) -> Self {
        let combined = format!(
            r#"(?P<id>{KEY_ID})|(?i:secret[_-]?(?:access[_-]?)?key){SEP}[@"'(]?[ \t]*(?P<sk>[A-Za-z0-9/+]{{40}})|(?i:(?:session|security)[_-]?token){SEP}["'(]?(?P<st>[A-Za-z0-9/+=]{{100,}})"#
        );
        let account = format!(
            r#"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(?P<arn>[0-9]{{12}}):|(?i:account[_-]?id|owner[_-]?id|aws[_-]?account(?:[_-]?id)?|account[_-]?number){SEP}["']?(?P<acct>[0-9]{{12}})"#
        );
        let literals = [
            "AKIA", "ASIA", "AIDA", "AROA", "AGPA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA", "A3T", "secret", "session",
            "security",
        ];
        Detector {
            prefilter: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(literals)
                .expect("built-in literals compile"),
            combined: Regex::new(&format!("^(?:{combined})")).expect("built-in pattern compiles"),
            standalone_secret: Regex::new("[A-Za-z0-9/+]{40}").expect("built-in pattern compiles"),
            account: account_ids.then(|| Regex::new(&account).expect("built-in pattern compiles")),
        }
    }

    /// Finds every credential in `data`, in order of position.
    pub fn scan(&self, data: &[u8]) -> Vec<Hit> {
        let mut found: Vec<(Rule, usize, usize)> = Vec::new();
        for lit in self.prefilter.find_iter(data) {
            let at = lit.start();
            let line_end = memchr(b'\n', &data[at..]).map_or(data.len(), |p| at + p);
            let Some(caps) = self.combined.captures(&data[at..line_end]) else {
                continue;
            };
            let span = |name: &str| caps.name(name).map(|m| (at + m.start(), at + m.end()));
            if let Some((s, e)) = span("id") {
                if boundary_ok(data, s, e, is_alnum) {
                    found.push((Rule::AwsAccessKeyId, s, e));
                }
            } else if let Some((s, e)) = span("sk") {
                if boundary_ok(data, s, e, is_b64) && looks_random(&data[s..e], false) {
                    found.push((Rule::AwsSecretAccessKey, s, e));
                }
            } else if let Some((s, e)) = span("st") {
                if boundary_ok(data, s, e, is_b64) {
                    found.push((Rule::AwsSessionToken, s, e));
                }
            }
        }
        // Secrets next to an id, outside any assignment.
        let ids: Vec<(usize, usize)> =
            found.iter().filter(|h| h.0 == Rule::AwsAccessKeyId).map(|h| (h.1, h.2)).collect();
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for (s, _) in &ids {
            let (ws, we) = line_window(data, *s, PAIR_DISTANCE);
            match windows.last_mut() {
                Some(last) if ws <= last.1 => last.1 = last.1.max(we),
                _ => windows.push((ws, we)),
            }
        }
        for (ws, we) in windows {
            for m in self.standalone_secret.find_iter(&data[ws..we]) {
                let (s, e) = (ws + m.start(), ws + m.end());
                if boundary_ok(data, s, e, is_b64)
                    && looks_random(&data[s..e], true)
                    && !found.iter().any(|h| h.1 < e && s < h.2)
                {
                    found.push((Rule::AwsSecretAccessKey, s, e));
                }
            }
        }
        if let Some(account) = &self.account {
            for caps in account.captures_iter(data) {
                if let Some(m) = caps.name("arn").or_else(|| caps.name("acct")) {
                    if boundary_ok(data, m.start(), m.end(), |b| b.is_ascii_digit()) {
                        found.push((Rule::AwsAccountId, m.start(), m.end()));
                    }
                }
            }
        }
        found.sort_by_key(|h| (h.1, h.0));
        found.dedup_by_key(|h| (h.1, h.0));

        let mut hits = Vec::with_capacity(found.len());
        let mut line = 1usize;
        let mut counted_to = 0usize;
        for (rule, start, end) in found {
            line += memchr_iter(b'\n', &data[counted_to..start]).count();
            counted_to = start;
            let line_start = memrchr(b'\n', &data[..start]).map_or(0, |p| p + 1);
            let line_end = memchr(b'\n', &data[end..]).map_or(data.len(), |p| end + p);
            let inline_allowed = memchr::memmem::find(&data[line_start..line_end], b"mamori:allow").is_some();
            hits.push(Hit {
                rule,
                line,
                column: start - line_start + 1,
                start,
                end,
                raw: String::from_utf8_lossy(&data[start..end]).into_owned(),
                inline_allowed,
                pair: None,
            });
        }
        pair_hits(&mut hits);
        hits
    }
}

/// The byte range of the line holding `pos`, extended by `n` lines each side.
pub(crate) fn line_window(data: &[u8], pos: usize, n: usize) -> (usize, usize) {
    let mut start = pos;
    let mut reached_top = false;
    for _ in 0..=n {
        match memrchr(b'\n', &data[..start]) {
            Some(p) => start = p,
            None => {
                reached_top = true;
                break;
            }
        }
    }
    let start = if reached_top { 0 } else { start + 1 };
    let mut end = pos;
    for _ in 0..=n {
        match memchr(b'\n', &data[end..]) {
            Some(p) => end = end + p + 1,
            None => {
                end = data.len();
                break;
            }
        }
    }
    (start, end)
}

/// Pairs each secret and session token with the nearest access key id within
/// [`PAIR_DISTANCE`] lines (preferring the closest; ties go to the id before it).
fn pair_hits(hits: &mut [Hit]) {
    let ids: Vec<(usize, usize)> =
        hits.iter().enumerate().filter(|(_, h)| h.rule == Rule::AwsAccessKeyId).map(|(i, h)| (i, h.line)).collect();
    if ids.is_empty() {
        return;
    }
    for h in hits.iter_mut() {
        if matches!(h.rule, Rule::AwsSecretAccessKey | Rule::AwsSessionToken) {
            h.pair = ids
                .iter()
                .filter(|(_, l)| l.abs_diff(h.line) <= PAIR_DISTANCE)
                .min_by_key(|(_, l)| (l.abs_diff(h.line), *l > h.line))
                .map(|(i, _)| *i);
        }
    }
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+' || b == b'='
}

fn boundary_ok(data: &[u8], start: usize, end: usize, inside: impl Fn(u8) -> bool) -> bool {
    // `=` may precede a value (an assignment) but not follow it (base64 padding).
    let before = start == 0 || data[start - 1] == b'=' || !inside(data[start - 1]);
    let after = end >= data.len() || !inside(data[end]);
    before && after
}

/// A real secret access key is 40 random base64 characters: it has both cases,
/// and is not hexadecimal (which would be a SHA-1). Outside an assignment we also
/// want a digit or a `/`/`+`, to keep long camel-case identifiers out.
fn looks_random(v: &[u8], strict: bool) -> bool {
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let hex = v.iter().all(u8::is_ascii_hexdigit);
    let digit_or_symbol = v.iter().any(|b| b.is_ascii_digit() || *b == b'/' || *b == b'+');
    upper && lower && !hex && (!strict || digit_or_symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = concat!("AKIA", "Z7Q2R5T4Y6U3W2X4");
    const SECRET: &str = "q8Zr3/Tk9Lm2Pw7Xc4Vb1Nn6Hs5Jd0Fg+Ae8Yu3K";

    fn rules(text: &str) -> Vec<(Rule, usize, String)> {
        Detector::new(true).scan(text.as_bytes()).into_iter().map(|h| (h.rule, h.line, h.raw)).collect()
    }

    #[test]
    fn every_documented_prefix_is_an_id() {
        for p in ["AKIA", "ASIA", "AIDA", "AROA", "AGPA", "AIPA", "ANPA", "ANVA", "ABIA", "ACCA", "A3TX"] {
            let id = format!("{p}{}", &ID[4..]);
            let found = rules(&format!("key = {id}\n"));
            assert_eq!(found.len(), 1, "{p}");
            assert_eq!(found[0].0, Rule::AwsAccessKeyId);
        }
    }

    #[test]
    fn near_misses_are_not_ids() {
        assert!(rules(&format!("x {}\n", &ID[..19])).is_empty(), "19 chars");
        assert!(rules(&format!("x {ID}Q\n")).is_empty(), "21 chars");
        assert!(rules("x AKIBZ7Q2R5T4Y6U3W2X4\n").is_empty(), "wrong prefix");
        assert!(rules("x akiaz7q2r5t4y6u3w2x4\n").is_empty(), "lower case");
    }

    #[test]
    fn secrets_in_assignments() {
        for line in [
            format!("aws_secret_access_key = {SECRET}"),
            format!("AWS_SECRET_ACCESS_KEY=\"{SECRET}\""),
            format!("  \"SecretAccessKey\": \"{SECRET}\","),
            format!("  secret_key = \"{SECRET}\""),
            format!("secretKey: '{SECRET}'"),
            format!("<SecretAccessKey>{SECRET}</SecretAccessKey>"),
        ] {
            let found = rules(&line);
            assert_eq!(found.len(), 1, "{line}");
            assert_eq!(found[0].0, Rule::AwsSecretAccessKey);
            assert_eq!(found[0].2, SECRET);
        }
    }

    #[test]
    fn env_file_pair() {
        let sk = format!("{}{:04}", "Zq8r3Tk9Lm2Pw7Xc4Vb1Nn6Hs5Jd0Fg+Ae8Y", 1);
        let found = rules(&format!("AWS_ACCESS_KEY_ID={ID}\nAWS_SECRET_ACCESS_KEY={sk}\n"));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn secret_next_to_id_is_paired() {
        let text = format!("creds = new Creds(\n  \"{ID}\",\n  \"{SECRET}\")\n");
        let hits = Detector::default().scan(text.as_bytes());
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[1].rule, Rule::AwsSecretAccessKey);
        assert_eq!(hits[1].pair, Some(0));
        assert_eq!(hits[1].line, 3);
    }

    #[test]
    fn lone_random_strings_and_hashes_are_not_secrets() {
        assert!(rules(&format!("digest {SECRET}\n")).is_empty());
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert!(rules(&format!("{ID}\n{sha}\n")).iter().all(|h| h.0 == Rule::AwsAccessKeyId));
    }

    #[test]
    fn session_tokens_and_accounts() {
        let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD".repeat(3);
        let found = rules(&format!("aws_session_token = {token}\n"));
        assert_eq!(found[0].0, Rule::AwsSessionToken);
        let found = rules("role = \"arn:aws:iam::210987654321:role/x\"\naccount_id: 345678901234\n");
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|h| h.0 == Rule::AwsAccountId));
        assert!(Detector::new(false).scan(b"arn:aws:iam::210987654321:role/x").is_empty());
    }

    #[test]
    fn lines_columns_and_inline_marker() {
        let text = format!("a\nb\n  id={ID} # mamori:allow\n");
        let hits = Detector::default().scan(text.as_bytes());
        assert_eq!((hits[0].line, hits[0].column), (3, 6));
        assert!(hits[0].inline_allowed);
    }
}
