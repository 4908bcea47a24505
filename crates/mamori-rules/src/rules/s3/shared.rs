//! What the S3 rules share: reading a bucket's policy and ACL in every spelling AWS uses, the
//! public access block, and the public-read / public-write judgement.
//!
//! `s3-bucket-public-read-prohibited` and `s3-bucket-public-write-prohibited` differ only in the
//! permissions and actions they look for, so the whole judgement lives here. A bucket that is
//! not public by its own ACL or policy, or whose own block neutralises that, is decided as it
//! passes; only a bucket that would be public leaves a note, decided in `conclude` with the
//! account-level block from the account's home-region `AWS::::Account` record.

use std::borrow::Cow;
use std::sync::Arc;

use mamori_model::{ConfigItem, Status, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, supplementary};
use crate::support::policy::{PolicyDocument, Statement};
use crate::{Cx, Notes, Scope, Subject};

pub(super) const BUCKET_TYPE: &str = "AWS::S3::Bucket";

/// A value as JSON: the Config APIs encode supplementary values as JSON text, and
/// `AccessControlList` is encoded twice, so strings holding JSON are decoded until they are not.
pub(crate) fn decoded(value: &Value) -> Cow<'_, Value> {
    let mut current = Cow::Borrowed(value);
    for _ in 0..3 {
        let next = match current.as_ref() {
            Value::String(text) if text.trim_start().starts_with(['{', '[', '"']) => {
                match serde_json::from_str::<Value>(text) {
                    Ok(next) => next,
                    Err(_) => break,
                }
            }
            _ => break,
        };
        current = Cow::Owned(next);
    }
    current
}

/// The bucket policy: `None` when the bucket has none (`BucketPolicy` or its `policyText`
/// null); an error when `BucketPolicy` was not collected or does not parse. Parsed once per
/// bucket for all the S3 rules that read it.
pub(crate) fn bucket_policy(item: &ConfigItem, cx: &mut Cx<'_>) -> Arc<BucketPolicy> {
    cx.memo(item, || BucketPolicy(read_bucket_policy(item)))
}

/// The memo slot of [`bucket_policy`] (memo slots are keyed by type, so each computation has
/// a type of its own).
pub(crate) struct BucketPolicy(pub(crate) Result<Option<PolicyDocument>, String>);

pub(crate) fn read_bucket_policy(item: &ConfigItem) -> Result<Option<PolicyDocument>, String> {
    let policy = match supplementary(item, "BucketPolicy")? {
        Some(policy) => decoded(policy),
        None if item.supplementary("BucketPolicy").is_some() => return Ok(None),
        None => return Err(format!("bucket {} has no BucketPolicy in the inventory", item.resource_id)),
    };
    let text = match policy.get("policyText").map(|text| decoded(text)) {
        None => return Ok(None),
        Some(text) if text.is_null() => return Ok(None),
        Some(text) => text,
    };
    PolicyDocument::parse_cow(text)
        .map(Some)
        .map_err(|reason| format!("the bucket policy of {} cannot be read: {reason}", item.resource_id))
}

/// The bucket's ARN, as the resource of its own policy names it.
pub(super) fn bucket_arn(item: &ConfigItem) -> String {
    match &item.arn {
        Some(arn) if arn.starts_with("arn:") => arn.clone(),
        _ => format!("arn:aws:s3:::{}", item.resource_id),
    }
}

/// A field of a public access block (`blockPublicAcls`), also accepting the API's PascalCase.
pub(super) fn block_flag(block: &Value, camel: &str) -> bool {
    let mut pascal = camel.to_owned();
    if let Some(first) = pascal.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    block.get(camel).or_else(|| block.get(&pascal)).and_then(as_bool).unwrap_or(false)
}

/// The two settings of a public access block that neutralise exposure that already exists
/// (`blockPublicAcls` and `blockPublicPolicy` only refuse new public ACLs and policies).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Neutralisers {
    ignore_public_acls: bool,
    restrict_public_buckets: bool,
}

impl Neutralisers {
    pub(crate) fn of(block: Option<&Value>) -> Neutralisers {
        match block {
            Some(block) => Neutralisers {
                ignore_public_acls: block_flag(block, "ignorePublicAcls"),
                restrict_public_buckets: block_flag(block, "restrictPublicBuckets"),
            },
            None => Neutralisers::default(),
        }
    }
}

/// Which public access a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    /// Either: any public access is too much (a bucket receiving CloudTrail logs).
    Any,
}

impl Access {
    fn word(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Any => "read or write",
        }
    }

    /// ACL permissions (normalised: lower case, no `_`) that give this access.
    fn acl_permissions(self) -> &'static [&'static str] {
        match self {
            Access::Read => &["read", "readacp", "fullcontrol"],
            Access::Write => &["write", "writeacp", "fullcontrol"],
            Access::Any => &["read", "readacp", "write", "writeacp", "fullcontrol"],
        }
    }

    fn policy_actions(self) -> &'static [&'static str] {
        match self {
            Access::Read => &["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"],
            Access::Write => &[
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:PutObjectAcl",
                "s3:PutBucketAcl",
                "s3:PutBucketPolicy",
            ],
            Access::Any => &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:PutObjectAcl",
                "s3:PutBucketAcl",
                "s3:PutBucketPolicy",
            ],
        }
    }
}

/// Why a bucket is public, by the two paths S3 offers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exposure {
    pub(crate) acl: Option<String>,
    pub(crate) policy: Option<String>,
}

impl Exposure {
    pub(crate) fn is_empty(&self) -> bool {
        self.acl.is_none() && self.policy.is_none()
    }

    pub(crate) fn after(&self, block: Neutralisers) -> Exposure {
        Exposure {
            acl: self.acl.clone().filter(|_| !block.ignore_public_acls),
            policy: self.policy.clone().filter(|_| !block.restrict_public_buckets),
        }
    }

    pub(crate) fn describe(&self) -> String {
        let parts: Vec<&str> = [self.acl.as_deref(), self.policy.as_deref()].into_iter().flatten().collect();
        parts.join(" and ")
    }
}

/// The public group an ACL grantee names, if any: AWS Config writes `"AllUsers"`, the S3 API
/// `{"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}`.
fn public_group(grantee: &Value) -> Option<&'static str> {
    let text = match grantee {
        Value::String(text) => text.as_str(),
        Value::Object(map) => map.get("uri").or_else(|| map.get("URI")).and_then(Value::as_str)?,
        _ => return None,
    };
    let name = text.rsplit('/').next().unwrap_or(text);
    if name.eq_ignore_ascii_case("AllUsers") {
        Some("AllUsers")
    } else if name.eq_ignore_ascii_case("AuthenticatedUsers") {
        Some("AuthenticatedUsers")
    } else {
        None
    }
}

pub(crate) fn acl_exposure(acl: &Value, access: Access) -> Option<String> {
    let grants = ["grantList", "grantSet", "Grants", "grants"].into_iter().flat_map(|key| as_list(acl.get(key)));
    for grant in grants {
        let Some(group) = grant.get("grantee").or_else(|| grant.get("Grantee")).and_then(public_group) else {
            continue;
        };
        let permission = grant.get("permission").or_else(|| grant.get("Permission")).and_then(Value::as_str);
        let Some(permission) = permission else { continue };
        let normalised = permission.replace('_', "").to_ascii_lowercase();
        if access.acl_permissions().contains(&normalised.as_str()) {
            return Some(format!("its ACL grants {permission} to {group}"));
        }
    }
    None
}

/// Whether a condition really limits who may use a `"*"` statement. As AWS, only conditions
/// with fixed values count: a wildcard or a policy variable in any value may match anyone.
fn narrowed(statement: &Statement) -> bool {
    let fixed = statement
        .conditions()
        .iter()
        .all(|(_, _, values)| values.iter().all(|value| !value.contains('*') && !value.contains("${")));
    fixed && statement.condition_restricts_principal()
}

pub(crate) fn policy_exposure(policy: &PolicyDocument, access: Access) -> Option<String> {
    for statement in policy.allow_statements() {
        if !statement.has_public_principal() || narrowed(statement) {
            continue;
        }
        if let Some(action) = access.policy_actions().iter().find(|action| statement.covers_action(action)) {
            let sid = statement.sid.as_deref().map(|sid| format!(" (statement `{sid}`)")).unwrap_or_default();
            return Some(format!("its bucket policy{sid} allows {action} to everyone"));
        }
    }
    None
}

/// What a bucket's own public access block is known to be.
#[derive(Debug, Clone)]
enum BucketBlock {
    Known(Neutralisers),
    Unknown(String),
}

/// A bucket that is public by its own ACL or policy, waiting for the account-level block.
struct PendingBucket {
    subject: Subject,
    exposure: Exposure,
    block: BucketBlock,
}

/// The account-level block of one account (from its home-region record), or why it is unknown.
struct AccountBlock(Result<Neutralisers, String>);

/// The `evaluate` of the public-read and public-write rules.
pub(super) fn evaluate_public_access(item: &ConfigItem, cx: &mut Cx<'_>, access: Access) {
    if item.resource_type == ACCOUNT_TYPE {
        if item.config("homeRegion").and_then(as_bool) == Some(true) {
            cx.note(Scope::account_of(item), AccountBlock(account_block(item)));
        }
        return;
    }
    let name = &item.resource_id;
    let acl = match supplementary(item, "AccessControlList") {
        Ok(Some(acl)) => decoded(acl),
        Ok(None) => return cx.error(item, format!("bucket {name} has no AccessControlList in the inventory")),
        Err(reason) => return cx.error(item, reason),
    };
    let parsed = bucket_policy(item, cx);
    let policy = match &parsed.0 {
        Ok(policy) => policy.as_ref(),
        Err(reason) => return cx.error(item, reason),
    };
    let exposure =
        Exposure { acl: acl_exposure(&acl, access), policy: policy.and_then(|policy| policy_exposure(policy, access)) };
    let word = access.word();
    if exposure.is_empty() {
        return cx
            .pass(item, format!("bucket {name}: neither its ACL nor its bucket policy allows public {word} access"));
    }
    let block = match supplementary(item, "PublicAccessBlockConfiguration") {
        Ok(Some(block)) => BucketBlock::Known(Neutralisers::of(Some(&decoded(block)))),
        Ok(None) if item.supplementary("PublicAccessBlockConfiguration").is_some() => {
            BucketBlock::Known(Neutralisers::default())
        }
        Ok(None) => {
            BucketBlock::Unknown(format!("bucket {name} has no PublicAccessBlockConfiguration in the inventory"))
        }
        Err(reason) => BucketBlock::Unknown(reason),
    };
    if let BucketBlock::Known(neutralisers) = &block {
        if exposure.after(*neutralisers).is_empty() {
            return cx.pass(
                item,
                format!(
                    "bucket {name}: {}, but its bucket-level public access block neutralises it",
                    exposure.describe()
                ),
            );
        }
    }
    cx.note(Scope::account_of(item), PendingBucket { subject: cx.subject_of(item), exposure, block });
}

fn account_block(item: &ConfigItem) -> Result<Neutralisers, String> {
    let account = &item.account_id;
    if let Some(reason) = item.collection_error("s3PublicAccessBlock") {
        return Err(format!(
            "the account-level S3 public access block of account {account} could not be read: {reason}"
        ));
    }
    match item.config("s3PublicAccessBlock").map(|block| decoded(block)) {
        None => Err(format!("account {account} has no s3PublicAccessBlock in the inventory")),
        Some(block) if block.is_null() => Ok(Neutralisers::default()),
        Some(block) => Ok(Neutralisers::of(Some(&block))),
    }
}

/// The `conclude` of the public-read and public-write rules: one scope is one account.
pub(super) fn conclude_public_access(mut notes: Notes, cx: &mut Cx<'_>, access: Access) {
    let accounts = notes.of::<AccountBlock>();
    let word = access.word();
    for bucket in notes.of::<PendingBucket>() {
        let (name, account) = (&bucket.subject.resource_id, &bucket.subject.account_id);
        let (status, message) = match accounts.first().map(|block| &block.0) {
            None => (
                Status::Error,
                format!(
                    "bucket {name}: {}; the account-level public access block of account {account} is unknown (its home-region {ACCOUNT_TYPE} record is not in the inventory)",
                    bucket.exposure.describe()
                ),
            ),
            Some(Err(reason)) => (Status::Error, format!("bucket {name}: {}; {reason}", bucket.exposure.describe())),
            Some(Ok(account_block)) => {
                let after_account = bucket.exposure.after(*account_block);
                let exposed = bucket.exposure.describe();
                match &bucket.block {
                    _ if after_account.is_empty() => (
                        Status::Pass,
                        format!("bucket {name}: {exposed}, but the account-level public access block neutralises it"),
                    ),
                    BucketBlock::Unknown(reason) => {
                        (Status::Error, format!("bucket {name}: {}; {reason}", after_account.describe()))
                    }
                    BucketBlock::Known(own) => {
                        let remaining = after_account.after(*own);
                        if remaining.is_empty() {
                            (
                                Status::Pass,
                                format!(
                                    "bucket {name}: {exposed}, but its own and the account-level public access blocks together neutralise it"
                                ),
                            )
                        } else {
                            (Status::Fail, format!("bucket {name} allows public {word} access: {}", remaining.describe()))
                        }
                    }
                }
            }
        };
        cx.verdict(bucket.subject, status, message);
    }
}
