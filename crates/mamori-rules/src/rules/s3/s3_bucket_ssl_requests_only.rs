//! `s3-bucket-ssl-requests-only`: a bucket refuses requests that do not use TLS.
//!
//! As the AWS Config managed rule and AWS's guidance for it: COMPLIANT only when the bucket
//! policy has a `Deny` to everyone of `s3:*` (or `*`) on the bucket and its objects under the sole
//! condition `aws:SecureTransport` = `false`. `Allow` statements conditioned on
//! `aws:SecureTransport` = `true` do not comply: other grants (IAM policies, ACLs) still work
//! over HTTP. No bucket policy is NON_COMPLIANT; a policy not in the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{bucket_arn, bucket_policy, BUCKET_TYPE};
use crate::support::policy::{wildcard_match, Statement};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct S3BucketSslRequestsOnly;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-ssl-requests-only",
    service: "s3",
    title: "S3 bucket policies deny requests that do not use TLS",
    severity: Severity::Medium,
    resource_types: &[BUCKET_TYPE],
    params: &[],
    rationale: "S3 answers plain HTTP too; without an explicit deny, a misconfigured client can send object data, keys and presigned signatures unencrypted, where anyone on the path can read or alter them.",
    remediation: "Add to the bucket policy: `{\"Sid\": \"DenyInsecureTransport\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": [\"arn:aws:s3:::NAME\", \"arn:aws:s3:::NAME/*\"], \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}` (S3 console > bucket > Permissions > Bucket policy, or `aws s3api put-bucket-policy`).",
    stride: Stride::InformationDisclosure,
    cis: &["2.1.1"],
    fsbp: &["S3.5"],
    notes: "",
};

/// Whether a statement denies everyone every S3 action on the bucket and its objects whenever
/// the request is not over TLS, and on no other condition.
fn denies_insecure_transport(statement: &Statement, bucket_arn: &str) -> bool {
    let all_actions = statement.not_actions.is_none()
        && statement.actions.iter().any(|action| action == "*" || action.eq_ignore_ascii_case("s3:*"));
    let covers = |resource: &str| {
        statement.not_resources.is_none() && statement.resources.iter().any(|pattern| wildcard_match(pattern, resource))
    };
    let conditions = statement.conditions();
    let only_insecure_transport = matches!(conditions.as_slice(), [(operator, key, values)]
        if (operator.eq_ignore_ascii_case("Bool") || operator.eq_ignore_ascii_case("BoolIfExists"))
            && key == "aws:securetransport"
            && values.iter().all(|value| value.eq_ignore_ascii_case("false"))
            && !values.is_empty());
    !statement.allow
        && statement.has_public_principal()
        && statement.not_principal.is_none()
        && all_actions
        && covers(bucket_arn)
        && covers(&format!("{bucket_arn}/*"))
        && only_insecure_transport
}

impl Rule for S3BucketSslRequestsOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        let parsed = bucket_policy(item, cx);
        let policy = match &parsed.0 {
            Ok(Some(policy)) => policy,
            Ok(None) => return cx.fail(item, format!("bucket {name} has no bucket policy, so it accepts plain HTTP")),
            Err(reason) => return cx.error(item, reason),
        };
        let arn = bucket_arn(item);
        match policy.statements.iter().find(|statement| denies_insecure_transport(statement, &arn)) {
            Some(statement) => {
                let sid = statement.sid.as_deref().map(|sid| format!(" (statement `{sid}`)")).unwrap_or_default();
                cx.pass(item, format!("bucket {name}: its policy{sid} denies every request without TLS"))
            }
            None => cx.fail(
                item,
                format!(
                    "bucket {name}: its policy has no Deny of s3:* on the bucket and its objects when aws:SecureTransport is false"
                ),
            ),
        }
    }
}
