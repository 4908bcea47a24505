//! A findings history written by mamori 0.1.0, the release before the queued-message format
//! was versioned, still delivers its pending messages: one rendered message whose endpoint was
//! down (JSON webhook) and one owner's changes kept unrendered because their target was not
//! configured then (it is now, as Slack). `fixtures/README.md` says how the store was made.
//!
//! The store file is committed as it was written; the test works on a copy. Delivery goes to
//! recording webhook endpoints on 127.0.0.1.

use std::path::Path;
use std::time::Duration;

use mamori_engine::Config;
use mamori_notify::{DeliveryPolicy, Queued};
use mamori_store::Store;
use mamori_testkit::webhook::Recorder;
use mamori_workflow::{Notifier, NotifyEvent};

const FIXTURE: &str = "tests/fixtures/store-0.1.0.db";

fn policy() -> DeliveryPolicy {
    DeliveryPolicy {
        request_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(20),
        slack_min_interval: Duration::ZERO,
        ..DeliveryPolicy::default()
    }
}

/// The configuration of today: both targets configured, their URLs in files.
fn config(dir: &Path, team: &Recorder, later: &Recorder) -> Config {
    std::fs::write(dir.join("team-json.url"), team.url("/hooks/team")).unwrap();
    std::fs::write(dir.join("later.url"), later.url("/services/T000/B000/later")).unwrap();
    let path = dir.join("mamori.toml");
    std::fs::write(
        &path,
        "[owners.account.100000000000]\nowner = \"payments\"\ntarget = \"team-json\"\n\n\
         [owners.account.100000013424]\nowner = \"identity\"\ntarget = \"later\"\n\n\
         [notify.targets.team-json]\nkind = \"json\"\nurl_file = \"team-json.url\"\n\n\
         [notify.targets.later]\nkind = \"slack\"\nurl_file = \"later.url\"\n",
    )
    .unwrap();
    Config::load(&path).unwrap()
}

#[test]
fn a_store_of_the_previous_release_delivers_its_pending_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE), &db).unwrap();
    let (team, later) = (Recorder::start(Vec::new()), Recorder::start(Vec::new()));
    let notifier = Notifier::new(&config(dir.path(), &team, &later), policy()).unwrap();

    let mut store = Store::open(&db).unwrap();
    let pending = store.pending_notifications().unwrap();
    // What 0.1.0 queued: no version field, one rendered message and one unrendered digest.
    assert_eq!(pending.len(), 2, "{pending:?}");
    for notification in &pending {
        let payload: serde_json::Value = serde_json::from_str(&notification.payload).unwrap();
        assert!(payload.get("version").is_none(), "{payload}");
    }
    let stored_message = pending
        .iter()
        .find_map(|n| match Queued::decode(&n.payload).unwrap() {
            Queued::Message(message) => Some(message),
            Queued::Unrendered(_) => None,
        })
        .expect("a rendered message is pending");

    let report = notifier.send_pending(&mut store).unwrap();
    assert_eq!(report.still_pending, 0, "{:?}", report.events);
    let delivered: Vec<_> = report
        .events
        .iter()
        .filter_map(|event| match event {
            NotifyEvent::Delivered { group, .. } => Some((group.owner.as_str(), group.target.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, [("identity", "slack:later"), ("payments", "json:team-json")], "{:?}", report.events);

    // The JSON endpoint receives the message 0.1.0 rendered, byte for byte.
    let team_requests = team.requests();
    assert_eq!(team_requests.len(), 1);
    assert_eq!(team_requests[0].json(), stored_message.payload);
    assert_eq!(team_requests[0].header("Idempotency-Key"), Some(stored_message.key.as_str()));
    // The identity owner's changes, kept unrendered, are rendered for Slack now.
    let later_requests = later.requests();
    assert_eq!(later_requests.len(), 1);
    let text = String::from_utf8(later_requests[0].body.clone()).unwrap();
    assert!(text.contains("blocks") && text.contains("s3-bucket-versioning-enabled"), "{text}");

    // Nothing is sent twice.
    let again = notifier.send_pending(&mut store).unwrap();
    assert!(again.events.is_empty() && again.still_pending == 0, "{:?}", again.events);
    assert_eq!((team.requests().len(), later.requests().len()), (1, 1));
}
