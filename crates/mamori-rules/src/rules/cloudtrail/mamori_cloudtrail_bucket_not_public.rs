//! `mamori-cloudtrail-bucket-not-public`: the bucket receiving a trail's logs is not public.
//!
//! For each trail, its `s3BucketName` is looked up among the `AWS::S3::Bucket` items of the whole
//! inventory (it often lives in a log-archive account): FAIL when the bucket's ACL grants
//! anything to AllUsers or AuthenticatedUsers, or a bucket policy `Allow` to `*` without a
//! narrowing condition covers reading or writing objects, unless the bucket's own or its
//! owner's account-level public access block (`ignorePublicAcls`, `restrictPublicBuckets`)
//! neutralises it. A bucket missing from the inventory is ERROR, naming the bucket.

use std::collections::HashMap;

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};
use serde_json::Value;

use super::trail::{is_shadow_copy, trail_name, Fact, TRAIL_TYPE};
use crate::rules::s3::shared::{acl_exposure, bucket_policy, decoded, policy_exposure, Access, Exposure, Neutralisers};
use crate::support::item::{as_bool, supplementary};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride, Subject};

pub struct MamoriCloudtrailBucketNotPublic;

const BUCKET_TYPE: &str = "AWS::S3::Bucket";

static META: RuleMeta = RuleMeta {
    id: "mamori-cloudtrail-bucket-not-public",
    service: "cloudtrail",
    title: "The S3 bucket receiving each CloudTrail trail's logs is not publicly readable or writable",
    severity: Severity::High,
    resource_types: &[TRAIL_TYPE, BUCKET_TYPE, ACCOUNT_TYPE],
    params: &[],
    rationale: "CloudTrail logs map the whole account (principals, resources, source addresses); a public log bucket hands that map to anyone, and a publicly writable one lets an intruder delete or plant log files.",
    remediation: "Remove public grants from the bucket (`aws s3api put-bucket-acl --bucket BUCKET --acl private`) and public statements from its policy, keeping only the cloudtrail.amazonaws.com statements conditioned on aws:SourceArn, then `aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &[],
    notes: "Security Hub CloudTrail.6 (CIS v1.2.0 2.3, v1.4.0 3.3, severity critical), which is not part of CIS v3.0.0 nor of FSBP. The bucket may live in another account, so notes are gathered over the whole inventory; the account-level block is read from the bucket owner's home-region AWS::::Account record. Policy statements are judged one by one (a Deny does not cancel a public Allow).",
};

struct TrailTarget {
    subject: Subject,
    name: String,
    bucket: Fact<String>,
}

struct Bucket {
    name: String,
    account: String,
    exposure: Fact<Exposure>,
    block: Fact<Neutralisers>,
}

struct AccountBlock {
    account: String,
    block: Fact<Neutralisers>,
}

/// Whether the bucket's ACL grants any access to the public (the S3 rules' own judgement).
fn acl_fact(item: &ConfigItem) -> Fact<Option<String>> {
    let acl = supplementary(item, "AccessControlList")?
        .ok_or_else(|| format!("bucket {} has no AccessControlList in the inventory", item.resource_id))?;
    Ok(acl_exposure(&decoded(acl), Access::Any))
}

/// Whether the bucket's policy lets the public read or write (the S3 rules' own judgement, on
/// the policy they parsed already).
fn policy_fact(item: &ConfigItem, cx: &mut Cx<'_>) -> Fact<Option<String>> {
    match &bucket_policy(item, cx).0 {
        Ok(policy) => Ok(policy.as_ref().and_then(|policy| policy_exposure(policy, Access::Any))),
        Err(reason) => Err(reason.clone()),
    }
}

fn block_of(value: Option<&Value>, missing: impl FnOnce() -> String) -> Fact<Neutralisers> {
    match value.map(decoded) {
        None => Err(missing()),
        Some(block) if block.is_null() => Ok(Neutralisers::default()),
        Some(block) => Ok(Neutralisers::of(Some(&block))),
    }
}

fn read_bucket(item: &ConfigItem, cx: &mut Cx<'_>) -> Bucket {
    let name = item.config("name").and_then(Value::as_str).unwrap_or(&item.resource_id).to_owned();
    let exposure = acl_fact(item).and_then(|acl| Ok(Exposure { acl, policy: policy_fact(item, cx)? }));
    let block = match item.collection_error("PublicAccessBlockConfiguration") {
        Some(reason) => Err(format!("the public access block of bucket {name} could not be read: {reason}")),
        None => block_of(item.supplementary("PublicAccessBlockConfiguration"), || {
            format!("bucket {name} has no PublicAccessBlockConfiguration in the inventory")
        }),
    };
    Bucket { name, account: item.account_id.clone(), exposure, block }
}

fn read_account(item: &ConfigItem) -> AccountBlock {
    let account = item.account_id.clone();
    let block = match item.collection_error("s3PublicAccessBlock") {
        Some(reason) => Err(format!("the account-level public access block of {account} could not be read: {reason}")),
        None => block_of(item.config("s3PublicAccessBlock"), || {
            format!("account {account} has no s3PublicAccessBlock in the inventory")
        }),
    };
    AccountBlock { account, block }
}

impl Rule for MamoriCloudtrailBucketNotPublic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        match item.resource_type.as_str() {
            ACCOUNT_TYPE if item.config("homeRegion").and_then(as_bool) == Some(true) => {
                cx.note(Scope::Inventory, read_account(item))
            }
            BUCKET_TYPE => {
                let bucket = read_bucket(item, cx);
                cx.note(Scope::Inventory, bucket)
            }
            TRAIL_TYPE if !is_shadow_copy(item) => {
                let name = trail_name(item).to_owned();
                let bucket = match item.config("s3BucketName") {
                    Some(Value::String(bucket)) if !bucket.is_empty() => Ok(bucket.clone()),
                    _ => Err(format!("trail {name} has no s3BucketName in the inventory")),
                };
                cx.note(Scope::Inventory, TrailTarget { subject: cx.subject_of(item), name, bucket });
            }
            _ => {}
        }
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let buckets = notes.of::<Bucket>();
        // Every bucket of the organization, looked up once per trail: the first of a name counts.
        let mut by_name: HashMap<&str, &Bucket> = HashMap::with_capacity(buckets.len());
        for bucket in &buckets {
            by_name.entry(bucket.name.as_str()).or_insert(bucket);
        }
        let accounts = notes.of::<AccountBlock>();
        for trail in notes.of::<TrailTarget>() {
            let (status, message) = judge(&trail, &by_name, &accounts);
            cx.verdict(trail.subject, status, message);
        }
    }
}

fn judge(trail: &TrailTarget, buckets: &HashMap<&str, &Bucket>, accounts: &[AccountBlock]) -> (Status, String) {
    let name = &trail.name;
    let bucket_name = match &trail.bucket {
        Ok(bucket) => bucket,
        Err(reason) => return (Status::Error, reason.clone()),
    };
    let Some(bucket) = buckets.get(bucket_name.as_str()) else {
        return (
            Status::Error,
            format!(
                "trail {name} delivers to bucket {bucket_name}, which is not in the inventory (collect the account that owns it)"
            ),
        );
    };
    let exposure = match &bucket.exposure {
        Ok(exposure) if exposure.is_empty() => {
            return (
                Status::Pass,
                format!(
                    "trail {name} delivers to bucket {bucket_name}, which neither its ACL nor its policy makes public"
                ),
            )
        }
        Ok(exposure) => exposure,
        Err(reason) => return (Status::Error, format!("trail {name} delivers to bucket {bucket_name}: {reason}")),
    };
    let mut remaining = exposure.clone();
    let mut unknown = Vec::new();
    match &bucket.block {
        Ok(block) => remaining = remaining.after(*block),
        Err(reason) => unknown.push(reason.clone()),
    }
    match accounts.iter().find(|account| account.account == bucket.account).map(|account| &account.block) {
        Some(Ok(block)) => remaining = remaining.after(*block),
        Some(Err(reason)) => unknown.push(reason.clone()),
        None => unknown.push(format!(
            "the account-level public access block of {} is unknown (its home-region AWS::::Account record is not in the inventory)",
            bucket.account
        )),
    }
    if remaining.is_empty() {
        (
            Status::Pass,
            format!(
                "trail {name} delivers to bucket {bucket_name}: {}, but public access blocks neutralise it",
                exposure.describe()
            ),
        )
    } else if !unknown.is_empty() {
        (
            Status::Error,
            format!("trail {name} delivers to bucket {bucket_name}: {}; {}", remaining.describe(), unknown.join("; ")),
        )
    } else {
        (
            Status::Fail,
            format!("trail {name} delivers to bucket {bucket_name}, which is public: {}", remaining.describe()),
        )
    }
}
