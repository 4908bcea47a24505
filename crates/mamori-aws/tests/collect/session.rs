//! Role sessions across the expiry of their credentials, against moto. An audit of hours cannot
//! wait for AWS's shortest session (15 minutes) to run out, so the test moves the clock of the
//! SDK configuration, which the session and the SDK's identity cache both read; AssumeRole calls
//! are counted where they arrive, at the test kit's proxy in front of the emulator.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::TimeSource;
use mamori_aws::session::{self, RoleSpec, RoleTarget};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};

const MEMBER: &str = "210987654321";

/// The wall clock, moved forward by a settable number of seconds.
#[derive(Debug, Clone, Default)]
struct Clock(Arc<AtomicU64>);

impl Clock {
    fn ahead_by(&self, seconds: u64) {
        self.0.store(seconds, Ordering::SeqCst);
    }
}

impl TimeSource for Clock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

async fn account_of(sts: &aws_sdk_sts::Client) -> String {
    sts.get_caller_identity().send().await.unwrap().account().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_renewed_before_they_expire() {
    let Some(server) = MotoServer::start() else { return };
    let assumed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&assumed);
    // A rule that never fires: it sees every AssumeRole on its way to moto.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("sts", "AssumeRole").when(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            false
        }))
        .start()
        .unwrap();
    let clock = Clock::default();
    let base = proxy.sdk_config().await.to_builder().time_source(clock.clone()).build();
    let spec = RoleSpec { duration: Duration::from_secs(900), ..RoleSpec::new(RoleTarget::Name("audit".into())) };
    spec.validate().unwrap();

    let session = session::enter(&base, MEMBER, &spec).await.unwrap();
    assert_eq!(assumed.load(Ordering::SeqCst), 1, "entering assumes the role once");
    let sts = aws_sdk_sts::Client::new(&session);
    for _ in 0..3 {
        assert_eq!(account_of(&sts).await, MEMBER);
    }
    // 400 seconds left: still outside the 5-minute margin, the credentials are reused.
    clock.ahead_by(500);
    assert_eq!(account_of(&sts).await, MEMBER);
    assert_eq!(assumed.load(Ordering::SeqCst), 1, "fresh credentials are reused");

    // 100 seconds left: not expired yet, but inside the margin, so they are renewed now rather
    // than handed to a call that may outlive them.
    clock.ahead_by(800);
    assert_eq!(account_of(&sts).await, MEMBER);
    assert_eq!(assumed.load(Ordering::SeqCst), 2, "credentials inside the margin are renewed");

    // Long after every credential issued so far expired: the call still acts in the member
    // account, with credentials renewed once more.
    clock.ahead_by(3600);
    assert_eq!(account_of(&sts).await, MEMBER);
    assert_eq!(assumed.load(Ordering::SeqCst), 3, "expired credentials are renewed");
}
