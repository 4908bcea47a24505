//! Every concurrency limit, timeout and retry setting of a collection, in one place.
//!
//! AWS throttles per account, region and API, and a run over hundreds of accounts can easily
//! open thousands of connections; so calls pass three gates (the whole run, the account, the
//! service within the account) before they are sent, and each call has a deadline. Retries
//! are the SDK's adaptive mode: exponential backoff with jitter, plus a client-side rate
//! limiter that slows down when the service answers with throttling errors.

use std::collections::HashMap;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits of one collection run; `Default` is what `mamori collect` uses without options.
/// Counts are non-zero by type: a zero gate would hang the run rather than fail it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Calls in flight across the whole run.
    pub global: NonZeroUsize,
    /// Calls in flight within one account.
    pub per_account: NonZeroUsize,
    /// Calls in flight to one service within one account.
    pub per_service: NonZeroUsize,
    /// Account-regions collected at the same time.
    pub account_regions: NonZeroUsize,
    /// Deadline of one call, retries included.
    pub call_timeout: Duration,
    /// Deadline of one attempt of a call.
    pub attempt_timeout: Duration,
    /// Attempts per call (1 = no retry).
    pub max_attempts: NonZeroU32,
    /// Base of the exponential backoff between attempts.
    pub initial_backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            global: NonZeroUsize::new(64).expect("non-zero"),
            per_account: NonZeroUsize::new(16).expect("non-zero"),
            per_service: NonZeroUsize::new(4).expect("non-zero"),
            account_regions: NonZeroUsize::new(16).expect("non-zero"),
            call_timeout: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(20),
            max_attempts: NonZeroU32::new(5).expect("non-zero"),
            initial_backoff: Duration::from_secs(1),
        }
    }
}

impl Limits {
    /// Checks that the timeouts allow some progress (the counts cannot be zero).
    pub fn validate(&self) -> Result<(), String> {
        if self.call_timeout.is_zero() || self.attempt_timeout.is_zero() {
            return Err("timeouts must be longer than zero".into());
        }
        Ok(())
    }
}

/// The semaphores that enforce [`Limits`]; shared by every task of a run.
#[derive(Debug)]
pub struct Gates {
    limits: Limits,
    global: Arc<Semaphore>,
    accounts: Mutex<HashMap<String, Arc<Semaphore>>>,
    services: Mutex<HashMap<(String, &'static str), Arc<Semaphore>>>,
}

/// Held while a call is in flight; dropping it opens the gates again.
#[derive(Debug)]
pub struct Permit {
    _service: OwnedSemaphorePermit,
    _account: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Gates {
    /// Gates for `limits`.
    pub fn new(limits: Limits) -> Gates {
        Gates {
            global: Arc::new(Semaphore::new(limits.global.get())),
            limits,
            accounts: Mutex::default(),
            services: Mutex::default(),
        }
    }

    /// The limits these gates enforce.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Waits until a call to `service` in `account` may be sent. The narrowest gate is taken
    /// first, so a busy service does not hold account or global slots while it waits.
    pub async fn enter(&self, account: &str, service: &'static str) -> Permit {
        let service_gate = {
            let mut services = self.services.lock().expect("gates lock");
            Arc::clone(
                services
                    .entry((account.to_owned(), service))
                    .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_service.get()))),
            )
        };
        let account_gate = {
            let mut accounts = self.accounts.lock().expect("gates lock");
            Arc::clone(
                accounts
                    .entry(account.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_account.get()))),
            )
        };
        // The semaphores are never closed, so acquiring cannot fail.
        let service = service_gate.acquire_owned().await.expect("semaphore open");
        let account = account_gate.acquire_owned().await.expect("semaphore open");
        let global = Arc::clone(&self.global).acquire_owned().await.expect("semaphore open");
        Permit { _service: service, _account: account, _global: global }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_service_gate_bounds_calls_in_flight() {
        let limits = Limits { per_service: NonZeroUsize::new(2).unwrap(), ..Limits::default() };
        let gates = Arc::new(Gates::new(limits));
        let a = gates.enter("1", "iam").await;
        let _b = gates.enter("1", "iam").await;
        // A third IAM call in the same account waits; another service or account does not.
        let third = tokio::time::timeout(Duration::from_millis(50), gates.enter("1", "iam")).await;
        assert!(third.is_err(), "third call entered past a limit of two");
        let _ec2 = gates.enter("1", "ec2").await;
        let _other = gates.enter("2", "iam").await;
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(500), gates.enter("1", "iam")).await;
        assert!(third.is_ok(), "released slot was not reused");
    }

    #[test]
    fn zero_timeouts_are_rejected() {
        let limits = Limits { call_timeout: Duration::ZERO, ..Limits::default() };
        assert!(limits.validate().unwrap_err().contains("timeouts"));
        assert!(Limits::default().validate().is_ok());
    }
}
