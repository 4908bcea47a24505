//! Detection collector against moto: GuardDuty enabled in us-east-1, disabled in eu-west-1; Security Hub enabled in us-east-1 only. Read back into the account
//! fields `guardDuty` and `securityHub` and judged by `guardduty-enabled-centralized` and
//! `securityhub-enabled`.
//!
//! moto lacks Detective and IAM Access Analyzer: it answers ListGraphs and ListAnalyzers with
//! HTTP 500. Against moto alone the collector must then record the fields as failed, never as
//! empty, so `mamori-detective-enabled` and `iam-external-access-analyzer-enabled` report
//! ERROR; `detection_services_reach_the_rules` checks that. Through the test kit's corrected
//! front, which stands in for those operations (Access Analyzer CreateAnalyzer and
//! ListAnalyzers; Detective CreateGraph, ListGraphs, CreateMembers, AcceptInvitation and
//! ListInvitations) in their REST-JSON wire form, `stood_in_services_reach_the_rules` takes the
//! real SDK path from answer to verdict: analyzers of each type, an owned graph, an open
//! invitation and an accepted one.
//!
//! Refused GuardDuty and Security Hub calls go through the fault proxy. Unlike the other
//! collector tests, there is no run under exactly the declared actions with moto enforcing
//! IAM: moto 5.2.5 then answers these GuardDuty and Security Hub requests
//! `SignatureDoesNotMatch`, whatever the policy, so such a run could not tell a missing action.

use crate::common;

use aws_config::{Region, SdkConfig};
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer, TEST_ACCESS_KEY_ID};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];

fn guardduty_in(config: &SdkConfig, region: &str) -> aws_sdk_guardduty::Client {
    aws_sdk_guardduty::Client::from_conf(
        aws_sdk_guardduty::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    )
}

/// Returns the detector ids of us-east-1 and eu-west-1.
async fn seed(config: &SdkConfig) -> (String, String) {
    let home = guardduty_in(config, "us-east-1");
    // No administrator: moto answers GetAdministratorAccount in PascalCase (`Administrator`),
    // which GuardDuty's wire format spells `administrator`, so the SDK would read none anyway.
    // An administered detector is covered by the unit tests of the conversion.
    let enabled = home.create_detector().enable(true).send().await.unwrap().detector_id.unwrap();
    let disabled =
        guardduty_in(config, "eu-west-1").create_detector().enable(false).send().await.unwrap().detector_id.unwrap();
    let securityhub = aws_sdk_securityhub::Client::new(config);
    securityhub.enable_security_hub().send().await.unwrap();
    (enabled, disabled)
}

fn record<'a>(items: &'a [ConfigItem], region: &str) -> &'a ConfigItem {
    items
        .iter()
        .find(|i| i.resource_type == "AWS::::Account" && i.aws_region == region)
        .unwrap_or_else(|| panic!("no account record in {region}"))
}

/// Findings of `rule` as (region named in the message, status), in `REGIONS` order; every
/// finding of these rules is on the account record.
fn by_region(found: &[(String, Status, String)]) -> Vec<(&'static str, Status)> {
    assert_eq!(found.len(), REGIONS.len(), "{found:?}");
    REGIONS
        .iter()
        .map(|region| {
            let matching: Vec<_> = found.iter().filter(|(_, _, message)| message.contains(region)).collect();
            assert_eq!(matching.len(), 1, "one finding names {region}: {found:?}");
            assert_eq!(matching[0].0, ACCOUNT);
            (*region, matching[0].1)
        })
        .collect()
}

fn failure<'a>(item: &'a ConfigItem, field: &str) -> &'a str {
    item.supplementary_configuration["mamoriCollectionErrors"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no collection error for {field}: {item:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detection_services_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let (enabled, disabled) = seed(&config).await;

    let collected = common::collect_current(&config, &["detection"], REGIONS).await;
    let home = record(&collected.items, "us-east-1");
    let ireland = record(&collected.items, "eu-west-1");
    assert_eq!(
        home.configuration["guardDuty"],
        json!({"detectors": [{"detectorId": enabled, "status": "ENABLED", "administratorAccountId": null}]})
    );
    assert_eq!(
        ireland.configuration["guardDuty"],
        json!({"detectors": [{"detectorId": disabled, "status": "DISABLED", "administratorAccountId": null}]})
    );
    let hub = &home.configuration["securityHub"];
    assert_eq!(hub["enabled"], json!(true));
    assert_eq!(hub["hubArn"], json!(format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:hub/default")));
    assert_eq!(ireland.configuration["securityHub"], json!({"enabled": false}));

    let found = collected.findings("guardduty-enabled-centralized");
    assert_eq!(by_region(&found), vec![("us-east-1", Status::Pass), ("eu-west-1", Status::Fail)], "{found:?}");
    let found = collected.findings("securityhub-enabled");
    assert_eq!(by_region(&found), vec![("us-east-1", Status::Pass), ("eu-west-1", Status::Fail)], "{found:?}");

    // moto lacks Detective and Access Analyzer (HTTP 500): the fields are failures, not empty
    // lists, and the rules say they cannot judge.
    for region in REGIONS {
        let item = record(&collected.items, region);
        for (field, operation) in [("detective", "ListGraphs"), ("accessAnalyzer", "ListAnalyzers")] {
            assert!(item.configuration.get(field).is_none(), "{field} in {region}: {item:?}");
            assert!(failure(item, field).contains(operation), "{field} in {region}: {item:?}");
        }
    }
    for rule in ["mamori-detective-enabled", "iam-external-access-analyzer-enabled"] {
        let found = collected.findings(rule);
        let statuses: Vec<_> = found.iter().map(|(id, status, _)| (id.as_str(), *status)).collect();
        assert_eq!(statuses, vec![(ACCOUNT, Status::Error), (ACCOUNT, Status::Error)], "{rule}: {found:?}");
    }

    for service in ["guardduty", "securityhub", "detective", "accessanalyzer"] {
        let stats = collected.summary.services[service];
        assert!(stats.calls >= 2, "{service}: {stats:?}");
        assert!(
            stats.attempts >= stats.calls,
            "attempts are counted under the same service name: {service}: {stats:?}"
        );
    }
    assert!(collected.summary.services["detective"].errors >= 2);
    assert!(collected.summary.services["accessanalyzer"].errors >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_calls_are_unknown_not_disabled() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let (enabled, _) = seed(&config).await;
    let proxy = FaultProxy::in_front_of(&server)
        // us-east-1: the administrator of the detector cannot be read.
        .rule(FaultRule::rest("guardduty", "GET", "/administrator").in_region("us-east-1"))
        // eu-west-1: the detector itself cannot be read, nor the hub.
        .rule(
            FaultRule::rest("guardduty", "GET", "/detector/")
                .in_region("eu-west-1")
                .when(|r| !r.path().ends_with("/administrator")),
        )
        .rule(FaultRule::rest("securityhub", "GET", "/accounts").in_region("eu-west-1"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["detection"], REGIONS).await;

    // The administrator is unknown, not "none": the key is left out.
    let home = record(&collected.items, "us-east-1");
    assert_eq!(home.configuration["guardDuty"], json!({"detectors": [{"detectorId": enabled, "status": "ENABLED"}]}));
    let ireland = record(&collected.items, "eu-west-1");
    assert!(ireland.configuration.get("guardDuty").is_none());
    assert!(failure(ireland, "guardDuty").starts_with("AccessDeniedException: GetDetector"), "{ireland:?}");
    // A refused DescribeHub is not "Security Hub disabled".
    assert!(ireland.configuration.get("securityHub").is_none());
    assert!(failure(ireland, "securityHub").starts_with("AccessDeniedException: DescribeHub"), "{ireland:?}");

    // Without a central account to check, an unknown administrator does not matter; the
    // refused reads are ERROR (their messages carry the reason, not the region).
    for (rule, operation) in [("guardduty-enabled-centralized", "GetDetector"), ("securityhub-enabled", "DescribeHub")]
    {
        let found = collected.findings(rule);
        assert_eq!(found.len(), 2, "{rule}: {found:?}");
        let home = found.iter().find(|(_, _, message)| message.contains("us-east-1")).unwrap();
        assert_eq!(home.1, Status::Pass, "{rule}: {found:?}");
        let refused = found.iter().find(|(_, _, message)| !message.contains("us-east-1")).unwrap();
        assert_eq!(refused.1, Status::Error, "{rule}: {found:?}");
        assert!(refused.2.contains(operation), "{rule}: {found:?}");
    }
}

/// Another account of the emulator: moto ties assumed-role credentials to the role's account.
async fn other_account(config: &SdkConfig, account: &str) -> SdkConfig {
    let assumed = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"))
        .role_session_name("detection-test")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let credentials = aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "detection-test",
    );
    config
        .to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
        .build()
}

fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
    config.to_builder().region(Region::new(region.to_owned())).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stood_in_services_reach_the_rules() {
    use aws_sdk_accessanalyzer::types::Type;
    let Some(server) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&server).start().unwrap();
    let config = front.sdk_config().await;
    assert_eq!(TEST_ACCESS_KEY_ID, "testing", "the collected account is moto's default one, {ACCOUNT}");
    let administrator = "210987654321";
    let (home, ireland) = (in_region(&config, "us-east-1"), in_region(&config, "eu-west-1"));

    // us-east-1: an external access analyzer and an owned graph. eu-west-1: only an
    // unused-access analyzer, and an invitation to another account's graph, not yet accepted.
    let analyzer = |config: &SdkConfig| aws_sdk_accessanalyzer::Client::new(config);
    analyzer(&home).create_analyzer().analyzer_name("external-access").r#type(Type::Account).send().await.unwrap();
    analyzer(&ireland)
        .create_analyzer()
        .analyzer_name("unused")
        .r#type(Type::AccountUnusedAccess)
        .send()
        .await
        .unwrap();
    let owned = aws_sdk_detective::Client::new(&home).create_graph().send().await.unwrap().graph_arn.unwrap();
    let other = in_region(&other_account(&config, administrator).await, "eu-west-1");
    let detective = aws_sdk_detective::Client::new(&other);
    let graph = detective.create_graph().send().await.unwrap().graph_arn.unwrap();
    let me = aws_sdk_detective::types::Account::builder()
        .account_id(ACCOUNT)
        .email_address("security@example.com")
        .build()
        .unwrap();
    let invited = detective.create_members().graph_arn(&graph).accounts(me).send().await.unwrap();
    assert!(invited.unprocessed_accounts().is_empty(), "{invited:?}");

    let collected = common::collect_current(&config, &["detection"], REGIONS).await;
    let (east, west) = (record(&collected.items, "us-east-1"), record(&collected.items, "eu-west-1"));
    assert_eq!(east.configuration["detective"], json!({"graphs": [owned], "memberOf": []}));
    assert_eq!(
        west.configuration["detective"],
        json!({"graphs": [], "memberOf": []}),
        "an open invitation feeds nothing"
    );
    assert_eq!(east.configuration["accessAnalyzer"]["analyzers"][0]["type"], json!("ACCOUNT"));
    assert_eq!(west.configuration["accessAnalyzer"]["analyzers"][0]["type"], json!("ACCOUNT_UNUSED_ACCESS"));
    for rule in ["mamori-detective-enabled", "iam-external-access-analyzer-enabled"] {
        let found = collected.findings(rule);
        assert_eq!(
            by_region(&found),
            vec![("us-east-1", Status::Pass), ("eu-west-1", Status::Fail)],
            "{rule}: {found:?}"
        );
    }
    for service in ["detective", "accessanalyzer"] {
        assert_eq!(
            collected.summary.services[service].errors, 0,
            "{service}: {:?}",
            collected.summary.services[service]
        );
    }

    // Accepting the invitation makes the account a member: eu-west-1 passes.
    aws_sdk_detective::Client::new(&ireland).accept_invitation().graph_arn(&graph).send().await.unwrap();
    let collected = common::collect_current(&config, &["detection"], &["eu-west-1"]).await;
    let west = record(&collected.items, "eu-west-1");
    assert_eq!(west.configuration["detective"], json!({"graphs": [], "memberOf": [graph]}));
    let found = collected.findings("mamori-detective-enabled");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, Status::Pass, "{found:?}");
    assert!(found[0].2.contains(&format!("member of Detective behaviour graph {graph}")), "{found:?}");
    assert!(front.stats().stood_in >= 10, "{:?}", front.stats());
}
