//! `s3-bucket-level-public-access-prohibited`: every bucket has all four Block Public Access
//! settings on at the bucket level.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a bucket not named in
//! `excludedPublicBuckets` lacks any of blockPublicAcls, ignorePublicAcls, blockPublicPolicy or
//! restrictPublicBuckets in its own `PublicAccessBlockConfiguration` (null = none set). The
//! account-level block is checked by `s3-account-level-public-access-blocks-periodic`.

use mamori_model::{ConfigItem, Severity};

use super::shared::{block_flag, decoded, BUCKET_TYPE};
use crate::support::item::supplementary;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3BucketLevelPublicAccessProhibited;

const FIELDS: [&str; 4] = ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"];

static META: RuleMeta = RuleMeta {
    id: "s3-bucket-level-public-access-prohibited",
    service: "s3",
    title: "S3 buckets block public access at the bucket level",
    severity: Severity::High,
    resource_types: &[BUCKET_TYPE],
    params: &[ParamSpec {
        name: "excludedPublicBuckets",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated names of buckets that are public on purpose (exempt from the rule).",
    }],
    rationale: "A bucket-level block keeps a bucket private even if someone later attaches a public ACL or policy to it, and keeps it private if the account-level block is ever turned off.",
    remediation: "S3 console > bucket > Permissions > Block public access (bucket settings) > Edit > Block all public access, or `aws s3api put-public-access-block --bucket NAME --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    stride: Stride::InformationDisclosure,
    cis: &["2.1.4"],
    fsbp: &["S3.8"],
    notes: "AWS Config omits PublicAccessBlockConfiguration from a bucket that has none, where mamori's collector records null: on AWS Config data such buckets are ERROR (not collected) rather than FAIL.",
};

impl Rule for S3BucketLevelPublicAccessProhibited {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = &item.resource_id;
        if cx.params().list("excludedPublicBuckets").iter().any(|excluded| excluded == name) {
            return cx.pass(item, format!("bucket {name} is listed in excludedPublicBuckets"));
        }
        let block = match supplementary(item, "PublicAccessBlockConfiguration") {
            Ok(Some(block)) => decoded(block),
            Ok(None) if item.supplementary("PublicAccessBlockConfiguration").is_some() => {
                return cx.fail(item, format!("bucket {name} has no bucket-level public access block"))
            }
            Ok(None) => {
                return cx.error(item, format!("bucket {name} has no PublicAccessBlockConfiguration in the inventory"))
            }
            Err(reason) => return cx.error(item, reason),
        };
        let off: Vec<&str> = FIELDS.into_iter().filter(|field| !block_flag(&block, field)).collect();
        if off.is_empty() {
            cx.pass(item, format!("bucket {name} blocks all public access at the bucket level"))
        } else {
            cx.fail(
                item,
                format!("bucket {name}: the bucket-level public access block does not enable {}", off.join(", ")),
            )
        }
    }
}
