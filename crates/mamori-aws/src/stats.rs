//! Counters of a collection run: calls, attempts (so retries) and errors per service.
//!
//! Calls and errors are counted where mamori sends a call ([`crate::collect::Cx::call`]);
//! attempts are counted by an SDK interceptor, because retries happen inside the SDK and
//! are otherwise invisible. Retries = attempts - calls.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;

/// What happened to the calls of one service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServiceStats {
    /// Calls mamori made (a paginated list counts one call per page).
    pub calls: u64,
    /// HTTP attempts the SDK made for them.
    pub attempts: u64,
    /// Calls that still failed after every retry.
    pub errors: u64,
    /// Calls answered "not configured" (NoSuchEntity, NoSuchBucketPolicy, ...): an answer,
    /// not a failure.
    pub absent: u64,
}

impl ServiceStats {
    /// Attempts beyond the first of each call.
    pub fn retries(&self) -> u64 {
        self.attempts.saturating_sub(self.calls)
    }
}

/// Error codes with which AWS answers "this is not configured" rather than "this failed".
const ABSENCE_CODES: &[&str] = &[
    "NoSuchEntity",
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet",
    "AWSOrganizationsNotInUseException",
    "ResourceNotFoundException",
    "InvalidAccessException",
    "TrailNotFoundException",
];

/// The name the SDK's operation metadata gives a service ("Config Service", "S3 Control")
/// in the spelling mamori's collectors use ("config", "s3control").
fn service_key(sdk_name: &str) -> String {
    let key: String = sdk_name.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    match key.as_str() {
        "configservice" => "config".into(),
        _ => key,
    }
}

/// Counters shared by every task of a run.
#[derive(Debug, Default)]
pub struct Stats {
    services: Mutex<BTreeMap<String, ServiceStats>>,
}

impl Stats {
    pub(crate) fn call(&self, service: &str, outcome: Result<(), &str>) {
        let mut services = self.services.lock().expect("stats lock");
        let entry = services.entry(service.to_owned()).or_default();
        entry.calls += 1;
        match outcome {
            Ok(()) => {}
            Err(code) if ABSENCE_CODES.contains(&code) => entry.absent += 1,
            Err(_) => entry.errors += 1,
        }
    }

    fn attempt(&self, service: &str) {
        let mut services = self.services.lock().expect("stats lock");
        services.entry(service.to_owned()).or_default().attempts += 1;
    }

    /// A copy of the counters, by service.
    pub fn snapshot(&self) -> BTreeMap<String, ServiceStats> {
        self.services.lock().expect("stats lock").clone()
    }

    /// Totals over every service.
    pub fn total(&self) -> ServiceStats {
        self.snapshot().values().fold(ServiceStats::default(), |acc, s| ServiceStats {
            calls: acc.calls + s.calls,
            attempts: acc.attempts + s.attempts,
            errors: acc.errors + s.errors,
            absent: acc.absent + s.absent,
        })
    }
}

/// SDK interceptor that counts every HTTP attempt under the operation's service name.
#[derive(Clone, Debug)]
pub struct AttemptCounter {
    stats: Arc<Stats>,
}

impl AttemptCounter {
    pub(crate) fn new(stats: Arc<Stats>) -> AttemptCounter {
        AttemptCounter { stats }
    }
}

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "mamori-attempt-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let service = cfg.load::<Metadata>().map(|m| m.service()).unwrap_or("unknown");
        self.stats.attempt(&service_key(service));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_service_names_match_collector_names() {
        assert_eq!(service_key("Config Service"), "config");
        assert_eq!(service_key("S3 Control"), "s3control");
        assert_eq!(service_key("Elastic Load Balancing v2"), "elasticloadbalancingv2");
        assert_eq!(service_key("IAM"), "iam");
    }

    #[test]
    fn not_configured_answers_are_not_errors() {
        let stats = Stats::default();
        stats.call("iam", Ok(()));
        stats.call("iam", Err("NoSuchEntity"));
        stats.call("iam", Err("AccessDenied"));
        let iam = stats.snapshot()["iam"];
        assert_eq!((iam.calls, iam.absent, iam.errors), (3, 1, 1));
    }
}
