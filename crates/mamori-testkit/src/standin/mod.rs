//! Stand-ins: the operations the emulator lacks, answered behind its endpoint.
//!
//! moto 5.2.5 has no IAM Access Analyzer and no Detective (it answers HTTP 500), so every
//! audit against it would report ERROR for the rules reading them, and no test could take the
//! path a real answer takes through the SDK and the collector. `../shared/EMULATOR.md` allows
//! answering exactly such operations from the test kit, behind the same endpoint as the
//! emulator, in the operation's real wire protocol (shapes from the AWS API models the SDK is
//! generated from), with state per account and region. This module is that layer:
//!
//! - [`StandIn`] is one service's stand-in: its SigV4 signing name, the operations it answers,
//!   and [`StandIn::answer`], which returns `None` for a request it does not know (the proxy
//!   then relays it to the emulator, which answers as it always did).
//! - [`Caller`] is who sent a request: the account (the emulator's own answer to STS
//!   GetCallerIdentity for the request's access key, so assumed-role credentials act in the
//!   role's account as they do in moto) and the region of the SigV4 scope.
//! - [`Scoped`] keeps a stand-in's state per account and region.
//! - [`Answer`] builds responses in the REST-JSON wire form (values and errors).
//!
//! A stand-in sits in [`crate::proxy::FaultProxy`] after the fault decisions, so throttling,
//! server errors and permanent failures apply to stood-in operations as to relayed ones.
//! [`standard`] lists the stand-ins of the corrected emulator front ([`crate::front`]).

pub mod access_analyzer;
pub mod detective;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::proxy::RequestInfo;

/// One service's stand-in. Implementations keep their state inside (behind a lock): the proxy
/// calls [`answer`](StandIn::answer) from one thread per client connection.
pub trait StandIn: Send + Sync {
    /// The SigV4 signing name of the service (`access-analyzer`, `detective`): requests signed
    /// for it are offered to this stand-in.
    fn service(&self) -> &'static str;

    /// The operations answered, by their API names (for documentation and tests).
    fn operations(&self) -> &'static [&'static str];

    /// The answer to `request` from `caller`, or `None` when it is no operation answered here.
    fn answer(&self, request: &RequestInfo, caller: &Caller) -> Option<Answer>;

    /// Forgets everything, as moto does on `POST /moto-api/reset` (the proxy calls this when
    /// it relays that request successfully).
    fn reset(&self);
}

/// The stand-ins of the corrected emulator front: every operation the collectors and the demo
/// seeder call on a service moto 5.2.5 lacks.
pub fn standard() -> Vec<Arc<dyn StandIn>> {
    vec![Arc::new(access_analyzer::AccessAnalyzer::default()), Arc::new(detective::Detective::default())]
}

/// Who sent a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The 12-digit account the request's credentials act in.
    pub account: String,
    /// The region of the SigV4 credential scope.
    pub region: String,
}

impl Caller {
    /// `arn:aws:<service>:<region>:<account>:<resource>` (the stand-ins serve the commercial
    /// partition, where the demo and the tests live).
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{resource}", self.region, self.account)
    }
}

/// State kept per account and region.
pub struct Scoped<T> {
    scopes: Mutex<BTreeMap<(String, String), T>>,
}

impl<T> Default for Scoped<T> {
    fn default() -> Scoped<T> {
        Scoped { scopes: Mutex::new(BTreeMap::new()) }
    }
}

impl<T> Scoped<T> {
    /// Forgets every scope's state.
    pub fn clear(&self) {
        lock(&self.scopes).clear();
    }
}

impl<T: Default> Scoped<T> {
    /// Runs `f` on the state of the caller's account and region (created empty on first use).
    pub fn with<R>(&self, caller: &Caller, f: impl FnOnce(&mut T) -> R) -> R {
        let mut scopes = lock(&self.scopes);
        f(scopes.entry((caller.account.clone(), caller.region.clone())).or_default())
    }
}

/// Locks `mutex`, also after a panic in another connection thread (the state stays usable:
/// every change is made whole under the lock).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A response of a stand-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers besides `Content-Length`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Counts the request ids of stood-in answers.
static REQUEST_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn request_id() -> String {
    let n = REQUEST_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    format!("5a4d0000-0000-4000-8000-{n:012x}")
}

impl Answer {
    /// A REST-JSON value: `application/json` with an `x-amzn-RequestId`.
    pub fn json(status: u16, value: &Value) -> Answer {
        Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), request_id()),
            ],
            body: value.to_string().into_bytes(),
        }
    }

    /// A response without a body (operations whose output has no members).
    pub fn empty(status: u16) -> Answer {
        Answer { status, headers: vec![("x-amzn-RequestId".into(), request_id())], body: Vec::new() }
    }

    /// A REST-JSON error as AWS sends it: the code in `x-amzn-ErrorType` and `{"message": …}`.
    pub fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), request_id()),
                ("x-amzn-ErrorType".into(), code.into()),
            ],
            body: serde_json::json!({ "message": message }).to_string().into_bytes(),
        }
    }

    /// HTTP 400 `ValidationException`, the answer of both services to a malformed request.
    pub fn validation(message: &str) -> Answer {
        Answer::error(400, "ValidationException", message)
    }
}

/// The request's JSON body: an object (an empty body reads as `{}`), or the
/// `ValidationException` AWS answers to anything else.
pub fn json_body(request: &RequestInfo) -> Result<serde_json::Map<String, Value>, Answer> {
    if request.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(request.body()) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Answer::validation("the request body is not a JSON object")),
        Err(err) => Err(Answer::validation(&format!("the request body is not valid JSON: {err}"))),
    }
}

/// The current time as RFC 3339 (`date-time`, what these services' timestamps use on the wire).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDThh:mm:ssZ` (proleptic Gregorian, UTC).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3_600, rest / 60 % 60, rest % 60)
}

/// One page of `items` from `token` (a decimal offset this stand-in handed out), at most `max`
/// long, with the token of the next page; a token it did not hand out is a
/// `ValidationException`, as AWS answers a foreign pagination token.
pub fn page<T: Clone>(items: &[T], token: Option<&str>, max: usize) -> Result<(Vec<T>, Option<String>), Answer> {
    let start = match token {
        None => 0,
        Some(token) => match token.parse::<usize>() {
            Ok(start) if start <= items.len() => start,
            _ => return Err(Answer::validation(&format!("invalid pagination token `{token}`"))),
        },
    };
    let end = items.len().min(start + max.max(1));
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_764_547_200), "2025-12-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn pages_walk_the_list_and_refuse_foreign_tokens() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(page(&items, None, 2).unwrap(), (vec![1, 2], Some("2".into())));
        assert_eq!(page(&items, Some("4"), 2).unwrap(), (vec![5], None));
        assert_eq!(page(&items, None, 0).unwrap(), (vec![1], Some("1".into())));
        assert_eq!(page(&[] as &[i32], None, 10).unwrap(), (vec![], None));
        assert_eq!(page(&items, Some("x"), 2).unwrap_err().status, 400);
        assert_eq!(page(&items, Some("9"), 2).unwrap_err().status, 400);
    }
}
