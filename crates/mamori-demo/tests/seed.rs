//! Seeds a small organization (3 members, 2 regions) into a real moto server and checks through
//! the SDK that the accounts and the planted resources exist with the planted settings, that the
//! same seed plants the same expectations, and that the seeder refuses what it must refuse.
//!
//! The emulator is reached through the test kit's corrected front, as in the demo: moto lacks
//! IAM Access Analyzer and Detective, so the front stands in for CreateAnalyzer, ListAnalyzers,
//! CreateGraph, ListGraphs, CreateMembers, AcceptInvitation and ListInvitations.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;
use mamori_demo::plan::{SG_POLICY, TAG_POLICY};
use mamori_demo::{seed, Error, Expectation, Seeded, SeededAccount, Spec};
use mamori_model::Status;
use mamori_testkit::{FaultProxy, MotoServer};

fn small() -> Spec {
    Spec { member_accounts: 3, regions: vec!["us-east-1".into(), "eu-west-1".into()], seed: 7 }
}

/// The SDK configuration acting inside `account` (members through the access role).
async fn inside(config: &SdkConfig, seeded: &Seeded, account: &SeededAccount, region: &str) -> SdkConfig {
    let config = config.to_builder().region(aws_config::Region::new(region.to_owned())).build();
    if account.id == seeded.management_account_id {
        return config;
    }
    let sts = aws_sdk_sts::Client::new(&config);
    let arn = format!("arn:aws:iam::{}:role/OrganizationAccountAccessRole", account.id);
    let assumed = sts.assume_role().role_arn(arn).role_session_name("mamori-demo-test").send().await.unwrap();
    let c = assumed.credentials().unwrap();
    let credentials =
        Credentials::new(c.access_key_id(), c.secret_access_key(), Some(c.session_token().to_owned()), None, "test");
    config.to_builder().credentials_provider(SharedCredentialsProvider::new(credentials)).build()
}

/// The expectations of one account for one rule in one scope, by label.
fn by_label<'a>(account: &'a SeededAccount, scope: &str, rule: &str) -> BTreeMap<&'a str, &'a Expectation> {
    account
        .expectations
        .get(scope)
        .into_iter()
        .flatten()
        .filter(|e| e.rule_id == rule)
        .map(|e| (e.label.as_str(), e))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_accounts_and_resources_as_planned() {
    let Some(server) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&server).start().unwrap();
    let config = front.sdk_config().await;
    let seeded = seed(&config, &small()).await.expect("seeding succeeds");

    // The summary survives JSON.
    let json = serde_json::to_string(&seeded).unwrap();
    assert_eq!(serde_json::from_str::<Seeded>(&json).unwrap(), seeded);

    // Accounts: the management account, three members, the last one closed.
    let orgs = aws_sdk_organizations::Client::new(&config);
    let listed = orgs.list_accounts().send().await.unwrap();
    assert_eq!(listed.accounts().len(), 4);
    let names: Vec<&str> = seeded.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["master", "demo-000", "demo-001", "demo-002"]);
    let statuses: Vec<&str> = seeded.accounts.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED"]);
    assert!(seeded.accounts[3].expectations.is_empty(), "nothing is planted in the closed account");
    for account in &seeded.accounts {
        let tags = orgs.list_tags_for_resource().resource_id(&account.id).send().await.unwrap();
        let tags: BTreeMap<String, String> =
            tags.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
        assert_eq!(tags, account.tags, "tags of {}", account.name);
        assert!(tags["owner"].ends_with("@example.com"));
    }
    let on_root = orgs.list_policies_for_target().target_id(&seeded.root_id).filter("SERVICE_CONTROL_POLICY".into());
    let on_root: BTreeSet<String> =
        on_root.send().await.unwrap().policies().iter().filter_map(|p| p.name().map(str::to_owned)).collect();
    assert!(on_root.contains("deny-leave-organization"), "{on_root:?}");
    let protective_on_root = on_root.contains("protect-security-services");
    let management = &seeded.accounts[0];
    let scp_rule = by_label(management, "us-east-1", "mamori-organizations-scp-protects-security-services");
    assert_eq!(scp_rule["account"].expected == Status::Pass, protective_on_root);

    // Every planted rule goes both ways in this small organization, except those moto cannot
    // make fail (keys and passwords cannot be backdated) and the one-per-organization SCP rule.
    let mut seen: BTreeMap<&str, BTreeSet<Status>> = BTreeMap::new();
    for (_, _, e) in seeded.expectations() {
        seen.entry(e.rule_id.as_str()).or_default().insert(e.expected);
    }
    let one_way = [
        "access-keys-rotated",
        "iam-user-unused-credentials-check",
        "mamori-organizations-scp-protects-security-services",
    ];
    for (rule, statuses) in &seen {
        if !one_way.contains(rule) {
            assert_eq!(statuses.len(), 2, "{rule}: {statuses:?}");
        }
    }
    assert!(seen.len() >= 45, "{} rules planted", seen.len());

    for account in seeded.accounts.iter().filter(|a| a.status == "ACTIVE") {
        check_account(&config, &seeded, account).await;
    }
}

/// Reads the planted resources of one account back and compares them with the expectations.
async fn check_account(config: &SdkConfig, seeded: &Seeded, account: &SeededAccount) {
    let home = seeded.home_region.as_str();
    let global = inside(config, seeded, account, home).await;
    let iam = aws_sdk_iam::Client::new(&global);

    // IAM users: ids as recorded, MFA and console passwords as planted.
    for (label, e) in by_label(account, "global", "iam-user-mfa-enabled") {
        let name = e.resource_name.as_deref().unwrap();
        assert_eq!(label, format!("user/{name}"));
        let user = iam.get_user().user_name(name).send().await.unwrap();
        assert_eq!(user.user().unwrap().user_id(), e.resource_id);
        let devices = iam.list_mfa_devices().user_name(name).send().await.unwrap();
        assert_eq!(!devices.mfa_devices().is_empty(), e.expected == Status::Pass, "{} MFA of {name}", account.name);
    }
    for (_, e) in by_label(account, "global", "mamori-iam-user-machine-credentials") {
        let name = e.resource_name.as_deref().unwrap();
        let keys = iam.list_access_keys().user_name(name).send().await.unwrap();
        let console = iam.get_login_profile().user_name(name).send().await.is_ok();
        let machine = !keys.access_key_metadata().is_empty() && !console;
        assert_eq!(machine, e.expected == Status::Fail, "{} {name}", account.name);
    }
    let password = iam.get_account_password_policy().send().await.ok();
    let strong =
        password.as_ref().and_then(|p| p.password_policy()).is_some_and(|p| p.minimum_password_length() == Some(14));
    assert_eq!(by_label(account, home, "iam-password-policy")["account"].expected == Status::Pass, strong);
    for (_, e) in by_label(account, "global", "iam-policy-no-statements-with-admin-access") {
        let name = e.resource_name.as_deref().unwrap();
        let arn = format!("arn:aws:iam::{}:policy/{name}", account.id);
        let policy = iam.get_policy().policy_arn(arn).send().await.unwrap();
        assert_eq!(policy.policy().unwrap().policy_id(), Some(e.resource_id.as_str()));
    }

    // S3 in the home region: versioning and bucket policies as planted.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&global).force_path_style(true).build());
    for (_, e) in by_label(account, home, "s3-bucket-versioning-enabled") {
        // Readable through the front, which corrects moto's root element.
        let versioning = s3.get_bucket_versioning().bucket(&e.resource_id).send().await.unwrap();
        let enabled = versioning.status() == Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled);
        assert_eq!(enabled, e.expected == Status::Pass, "versioning of {}", e.resource_id);
    }
    for (_, e) in by_label(account, home, "s3-bucket-public-read-prohibited") {
        let acl = s3.get_bucket_acl().bucket(&e.resource_id).send().await.unwrap();
        let public = acl
            .grants()
            .iter()
            .any(|grant| grant.grantee().and_then(|g| g.uri()).is_some_and(|uri| uri.ends_with("/AllUsers")));
        assert_eq!(public, e.expected == Status::Fail, "ACL of {}", e.resource_id);
    }
    // Both required tags exactly where the tag policy should pass; a bucket never tagged
    // answers NoSuchTagSet.
    let required = |keys: BTreeSet<String>| keys.contains("owner") && keys.contains("environment");
    for (_, e) in by_label(account, home, TAG_POLICY).into_iter().filter(|(label, _)| label.starts_with("bucket/")) {
        let keys: BTreeSet<String> = match s3.get_bucket_tagging().bucket(&e.resource_id).send().await {
            Ok(tagging) => tagging.tag_set().iter().map(|tag| tag.key().to_owned()).collect(),
            Err(err) => {
                assert_eq!(err.code(), Some("NoSuchTagSet"), "tags of {}: {err:?}", e.resource_id);
                BTreeSet::new()
            }
        };
        assert_eq!(required(keys), e.expected == Status::Pass, "tags of {}", e.resource_id);
    }

    // Trails: present in the home region, logging as planted.
    let trails = aws_sdk_cloudtrail::Client::new(&global);
    for (_, e) in by_label(account, home, "cloud-trail-log-file-validation-enabled") {
        let trail = trails.get_trail().name(&e.resource_id).send().await.unwrap();
        let trail = trail.trail().unwrap();
        assert_eq!(trail.name(), Some(e.resource_id.as_str()));
        assert_eq!(trail.trail_arn(), e.resource_arn.as_deref());
        assert_eq!(trail.log_file_validation_enabled(), Some(e.expected == Status::Pass));
    }

    for region in &seeded.spec.regions {
        let regional = inside(config, seeded, account, region).await;
        let ec2 = aws_sdk_ec2::Client::new(&regional);

        // Security groups: SSH open to the world exactly where restricted-ssh should fail.
        let groups = by_label(account, region, "restricted-ssh");
        assert!(groups.contains_key("security-group/internal"));
        let ids: Vec<String> = groups.values().map(|e| e.resource_id.clone()).collect();
        let described = ec2.describe_security_groups().set_group_ids(Some(ids)).send().await.unwrap();
        assert_eq!(described.security_groups().len(), groups.len());
        for group in described.security_groups() {
            let e = groups.values().find(|e| Some(e.resource_id.as_str()) == group.group_id()).unwrap();
            let open_ssh = group
                .ip_permissions()
                .iter()
                .any(|p| p.from_port() == Some(22) && p.ip_ranges().iter().any(|r| r.cidr_ip() == Some("0.0.0.0/0")));
            assert_eq!(open_ssh, e.expected == Status::Fail, "{} {region} {}", account.name, e.label);
            let exempt = group.tags().iter().any(|tag| tag.key() == Some("security-exemption"));
            assert_eq!(exempt, e.label == "security-group/ssh-exempt", "{} {region} {}", account.name, e.label);
            assert!(by_label(account, region, SG_POLICY).contains_key(e.label.as_str()));
        }

        // Instances: IMDSv2 and public address as planted.
        for (_, e) in by_label(account, region, "ec2-imdsv2-check") {
            let described = ec2.describe_instances().instance_ids(&e.resource_id).send().await.unwrap();
            let instance = &described.reservations()[0].instances()[0];
            let tokens = instance.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str().to_owned());
            assert_eq!(tokens.as_deref() == Some("required"), e.expected == Status::Pass);
            let public = by_label(account, region, "ec2-instance-no-public-ip")["instance/app-1"];
            assert_eq!(instance.public_ip_address().is_some(), public.expected == Status::Fail);
            let keys = instance.tags().iter().filter_map(|tag| tag.key()).map(str::to_owned).collect();
            let tagged = by_label(account, region, TAG_POLICY)["instance/app-1"];
            assert_eq!(required(keys), tagged.expected == Status::Pass, "{} {region} instance tags", account.name);
        }
        for (_, e) in by_label(account, region, "encrypted-volumes") {
            let volume = ec2.describe_volumes().volume_ids(&e.resource_id).send().await.unwrap();
            assert_eq!(volume.volumes()[0].encrypted(), Some(e.expected == Status::Pass));
        }

        // KMS keys: rotation as planted.
        let kms = aws_sdk_kms::Client::new(&regional);
        for (_, e) in by_label(account, region, "cmk-backing-key-rotation-enabled") {
            let rotation = kms.get_key_rotation_status().key_id(&e.resource_id).send().await.unwrap();
            assert_eq!(rotation.key_rotation_enabled(), e.expected == Status::Pass);
        }

        // Account-level settings of the region.
        let ebs = ec2.get_ebs_encryption_by_default().send().await.unwrap();
        let planted = by_label(account, region, "ec2-ebs-encryption-by-default")["account"];
        assert_eq!(ebs.ebs_encryption_by_default(), Some(planted.expected == Status::Pass));
        let guardduty = aws_sdk_guardduty::Client::new(&regional);
        let detectors = guardduty.list_detectors().send().await.unwrap();
        let mut enabled = false;
        for id in detectors.detector_ids() {
            let detector = guardduty.get_detector().detector_id(id).send().await.unwrap();
            enabled |= detector.status().map(|s| s.as_str()) == Some("ENABLED");
        }
        let planted = by_label(account, region, "guardduty-enabled-centralized")["account"];
        assert_eq!(enabled, planted.expected == Status::Pass, "{} {region} GuardDuty", account.name);

        // Access Analyzer and Detective (stood in for by the front).
        let analyzers = aws_sdk_accessanalyzer::Client::new(&regional).list_analyzers().send().await.unwrap();
        let external =
            analyzers.analyzers().iter().any(|a| a.r#type() == &aws_sdk_accessanalyzer::types::Type::Account);
        let planted = by_label(account, region, "iam-external-access-analyzer-enabled")["account"];
        assert_eq!(external, planted.expected == Status::Pass, "{} {region} analyzers: {analyzers:?}", account.name);
        let detective = aws_sdk_detective::Client::new(&regional);
        let graphs = detective.list_graphs().send().await.unwrap();
        let invitations = detective.list_invitations().send().await.unwrap();
        let enabled = invitations
            .invitations()
            .iter()
            .any(|m| m.status() == Some(&aws_sdk_detective::types::MemberStatus::Enabled));
        let planted = by_label(account, region, "mamori-detective-enabled")["account"];
        assert_eq!(
            !graphs.graph_list().is_empty() || enabled,
            planted.expected == Status::Pass,
            "{} {region} Detective: {graphs:?} {invitations:?}",
            account.name
        );
        if planted.why.contains("invited") {
            assert_eq!(invitations.invitations().len(), 1, "{invitations:?}");
            let invitation = &invitations.invitations()[0];
            assert_eq!(invitation.status(), Some(&aws_sdk_detective::types::MemberStatus::Invited));
            assert_eq!(invitation.administrator_id(), Some(seeded.management_account_id.as_str()));
        }

        // Lambda: the public function's policy names everyone.
        let lambda = aws_sdk_lambda::Client::new(&regional);
        for (_, e) in by_label(account, region, "lambda-function-public-access-prohibited") {
            let policy = lambda.get_policy().function_name(&e.resource_id).send().await.unwrap();
            let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
            let public = policy["Statement"].as_array().unwrap().iter().any(|s| s["Principal"] == "*");
            assert_eq!(public, e.expected == Status::Fail);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_plants_the_same_expectations() {
    let Some(server) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&server).start().unwrap();
    let config = front.sdk_config().await;
    let first = seed(&config, &small()).await.expect("first seeding succeeds");

    // A second organization on the same emulator is refused, not merged.
    match seed(&config, &small()).await {
        Err(Error::AlreadyInOrganization(id)) => assert_eq!(id, first.organization_id),
        other => panic!("expected AlreadyInOrganization, got {other:?}"),
    }

    // A reset through the front empties the stand-ins' state with moto's.
    let reset = front.request("POST", "/moto-api/reset", "").expect("the front answers");
    assert_eq!(reset.0, 200, "{}", reset.1);
    let second = seed(&config, &small()).await.expect("second seeding succeeds");
    assert_eq!(first.planned_keys(), second.planned_keys());
    assert!(!first.planned_keys().is_empty());
    let names =
        |s: &Seeded| s.accounts.iter().map(|a| (a.name.clone(), a.tags.clone(), a.status.clone())).collect::<Vec<_>>();
    assert_eq!(names(&first), names(&second));

    let other = mamori_demo::plan(&Spec { seed: 8, ..small() }).unwrap();
    assert_ne!(
        other.accounts,
        mamori_demo::plan(&small()).unwrap().accounts,
        "another seed plans another organization"
    );
}

#[tokio::test]
async fn refuses_endpoints_that_are_not_loopback() {
    for url in ["https://organizations.us-east-1.amazonaws.com", "http://10.0.0.1:5000", "http://127.0.0.1.example.com"]
    {
        let config = aws_config::SdkConfig::builder().endpoint_url(url).build();
        match seed(&config, &small()).await {
            Err(Error::NotLoopback(refused)) => assert_eq!(refused, url),
            other => panic!("{url}: expected NotLoopback, got {other:?}"),
        }
    }
    let config = aws_config::SdkConfig::builder().build();
    assert!(matches!(seed(&config, &small()).await, Err(Error::NoEndpoint)));
}
