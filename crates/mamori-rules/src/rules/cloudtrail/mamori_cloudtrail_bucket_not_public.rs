//! `mamori-cloudtrail-bucket-not-public`: the bucket receiving a trail's logs is not public.
//!
//! For each trail, its `s3BucketName` is looked up among the `AWS::S3::Bucket` items of the whole
//! inventory (it often lives in a log-archive account): FAIL when the bucket's ACL grants
//! anything to AllUsers or AuthenticatedUsers, or a bucket policy `Allow` to `*` without a
//! narrowing condition covers reading or writing objects, unless the bucket's own or its
//! owner's account-level public access block (`ignorePublicAcls`, `restrictPublicBuckets`)
//! neutralises it. A bucket missing from the inventory is ERROR, naming the bucket.

use std::borrow::Cow;

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};
use serde_json::Value;

use super::trail::{field, is_shadow_copy, trail_name, Fact, TRAIL_TYPE};
use crate::support::item::{as_bool, as_list, supplementary};
use crate::support::policy::PolicyDocument;
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

/// The two block settings that neutralise exposure already in place.
#[derive(Debug, Clone, Copy, Default)]
struct Neutralisers {
    ignore_public_acls: bool,
    restrict_public_buckets: bool,
}

impl Neutralisers {
    fn of(block: &Value) -> Neutralisers {
        let flag = |key: &str| field(block, key).and_then(as_bool).unwrap_or(false);
        Neutralisers {
            ignore_public_acls: flag("ignorePublicAcls"),
            restrict_public_buckets: flag("restrictPublicBuckets"),
        }
    }
}

/// Why a bucket is public, by ACL and by policy.
#[derive(Debug, Clone, Default)]
struct Exposure {
    acl: Option<String>,
    policy: Option<String>,
}

impl Exposure {
    fn is_empty(&self) -> bool {
        self.acl.is_none() && self.policy.is_none()
    }

    fn after(&self, block: Neutralisers) -> Exposure {
        Exposure {
            acl: self.acl.clone().filter(|_| !block.ignore_public_acls),
            policy: self.policy.clone().filter(|_| !block.restrict_public_buckets),
        }
    }

    fn describe(&self) -> String {
        [self.acl.as_deref(), self.policy.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" and ")
    }
}

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

/// A value as JSON: the Config APIs encode `AccessControlList` twice.
fn decoded(value: &Value) -> Cow<'_, Value> {
    let mut current = Cow::Borrowed(value);
    for _ in 0..3 {
        match current.as_ref() {
            Value::String(text) if text.trim_start().starts_with(['{', '[', '"']) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(next) => current = Cow::Owned(next),
                    Err(_) => break,
                }
            }
            _ => break,
        }
    }
    current
}

/// AWS Config writes the grantee `"AllUsers"`; the S3 API `{"URI": ".../global/AllUsers"}`.
fn public_group(grantee: &Value) -> Option<&'static str> {
    let text = match grantee {
        Value::String(text) => text.as_str(),
        other => field(other, "uri").or_else(|| other.get("URI")).and_then(Value::as_str)?,
    };
    match text.rsplit('/').next().unwrap_or(text) {
        name if name.eq_ignore_ascii_case("AllUsers") => Some("AllUsers"),
        name if name.eq_ignore_ascii_case("AuthenticatedUsers") => Some("AuthenticatedUsers"),
        _ => None,
    }
}

fn acl_exposure(item: &ConfigItem) -> Fact<Option<String>> {
    let acl = supplementary(item, "AccessControlList")?
        .ok_or_else(|| format!("bucket {} has no AccessControlList in the inventory", item.resource_id))?;
    let acl = decoded(acl);
    // Every ACL permission (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL) reads or writes.
    for grant in ["grantList", "grantSet", "grants"].into_iter().flat_map(|key| as_list(field(&acl, key))) {
        if let Some(group) = field(grant, "grantee").and_then(public_group) {
            let permission = field(grant, "permission").and_then(Value::as_str).unwrap_or("access");
            return Ok(Some(format!("its ACL grants {permission} to {group}")));
        }
    }
    Ok(None)
}

const PUBLIC_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
];

fn policy_exposure(item: &ConfigItem) -> Fact<Option<String>> {
    let name = &item.resource_id;
    let policy = match supplementary(item, "BucketPolicy")? {
        Some(policy) => decoded(policy),
        None if item.supplementary("BucketPolicy").is_some() => return Ok(None),
        None => return Err(format!("bucket {name} has no BucketPolicy in the inventory")),
    };
    let text = match field(&policy, "policyText").map(decoded) {
        None => return Ok(None),
        Some(text) if text.is_null() => return Ok(None),
        Some(text) => text,
    };
    let document = PolicyDocument::parse(&text)
        .map_err(|reason| format!("the bucket policy of {name} cannot be read: {reason}"))?;
    for statement in document.allow_statements() {
        // Only conditions on fixed values narrow a `*` principal: a wildcard may match anyone.
        let fixed = statement.conditions().iter().all(|(_, _, values)| values.iter().all(|v| !v.contains(['*', '$'])));
        if !statement.has_public_principal() || (fixed && statement.condition_restricts_principal()) {
            continue;
        }
        if let Some(action) = PUBLIC_ACTIONS.iter().find(|action| statement.covers_action(action)) {
            let sid = statement.sid.as_deref().map(|sid| format!(" (statement `{sid}`)")).unwrap_or_default();
            return Ok(Some(format!("its bucket policy{sid} allows {action} to everyone")));
        }
    }
    Ok(None)
}

fn block_of(value: Option<&Value>, missing: impl FnOnce() -> String) -> Fact<Neutralisers> {
    match value.map(decoded) {
        None => Err(missing()),
        Some(block) if block.is_null() => Ok(Neutralisers::default()),
        Some(block) => Ok(Neutralisers::of(&block)),
    }
}

fn read_bucket(item: &ConfigItem) -> Bucket {
    let name = item.config("name").and_then(Value::as_str).unwrap_or(&item.resource_id).to_owned();
    let exposure = acl_exposure(item).and_then(|acl| Ok(Exposure { acl, policy: policy_exposure(item)? }));
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
            BUCKET_TYPE => cx.note(Scope::Inventory, read_bucket(item)),
            TRAIL_TYPE if !is_shadow_copy(item) => {
                let name = trail_name(item).to_owned();
                let bucket = match item.config("s3BucketName") {
                    Some(Value::String(bucket)) if !bucket.is_empty() => Ok(bucket.clone()),
                    _ => Err(format!("trail {name} has no s3BucketName in the inventory")),
                };
                cx.note(Scope::Inventory, TrailTarget { subject: Subject::of(item), name, bucket });
            }
            _ => {}
        }
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let buckets = notes.of::<Bucket>();
        let accounts = notes.of::<AccountBlock>();
        for trail in notes.of::<TrailTarget>() {
            let (status, message) = judge(&trail, &buckets, &accounts);
            cx.verdict(trail.subject, status, message);
        }
    }
}

fn judge(trail: &TrailTarget, buckets: &[Bucket], accounts: &[AccountBlock]) -> (Status, String) {
    let name = &trail.name;
    let bucket_name = match &trail.bucket {
        Ok(bucket) => bucket,
        Err(reason) => return (Status::Error, reason.clone()),
    };
    let Some(bucket) = buckets.iter().find(|bucket| bucket.name == *bucket_name) else {
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
