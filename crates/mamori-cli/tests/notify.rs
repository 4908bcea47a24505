//! Owner notifications end to end, through the real binary and real webhook endpoints on
//! 127.0.0.1 that record what they receive: a first run notifies nothing; after a change each
//! owner's endpoint gets exactly one message with exactly their changes (Slack Block Kit for
//! one, the JSON document for another) and owners without changes get nothing; an endpoint
//! answering 503 keeps the message pending (exit code unchanged) and the next run delivers it
//! exactly once; an owner whose target is not configured keeps their changes pending until it
//! is; an endpoint that never answers costs a bounded time and `mamori notify send` delivers
//! later; a dry run sends and queues nothing; `--no-notify` queues nothing. The webhook URLs
//! carry a fake token that must appear in no output and nowhere in the SQLite files.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mamori_testkit::webhook::{Recorder, Reply};
use serde_json::Value;

mod common;
use common::copy_demo_org;

const PAYMENTS: &str = "100000000000";
const IDENTITY: &str = "100000013424";
const PLATFORM: &str = "100000033549";
const TOKEN: &str = "SECRETTOKEN";
const VERSIONING: &str = "s3-bucket-versioning-enabled";

struct Endpoints {
    payments: Recorder,
    identity: Recorder,
    search: Recorder,
    security: Recorder,
    platform: Recorder,
}

impl Endpoints {
    fn start() -> Endpoints {
        Endpoints {
            payments: Recorder::start(Vec::new()),
            identity: Recorder::start(Vec::new()),
            search: Recorder::start(Vec::new()),
            security: Recorder::start(Vec::new()),
            platform: Recorder::start(Vec::new()),
        }
    }

    fn counts(&self) -> [usize; 5] {
        [&self.payments, &self.identity, &self.search, &self.security, &self.platform].map(|r| r.requests().len())
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    inventory: PathBuf,
    config: PathBuf,
    db: PathBuf,
    endpoints: Endpoints,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let inventory = copy_demo_org(dir.path());
        let config = dir.path().join("mamori.toml");
        let db = dir.path().join("history.db");
        let setup = Setup { _dir: dir, inventory, config, db, endpoints: Endpoints::start() };
        setup.write_config(false);
        setup
    }

    /// Owners: payments (Slack), identity and search (JSON), platform (a target that is
    /// configured only when `platform_configured`), and the default owner and target for the rest.
    fn write_config(&self, platform_configured: bool) {
        let platform = if platform_configured {
            "[notify.targets.platform-alerts]\nkind = \"json\"\nurl_env = \"PLATFORM_URL\"\n"
        } else {
            ""
        };
        let text = format!(
            "[owners]\ndefault_owner = \"secops\"\ndefault_target = \"security\"\n\
             [owners.account.{PAYMENTS}]\nowner = \"payments\"\ntarget = \"payments-slack\"\n\
             [owners.account.{IDENTITY}]\nowner = \"identity\"\ntarget = \"identity-hook\"\n\
             [owners.account.100000022174]\nowner = \"search\"\ntarget = \"search-hook\"\n\
             [owners.account.{PLATFORM}]\nowner = \"platform\"\ntarget = \"platform-alerts\"\n\
             [notify.targets.payments-slack]\nkind = \"slack\"\nurl_env = \"PAYMENTS_SLACK_URL\"\n\
             [notify.targets.identity-hook]\nkind = \"json\"\nurl_env = \"IDENTITY_HOOK_URL\"\n\
             [notify.targets.search-hook]\nkind = \"json\"\nurl_env = \"SEARCH_HOOK_URL\"\n\
             [notify.targets.security]\nkind = \"json\"\n{platform}"
        );
        std::fs::write(&self.config, text).unwrap();
    }

    fn mamori(&self, args: &[&str]) -> Command {
        let e = &self.endpoints;
        let mut command = Command::new(env!("CARGO_BIN_EXE_mamori"));
        command
            .env_remove("MAMORI_NO_STORE")
            .env_remove("MAMORI_NO_NOTIFY")
            .env("MAMORI_DB", &self.db)
            .env("PAYMENTS_SLACK_URL", e.payments.url(&format!("/services/T000/B000/{TOKEN}")))
            .env("IDENTITY_HOOK_URL", e.identity.url(&format!("/hooks/identity/{TOKEN}")))
            .env("SEARCH_HOOK_URL", e.search.url(&format!("/hooks/search/{TOKEN}")))
            .env("MAMORI_WEBHOOK_SECURITY", e.security.url(&format!("/hooks/security?token={TOKEN}")))
            .env("PLATFORM_URL", e.platform.url(&format!("/hooks/platform/{TOKEN}")))
            .args(args);
        command
    }

    /// `mamori evaluate` with short delivery limits, so that failing endpoints cost seconds.
    fn evaluate(&self, extra: &[&str]) -> (String, String) {
        let mut command = self.mamori(&["evaluate"]);
        command
            .arg(&self.inventory)
            .arg("--config")
            .arg(&self.config)
            .args(["--notify-timeout", "1", "--notify-deadline", "3"])
            .args(extra);
        succeed(&mut command)
    }

    fn set_versioning(&self, account: &str, bucket: &str, status: &str) {
        common::set_versioning(&self.inventory, account, bucket, status);
    }

    fn pending(&self) -> Vec<Value> {
        let (stdout, _) = succeed(&mut self.mamori(&["notify", "pending", "--json"]));
        serde_json::from_str::<Value>(&stdout).unwrap().as_array().unwrap().clone()
    }

    /// Every byte of the store (database, write-ahead log) must be free of the token.
    fn assert_store_has_no_secret(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", self.db.display()));
            if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                    "the webhook token is in {}",
                    path.display()
                );
            }
        }
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("mamori runs");
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!all.contains("panicked"), "{all}");
    assert!(!all.contains(TOKEN) && !all.contains("T000/B000"), "the webhook URL leaked: {all}");
    output
}

fn succeed(command: &mut Command) -> (String, String) {
    let output = run(command);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "exit {:?}: {stderr}", output.status.code());
    (String::from_utf8(output.stdout).unwrap(), stderr)
}

/// (kind, rule, resource) of every change of a JSON notification document.
fn json_changes(body: &Value) -> Vec<(String, String, String)> {
    body["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes in {body}"))
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_owned();
            (text("kind"), text("rule_id"), text("resource_id"))
        })
        .collect()
}

fn change(kind: &str, resource: &str) -> (String, String, String) {
    (kind.to_owned(), VERSIONING.to_owned(), resource.to_owned())
}

#[test]
fn owners_get_exactly_their_changes_once_and_nothing_is_lost() {
    let setup = Setup::new();
    let e = &setup.endpoints;

    // Run 1: nothing to compare with.
    let (_, stderr) = setup.evaluate(&[]);
    assert!(stderr.contains("first complete run of this scope: no transitions to notify"), "{stderr}");
    assert_eq!(e.counts(), [0; 5]);

    // Run 2: payments gets a new failure and a resolution, identity a new failure, platform a
    // new failure for a target that is not configured; search and the default owner nothing.
    setup.set_versioning(PAYMENTS, "payments-prod-1-185f17", "Suspended");
    setup.set_versioning(PAYMENTS, "payments-prod-2-faae83", "Enabled");
    setup.set_versioning(IDENTITY, "identity-staging-2-c0c774", "Suspended");
    setup.set_versioning(PLATFORM, "platform-staging-1-bdbd5b", "Suspended");
    let (_, stderr) = setup.evaluate(&[]);
    assert_eq!(e.counts(), [1, 1, 0, 0, 0], "{stderr}");

    let slack = &e.payments.requests()[0];
    assert_eq!(slack.path, format!("/services/T000/B000/{TOKEN}"));
    let post = String::from_utf8(slack.body.clone()).unwrap();
    let post_json: Value = serde_json::from_str(&post).unwrap();
    assert!(post_json["blocks"].is_array(), "a Block Kit post: {post}");
    let failure = post.find("payments-prod-1-185f17").expect("the new failure is in the post");
    let resolved = post.find("payments-prod-2-faae83").expect("the resolution is in the post");
    assert!(failure < resolved, "new failures come first: {post}");
    for other in ["identity-staging-2-c0c774", "platform-staging-1-bdbd5b", IDENTITY, PLATFORM] {
        assert!(!post.contains(other), "`{other}` is not payments' business: {post}");
    }

    let identity = e.identity.requests()[0].json();
    assert_eq!(json_changes(&identity), vec![change("new_failure", "identity-staging-2-c0c774")]);
    assert_eq!(e.identity.requests()[0].header("Idempotency-Key"), Some("2/identity/json:identity-hook/1-of-1"));
    assert!(
        stderr.contains(
            "notify: run 2: owner `payments` -> `slack:payments-slack` (1 new failure (1 low), 1 resolved): delivered (1/1 part(s))"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("owner `identity` -> `json:identity-hook` (1 new failure (1 low)): delivered (1/1 part(s))"),
        "{stderr}"
    );
    assert!(stderr.contains("target `platform-alerts` is not configured"), "{stderr}");

    let pending = setup.pending();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0]["owner"].as_str(), pending[0]["target"].as_str()),
        (Some("platform"), Some("platform-alerts"))
    );

    // Run 3: identity's endpoint is down (503 on every attempt) while identity gets a change.
    e.identity.set_script(Vec::new(), Reply::status(503, "upstream unavailable"));
    setup.set_versioning(IDENTITY, "identity-staging-3-7acfd6", "Suspended");
    let (_, stderr) = setup.evaluate(&[]);
    assert!(stderr.contains("answered 503"), "{stderr}");
    assert!(stderr.contains("kept for the next run"), "{stderr}");
    let failed_attempts = e.identity.requests().len() - 1;
    assert!(failed_attempts >= 2, "503 is retried within the run: {failed_attempts} attempt(s)");
    assert_eq!(e.counts()[0], 1, "payments had no change: nothing more sent there");
    let pending = setup.pending();
    let identity_pending: Vec<&Value> = pending.iter().filter(|p| p["owner"] == "identity").collect();
    assert_eq!(identity_pending.len(), 1, "{pending:?}");
    assert_eq!(identity_pending[0]["runId"], 3);
    assert!(identity_pending[0]["lastError"].as_str().unwrap().contains("503"), "{pending:?}");
    let (table, _) = succeed(&mut setup.mamori(&["notify", "pending"]));
    assert!(table.contains("identity-hook") && table.contains("platform-alerts"), "{table}");

    // Run 4: the endpoint recovered, platform's target is configured now, nothing changed.
    // Run 3's message is delivered once, platform's run-2 changes are rendered and sent once.
    e.identity.set_script(Vec::new(), Reply::status(200, "ok"));
    setup.write_config(true);
    let before = e.identity.requests().len();
    let (_, stderr) = setup.evaluate(&[]);
    let identity = e.identity.requests();
    assert_eq!(identity.len(), before + 1, "{stderr}");
    let resent = identity.last().unwrap();
    assert_eq!(json_changes(&resent.json()), vec![change("new_failure", "identity-staging-3-7acfd6")]);
    assert_eq!(resent.header("Idempotency-Key"), Some("3/identity/json:identity-hook/1-of-1"));
    assert_eq!(e.platform.requests().len(), 1, "{stderr}");
    assert_eq!(
        json_changes(&e.platform.requests()[0].json()),
        vec![change("new_failure", "platform-staging-1-bdbd5b")]
    );
    assert_eq!(e.platform.requests()[0].json()["run"]["id"], "2");
    assert_eq!(e.counts()[0], 1);
    assert_eq!(e.counts()[2..4], [0, 0]);
    assert!(setup.pending().is_empty());

    // Run 5: nothing changed and nothing pending: nothing is sent anywhere.
    let counts = e.counts();
    setup.evaluate(&[]);
    assert_eq!(e.counts(), counts);

    // Run 6: identity's endpoint never answers. The run takes a bounded time and keeps the
    // message; `mamori notify send` delivers it once the endpoint answers again.
    e.identity.set_script(Vec::new(), Reply::Hang);
    setup.set_versioning(IDENTITY, "identity-staging-4-2ed0c3", "Suspended");
    let started = Instant::now();
    let (_, stderr) = setup.evaluate(&[]);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert!(stderr.contains("no answer within"), "{stderr}");
    assert!(stderr.contains("webhook `json:identity-hook` (http://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("/hooks/***)"), "the endpoint is shown redacted: {stderr}");
    assert_eq!(setup.pending().len(), 1);
    e.identity.set_script(Vec::new(), Reply::status(200, "ok"));
    let before = e.identity.requests().len();
    let (_, stderr) = succeed(setup.mamori(&["notify", "send", "--config"]).arg(&setup.config));
    assert!(stderr.contains("owner `identity` -> `json:identity-hook`: delivered"), "{stderr}");
    assert_eq!(e.identity.requests().len(), before + 1);
    assert_eq!(
        json_changes(&e.identity.requests().last().unwrap().json()),
        vec![change("new_failure", "identity-staging-4-2ed0c3")]
    );
    assert!(setup.pending().is_empty());
    let (_, stderr) = succeed(setup.mamori(&["notify", "send", "--config"]).arg(&setup.config));
    assert!(stderr.contains("nothing pending"), "{stderr}");

    // Run 7: a dry run prints the payload and the target by name, sends and queues nothing.
    setup.set_versioning(PAYMENTS, "payments-prod-3-9d1f9f", "Suspended");
    let counts = e.counts();
    let (stdout, stderr) = setup.evaluate(&["--notify-dry-run"]);
    assert!(!stderr.contains("recorded run"), "a dry run's run is not kept: {stderr}");
    assert_eq!(e.counts(), counts, "a dry run sends nothing");
    assert!(stdout.contains("notify dry run: nothing is sent or queued"), "{stdout}");
    assert!(stdout.contains("--- would send to slack:payments-slack (owner `payments`, part 1/1"), "{stdout}");
    assert!(stdout.contains("from environment variable `PAYMENTS_SLACK_URL`"), "{stdout}");
    assert!(stdout.contains("payments-prod-3-9d1f9f"), "{stdout}");
    assert!(setup.pending().is_empty());
    // A dry run changes nothing a later run depends on: it is not kept as a run, so the next
    // real run delivers the change it previewed.
    assert!(stdout.contains("removed from the findings history"), "{stdout}");
    let (runs, _) = succeed(&mut setup.mamori(&["runs", "list", "--json"]));
    let runs: Value = serde_json::from_str(&runs).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 6, "the dry run is not recorded: {runs}");
    let before = e.payments.requests().len();
    let (_, stderr) = setup.evaluate(&[]);
    assert!(stderr.contains("owner `payments` -> `slack:payments-slack`"), "{stderr}");
    assert_eq!(e.payments.requests().len(), before + 1);
    let text = String::from_utf8(e.payments.requests().last().unwrap().body.clone()).unwrap();
    assert!(text.contains("payments-prod-3-9d1f9f"), "{text}");
    let counts = e.counts();

    // Run 8: --no-notify queues nothing either.
    setup.set_versioning(PAYMENTS, "payments-prod-4-b24abe", "Suspended");
    let (_, stderr) = setup.evaluate(&["--no-notify"]);
    assert!(stderr.contains("notify: off (--no-notify)"), "{stderr}");
    assert_eq!(e.counts(), counts);
    assert!(setup.pending().is_empty());

    setup.assert_store_has_no_secret();
}

#[test]
fn a_bad_notify_section_stops_the_command_before_any_work() {
    let setup = Setup::new();
    std::fs::write(&setup.config, "[notify.targets.Payments]\nkind = \"slack\"\n").unwrap();
    let output = run(setup.mamori(&["evaluate"]).arg(&setup.inventory).arg("--config").arg(&setup.config));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("[notify.targets.Payments]") && stderr.contains("invalid notification target"), "{stderr}");
    assert!(!setup.db.exists(), "nothing was recorded");

    std::fs::write(&setup.config, "[notify.targets.team]\nkind = \"email\"\n").unwrap();
    let output = run(setup.mamori(&["evaluate"]).arg(&setup.inventory).arg("--config").arg(&setup.config));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("email"), "{stderr}");
}
