//! Rendering: exact payloads (fixtures), order, escaping, and splitting within Slack's limits.

mod support;

use mamori_notify::slack::{change_text, check_post};
use mamori_notify::{render, ChangeKind, JsonLimits, OwnerDigest, RenderOptions, SlackLimits, TargetRef};
use support::{assert_fixture, big_digest, finding_ids_in, load_digest};

fn with_target(mut digest: OwnerDigest, target: &str) -> OwnerDigest {
    digest.target = target.parse::<TargetRef>().unwrap();
    digest
}

#[test]
fn slack_payload_is_exactly_the_fixture() {
    let digest = load_digest("digest-small.json");
    let messages = render(&digest, &RenderOptions::default());
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.key, "run-0042/team-a/slack:team-a/1-of-1");
    assert_eq!((message.part, message.parts), (1, 1));
    assert_eq!(message.target.to_string(), "slack:team-a");
    assert!(check_post(&message.payload, &SlackLimits::default()).is_empty());
    assert_fixture("slack-small.json", &message.payload);
}

#[test]
fn json_payload_is_exactly_the_fixture() {
    let digest = with_target(load_digest("digest-small.json"), "json:secops");
    let messages = render(&digest, &RenderOptions::default());
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].key, "run-0042/team-a/json:secops/1-of-1");
    assert_fixture("json-small.json", &messages[0].payload);
}

#[test]
fn new_failures_come_first_by_severity_then_resolved_then_errors() {
    let digest = load_digest("digest-small.json");
    let order: Vec<(ChangeKind, &str)> =
        digest.ordered_changes().iter().map(|c| (c.kind, c.rule_id.as_str())).collect();
    assert_eq!(
        order,
        [
            (ChangeKind::NewFailure, "root-account-mfa-enabled"),
            (ChangeKind::NewFailure, "restricted-ssh"),
            (ChangeKind::Resolved, "s3-bucket-versioning-enabled"),
            (ChangeKind::NewError, "cloudtrail-enabled"),
            (ChangeKind::ErrorCleared, "guardduty-enabled-centralized"),
        ]
    );
    // The JSON document lists them in the same order.
    let json = &render(&with_target(digest, "json:x"), &RenderOptions::default())[0].payload;
    let rules: Vec<&str> = json["changes"].as_array().unwrap().iter().map(|c| c["rule_id"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "root-account-mfa-enabled",
            "restricted-ssh",
            "s3-bucket-versioning-enabled",
            "cloudtrail-enabled",
            "guardduty-enabled-centralized"
        ]
    );
}

#[test]
fn user_data_cannot_ping_channels_or_forge_links() {
    let digest = load_digest("digest-small.json");
    let ssh = digest.changes.iter().find(|c| c.rule_id == "restricted-ssh").unwrap();
    let text = change_text(ssh);
    assert!(text.contains("Port 22 is open to 0.0.0.0/0 &lt;!channel&gt; &amp; friends"), "{text}");
    let payload = serde_json::to_string(&render(&digest, &RenderOptions::default())[0].payload).unwrap();
    assert!(!payload.contains("<!channel>"));
    // No raw `<` anywhere in the Slack payload: every one came from user data.
    assert!(!payload.contains('<'), "{payload}");

    let mut evil = digest.clone();
    evil.owner = "<!here> team".into();
    evil.changes[0].account_name = Some("<https://phish.example|prod>".into());
    evil.changes[0].resource_id = "a`b".into();
    let payload = serde_json::to_string(&render(&evil, &RenderOptions::default())[0].payload).unwrap();
    assert!(!payload.contains("<!here>") && !payload.contains("<https://phish"), "{payload}");
    assert!(payload.contains("`a'b`"), "a backquote in data must not end the code span: {payload}");
}

#[test]
fn an_owner_without_changes_gets_no_message() {
    let mut digest = load_digest("digest-small.json");
    digest.changes.clear();
    assert!(render(&digest, &RenderOptions::default()).is_empty());
}

#[test]
fn three_hundred_changes_split_into_posts_within_slack_limits_none_lost_order_kept() {
    let digest = big_digest(300, "slack:team-a", 7);
    let limits = SlackLimits::default();
    let messages = render(&digest, &RenderOptions::default());
    assert!(messages.len() >= 3, "300 changes need several posts, got {}", messages.len());

    let expected_order: Vec<String> = digest.ordered_changes().iter().map(|c| c.finding_id.clone()).collect();
    let mut seen = Vec::new();
    let parts = messages.len() as u32;
    for (i, message) in messages.iter().enumerate() {
        let part = i as u32 + 1;
        assert_eq!((message.part, message.parts), (part, parts));
        assert_eq!(message.key, format!("run-0042/team-a/slack:team-a/{part}-of-{parts}"));
        let problems = check_post(&message.payload, &limits);
        assert!(problems.is_empty(), "part {part}: {problems:?}");
        let blocks = message.payload["blocks"].as_array().unwrap();
        let context = blocks[1]["elements"][0]["text"].as_str().unwrap();
        assert!(context.ends_with(&format!("part {part}/{parts}")), "{context}");
        assert!(message.payload["text"].as_str().unwrap().ends_with(&format!("(part {part}/{parts})")));
        // The body Slack receives stays far below any transport limit.
        assert!(message.body().len() < 40_000, "part {part} is {} bytes", message.body().len());
        for block in &blocks[2..] {
            if let Some(text) = block["text"]["text"].as_str() {
                seen.extend(finding_ids_in(text));
            }
        }
    }
    assert_eq!(seen, expected_order, "every change exactly once, in message order");
}

#[test]
fn a_group_split_across_posts_is_announced_as_continued() {
    let digest = big_digest(300, "slack:team-a", 7);
    let messages = render(&digest, &RenderOptions::default());
    let headings: Vec<String> = messages
        .iter()
        .flat_map(|m| m.payload["blocks"].as_array().unwrap().clone())
        .filter_map(|b| b["text"]["text"].as_str().map(str::to_owned))
        .filter(|t| t.starts_with('*') && t.ends_with(")*"))
        .collect();
    let counts = digest.counts();
    assert!(headings.contains(&format!("*New failures ({})*", counts.new_failures)), "{headings:?}");
    assert!(headings.iter().any(|h| h.ends_with(", continued)*")), "{headings:?}");
    // Each post after the first starts its content with a heading, so it reads on its own.
    for message in &messages[1..] {
        let first = message.payload["blocks"][2]["text"]["text"].as_str().unwrap();
        assert!(first.starts_with('*') && first.ends_with(")*"), "{first}");
    }
}

#[test]
fn tighter_limits_split_more_and_are_still_respected() {
    let digest = big_digest(120, "slack:team-a", 3);
    let limits = SlackLimits { max_blocks: 10, max_blocks_text: 7000, ..SlackLimits::default() };
    let options = RenderOptions { slack: limits.clone(), ..RenderOptions::default() };
    let messages = render(&digest, &options);
    let default_count = render(&digest, &RenderOptions::default()).len();
    assert!(messages.len() > default_count);
    let mut seen = Vec::new();
    for message in &messages {
        assert!(check_post(&message.payload, &limits).is_empty());
        for block in message.payload["blocks"].as_array().unwrap() {
            if let Some(text) = block["text"]["text"].as_str() {
                seen.extend(finding_ids_in(text));
            }
        }
    }
    assert_eq!(seen.len(), 120);
}

#[test]
fn a_huge_field_is_capped_so_one_change_fits_one_section() {
    let mut digest = load_digest("digest-small.json");
    digest.changes[1].message = "&".repeat(50_000);
    digest.changes[1].resource_arn = Some("arn:".to_owned() + &"x".repeat(5000));
    let messages = render(&digest, &RenderOptions::default());
    assert_eq!(messages.len(), 1);
    assert!(check_post(&messages[0].payload, &SlackLimits::default()).is_empty());
    let text = change_text(&digest.changes[1]);
    assert!(text.contains("&amp;…") && !text.contains("&am…"), "escapes are never cut");
}

#[test]
fn json_documents_split_by_change_count_with_the_whole_summary_in_each() {
    let digest = big_digest(25, "json:secops", 11);
    let options = RenderOptions { json: JsonLimits { max_changes_per_part: 10 }, ..RenderOptions::default() };
    let messages = render(&digest, &options);
    assert_eq!(messages.len(), 3);
    let mut ids = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let doc = &message.payload;
        assert_eq!(doc["schema"], "mamori.notification");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["part"], i as u64 + 1);
        assert_eq!(doc["parts"], 3);
        assert_eq!(doc["idempotency_key"], message.key.as_str());
        assert_eq!(doc["summary"], serde_json::to_value(digest.counts()).unwrap());
        ids.extend(doc["changes"].as_array().unwrap().iter().map(|c| c["finding_id"].as_str().unwrap().to_owned()));
    }
    let expected: Vec<String> = digest.ordered_changes().iter().map(|c| c.finding_id.clone()).collect();
    assert_eq!(ids, expected);
}

#[test]
fn rendering_is_deterministic_and_messages_round_trip_through_storage() {
    let digest = big_digest(80, "slack:team-a", 5);
    let first = render(&digest, &RenderOptions::default());
    let mut shuffled = digest.clone();
    shuffled.changes.reverse();
    assert_eq!(render(&shuffled, &RenderOptions::default()), first, "input order does not matter");
    for message in &first {
        let stored = serde_json::to_string(message).unwrap();
        assert!(stored.contains("\"target\":\"slack:team-a\""));
        let back: mamori_notify::Message = serde_json::from_str(&stored).unwrap();
        assert_eq!(back.body(), message.body(), "a stored message resends the same bytes");
    }
}
