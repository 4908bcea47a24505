//! IAM collector against moto: users with and without console passwords, MFA, access keys and
//! policies of their own, a group with an IP guard, roles (one holding AWSSupportAccess, one
//! used, one service-linked), customer managed policies with and without admin statements, the
//! password policy, the root user's settings and the credential report, read back and judged
//! by every IAM rule of the catalog. Failures (one user's keys, the account summary, the whole
//! authorization details list) go through the fault proxy.

use crate::common;

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// An SDK configuration for moto acting with the given credentials.
async fn acting_as(server: &MotoServer, id: &str, secret: &str, token: Option<String>) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(server.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(id, secret, token, None, "collect-iam-test"))
        .load()
        .await
}

/// Creates an access key for `user` and uses it once, so that IAM records its last use.
async fn used_key(server: &MotoServer, iam: &aws_sdk_iam::Client, user: &str) -> SdkConfig {
    let key = iam.create_access_key().user_name(user).send().await.unwrap().access_key.unwrap();
    let config = acting_as(server, key.access_key_id(), key.secret_access_key(), None).await;
    aws_sdk_sts::Client::new(&config).get_caller_identity().send().await.unwrap();
    config
}

fn by_name<'a>(items: &[&'a ConfigItem], name: &str) -> &'a ConfigItem {
    items.iter().find(|i| i.resource_name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no item {name}"))
}

fn statuses(found: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    found.into_iter().map(|(id, status, _)| (id, status)).collect()
}

fn expect(pairs: &[(&str, Status)]) -> Vec<(String, Status)> {
    let mut out: Vec<_> = pairs.iter().map(|(id, s)| (id.to_string(), *s)).collect();
    out.sort();
    out
}

/// Findings of `rule` over `items` as (resource id, status), sorted.
fn judged(items: &[ConfigItem], rule: &str) -> Vec<(String, Status)> {
    let mut found: Vec<_> = common::evaluate(items)
        .into_iter()
        .filter(|f| &*f.rule_id == rule)
        .map(|f| (f.resource_id.to_string(), f.status))
        .collect();
    found.sort();
    found
}

struct Seeded {
    alice: String,
    bob: String,
    ci_bot: String,
    deployer: String,
    retired: String,
    engineers: String,
    support: String,
    app: String,
    /// Customer managed policy ids by name.
    policies: BTreeMap<String, String>,
}

async fn seed(server: &MotoServer, iam: &aws_sdk_iam::Client) -> Seeded {
    let allow_all = document(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    iam.update_account_password_policy().minimum_password_length(8).require_numbers(true).send().await.unwrap();
    // Created but not assigned: the root user has no MFA (moto cannot assign one to root).
    iam.create_virtual_mfa_device().virtual_mfa_device_name("root-account-mfa-device").send().await.unwrap();

    // Customer managed policies.
    let create_policy = |name: &'static str, doc: String| async move {
        iam.create_policy().policy_name(name).policy_document(doc).send().await.unwrap().policy.unwrap()
    };
    let admin_everything = create_policy("admin-everything", allow_all.clone()).await;
    let s3_full =
        create_policy("s3-full", document(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))).await;
    let read_reports = create_policy(
        "read-reports",
        document(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}])),
    )
    .await;
    // Was an admin policy; its default version no longer is.
    let versioned = create_policy("versioned", allow_all.clone()).await;
    iam.create_policy_version()
        .policy_arn(versioned.arn().unwrap())
        .policy_document(document(json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}])))
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    // A group whose inline policy denies everything from outside the office.
    let engineers = iam.create_group().group_name("engineers").send().await.unwrap().group.unwrap();
    let guard = document(json!([{
        "Sid": "DenyOutsideOffice", "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}, "Bool": {"aws:ViaAWSService": "false"}}
    }]));
    iam.put_group_policy()
        .group_name("engineers")
        .policy_name("office-only")
        .policy_document(guard)
        .send()
        .await
        .unwrap();
    iam.attach_group_policy().group_name("engineers").policy_arn(read_reports.arn().unwrap()).send().await.unwrap();

    let user = |name: &'static str| async move {
        let user = iam.create_user().user_name(name).tags(tag("team", "platform")).send().await.unwrap().user.unwrap();
        user.user_id().to_owned()
    };
    // alice: a person, with a console password and MFA, permissions from her group only.
    let alice = user("alice").await;
    iam.create_login_profile().user_name("alice").password("Correct-Horse-1").send().await.unwrap();
    let device = iam.create_virtual_mfa_device().virtual_mfa_device_name("alice").send().await.unwrap();
    let serial = device.virtual_mfa_device.unwrap().serial_number().to_owned();
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .unwrap();
    iam.add_user_to_group().group_name("engineers").user_name("alice").send().await.unwrap();
    // bob: a console password without MFA, and an inline admin policy.
    let bob = user("bob").await;
    iam.create_login_profile().user_name("bob").password("Correct-Horse-2").send().await.unwrap();
    iam.put_user_policy().user_name("bob").policy_name("bob-admin").policy_document(allow_all).send().await.unwrap();
    // ci-bot: a machine user with AdministratorAccess and a key usable from anywhere.
    let ci_bot = user("ci-bot").await;
    iam.attach_user_policy()
        .user_name("ci-bot")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let ci_bot_config = used_key(server, iam, "ci-bot").await;
    // deployer: a machine user confined to the office by its group.
    let deployer = user("deployer").await;
    iam.add_user_to_group().group_name("engineers").user_name("deployer").send().await.unwrap();
    used_key(server, iam, "deployer").await;
    // retired: an inactive key only.
    let retired = user("retired").await;
    let key = iam.create_access_key().user_name("retired").send().await.unwrap().access_key.unwrap();
    iam.update_access_key()
        .user_name("retired")
        .access_key_id(key.access_key_id())
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .unwrap();

    // support: trusted by the account, holds AWSSupportAccess, and was used.
    let trust_account = document(json!([{
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"
    }]));
    let support = iam
        .create_role()
        .role_name("support")
        .assume_role_policy_document(trust_account)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    iam.attach_role_policy()
        .role_name("support")
        .policy_arn("arn:aws:iam::aws:policy/AWSSupportAccess")
        .send()
        .await
        .unwrap();
    let assumed = aws_sdk_sts::Client::new(&ci_bot_config)
        .assume_role()
        .role_arn(support.arn())
        .role_session_name("collect-iam-test")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let as_support = acting_as(
        server,
        assumed.access_key_id(),
        assumed.secret_access_key(),
        Some(assumed.session_token().to_owned()),
    )
    .await;
    aws_sdk_sts::Client::new(&as_support).get_caller_identity().send().await.unwrap();
    // app: an EC2 role with an inline policy and an instance profile, never used.
    let trust_ec2 = document(json!([{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"
    }]));
    let app =
        iam.create_role().role_name("app").assume_role_policy_document(trust_ec2).send().await.unwrap().role.unwrap();
    let read = document(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]));
    iam.put_role_policy().role_name("app").policy_name("app-inline").policy_document(read).send().await.unwrap();
    iam.create_instance_profile().instance_profile_name("app-profile").send().await.unwrap();
    iam.add_role_to_instance_profile().instance_profile_name("app-profile").role_name("app").send().await.unwrap();
    // A service-linked role: skipped by the inline-policy and account-in-use rules.
    iam.create_service_linked_role().aws_service_name("autoscaling.amazonaws.com").send().await.unwrap();

    Seeded {
        alice,
        bob,
        ci_bot,
        deployer,
        retired,
        engineers: engineers.group_id().to_owned(),
        support: support.role_id().to_owned(),
        app: app.role_id().to_owned(),
        policies: [admin_everything, s3_full, read_reports, versioned]
            .into_iter()
            .map(|p| (p.policy_name.unwrap(), p.policy_id.unwrap()))
            .collect(),
    }
}

fn tag(key: &str, value: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_credentials_and_account_settings_reach_every_iam_rule() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let s = seed(&server, &iam).await;
    let users = [&s.alice, &s.bob, &s.ci_bot, &s.deployer, &s.retired];

    let collected = common::collect_current(&config, &["iam"], &["us-east-1", "eu-west-1"]).await;

    // The items.
    let user_items = collected.of_type("AWS::IAM::User");
    assert_eq!(user_items.len(), 5, "{user_items:?}");
    assert!(user_items.iter().all(|u| u.aws_region == "global" && u.account_id == ACCOUNT));
    let bob = by_name(&user_items, "bob");
    assert_eq!(bob.resource_id, s.bob);
    let inline = &bob.configuration["userPolicyList"][0];
    assert_eq!(inline["policyName"], "bob-admin");
    assert!(inline["policyDocument"].as_str().unwrap().starts_with("%7B"), "URL-encoded as AWS Config: {inline}");
    assert_eq!(bob.supplementary_configuration["MfaDevices"], json!([]));
    assert!(bob.supplementary_configuration["LoginProfile"]["createDate"].is_string());
    let alice = by_name(&user_items, "alice");
    assert_eq!(alice.configuration["groupList"], json!(["engineers"]));
    assert_eq!(alice.configuration["tags"], json!([{"key": "team", "value": "platform"}]));
    assert_eq!(alice.tags.get("team").map(String::as_str), Some("platform"));
    assert_eq!(alice.supplementary_configuration["MfaDevices"].as_array().unwrap().len(), 1);
    let ci_bot = by_name(&user_items, "ci-bot");
    assert_eq!(ci_bot.supplementary_configuration["LoginProfile"], Value::Null);
    assert_eq!(
        ci_bot.configuration["attachedManagedPolicies"],
        json!([{"policyName": "AdministratorAccess", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}])
    );
    let key = &ci_bot.supplementary_configuration["AccessKeys"][0];
    assert_eq!(key["status"], "Active");
    assert!(key["createDate"].is_string() && key["lastUsedDate"].is_string(), "{key}");
    let retired = by_name(&user_items, "retired");
    assert_eq!(retired.supplementary_configuration["AccessKeys"][0]["status"], "Inactive");

    let roles = collected.of_type("AWS::IAM::Role");
    assert_eq!(roles.len(), 3, "support, app and the service-linked role: {roles:?}");
    let app = by_name(&roles, "app");
    assert_eq!(app.configuration["instanceProfileList"][0]["instanceProfileName"], "app-profile");
    assert_eq!(app.configuration["rolePolicyList"][0]["policyName"], "app-inline");
    assert!(app.configuration["assumeRolePolicyDocument"].as_str().unwrap().starts_with("%7B"));
    assert_eq!(app.supplementary_configuration["RoleLastUsed"], Value::Null, "never used");
    assert!(by_name(&roles, "support").supplementary_configuration["RoleLastUsed"]["lastUsedDate"].is_string());

    let groups = collected.of_type("AWS::IAM::Group");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].resource_id, s.engineers);
    assert_eq!(groups[0].configuration["groupPolicyList"][0]["policyName"], "office-only");

    // Customer managed policies, and only the AWS managed ones attached here.
    let policies = collected.of_type("AWS::IAM::Policy");
    let mut names: Vec<&str> = policies.iter().filter_map(|p| p.resource_name.as_deref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["AWSSupportAccess", "AdministratorAccess", "admin-everything", "read-reports", "s3-full", "versioned"]
    );
    let admin = by_name(&policies, "AdministratorAccess");
    assert_eq!(admin.arn.as_deref(), Some("arn:aws:iam::aws:policy/AdministratorAccess"));
    assert_eq!(
        admin.supplementary_configuration["PolicyEntities"],
        json!({"users": ["ci-bot"], "groups": [], "roles": []})
    );
    let versioned = by_name(&policies, "versioned");
    let versions = versioned.configuration["policyVersionList"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "customer managed policies keep every version: {versions:?}");
    assert_eq!(
        by_name(&policies, "read-reports").supplementary_configuration["PolicyEntities"]["groups"],
        json!(["engineers"])
    );
    // The resource id is the policy id.
    for (name, id) in &s.policies {
        assert_eq!(&by_name(&policies, name).resource_id, id);
    }
    assert_eq!(admin.configuration["policyId"].as_str(), Some(admin.resource_id.as_str()));
    let policy_id = |name: &str| s.policies[name].clone();

    // The account record.
    let accounts = collected.of_type("AWS::::Account");
    let home = accounts.iter().find(|a| a.configuration["homeRegion"] == json!(true)).expect("home record");
    assert_eq!(home.aws_region, "us-east-1");
    let settings = &home.configuration;
    assert_eq!(settings["accountSummary"]["AccountMFAEnabled"], 0);
    assert_eq!(settings["passwordPolicy"]["minimumPasswordLength"], 8);
    assert_eq!(settings["passwordPolicy"]["requireSymbols"], false);
    let devices = settings["virtualMfaDevices"].as_array().unwrap();
    assert!(devices.contains(&json!({
        "serialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"), "userArn": null
    })));
    assert!(devices.contains(&json!({
        "serialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/alice"), "userArn": format!("arn:aws:iam::{ACCOUNT}:user/alice")
    })));
    let report = settings["credentialReport"].as_array().unwrap();
    let mut reported: Vec<&str> = report.iter().map(|row| row["user"].as_str().unwrap()).collect();
    reported.sort_unstable();
    assert_eq!(reported, ["alice", "bob", "ci-bot", "deployer", "retired"], "moto has no <root_account> row");
    let alice_row = report.iter().find(|row| row["user"] == "alice").unwrap();
    assert_eq!((&alice_row["password_enabled"], &alice_row["mfa_active"]), (&json!("true"), &json!("true")));
    assert!(accounts
        .iter()
        .filter(|a| a.aws_region == "eu-west-1")
        .all(|a| a.configuration.get("passwordPolicy").is_none()));

    // Every IAM rule, exactly.
    use Status::{Fail, Pass};
    let [alice_id, bob_id, ci_id, deployer_id, retired_id] = users.map(String::as_str);
    let per_user = |rule: &str, expected: [Status; 5]| {
        let pairs: Vec<(&str, Status)> = users.iter().map(|u| u.as_str()).zip(expected).collect();
        assert_eq!(statuses(collected.findings(rule)), expect(&pairs), "{rule}: {:?}", collected.findings(rule));
    };
    //                                                alice bob   ci-bot deployer retired
    per_user("iam-user-mfa-enabled", [Pass, Fail, Fail, Fail, Fail]);
    per_user("mfa-enabled-for-iam-console-access", [Pass, Fail, Pass, Pass, Pass]);
    per_user("access-keys-rotated", [Pass, Pass, Pass, Pass, Pass]);
    per_user("iam-user-unused-credentials-check", [Pass, Pass, Pass, Pass, Pass]);
    per_user("mamori-iam-user-machine-credentials", [Pass, Pass, Fail, Fail, Pass]);
    per_user("iam-user-no-policies-check", [Pass, Fail, Fail, Pass, Pass]);
    per_user("mamori-iam-user-access-key-ip-restricted", [Pass, Pass, Fail, Pass, Pass]);
    let ip = collected.findings("mamori-iam-user-access-key-ip-restricted");
    let deployer_ip = ip.iter().find(|f| f.0 == s.deployer).unwrap();
    assert!(deployer_ip.2.contains("inline policy office-only of group engineers denies"), "{deployer_ip:?}");

    assert_eq!(
        statuses(collected.findings("iam-no-inline-policy-check")),
        expect(&[
            (alice_id, Pass),
            (bob_id, Fail),
            (ci_id, Pass),
            (deployer_id, Pass),
            (retired_id, Pass),
            (&s.engineers, Fail),
            (&s.support, Pass),
            (&s.app, Fail),
        ]),
        "the service-linked role is not judged"
    );
    let customer = |statuses: [Status; 4]| {
        let names = ["admin-everything", "s3-full", "read-reports", "versioned"];
        let ids: Vec<String> = names.iter().map(|n| policy_id(n)).collect();
        expect(&ids.iter().map(String::as_str).zip(statuses).collect::<Vec<_>>())
    };
    assert_eq!(
        statuses(collected.findings("iam-policy-no-statements-with-admin-access")),
        customer([Fail, Pass, Pass, Pass]),
        "AWS managed policies are not judged; only default versions are"
    );
    assert_eq!(
        statuses(collected.findings("iam-policy-no-statements-with-full-access")),
        customer([Fail, Fail, Pass, Pass])
    );

    for (rule, status) in [
        ("root-account-mfa-enabled", Fail),
        ("root-account-hardware-mfa-enabled", Fail),
        ("iam-root-access-key-check", Pass),
        ("iam-password-policy", Fail),
        ("iam-policy-in-use", Pass),
        ("mamori-account-in-use", Pass),
    ] {
        let found = collected.findings(rule);
        assert_eq!(statuses(found.clone()), expect(&[(ACCOUNT, status)]), "{rule}: {found:?}");
    }
    assert!(collected.findings("iam-policy-in-use")[0].2.contains("role support"));
    assert!(collected.findings("mamori-account-in-use")[0].2.contains("role support"));

    // Calls: 3 per user and 1 per access key, and a fixed handful for the whole account
    // (authorization details, ListUsers, summary, virtual MFA devices, password policy, the
    // report generated (moto answers STARTED, then COMPLETE) and read, server certificates):
    // nothing per group or role. One GetPolicy per recorded policy, only because moto's authorization details leave
    // PolicyId and PolicyName out (AWS's do not).
    let stats = collected.summary.services["iam"];
    let get_policy = 6;
    assert_eq!(stats.calls, 2 + 3 * 5 + 3 + 3 + 2 + 1 + 1 + get_policy, "{stats:?}");
    // IAM says "no console password" with NoSuchEntity (ci-bot, deployer, retired): an answer.
    assert_eq!((stats.errors, stats.absent), (0, 3), "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");

    // The same inventory judged as if captured years later: the dates the collector wrote are
    // the ones the rules count from.
    let mut later = collected.items.clone();
    for item in &mut later {
        item.configuration_item_capture_time = Some("2031-01-01T00:00:00Z".into());
    }
    let later_pairs =
        |statuses: [Status; 5]| expect(&users.map(String::as_str).into_iter().zip(statuses).collect::<Vec<_>>());
    assert_eq!(judged(&later, "access-keys-rotated"), later_pairs([Pass, Pass, Fail, Fail, Pass]));
    assert_eq!(judged(&later, "iam-user-unused-credentials-check"), later_pairs([Fail, Fail, Fail, Fail, Pass]));
    assert_eq!(judged(&later, "mamori-account-in-use"), expect(&[(ACCOUNT, Fail)]));

    // A strong password policy passes.
    iam.update_account_password_policy()
        .minimum_password_length(14)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .allow_users_to_change_password(true)
        .max_password_age(90)
        .password_reuse_prevention(24)
        .send()
        .await
        .unwrap();
    let again = common::collect_current(&config, &["iam"], &["us-east-1"]).await;
    assert_eq!(statuses(again.findings("iam-password-policy")), expect(&[(ACCOUNT, Pass)]));
    assert_eq!(
        again.summary.services["iam"].calls,
        2 + 3 * 5 + 3 + 3 + 1 + 1 + 1 + get_policy,
        "the report is ready at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_become_errors_for_exactly_what_they_hide() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let alice = iam.create_user().user_name("alice").send().await.unwrap().user.unwrap().user_id().to_owned();
    let ci_bot = iam.create_user().user_name("ci-bot").send().await.unwrap().user.unwrap().user_id().to_owned();
    for user in ["alice", "ci-bot"] {
        iam.create_access_key().user_name(user).send().await.unwrap();
    }
    iam.create_role()
        .role_name("support")
        .assume_role_policy_document(document(json!([{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"
        }])))
        .send()
        .await
        .unwrap();

    // One user's keys and the account summary cannot be read.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("iam", "ListAccessKeys").containing("ci-bot"))
        .rule(FaultRule::operation("iam", "GetAccountSummary"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["iam"], &["us-east-1"]).await;
    let users = collected.of_type("AWS::IAM::User");
    let broken = by_name(&users, "ci-bot");
    let reason = broken.supplementary_configuration["mamoriCollectionErrors"]["AccessKeys"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: ListAccessKeys"), "{reason}");
    assert!(broken.supplementary_configuration.get("AccessKeys").is_none());
    assert!(broken.supplementary_configuration["MfaDevices"].is_array(), "the user's other attributes are read");
    assert_eq!(
        statuses(collected.findings("access-keys-rotated")),
        expect(&[(&alice, Status::Pass), (&ci_bot, Status::Error)])
    );
    assert_eq!(
        statuses(collected.findings("mamori-iam-user-machine-credentials")),
        expect(&[(&alice, Status::Fail), (&ci_bot, Status::Error)])
    );
    assert_eq!(statuses(collected.findings("root-account-mfa-enabled")), expect(&[(ACCOUNT, Status::Error)]));
    // No password policy is a value (null), not a failure.
    let policy = collected.findings("iam-password-policy");
    assert_eq!(statuses(policy.clone()), expect(&[(ACCOUNT, Status::Fail)]));
    assert!(policy[0].2.contains("no password policy"), "{policy:?}");
    // The two denied calls; NoSuchEntity for two users without a console password and for the
    // password policy are answers.
    let stats = collected.summary.services["iam"];
    assert_eq!((stats.errors, stats.absent), (2, 3), "{stats:?}");

    // The authorization details cannot be read: no identity is known, and every rule on them
    // reports ERROR rather than judging an empty account.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("iam", "GetAccountAuthorizationDetails"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["iam"], &["us-east-1"]).await;
    for resource_type in ["AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"] {
        assert!(collected.of_type(resource_type).is_empty(), "{resource_type}");
    }
    let failures: BTreeMap<String, String> = collected
        .of_type("Mamori::Collection::Error")
        .iter()
        .map(|e| {
            let c = &e.configuration;
            (c["resourceType"].as_str().unwrap().to_owned(), format!("{}/{}", c["operation"], c["errorCode"]))
        })
        .collect();
    let denied = "\"GetAccountAuthorizationDetails\"/\"AccessDenied\"".to_owned();
    assert_eq!(
        failures,
        BTreeMap::from([
            ("AWS::IAM::Group".to_owned(), denied.clone()),
            ("AWS::IAM::Policy".to_owned(), denied.clone()),
            ("AWS::IAM::Role".to_owned(), denied.clone()),
            ("AWS::IAM::User".to_owned(), denied),
        ])
    );
    // One ERROR per rule and unreadable type, and the account-wide verdicts turned to ERROR.
    let errors = |ids: &[&str]| expect(&ids.iter().map(|id| (*id, Status::Error)).collect::<Vec<_>>());
    let (users, groups, roles, policies) = (
        "collection:AWS::IAM::User",
        "collection:AWS::IAM::Group",
        "collection:AWS::IAM::Role",
        "collection:AWS::IAM::Policy",
    );
    for (rule, expected) in [
        ("iam-user-mfa-enabled", errors(&[users])),
        ("iam-no-inline-policy-check", errors(&[users, groups, roles])),
        ("iam-policy-no-statements-with-admin-access", errors(&[policies])),
        ("mamori-iam-user-access-key-ip-restricted", errors(&[users, groups, policies])),
        ("iam-policy-in-use", errors(&[ACCOUNT, users, groups, roles, policies])),
        ("mamori-account-in-use", errors(&[ACCOUNT, roles])),
    ] {
        assert_eq!(statuses(collected.findings(rule)), expected, "{rule}");
    }
    // The account settings do not depend on that list.
    assert_eq!(statuses(collected.findings("iam-password-policy")), expect(&[(ACCOUNT, Status::Fail)]));
    assert_eq!(statuses(collected.findings("root-account-mfa-enabled")), expect(&[(ACCOUNT, Status::Fail)]));
}

/// Server certificates stored in IAM reach `iam-server-certificate-expiration-check`. moto
/// answers the same fixed expiry (2012-05-08) and `ServerCertificateId` for every certificate,
/// so only expired certificates can be seeded: the passing case lives in the rule's fixtures,
/// and this test checks that each certificate is its own item (named, not by the shared id).
/// A failed ListServerCertificates becomes a collection error and the rule reports ERROR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_certificates_reach_the_expiry_rule_and_a_failed_list_is_an_error() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    for name in ["www-2012", "api-2012"] {
        iam.upload_server_certificate()
            .server_certificate_name(name)
            .path("/cloudfront/")
            .certificate_body("-----BEGIN CERTIFICATE-----\nnot parsed by the emulator\n-----END CERTIFICATE-----")
            .private_key("placeholder: the emulator stores it unread")
            .send()
            .await
            .unwrap();
    }

    let collected = common::collect_current(&config, &["iam"], &["us-east-1"]).await;
    let certificates = collected.of_type("AWS::IAM::ServerCertificate");
    assert_eq!(certificates.len(), 2, "{certificates:?}");
    let www = by_name(&certificates, "www-2012");
    assert_eq!(www.resource_id, "www-2012");
    assert_eq!(www.aws_region, "global");
    assert_eq!(www.arn.as_deref(), Some("arn:aws:iam::123456789012:server-certificate/cloudfront/www-2012"));
    assert_eq!(www.configuration["path"], "/cloudfront/");
    assert!(www.configuration["expiration"].as_str().unwrap().starts_with("2012-05-08T01:02:03"), "{www:?}");
    let findings = collected.findings("iam-server-certificate-expiration-check");
    assert_eq!(statuses(findings.clone()), expect(&[("api-2012", Status::Fail), ("www-2012", Status::Fail)]));
    assert!(findings.iter().all(|(_, _, message)| message.contains("expired on 2012-05-08")), "{findings:?}");

    let proxy =
        FaultProxy::in_front_of(&server).rule(FaultRule::operation("iam", "ListServerCertificates")).start().unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["iam"], &["us-east-1"]).await;
    assert!(collected.of_type("AWS::IAM::ServerCertificate").is_empty());
    let failure = collected.of_type("Mamori::Collection::Error");
    assert!(
        failure.iter().any(|e| e.configuration["resourceType"] == "AWS::IAM::ServerCertificate"
            && e.configuration["operation"] == "ListServerCertificates"),
        "{failure:?}"
    );
    let findings = collected.findings("iam-server-certificate-expiration-check");
    assert_eq!(findings.len(), 1, "one ERROR for the account, not an empty pass: {findings:?}");
    assert_eq!(findings[0].1, Status::Error);
}
