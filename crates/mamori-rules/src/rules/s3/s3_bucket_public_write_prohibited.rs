//! `s3-bucket-public-write-prohibited`: nobody outside the account can write to a bucket anonymously.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the ACL grants
//! `Write`/`WriteAcp`/`FullControl` to AllUsers or AuthenticatedUsers (unless a block ignores
//! public ACLs), or a policy `Allow` to `*` covers `s3:PutObject`, `s3:DeleteObject` or
//! `s3:PutBucketPolicy` (and kin) with no condition on fixed accounts, VPCs, endpoints,
//! organizations or IP ranges (unless a block restricts public buckets). mamori also applies the
//! account-level block, which AWS's rule does not evaluate, and judges statements one by one (a
//! `Deny` does not cancel a public `Allow`).

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};

use super::shared::{conclude_public_access, evaluate_public_access, Access, BUCKET_TYPE};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride};

pub struct S3BucketPublicWriteProhibited;

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-public-write-prohibited",
    service: "s3",
    title: "S3 buckets do not allow public write access",
    severity: Severity::Critical,
    resource_types: &[BUCKET_TYPE, ACCOUNT_TYPE],
    params: &[],
    rationale: "A bucket writable by anyone lets strangers delete or overwrite data, plant malware in content others download, and run up storage bills; with public ACL or policy writes they can even take the bucket over.",
    remediation: "Remove the AllUsers/AuthenticatedUsers grants (`aws s3api put-bucket-acl --bucket NAME --acl private`) and the public `Allow` statements of the bucket policy, then turn on Block Public Access: `aws s3api put-public-access-block --bucket NAME --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &["S3.3"],
    notes: "Also applies the account-level public access block, which AWS's rule does not evaluate; judges policy statements one by one, so a Deny elsewhere in the policy does not cancel a public Allow; a bucket whose exposure only an unknown block could neutralise is ERROR.",
};

impl Rule for S3BucketPublicWriteProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        evaluate_public_access(item, cx, Access::Write);
    }

    fn conclude(&self, _scope: &Scope, notes: Notes, cx: &mut Cx<'_>) {
        conclude_public_access(notes, cx, Access::Write);
    }
}
