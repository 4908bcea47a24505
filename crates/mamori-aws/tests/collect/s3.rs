//! S3 collector against moto: a hardened bucket, a bucket public by ACL in another region, one
//! public by policy and a log bucket, with and without the account-level public access block,
//! read back and judged by every S3 rule of the catalog and by
//! `mamori-cloudtrail-bucket-not-public`. The account block is read through S3 Control, whose
//! account host prefix the collector strips on an overridden endpoint; failures (one bucket's
//! ACL, the account block, the bucket list) go through the fault proxy.

use crate::common;

use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketLoggingStatus, BucketVersioningStatus, CreateBucketConfiguration, LoggingEnabled,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer, RequestInfo};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";
const PRIVATE: &str = "mamori-private";
const PUBLIC_ACL: &str = "mamori-public-acl";
const PUBLIC_POLICY: &str = "mamori-public-policy";
const LOGS: &str = "mamori-logs";

fn s3(config: &SdkConfig, region: &str) -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(config).region(Region::new(region.to_owned())).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Sends S3 Control calls to moto as they are (the test seeds the account block with its own
/// client; the collector's way round the account host prefix is what is under test).
#[derive(Debug)]
struct Fixed(String);

impl ResolveEndpoint for Fixed {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

async fn put_account_block(server: &MotoServer, config: &SdkConfig, on: bool) {
    let control = aws_sdk_s3control::Client::from_conf(
        aws_sdk_s3control::config::Builder::from(config).endpoint_resolver(Fixed(server.endpoint_url())).build(),
    );
    control
        .put_public_access_block()
        .account_id(ACCOUNT)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(on)
                .ignore_public_acls(on)
                .block_public_policy(on)
                .restrict_public_buckets(on)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn policy(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

async fn seed(config: &SdkConfig) {
    let east = s3(config, "us-east-1");
    let west = s3(config, "eu-west-1");
    for bucket in [PRIVATE, PUBLIC_POLICY, LOGS] {
        east.create_bucket().bucket(bucket).send().await.unwrap();
    }
    west.create_bucket()
        .bucket(PUBLIC_ACL)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::EuWest1).build(),
        )
        .send()
        .await
        .unwrap();

    east.put_bucket_policy()
        .bucket(LOGS)
        .policy(policy(json!([{
            "Sid": "ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": ["s3:PutObject"], "Resource": format!("arn:aws:s3:::{LOGS}/*")
        }])))
        .send()
        .await
        .unwrap();
    east.put_bucket_versioning()
        .bucket(PRIVATE)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap();
    east.put_bucket_logging()
        .bucket(PRIVATE)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder().target_bucket(LOGS).target_prefix("private/").build().unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    east.put_bucket_encryption()
        .bucket(PRIVATE)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id("alias/data")
                                .build()
                                .unwrap(),
                        )
                        .bucket_key_enabled(true)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    east.put_public_access_block()
        .bucket(PRIVATE)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    east.put_bucket_policy()
        .bucket(PRIVATE)
        .policy(policy(json!([{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{PRIVATE}"), format!("arn:aws:s3:::{PRIVATE}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }])))
        .send()
        .await
        .unwrap();
    east.put_bucket_tagging()
        .bucket(PRIVATE)
        .tagging(
            Tagging::builder().tag_set(Tag::builder().key("team").value("platform").build().unwrap()).build().unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Grants rather than the canned `public-read-write`, which moto 5.2.5 turns into READ only.
    let owner = west.get_bucket_acl().bucket(PUBLIC_ACL).send().await.unwrap().owner.unwrap().id.unwrap();
    let everyone = "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"";
    west.put_bucket_acl()
        .bucket(PUBLIC_ACL)
        .grant_full_control(format!("id=\"{owner}\""))
        .grant_read(everyone)
        .grant_write(everyone)
        .send()
        .await
        .unwrap();

    east.put_bucket_versioning()
        .bucket(PUBLIC_POLICY)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build())
        .send()
        .await
        .unwrap();
    east.put_bucket_policy()
        .bucket(PUBLIC_POLICY)
        .policy(policy(json!([{
            "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{PUBLIC_POLICY}/*")
        }])))
        .send()
        .await
        .unwrap();
}

/// moto 5.2.5 answers GetBucketVersioning with a `GetBucketVersioningResponse` root element
/// where S3 writes `VersioningConfiguration`; the SDK refuses that answer, so against moto the
/// setting is recorded as unreadable (and the versioning rule says ERROR, as it must for an
/// unread setting). The collector's mapping of real answers is unit-tested beside it.
fn assert_only_versioning_unread(item: &ConfigItem) {
    let errors = item.supplementary_configuration["mamoriCollectionErrors"].as_object().unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["BucketVersioningConfiguration"], "{errors:?}");
    assert!(errors["BucketVersioningConfiguration"].as_str().unwrap().contains(": GetBucketVersioning"), "{errors:?}");
    assert!(item.supplementary_configuration.get("BucketVersioningConfiguration").is_none());
}

fn bucket<'a>(items: &[&'a ConfigItem], name: &str) -> &'a ConfigItem {
    items.iter().find(|i| i.resource_id == name).unwrap_or_else(|| panic!("no bucket {name} in {items:?}"))
}

fn statuses(found: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    found.into_iter().map(|(id, status, _)| (id, status)).collect()
}

fn expect(pairs: &[(&str, Status)]) -> Vec<(String, Status)> {
    let mut out: Vec<_> = pairs.iter().map(|(id, s)| (id.to_string(), *s)).collect();
    out.sort();
    out
}

fn message<'a>(found: &'a [(String, Status, String)], id: &str) -> &'a str {
    &found.iter().find(|f| f.0 == id).unwrap_or_else(|| panic!("no finding for {id}: {found:?}")).2
}

/// A trail delivering to `bucket`, as the CloudTrail collector records it.
fn trail(name: &str, bucket: &str) -> ConfigItem {
    let arn = format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}");
    serde_json::from_value(json!({
        "resourceType": "AWS::CloudTrail::Trail", "resourceId": name, "resourceName": name, "arn": arn,
        "accountId": ACCOUNT, "awsRegion": "us-east-1",
        "configuration": {"name": name, "s3BucketName": bucket, "homeRegion": "us-east-1", "trailARN": arn,
                          "isMultiRegionTrail": true}
    }))
    .unwrap()
}

fn trail_findings(items: &[ConfigItem]) -> Vec<(String, Status, String)> {
    let mut items = items.to_vec();
    items.push(trail("private-trail", PRIVATE));
    items.push(trail("acl-trail", PUBLIC_ACL));
    items.push(trail("policy-trail", PUBLIC_POLICY));
    let mut found: Vec<_> = common::evaluate(&items)
        .into_iter()
        .filter(|f| &*f.rule_id == "mamori-cloudtrail-bucket-not-public")
        .map(|f| (f.resource_id.to_string(), f.status, f.message))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_and_account_block_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    // No account-level block yet.
    let collected = common::collect_current(&config, &["s3"], &["us-east-1", "eu-west-1"]).await;
    assert_eq!(collected.of_type("Mamori::Collection::Error"), Vec::<&ConfigItem>::new());
    let buckets = collected.of_type("AWS::S3::Bucket");
    assert_eq!(buckets.len(), 4, "{buckets:?}");

    let private = bucket(&buckets, PRIVATE);
    assert_eq!(private.aws_region, "us-east-1");
    assert_eq!(private.arn.as_deref(), Some("arn:aws:s3:::mamori-private"));
    assert_eq!(private.resource_name.as_deref(), Some(PRIVATE));
    assert_eq!(private.configuration["name"], PRIVATE);
    assert!(private.configuration["creationDate"].is_string(), "{:?}", private.configuration);
    assert!(private.configuration["owner"]["id"].is_string(), "{:?}", private.configuration);
    assert_eq!(private.tags.get("team").map(String::as_str), Some("platform"));
    let supplementary = &private.supplementary_configuration;
    assert_eq!(
        supplementary["BucketLoggingConfiguration"],
        json!({"destinationBucketName": LOGS, "logFilePrefix": "private/"})
    );
    assert_eq!(
        supplementary["PublicAccessBlockConfiguration"],
        json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true})
    );
    assert_eq!(
        supplementary["ServerSideEncryptionConfiguration"],
        json!({"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "alias/data"}, "bucketKeyEnabled": true}]})
    );
    assert!(supplementary["BucketPolicy"]["policyText"].as_str().unwrap().contains("DenyInsecureTransport"));
    // AWS Config's spelling: the ACL as JSON text, the owner's grant by id, AWS Config's permission names.
    let acl: Value = serde_json::from_str(supplementary["AccessControlList"].as_str().unwrap()).unwrap();
    assert_eq!(acl["grantList"][0]["permission"], "FullControl", "{acl}");
    assert!(acl["grantList"][0]["grantee"]["id"].is_string(), "{acl}");
    assert_only_versioning_unread(private);

    // Its region from GetBucketLocation; nothing configured is recorded as none, not left out.
    let public_acl = bucket(&buckets, PUBLIC_ACL);
    assert_eq!(public_acl.aws_region, "eu-west-1");
    let supplementary = &public_acl.supplementary_configuration;
    assert_eq!(supplementary["BucketPolicy"], json!({"policyText": null}));
    assert_eq!(supplementary["PublicAccessBlockConfiguration"], Value::Null);
    assert_eq!(
        supplementary["BucketLoggingConfiguration"],
        json!({"destinationBucketName": null, "logFilePrefix": null})
    );
    let acl: Value = serde_json::from_str(supplementary["AccessControlList"].as_str().unwrap()).unwrap();
    assert!(
        acl["grantList"].as_array().unwrap().contains(&json!({"grantee": "AllUsers", "permission": "Write"})),
        "{acl}"
    );
    assert!(public_acl.tags.is_empty());

    // The account record: the block read through S3 Control is absent, recorded as null.
    let account = collected.of_type("AWS::::Account");
    let home = account.iter().find(|a| a.aws_region == "us-east-1").unwrap();
    assert_eq!(home.configuration["s3PublicAccessBlock"], Value::Null, "{home:?}");
    assert!(home.supplementary_configuration.get("mamoriCollectionErrors").is_none(), "{home:?}");
    let other = account.iter().find(|a| a.aws_region == "eu-west-1").unwrap();
    assert!(other.configuration.get("s3PublicAccessBlock").is_none(), "global fields go to the home record only");

    use Status::{Error, Fail, Pass};
    let versioning = collected.findings("s3-bucket-versioning-enabled");
    assert_eq!(
        statuses(versioning.clone()),
        expect(&[(PRIVATE, Error), (PUBLIC_ACL, Error), (PUBLIC_POLICY, Error), (LOGS, Error)])
    );
    assert!(message(&versioning, PRIVATE).contains("GetBucketVersioning"), "{versioning:?}");
    assert_eq!(
        statuses(collected.findings("s3-bucket-logging-enabled")),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Fail), (LOGS, Fail)])
    );
    let encryption = collected.findings("s3-bucket-server-side-encryption-enabled");
    assert_eq!(statuses(encryption.clone()).iter().find(|f| f.0 == PRIVATE).unwrap().1, Pass);
    assert!(message(&encryption, PRIVATE).contains("aws:kms"), "{encryption:?}");
    assert_eq!(
        statuses(collected.findings("s3-bucket-level-public-access-prohibited")),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Fail), (LOGS, Fail)])
    );
    assert_eq!(
        statuses(collected.findings("s3-bucket-ssl-requests-only")),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Fail), (LOGS, Fail)])
    );
    let read = collected.findings("s3-bucket-public-read-prohibited");
    assert_eq!(
        statuses(read.clone()),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Fail), (LOGS, Pass)])
    );
    assert!(message(&read, PUBLIC_ACL).contains("grants Read to AllUsers"), "{read:?}");
    assert!(message(&read, PUBLIC_POLICY).contains("(statement `PublicRead`) allows s3:GetObject"), "{read:?}");
    let write = collected.findings("s3-bucket-public-write-prohibited");
    assert_eq!(
        statuses(write.clone()),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Pass), (LOGS, Pass)])
    );
    assert!(message(&write, PUBLIC_ACL).contains("grants Write to AllUsers"), "{write:?}");
    let account_rule = collected.findings("s3-account-level-public-access-blocks-periodic");
    assert_eq!(statuses(account_rule.clone()), expect(&[(ACCOUNT, Fail)]));
    assert!(account_rule[0].2.contains("no account-level"), "{account_rule:?}");
    assert_eq!(
        statuses(trail_findings(&collected.items)),
        expect(&[("private-trail", Pass), ("acl-trail", Fail), ("policy-trail", Fail)])
    );

    // ListBuckets, then per bucket its location and seven settings. The only failures are
    // moto's versioning answers; "not configured" answers are counted apart.
    let s3_stats = collected.summary.services["s3"];
    assert_eq!((s3_stats.calls, s3_stats.errors), (1 + 4 * 8, 4), "{s3_stats:?}");
    assert!(s3_stats.absent > 0, "{s3_stats:?}");
    assert!(s3_stats.attempts >= s3_stats.calls, "attempts are counted under the same service name: {s3_stats:?}");
    let control = collected.summary.services["s3control"];
    assert_eq!((control.calls, control.absent, control.errors, control.attempts), (1, 1, 0, 1), "{control:?}");

    // The account-level block on: public exposure is neutralised, and the account rule passes.
    put_account_block(&server, &config, true).await;
    let collected = common::collect_current(&config, &["s3"], &["us-east-1"]).await;
    let home = collected.of_type("AWS::::Account")[0];
    assert_eq!(
        home.configuration["s3PublicAccessBlock"],
        json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true})
    );
    assert_eq!(
        statuses(collected.findings("s3-account-level-public-access-blocks-periodic")),
        expect(&[(ACCOUNT, Pass)])
    );
    let read = collected.findings("s3-bucket-public-read-prohibited");
    assert_eq!(
        statuses(read.clone()),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Pass), (PUBLIC_POLICY, Pass), (LOGS, Pass)])
    );
    assert!(message(&read, PUBLIC_ACL).contains("account-level public access block neutralises"), "{read:?}");
    assert_eq!(
        statuses(trail_findings(&collected.items)),
        expect(&[("private-trail", Pass), ("acl-trail", Pass), ("policy-trail", Pass)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_become_errors_of_the_rules_that_need_them() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    // One bucket's ACL and the account-level block cannot be read (S3 Control signs as s3).
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::rest("s3", "GET", &format!("/{PUBLIC_POLICY}")).when(|r| r.target().contains("?acl")))
        .rule(FaultRule::rest("s3", "GET", "/v20180820/configuration/publicAccessBlock"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["s3"], &["us-east-1"]).await;
    assert_eq!(proxy.stats().rule_hits, vec![1, 1], "each denied call made once, not retried");
    let buckets = collected.of_type("AWS::S3::Bucket");
    let broken = bucket(&buckets, PUBLIC_POLICY);
    let reason = broken.supplementary_configuration["mamoriCollectionErrors"]["AccessControlList"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: GetBucketAcl"), "{reason}");
    assert!(broken.supplementary_configuration.get("AccessControlList").is_none());
    assert!(broken.supplementary_configuration["BucketPolicy"]["policyText"].is_string(), "other settings are read");
    let home = collected.of_type("AWS::::Account")[0];
    assert!(home.configuration.get("s3PublicAccessBlock").is_none(), "{home:?}");
    let reason = home.supplementary_configuration["mamoriCollectionErrors"]["s3PublicAccessBlock"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: GetPublicAccessBlock"), "{reason}");

    use Status::{Error, Fail, Pass};
    let read = collected.findings("s3-bucket-public-read-prohibited");
    // The public ACL bucket: public by its ACL, and whether the account block neutralises it is unknown.
    assert_eq!(
        statuses(read.clone()),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Error), (PUBLIC_POLICY, Error), (LOGS, Pass)])
    );
    assert!(message(&read, PUBLIC_POLICY).contains("AccessDenied"), "{read:?}");
    assert!(message(&read, PUBLIC_ACL).contains("could not be read"), "{read:?}");
    assert_eq!(
        statuses(collected.findings("s3-account-level-public-access-blocks-periodic")),
        expect(&[(ACCOUNT, Error)])
    );
    // Rules that do not read the ACL judge the bucket as usual.
    assert_eq!(
        statuses(collected.findings("s3-bucket-logging-enabled")),
        expect(&[(PRIVATE, Pass), (PUBLIC_ACL, Fail), (PUBLIC_POLICY, Fail), (LOGS, Fail)])
    );

    // The bucket list cannot be read: a collection error, never an empty list.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::rest("s3", "GET", "/").when(|r| r.target().contains("x-id=ListBuckets")))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["s3"], &["us-east-1"]).await;
    assert!(collected.of_type("AWS::S3::Bucket").is_empty());
    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].configuration["operation"], "ListBuckets");
    assert_eq!(errors[0].configuration["errorCode"], "AccessDenied");
    let versioning = collected.findings("s3-bucket-versioning-enabled");
    assert_eq!(statuses(versioning), expect(&[("collection:AWS::S3::Bucket", Error)]));
}

/// moto 5.2.5 authorizes three calls under other names than AWS: `?publicAccessBlock` and
/// `?encryption` on a bucket as its default bucket GET, s3:ListBucket (AWS:
/// s3:GetBucketPublicAccessBlock, s3:GetEncryptionConfiguration), and S3 Control's
/// GetPublicAccessBlock as s3:GetPublicAccessBlock (AWS: s3:GetAccountPublicAccessBlock).
const MOTO_S3_ACTION_NAMES: &[&str] = &["s3:ListBucket", "s3:GetPublicAccessBlock"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_need_only_their_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    put_account_block(&server, &config, true).await;
    let config = common::least_privilege_with(&server, &config, &["s3"], MOTO_S3_ACTION_NAMES).await;
    let collected = common::collect_current(&config, &["s3"], &["us-east-1"]).await;
    let errors = collected.of_type("Mamori::Collection::Error");
    assert!(errors.is_empty(), "{errors:?}");
    let buckets = collected.of_type("AWS::S3::Bucket");
    assert_eq!(buckets.len(), 4);
    for bucket in buckets {
        assert_only_versioning_unread(bucket);
    }
    // Read through S3 Control with the host rewritten before signing, which moto now checks.
    let home = collected.of_type("AWS::::Account")[0];
    assert_eq!(home.configuration["s3PublicAccessBlock"]["restrictPublicBuckets"], true, "{home:?}");
}

type Located = (String, Option<String>);

/// GetBucketLocation is asked of the home region's client whatever the bucket's region, and its
/// answers are read as AWS spells them: no constraint for us-east-1, the legacy `EU` for
/// eu-west-1. The home region here is eu-west-1, so a us-east-1 bucket is located from
/// elsewhere. moto cannot create a bucket with the `EU` constraint (it wants the constraint to
/// equal the region the request went to), so the proxy answers `EU` for the eu-west-1 bucket,
/// as AWS does for buckets created with it; the bucket itself is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_regions_are_asked_of_the_home_region() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    // (bucket, region the request was signed for) of every GetBucketLocation.
    let located: Arc<Mutex<Vec<Located>>> = Arc::default();
    let seen = Arc::clone(&located);
    let is_location = |r: &RequestInfo| r.service() == Some("s3") && r.target().contains("?location");
    let proxy = FaultProxy::in_front_of(&server)
        // A rule that never fires: it sees every GetBucketLocation on its way to moto.
        .rule(FaultRule::rest("s3", "GET", "/").when(move |r| {
            if is_location(r) {
                let bucket = r.path().trim_matches('/').to_owned();
                seen.lock().unwrap().push((bucket, r.region().map(str::to_owned)));
            }
            false
        }))
        .rewrite_response(
            move |r| is_location(r) && r.path().contains(PUBLIC_ACL),
            "eu-west-1</LocationConstraint>",
            "EU</LocationConstraint>",
        )
        .start()
        .unwrap();
    let config = proxy.sdk_config().await.to_builder().region(Region::new("eu-west-1")).build();
    let collected = common::collect_current(&config, &["s3"], &["eu-west-1", "us-east-1"]).await;

    let mut located = located.lock().unwrap().clone();
    located.sort();
    let mut expected: Vec<Located> =
        [LOGS, PRIVATE, PUBLIC_ACL, PUBLIC_POLICY].iter().map(|b| (b.to_string(), Some("eu-west-1".into()))).collect();
    expected.sort();
    assert_eq!(located, expected, "each bucket located once, through the home region's client");

    let buckets = collected.of_type("AWS::S3::Bucket");
    assert_eq!(buckets.len(), 4, "{buckets:?}");
    // No constraint: us-east-1, and its settings read there.
    let private = bucket(&buckets, PRIVATE);
    assert_eq!(private.aws_region, "us-east-1");
    assert_only_versioning_unread(private);
    // `EU`: eu-west-1, and its settings read there (moto answers them in any region, so the
    // region is checked on the item; the rules judge it as before).
    let public_acl = bucket(&buckets, PUBLIC_ACL);
    assert_eq!(public_acl.aws_region, "eu-west-1");
    assert_only_versioning_unread(public_acl);
    let read = collected.findings("s3-bucket-public-read-prohibited");
    assert_eq!(statuses(read.clone()).iter().find(|f| f.0 == PUBLIC_ACL).map(|f| f.1), Some(Status::Fail), "{read:?}");
}
