//! S3 buckets (`AWS::S3::Bucket`) and the account-level public access block
//! (`s3PublicAccessBlock` on the account record).
//!
//! The bucket list is global (one ListBuckets per account), but S3 answers a bucket's
//! settings only in the bucket's own region, so each bucket's region is read first
//! (GetBucketLocation) and its settings are read with a client of that region; the item's
//! `awsRegion` is the bucket's region, as AWS Config records it. The item is AWS Config's:
//! `configuration` holds name, owner and creation date, and the settings the rules judge are
//! under `supplementaryConfiguration` with AWS Config's keys and shapes (`AccessControlList`
//! as JSON text, as AWS Config writes it). What S3 answers "not configured" for (no bucket
//! policy, no default encryption, no public access block) is recorded as such, never left
//! out: left out means "not collected" to the rules.
//!
//! Against an emulator (an endpoint URL override) two S3 addressing conventions fail on a
//! bare address: virtual-hosted bucket names (`bucket.127.0.0.1`), so buckets are addressed
//! path-style, and S3 Control's account host prefix (`<account>.127.0.0.1`), which
//! [`AccountHostPrefix`] strips before the request is signed.

use std::collections::BTreeMap;

use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
use aws_sdk_s3::operation::get_bucket_logging::GetBucketLoggingOutput;
use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
use aws_sdk_s3::types::{Bucket, Grant, Owner, Type};
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use futures_util::future::join_all;
use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, ApiError, CollectFuture, Cx};
use crate::regions::partition;

const BUCKET: &str = "AWS::S3::Bucket";

/// The supplementary keys a bucket's settings are recorded under, in the order they are read.
const SETTINGS: [&str; 6] = [
    "AccessControlList",
    "BucketPolicy",
    "PublicAccessBlockConfiguration",
    "BucketVersioningConfiguration",
    "BucketLoggingConfiguration",
    "ServerSideEncryptionConfiguration",
];

pub(crate) const COLLECTOR: Collector = Collector {
    name: "s3",
    placement: Placement::Global,
    resource_types: &[BUCKET],
    account_fields: &["s3PublicAccessBlock"],
    actions: &[
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketTagging",
        "s3:GetAccountPublicAccessBlock",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    tokio::join!(buckets(cx), account_block(cx));
}

/// An S3 client for `region`, path-style when the endpoint is overridden.
fn s3_client(cx: &Cx, region: &str) -> Client {
    let config = aws_sdk_s3::config::Builder::from(cx.sdk())
        .region(aws_config::Region::new(region.to_owned()))
        .force_path_style(cx.sdk().endpoint_url().is_some())
        .interceptor(cx.attempt_counter())
        .build();
    Client::from_conf(config)
}

async fn buckets(cx: &Cx) {
    let home = s3_client(cx, cx.region());
    let pages = match cx.pages("s3", home.list_buckets().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(BUCKET, "ListBuckets", &err),
    };
    // Every bucket ListBuckets returns belongs to the caller's account, whose owner each page names.
    let owner = pages.iter().find_map(|page| page.owner());
    let listed: Vec<(&str, &Bucket)> =
        pages.iter().flat_map(|page| page.buckets()).filter_map(|b| Some((b.name()?, b))).collect();
    let regions = join_all(listed.iter().map(|(name, _)| bucket_region(cx, &home, name))).await;
    let clients: BTreeMap<&str, Client> =
        regions.iter().flatten().map(|region| (region.as_str(), s3_client(cx, region))).collect();
    join_all(listed.iter().zip(&regions).map(|((name, bucket), region)| {
        let located = region.as_ref().map(|region| (region.as_str(), &clients[region.as_str()]));
        read_bucket(cx, owner, name, bucket, located)
    }))
    .await;
}

/// The bucket's region, asked of the home region's client: GetBucketLocation answers for a
/// bucket of any region there, whereas the bucket's own region is what is being asked.
async fn bucket_region(cx: &Cx, s3: &Client, name: &str) -> Result<String, ApiError> {
    let output = cx.call("s3", s3.get_bucket_location().bucket(name).send()).await?;
    Ok(constraint_region(output.location_constraint().map(|c| c.as_str())))
}

/// The region a LocationConstraint names: none (or empty) for us-east-1, the legacy `EU` for
/// eu-west-1, otherwise the region itself.
fn constraint_region(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

async fn read_bucket(
    cx: &Cx,
    owner: Option<&Owner>,
    name: &str,
    bucket: &Bucket,
    located: Result<(&str, &Client), &ApiError>,
) {
    let mut item = cx.item(BUCKET, name);
    item.resource_name = Some(name.to_owned());
    item.arn = Some(format!("arn:{}:s3:::{name}", partition(cx.region())));
    item.configuration = json!({
        "name": name,
        "owner": owner.map(owner_json),
        "creationDate": iso_or_null(bucket.creation_date()),
    });
    let (region, s3) = match located {
        Ok(located) => located,
        Err(err) => {
            // Without its region none of the bucket's settings can be asked for.
            for key in SETTINGS.into_iter().chain(["Tags"]) {
                Cx::attribute_failed(&mut item, key, "GetBucketLocation", err);
            }
            return cx.emit(item);
        }
    };
    item.aws_region = region.to_owned();
    let (acl, policy, block, versioning, logging, encryption, tagging) = tokio::join!(
        cx.call("s3", s3.get_bucket_acl().bucket(name).send()),
        cx.call("s3", s3.get_bucket_policy().bucket(name).send()),
        cx.call("s3", s3.get_public_access_block().bucket(name).send()),
        cx.call("s3", s3.get_bucket_versioning().bucket(name).send()),
        cx.call("s3", s3.get_bucket_logging().bucket(name).send()),
        cx.call("s3", s3.get_bucket_encryption().bucket(name).send()),
        cx.call("s3", s3.get_bucket_tagging().bucket(name).send()),
    );
    let settings = [
        ("AccessControlList", "GetBucketAcl", acl.map(|out| Value::String(acl_json(&out).to_string()))),
        (
            "BucketPolicy",
            "GetBucketPolicy",
            not_found_as(
                policy.map(|out| json!({"policyText": out.policy()})),
                "NoSuchBucketPolicy",
                || json!({"policyText": null}),
            ),
        ),
        (
            "PublicAccessBlockConfiguration",
            "GetPublicAccessBlock",
            not_found_as(
                block.map(|out| {
                    out.public_access_block_configuration().map_or(Value::Null, |b| {
                        block_json(
                            b.block_public_acls(),
                            b.ignore_public_acls(),
                            b.block_public_policy(),
                            b.restrict_public_buckets(),
                        )
                    })
                }),
                "NoSuchPublicAccessBlockConfiguration",
                || Value::Null,
            ),
        ),
        ("BucketVersioningConfiguration", "GetBucketVersioning", versioning.map(|out| versioning_json(&out))),
        ("BucketLoggingConfiguration", "GetBucketLogging", logging.map(|out| logging_json(&out))),
        (
            "ServerSideEncryptionConfiguration",
            "GetBucketEncryption",
            not_found_as(
                encryption.map(|out| encryption_json(&out)),
                "ServerSideEncryptionConfigurationNotFoundError",
                || Value::Null,
            ),
        ),
    ];
    for (key, operation, value) in settings {
        match value {
            Ok(value) => {
                item.supplementary_configuration.insert(key.into(), value);
            }
            Err(err) => Cx::attribute_failed(&mut item, key, operation, &err),
        }
    }
    match tagging {
        Ok(out) => {
            item.tags = out.tag_set().iter().map(|tag| (tag.key().to_owned(), tag.value().to_owned())).collect();
        }
        Err(err) if err.is_not_found(&["NoSuchTagSet"]) => {}
        Err(err) => Cx::attribute_failed(&mut item, "Tags", "GetBucketTagging", &err),
    }
    cx.emit(item);
}

/// A "not configured" answer (`code`) as the value that records it.
fn not_found_as(result: Result<Value, ApiError>, code: &str, none: impl FnOnce() -> Value) -> Result<Value, ApiError> {
    match result {
        Err(err) if err.is_not_found(&[code]) => Ok(none()),
        other => other,
    }
}

fn owner_json(owner: &Owner) -> Value {
    json!({"displayName": owner.display_name(), "id": owner.id()})
}

/// The ACL as AWS Config records it: grantees as `{"id", "displayName"}` for accounts and by
/// group name (`AllUsers`) for groups, permissions in AWS Config's spelling (`FullControl`).
fn acl_json(acl: &GetBucketAclOutput) -> Value {
    json!({
        "grantList": acl.grants().iter().map(grant_json).collect::<Vec<_>>(),
        "owner": acl.owner().map(owner_json),
    })
}

fn grant_json(grant: &Grant) -> Value {
    let grantee = grant.grantee().map(|grantee| match grantee.r#type() {
        Type::Group => {
            let uri = grantee.uri().unwrap_or_default();
            Value::String(uri.rsplit('/').next().unwrap_or(uri).to_owned())
        }
        Type::AmazonCustomerByEmail => json!({"emailAddress": grantee.email_address()}),
        _ => json!({"displayName": grantee.display_name(), "id": grantee.id()}),
    });
    let permission = grant.permission().map(|p| match p.as_str() {
        "FULL_CONTROL" => "FullControl".to_owned(),
        "READ" => "Read".to_owned(),
        "WRITE" => "Write".to_owned(),
        "READ_ACP" => "ReadAcp".to_owned(),
        "WRITE_ACP" => "WriteAcp".to_owned(),
        other => other.to_owned(),
    });
    json!({"grantee": grantee, "permission": permission})
}

fn block_json(
    block_acls: Option<bool>,
    ignore_acls: Option<bool>,
    block_policy: Option<bool>,
    restrict: Option<bool>,
) -> Value {
    json!({
        "blockPublicAcls": block_acls,
        "ignorePublicAcls": ignore_acls,
        "blockPublicPolicy": block_policy,
        "restrictPublicBuckets": restrict,
    })
}

/// AWS Config's versioning shape: a bucket whose versioning was never set is `Off`.
fn versioning_json(versioning: &GetBucketVersioningOutput) -> Value {
    json!({
        "status": versioning.status().map_or("Off", |s| s.as_str()),
        "isMfaDeleteEnabled": versioning.mfa_delete().map(|m| m.as_str() == "Enabled"),
    })
}

/// AWS Config's logging shape: both fields null when logging is off.
fn logging_json(logging: &GetBucketLoggingOutput) -> Value {
    let enabled = logging.logging_enabled();
    json!({
        "destinationBucketName": enabled.map(|l| l.target_bucket()),
        "logFilePrefix": enabled.map(|l| l.target_prefix()),
    })
}

fn encryption_json(encryption: &GetBucketEncryptionOutput) -> Value {
    let Some(configuration) = encryption.server_side_encryption_configuration() else { return Value::Null };
    let rules: Vec<Value> = configuration
        .rules()
        .iter()
        .map(|rule| {
            json!({
                "applyServerSideEncryptionByDefault": rule.apply_server_side_encryption_by_default().map(|d| json!({
                    "sseAlgorithm": d.sse_algorithm().as_str(),
                    "kmsMasterKeyID": d.kms_master_key_id(),
                })),
                "bucketKeyEnabled": rule.bucket_key_enabled(),
            })
        })
        .collect();
    json!({"rules": rules})
}

/// An S3 Control client of `sdk` whose account host prefix is undone on an overridden
/// endpoint (see [`AccountHostPrefix`]); the fixers of the account-level block use it too.
pub(crate) fn s3control_client(
    sdk: &aws_config::SdkConfig,
    counter: crate::stats::AttemptCounter,
) -> aws_sdk_s3control::Client {
    let mut config = aws_sdk_s3control::config::Builder::from(sdk).interceptor(counter);
    if let Some(authority) = sdk.endpoint_url().and_then(authority) {
        config = config.interceptor(AccountHostPrefix { authority: authority.to_owned() });
    }
    aws_sdk_s3control::Client::from_conf(config.build())
}

/// The account-level block, read with S3 Control in the task's region.
async fn account_block(cx: &Cx) {
    let control = s3control_client(cx.sdk(), cx.attempt_counter());
    let read = cx.call("s3control", control.get_public_access_block().account_id(cx.account_id()).send()).await;
    match read {
        Ok(output) => {
            let block = output.public_access_block_configuration().map_or(Value::Null, |b| {
                block_json(
                    b.block_public_acls(),
                    b.ignore_public_acls(),
                    b.block_public_policy(),
                    b.restrict_public_buckets(),
                )
            });
            cx.account_field("s3PublicAccessBlock", block);
        }
        Err(err) if err.is_not_found(&["NoSuchPublicAccessBlockConfiguration"]) => {
            cx.account_field("s3PublicAccessBlock", Value::Null)
        }
        Err(err) => cx.account_field_failed("s3PublicAccessBlock", "GetPublicAccessBlock", &err),
    }
}

/// The authority (`host[:port]`) of a URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    (!authority.is_empty()).then_some(authority)
}

/// Undoes S3 Control's account host prefix on an overridden endpoint.
///
/// S3 Control's endpoint rules put the account id in front of the host, even of an endpoint
/// URL override (`http://123456789012.127.0.0.1:5000`), which an emulator's address does not
/// resolve to. Installed only when the endpoint is overridden, this rewrites exactly that
/// host back to the override's, before signing so that the signature covers the host the
/// request goes to.
#[derive(Debug)]
struct AccountHostPrefix {
    /// The override's `host[:port]`.
    authority: String,
}

impl Intercept for AccountHostPrefix {
    fn name(&self) -> &'static str {
        "mamori-s3control-account-host-prefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = strip_account_prefix(request.uri(), &self.authority) {
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

/// `uri` with its host `<12 digits>.<authority>` replaced by `authority`; `None` when the
/// host is anything else.
fn strip_account_prefix(uri: &str, authority: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let account = rest[..end].strip_suffix(authority)?.strip_suffix('.')?;
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    is_account.then(|| format!("{scheme}://{authority}{}", &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_an_account_prefix_of_the_override() {
        let authority = authority("http://127.0.0.1:5000").unwrap();
        assert_eq!(authority, "127.0.0.1:5000");
        assert_eq!(
            strip_account_prefix(
                "http://123456789012.127.0.0.1:5000/v20180820/configuration/publicAccessBlock",
                authority
            )
            .as_deref(),
            Some("http://127.0.0.1:5000/v20180820/configuration/publicAccessBlock")
        );
        assert_eq!(
            strip_account_prefix("http://123456789012.127.0.0.1:5000?x=1", authority).as_deref(),
            Some("http://127.0.0.1:5000?x=1")
        );
        // Already the override, another host, or a prefix that is not an account id: untouched.
        assert_eq!(strip_account_prefix("http://127.0.0.1:5000/v20180820/x", authority), None);
        assert_eq!(strip_account_prefix("http://123456789012.127.0.0.1:5001/x", authority), None);
        assert_eq!(strip_account_prefix("http://12345.127.0.0.1:5000/x", authority), None);
        assert_eq!(strip_account_prefix("http://abcdefghijkl.127.0.0.1:5000/x", authority), None);
        assert_eq!(strip_account_prefix("https://123456789012.s3-control.us-east-1.amazonaws.com/x", authority), None);
    }

    #[test]
    fn settings_in_aws_config_shapes() {
        use aws_sdk_s3::types::{BucketVersioningStatus, Grantee, LoggingEnabled, MfaDeleteStatus, Permission};

        let never = GetBucketVersioningOutput::builder().build();
        assert_eq!(versioning_json(&never), json!({"status": "Off", "isMfaDeleteEnabled": null}));
        let enabled = GetBucketVersioningOutput::builder()
            .status(BucketVersioningStatus::Enabled)
            .mfa_delete(MfaDeleteStatus::Disabled)
            .build();
        assert_eq!(versioning_json(&enabled), json!({"status": "Enabled", "isMfaDeleteEnabled": false}));
        let suspended = GetBucketVersioningOutput::builder().status(BucketVersioningStatus::Suspended).build();
        assert_eq!(versioning_json(&suspended)["status"], "Suspended");

        assert_eq!(
            logging_json(&GetBucketLoggingOutput::builder().build()),
            json!({"destinationBucketName": null, "logFilePrefix": null})
        );
        let logging = GetBucketLoggingOutput::builder()
            .logging_enabled(LoggingEnabled::builder().target_bucket("logs").target_prefix("a/").build().unwrap())
            .build();
        assert_eq!(logging_json(&logging), json!({"destinationBucketName": "logs", "logFilePrefix": "a/"}));

        let group = |uri: &str| Grantee::builder().r#type(Type::Group).uri(uri).build().unwrap();
        let acl = GetBucketAclOutput::builder()
            .owner(Owner::builder().id("abc").build())
            .grants(
                Grant::builder()
                    .grantee(Grantee::builder().r#type(Type::CanonicalUser).id("abc").build().unwrap())
                    .permission(Permission::FullControl)
                    .build(),
            )
            .grants(
                Grant::builder()
                    .grantee(group("http://acs.amazonaws.com/groups/global/AllUsers"))
                    .permission(Permission::ReadAcp)
                    .build(),
            )
            .grants(
                Grant::builder()
                    .grantee(group("http://acs.amazonaws.com/groups/s3/LogDelivery"))
                    .permission(Permission::Write)
                    .build(),
            )
            .build();
        assert_eq!(
            acl_json(&acl),
            json!({
                "grantList": [
                    {"grantee": {"displayName": null, "id": "abc"}, "permission": "FullControl"},
                    {"grantee": "AllUsers", "permission": "ReadAcp"},
                    {"grantee": "LogDelivery", "permission": "Write"},
                ],
                "owner": {"displayName": null, "id": "abc"},
            })
        );
    }

    #[test]
    fn location_constraints_name_regions() {
        assert_eq!(constraint_region(None), "us-east-1");
        assert_eq!(constraint_region(Some("")), "us-east-1");
        assert_eq!(constraint_region(Some("EU")), "eu-west-1");
        assert_eq!(constraint_region(Some("eu-west-1")), "eu-west-1");
        assert_eq!(constraint_region(Some("ap-southeast-2")), "ap-southeast-2");
    }

    #[test]
    fn authority_of_urls() {
        assert_eq!(authority("http://localhost:4566/"), Some("localhost:4566"));
        assert_eq!(authority("https://s3.example.com"), Some("s3.example.com"));
        assert_eq!(authority("no-scheme"), None);
        assert_eq!(authority("http://"), None);
    }
}
