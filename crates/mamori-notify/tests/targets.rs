//! Targets: references, where URLs come from, and that no URL is ever printed whole.

mod support;

use std::collections::HashMap;
use std::path::Path;

use mamori_notify::{
    dry_run, render, RenderOptions, TargetConfig, TargetError, TargetKind, TargetRef, TargetResolver, UrlProblem,
    UrlSource,
};
use support::load_digest;

const URL: &str = "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/s3cretTOKENvalue";
const SECRETS: [&str; 3] = ["T0AAAAAAA", "B0BBBBBBB", "s3cretTOKENvalue"];

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "secret `{secret}` leaked in: {text}");
    }
}

fn env(pairs: &[(&str, &str)]) -> TargetResolver {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    TargetResolver::with_env(move |var| map.get(var).cloned())
}

fn team_a() -> TargetRef {
    "slack:team-a".parse().unwrap()
}

#[test]
fn references_parse_and_name_their_default_variable() {
    let reference: TargetRef = "slack:team-a".parse().unwrap();
    assert_eq!((reference.kind(), reference.name()), (TargetKind::Slack, "team-a"));
    assert_eq!(reference.default_env_var(), "MAMORI_WEBHOOK_TEAM_A");
    let json: TargetRef = "json:sec_ops2".parse().unwrap();
    assert_eq!(json.default_env_var(), "MAMORI_WEBHOOK_SEC_OPS2");
    assert_eq!(serde_json::to_string(&json).unwrap(), "\"json:sec_ops2\"");
    for bad in
        ["team-a", "teams:x", "slack:", "slack:Team", "slack:-x", "slack:a b", &format!("slack:{}", "a".repeat(65))]
    {
        let error = bad.parse::<TargetRef>().unwrap_err();
        assert!(error.to_string().starts_with(&format!("invalid notification target `{bad}`")), "{error}");
    }
    assert!(serde_json::from_str::<TargetRef>("\"email:x\"").is_err());
}

#[test]
fn the_url_comes_from_the_default_variable() {
    let target = env(&[("MAMORI_WEBHOOK_TEAM_A", &format!("  {URL}\n"))]).resolve(&team_a()).unwrap();
    assert_eq!(target.url().redacted(), "https://hooks.slack.com/services/***");
    assert_eq!(target.source(), &UrlSource::Env("MAMORI_WEBHOOK_TEAM_A".into()));
    assert_eq!(
        target.to_string(),
        "slack:team-a (https://hooks.slack.com/services/***, from environment variable `MAMORI_WEBHOOK_TEAM_A`)"
    );
    assert_no_secret(&format!("{target:?} {target} {}", target.url()));
}

#[test]
fn a_configured_variable_replaces_the_default() {
    let mut resolver = env(&[("SLACK_HOOK_PLATFORM", URL)]);
    resolver.set_source("team-a", UrlSource::Env("SLACK_HOOK_PLATFORM".into()));
    assert!(resolver.resolve(&team_a()).is_ok());
    let error = env(&[]).resolve(&team_a()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no webhook URL for target `slack:team-a`: environment variable `MAMORI_WEBHOOK_TEAM_A` is not set"
    );
    let error = env(&[("MAMORI_WEBHOOK_TEAM_A", "  ")]).resolve(&team_a()).unwrap_err();
    assert!(matches!(error, TargetError::EmptyEnv { .. }), "{error}");
}

#[test]
fn an_invalid_url_is_refused_without_showing_it() {
    let plain = URL.replace("https://", "http://");
    let error = env(&[("MAMORI_WEBHOOK_TEAM_A", &plain)]).resolve(&team_a()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the webhook URL of target `slack:team-a` (from environment variable `MAMORI_WEBHOOK_TEAM_A`) uses plain \
         `http` to a host that is not a loopback address; use `https`"
    );
    assert_no_secret(&format!("{error} {error:?}"));
    let garbled = format!("hooks.slack.com{}", &URL["https://hooks.slack.com".len()..]);
    let error = env(&[("MAMORI_WEBHOOK_TEAM_A", &garbled)]).resolve(&team_a()).unwrap_err();
    assert!(matches!(&error, TargetError::InvalidUrl { problem, .. } if problem.0 == UrlProblem::Malformed), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn urls_are_checked_strictly_when_read() {
    // Each refused without a word of its secret parts: the token in the path, the query,
    // the user information.
    let cases = [
        ("http://127.0.0.1:83621/T0AAAAAAA/s3cretTOKENvalue", UrlProblem::Port),
        ("http://127.0.0.1:0/T0AAAAAAA/s3cretTOKENvalue", UrlProblem::Port),
        ("https://hooks.slack.com:99999999999/services/T0AAAAAAA/s3cretTOKENvalue", UrlProblem::Port),
        ("https://hooks.slack.com/services/T0AAAAAAA/s3cretTOKEN value", UrlProblem::Whitespace),
        ("https://hooks.slack.com/services/T0AAAAAAA/s3cretTOKEN\tvalue", UrlProblem::Whitespace),
        ("https://hooks.slack.com/services/T0AAAAAAA/s3cretTOKEN\u{7f}value", UrlProblem::Whitespace),
        ("https://hooks.slack.com/services/T0AAAAAAA/s3cretTOKEN\nvalue", UrlProblem::Whitespace),
        ("https:///services/T0AAAAAAA/s3cretTOKENvalue", UrlProblem::Malformed),
        ("https://B0BBBBBBB:s3cretTOKENvalue@/services", UrlProblem::Malformed),
    ];
    for (url, problem) in cases {
        let error = env(&[("MAMORI_WEBHOOK_TEAM_A", url)]).resolve(&team_a()).unwrap_err();
        assert!(
            matches!(&error, TargetError::InvalidUrl { problem: found, .. } if found.0 == problem),
            "{url:?}: {error}"
        );
        assert!(error.to_string().starts_with("the webhook URL of target `slack:team-a` (from environment variable"));
        assert_no_secret(&format!("{error} {error:?}"));
    }
    let error = env(&[("MAMORI_WEBHOOK_TEAM_A", cases[0].0)]).resolve(&team_a()).unwrap_err();
    assert!(error.to_string().ends_with("has an invalid port (expected a number from 1 to 65535)"), "{error}");

    for url in ["http://127.0.0.1:8080/x", "https://hooks.example.com:65535/x", "https://hooks.example.com:1/x"] {
        assert!(env(&[("MAMORI_WEBHOOK_TEAM_A", url)]).resolve(&team_a()).is_ok(), "{url}");
    }
}

#[cfg(unix)]
fn write_with_mode(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn the_url_comes_from_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team-a.url");
    write_with_mode(&path, &format!("{URL}\n"), 0o600);
    let mut resolver = env(&[]);
    resolver.set_source("team-a", UrlSource::File(path.clone()));
    let target = resolver.resolve(&team_a()).unwrap();
    assert!(target.warnings().is_empty());
    assert_eq!(target.url().redacted(), "https://hooks.slack.com/services/***");

    // Readable by all (a Kubernetes secret mount): accepted, with a warning.
    write_with_mode(&path, URL, 0o644);
    let target = resolver.resolve(&team_a()).unwrap();
    assert_eq!(target.warnings().len(), 1);
    assert!(target.warnings()[0].contains("readable by every user (mode 644)"), "{:?}", target.warnings());

    // Writable by others: someone could redirect the notifications.
    write_with_mode(&path, URL, 0o666);
    let error = resolver.resolve(&team_a()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "refusing the webhook URL file `{}` of target `slack:team-a`: it is writable by other users (mode 666), \
             who could redirect notifications; `chmod 600` it",
            path.display()
        )
    );

    write_with_mode(&path, "\n", 0o600);
    assert!(matches!(resolver.resolve(&team_a()).unwrap_err(), TargetError::EmptyFile { .. }));

    resolver.set_source("team-a", UrlSource::File(dir.path().join("missing.url")));
    let error = resolver.resolve(&team_a()).unwrap_err();
    assert!(error.to_string().starts_with("cannot read the webhook URL of target `slack:team-a` from `"), "{error}");
    assert!(error.to_string().contains("missing.url"), "{error}");
}

#[test]
fn target_config_names_one_source() {
    let config: TargetConfig = serde_json::from_str(r#"{"url_env": "HOOK"}"#).unwrap();
    assert_eq!(config.source("team-a").unwrap(), Some(UrlSource::Env("HOOK".into())));
    let config: TargetConfig = serde_json::from_str(r#"{"url_file": "/run/secrets/hook"}"#).unwrap();
    assert_eq!(config.source("team-a").unwrap(), Some(UrlSource::File("/run/secrets/hook".into())));
    assert_eq!(TargetConfig::default().source("team-a").unwrap(), None);
    let both: TargetConfig = serde_json::from_str(r#"{"url_env": "HOOK", "url_file": "/x"}"#).unwrap();
    assert_eq!(
        both.source("team-a").unwrap_err().to_string(),
        "target `team-a` sets both `url_env` and `url_file`; keep one"
    );
    assert!(serde_json::from_str::<TargetConfig>(r#"{"url": "https://x"}"#).is_err(), "a URL in the config is refused");
}

#[test]
fn dry_run_shows_target_and_payload_but_never_the_url() {
    let messages = render(&load_digest("digest-small.json"), &RenderOptions::default());
    let text = dry_run(&messages, Some(&env(&[("MAMORI_WEBHOOK_TEAM_A", URL)])));
    assert!(text.starts_with(
        "target slack:team-a: https://hooks.slack.com/services/*** from environment variable `MAMORI_WEBHOOK_TEAM_A`\n"
    ));
    assert!(text.contains(
        "--- would send to slack:team-a (owner `team-a`, part 1/1, key `run-0042/team-a/slack:team-a/1-of-1`)"
    ));
    let payload_start = text.find("\n{").unwrap() + 1;
    let payload: serde_json::Value = serde_json::from_str(&text[payload_start..]).unwrap();
    assert_eq!(payload, messages[0].payload);
    assert_no_secret(&text);

    let unresolved = dry_run(&messages, Some(&env(&[])));
    assert!(unresolved.starts_with("target slack:team-a: cannot be resolved: no webhook URL"), "{unresolved}");
    assert_eq!(dry_run(&[], None), "no notification to send\n");
}
