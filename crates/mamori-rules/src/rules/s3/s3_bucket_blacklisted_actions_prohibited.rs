//! `s3-bucket-blacklisted-actions-prohibited`: bucket policies do not grant other accounts
//! sensitive bucket and object actions.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when an `Allow` statement of the bucket policy
//! covers one of `blacklistedActionPatterns` for a principal outside the bucket's account
//! (`*`, or an AWS principal of another account). The default patterns are the ones Security
//! Hub sets for S3.6. A bucket policy absent from the inventory is ERROR; no policy passes.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{bucket_policy, BUCKET_TYPE};
use crate::support::policy::{wildcard_match, Statement};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3BucketBlacklistedActionsProhibited;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-blacklisted-actions-prohibited",
    service: "s3",
    title: "S3 bucket policies do not let other accounts change the bucket's policy, ACLs or encryption, or delete it",
    severity: Severity::High,
    resource_types: &[BUCKET_TYPE],
    params: &[ParamSpec {
        name: "blacklistedActionPatterns",
        kind: ParamKind::List,
        default: "s3:DeleteBucketPolicy,s3:PutBucketAcl,s3:PutBucketPolicy,s3:PutEncryptionConfiguration,s3:PutObjectAcl",
        description: "Comma-separated action patterns other accounts must not be allowed.",
    }],
    rationale: "An account allowed to rewrite the bucket policy, ACLs or encryption of another account's bucket can take the bucket over: open it to the world, lock its owner out or strip its encryption.",
    remediation: "Remove the actions from the statements that name other accounts (`aws s3api put-bucket-policy --bucket NAME --policy file://policy.json`), granting them only to principals of the bucket's own account.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &["S3.6"],
    notes: "Principals are read from the statement: `*`, or AWS principals (account ids or ARNs) of another account. Service principals are not judged. Conditions are not read.",
};

/// The principals of a statement outside `account`, as text for messages.
fn outside_principals(statement: &Statement, account: &str) -> Vec<String> {
    if statement.has_public_principal() {
        return vec!["*".to_owned()];
    }
    let aws = match &statement.principal {
        Some(Value::Object(map)) => map.get("AWS"),
        _ => None,
    };
    let list: Vec<&str> = match aws {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(|principal| {
            let owner =
                if principal.starts_with("arn:") { principal.split(':').nth(4).unwrap_or("") } else { principal };
            owner != account
        })
        .map(str::to_owned)
        .collect()
}

impl Rule for S3BucketBlacklistedActionsProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        let policy = bucket_policy(item, cx);
        let policy = match &policy.0 {
            Ok(Some(policy)) => policy,
            Ok(None) => return cx.pass(item, format!("bucket {name} has no bucket policy")),
            Err(reason) => return cx.error(item, reason.clone()),
        };
        let patterns = cx.params().list("blacklistedActionPatterns");
        let mut found = Vec::new();
        for statement in policy.allow_statements() {
            let outsiders = outside_principals(statement, &item.account_id);
            if outsiders.is_empty() {
                continue;
            }
            let actions: Vec<&str> = patterns
                .iter()
                .filter(|pattern| {
                    statement.covers_action(pattern)
                        || statement.actions.iter().any(|action| wildcard_match(pattern, action))
                })
                .map(String::as_str)
                .collect();
            if !actions.is_empty() {
                found.push(format!("{} to {}", actions.join(", "), outsiders.join(", ")));
            }
        }
        if found.is_empty() {
            cx.pass(item, format!("bucket {name}'s policy grants no blocked action to other accounts"))
        } else {
            cx.fail(item, format!("bucket {name}'s policy allows {}", found.join("; ")))
        }
    }
}
