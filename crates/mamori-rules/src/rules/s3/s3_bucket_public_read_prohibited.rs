//! `s3-bucket-public-read-prohibited`: nobody outside the account can read a bucket anonymously.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the ACL grants `Read`/`ReadAcp`/`FullControl`
//! to AllUsers or AuthenticatedUsers (unless a block ignores public ACLs), or a policy `Allow` to
//! `*` covers `s3:GetObject` or `s3:ListBucket` (and kin) with no condition on fixed accounts,
//! VPCs, endpoints, organizations or IP ranges (unless a block restricts public buckets). mamori
//! also applies the account-level block, which AWS's rule does not evaluate, and judges statements
//! one by one (a `Deny` does not cancel a public `Allow`).

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};

use super::shared::{conclude_public_access, evaluate_public_access, Access, BUCKET_TYPE};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride};

pub struct S3BucketPublicReadProhibited;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-public-read-prohibited",
    service: "s3",
    title: "S3 buckets do not allow public read access",
    severity: Severity::Critical,
    resource_types: &[BUCKET_TYPE, ACCOUNT_TYPE],
    params: &[],
    rationale: "A bucket readable by anyone is the most common way data leaks from AWS: scanners enumerate bucket names continuously and download whatever a public ACL or policy exposes.",
    remediation: "Remove the AllUsers/AuthenticatedUsers grants (`aws s3api put-bucket-acl --bucket NAME --acl private`) and the public `Allow` statements of the bucket policy, then turn on Block Public Access: `aws s3api put-public-access-block --bucket NAME --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`. Serve public content through CloudFront with origin access control instead.",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["S3.2"],
    notes: "Also applies the account-level public access block, which AWS's rule does not evaluate; judges policy statements one by one, so a Deny elsewhere in the policy does not cancel a public Allow; a bucket whose exposure only an unknown block could neutralise is ERROR.",
};

impl Rule for S3BucketPublicReadProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        evaluate_public_access(item, cx, Access::Read);
    }

    fn conclude(&self, _scope: &Scope, notes: Notes, cx: &mut Cx<'_>) {
        conclude_public_access(notes, cx, Access::Read);
    }
}
