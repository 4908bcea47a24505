//! Organizations collector against moto: an organization whose root carries SCPs that protect
//! only part of the security services, then all of them; a member account (organization
//! recorded, policies not listed); an account outside any organization (`organization` null).
//! Read back and judged by `mamori-organizations-scp-protects-security-services`. Failures
//! (ListPolicies, DescribeOrganization, one policy's targets) go through the fault proxy.

use crate::common;

use aws_config::SdkConfig;
use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
use mamori_aws::accounts::AccountSource;
use mamori_aws::collect::CollectOptions;
use mamori_aws::limits::Limits;
use mamori_aws::regions::RegionChoice;
use mamori_aws::session::{RoleSpec, RoleTarget};
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::{json, Value};

const MANAGEMENT: &str = "123456789012";
const RULE: &str = "mamori-organizations-scp-protects-security-services";

struct Org {
    id: String,
    root: String,
    member: String,
    config_hub: String,
}

async fn create_scp(organizations: &aws_sdk_organizations::Client, name: &str, actions: &[&str]) -> String {
    let content =
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": actions, "Resource": "*"}]});
    let created = organizations
        .create_policy()
        .name(name)
        .description(name)
        .r#type(PolicyType::ServiceControlPolicy)
        .content(content.to_string())
        .send()
        .await
        .unwrap();
    created.policy.unwrap().policy_summary.unwrap().id.unwrap()
}

async fn seed(config: &SdkConfig) -> Org {
    let organizations = aws_sdk_organizations::Client::new(config);
    let created = organizations.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let id = created.organization.unwrap().id.unwrap();
    let root = organizations.list_roots().send().await.unwrap().roots.unwrap()[0].id.clone().unwrap();
    let status = organizations
        .create_account()
        .account_name("member")
        .email("member@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status
        .unwrap();
    let member = status.account_id.unwrap();
    let ou = organizations
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit
        .unwrap()
        .id
        .unwrap();
    let logging = create_scp(
        &organizations,
        "protect-logging",
        &["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:*"],
    )
    .await;
    organizations.attach_policy().policy_id(&logging).target_id(&root).send().await.unwrap();
    let config_hub = create_scp(&organizations, "protect-config-hub", &["config:*", "securityhub:*"]).await;
    organizations.attach_policy().policy_id(&config_hub).target_id(&ou).send().await.unwrap();
    Org { id, root, member, config_hub }
}

fn statuses(found: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    found.into_iter().map(|(id, status, _)| (id, status)).collect()
}

fn home_record<'a>(items: &'a [ConfigItem], account: &str) -> &'a ConfigItem {
    items
        .iter()
        .find(|i| {
            i.resource_type == "AWS::::Account" && i.account_id == account && i.configuration["homeRegion"] == true
        })
        .unwrap_or_else(|| panic!("no home record of {account}"))
}

fn policy<'a>(items: &[&'a ConfigItem], name: &str) -> &'a ConfigItem {
    items.iter().find(|i| i.resource_name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no policy {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_and_root_scps_reach_the_rule() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let org = seed(&config).await;
    let options = CollectOptions {
        accounts: AccountSource::Organizations,
        role: Some(RoleSpec::new(RoleTarget::Name("audit".into()))),
        regions: RegionChoice::List(vec!["us-east-1".into(), "eu-west-1".into()]),
        limits: Limits::default(),
        collectors: Some(vec!["organizations".into()]),
    };
    let collected = common::collect_with(&config, &options).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );

    // Every account records its organization; only the management account's policies are read.
    let expected_org = json!({"id": org.id, "masterAccountId": MANAGEMENT, "featureSet": "ALL"});
    for account in [MANAGEMENT, org.member.as_str()] {
        assert_eq!(home_record(&collected.items, account).configuration["organization"], expected_org, "{account}");
    }
    let policies = collected.of_type("AWS::Organizations::Policy");
    assert!(policies.iter().all(|p| p.account_id == MANAGEMENT && p.aws_region == "global"), "{policies:?}");
    let mut names: Vec<&str> = policies.iter().filter_map(|p| p.resource_name.as_deref()).collect();
    names.sort();
    assert_eq!(names, ["FullAWSAccess", "protect-config-hub", "protect-logging"]);

    let config_hub = policy(&policies, "protect-config-hub");
    assert_eq!(config_hub.resource_id, org.config_hub);
    let summary = &config_hub.configuration["PolicySummary"];
    assert_eq!(summary["Type"], "SERVICE_CONTROL_POLICY");
    assert_eq!(summary["Name"], "protect-config-hub");
    assert_eq!(summary["AwsManaged"], false);
    assert_eq!(config_hub.arn.as_deref(), summary["Arn"].as_str());
    let content: Value = serde_json::from_str(config_hub.configuration["Content"].as_str().unwrap()).unwrap();
    assert_eq!(content["Statement"][0]["Action"], json!(["config:*", "securityhub:*"]));
    let targets = config_hub.supplementary_configuration["Targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0]["type"], "ORGANIZATIONAL_UNIT");
    let logging = policy(&policies, "protect-logging");
    assert_eq!(logging.supplementary_configuration["Targets"][0]["targetId"], org.root.as_str());
    assert_eq!(logging.supplementary_configuration["Targets"][0]["type"], "ROOT");

    // Config and Security Hub are protected only on an OU: the root does not deny them.
    let found = collected.findings(RULE);
    assert_eq!(statuses(found.clone()), vec![(MANAGEMENT.to_owned(), Status::Fail)], "{found:?}");
    assert!(
        found[0].2.contains("do not deny config:StopConfigurationRecorder")
            && !found[0].2.contains("cloudtrail:")
            && !found[0].2.contains("guardduty:"),
        "{found:?}"
    );
    let stats = collected.summary.services["organizations"];
    assert!(stats.attempts >= stats.calls && stats.errors == 0, "{stats:?}");

    // Attached to the root as well, the two SCPs together deny every protected action.
    let organizations = aws_sdk_organizations::Client::new(&config);
    organizations.attach_policy().policy_id(&org.config_hub).target_id(&org.root).send().await.unwrap();
    let collected = common::collect_with(&config, &options).await;
    let found = collected.findings(RULE);
    assert_eq!(statuses(found.clone()), vec![(MANAGEMENT.to_owned(), Status::Pass)], "{found:?}");
    assert!(found[0].2.contains("SCPs protect-config-hub, protect-logging on the root deny all 12"), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_an_organization_the_organization_is_null() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let loner = common::acting_in(&server, &config, "111111111111").await;
    let collected = common::collect_current(&loner, &["organizations"], &["us-east-1"]).await;
    assert!(collected.of_type("Mamori::Collection::Error").is_empty());
    assert!(collected.of_type("AWS::Organizations::Policy").is_empty());
    let home = home_record(&collected.items, "111111111111");
    assert_eq!(home.configuration.get("organization"), Some(&Value::Null), "{home:?}");
    assert!(home.supplementary_configuration.get("mamoriCollectionErrors").is_none());
    assert!(collected.findings(RULE).is_empty(), "no management account, no verdict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let org = seed(&config).await;

    // The policies cannot be listed in the management account: ERROR, never "no SCP".
    let proxy =
        FaultProxy::in_front_of(&server).rule(FaultRule::operation("organizations", "ListPolicies")).start().unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["organizations"], &["us-east-1"]).await;
    assert!(collected.of_type("AWS::Organizations::Policy").is_empty());
    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].configuration["operation"], "ListPolicies");
    assert_eq!(errors[0].configuration["errorCode"], "AccessDeniedException");
    let mut found = statuses(collected.findings(RULE));
    found.sort();
    assert_eq!(
        found,
        vec![
            ("123456789012".to_owned(), Status::Error),
            ("collection:AWS::Organizations::Policy".to_owned(), Status::Error)
        ]
    );
    assert!(collected.findings(RULE)[0].2.contains("ListPolicies"), "{:?}", collected.findings(RULE));

    // The organization cannot be described: whether policies exist here is unknown.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("organizations", "DescribeOrganization"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["organizations"], &["us-east-1"]).await;
    let home = home_record(&collected.items, MANAGEMENT);
    assert!(home.configuration.get("organization").is_none(), "{home:?}");
    let reason = home.supplementary_configuration["mamoriCollectionErrors"]["organization"].as_str().unwrap();
    assert!(reason.starts_with("AccessDeniedException: DescribeOrganization"), "{reason}");
    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].configuration["operation"], "DescribeOrganization");
    assert_eq!(
        statuses(collected.findings(RULE)),
        vec![("collection:AWS::Organizations::Policy".to_owned(), Status::Error)]
    );

    // One policy's targets cannot be read: recorded on that policy, the others complete.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("organizations", "ListTargetsForPolicy").containing(&org.config_hub))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["organizations"], &["us-east-1"]).await;
    let policies = collected.of_type("AWS::Organizations::Policy");
    let broken = policy(&policies, "protect-config-hub");
    let reason = broken.supplementary_configuration["mamoriCollectionErrors"]["Targets"].as_str().unwrap();
    assert!(reason.starts_with("AccessDeniedException: ListTargetsForPolicy"), "{reason}");
    assert!(broken.supplementary_configuration.get("Targets").is_none());
    assert!(broken.configuration["Content"].is_string(), "the content is still read");
    let fine = policy(&policies, "protect-logging");
    assert!(fine.supplementary_configuration["Targets"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_need_only_their_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let config = common::least_privilege(&server, &config, &["organizations"]).await;
    let collected = common::collect_current(&config, &["organizations"], &["us-east-1"]).await;
    let errors = collected.of_type("Mamori::Collection::Error");
    assert!(errors.is_empty(), "{errors:?}");
    let policies = collected.of_type("AWS::Organizations::Policy");
    assert_eq!(policies.len(), 3);
    let unread: Vec<_> = collected
        .items
        .iter()
        .filter(|i| i.supplementary_configuration.contains_key("mamoriCollectionErrors"))
        .collect();
    assert!(unread.is_empty(), "{unread:?}");
    assert_eq!(statuses(collected.findings(RULE)), vec![(MANAGEMENT.to_owned(), Status::Fail)]);
}
