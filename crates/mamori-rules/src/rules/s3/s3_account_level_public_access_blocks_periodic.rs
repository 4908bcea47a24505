//! `s3-account-level-public-access-blocks-periodic`: the account's S3 Block Public Access
//! settings are on.
//!
//! As the AWS Config managed rule: the home-region `AWS::::Account` record is NON_COMPLIANT when
//! a setting whose parameter is `True` (the default for all four) is not enabled, or when the
//! account has no block at all (`s3PublicAccessBlock` null). A parameter set to `False` means
//! "not required" here, where AWS would also flag a block that is enabled. Absent = ERROR.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};

use super::shared::{block_flag, decoded};
use crate::support::item::as_bool;
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct S3AccountLevelPublicAccessBlocksPeriodic;

/// (parameter, field of the block).
const SETTINGS: [(&str, &str); 4] = [
    ("IgnorePublicAcls", "ignorePublicAcls"),
    ("BlockPublicPolicy", "blockPublicPolicy"),
    ("BlockPublicAcls", "blockPublicAcls"),
    ("RestrictPublicBuckets", "restrictPublicBuckets"),
];

static META: RuleMeta = RuleMeta {
    id: "s3-account-level-public-access-blocks-periodic",
    service: "s3",
    title: "Every account has S3 Block Public Access enabled at the account level",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE],
    params: &[
        ParamSpec {
            name: "IgnorePublicAcls",
            kind: ParamKind::Boolean,
            default: "True",
            description: "Whether ignorePublicAcls must be enabled.",
        },
        ParamSpec {
            name: "BlockPublicPolicy",
            kind: ParamKind::Boolean,
            default: "True",
            description: "Whether blockPublicPolicy must be enabled.",
        },
        ParamSpec {
            name: "BlockPublicAcls",
            kind: ParamKind::Boolean,
            default: "True",
            description: "Whether blockPublicAcls must be enabled.",
        },
        ParamSpec {
            name: "RestrictPublicBuckets",
            kind: ParamKind::Boolean,
            default: "True",
            description: "Whether restrictPublicBuckets must be enabled.",
        },
    ],
    rationale: "The account-level block overrides every bucket's ACLs and policies, so one mistaken bucket policy or ACL cannot expose data; without it, each bucket's safety rests on each bucket's own settings.",
    remediation: "S3 console > Block Public Access settings for this account > Edit > Block all public access, or `aws s3control put-public-access-block --account-id ACCOUNT --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    stride: Stride::InformationDisclosure,
    cis: &["2.1.4"],
    fsbp: &["S3.1"],
    notes: "A parameter set to False means the setting is not required; AWS compares the setting to the parameter and would also flag a setting that is enabled.",
};

impl Rule for S3AccountLevelPublicAccessBlocksPeriodic {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if item.config("homeRegion").and_then(as_bool) != Some(true) {
            return;
        }
        let account = &item.account_id;
        if let Some(reason) = item.collection_error("s3PublicAccessBlock") {
            return cx.error(
                item,
                format!("the account-level S3 public access block of account {account} could not be read: {reason}"),
            );
        }
        let block = match item.config("s3PublicAccessBlock").map(|block| decoded(block)) {
            None => return cx.error(item, format!("account {account} has no s3PublicAccessBlock in the inventory")),
            Some(block) if block.is_null() => {
                return cx.fail(item, format!("account {account} has no account-level S3 public access block"))
            }
            Some(block) => block,
        };
        let missing: Vec<&str> = SETTINGS
            .iter()
            .filter(|(param, field)| cx.params().bool(param) == Some(true) && !block_flag(&block, field))
            .map(|(_, field)| *field)
            .collect();
        if missing.is_empty() {
            cx.pass(item, format!("account {account} has the required account-level S3 public access block settings"))
        } else {
            cx.fail(
                item,
                format!(
                    "account {account}: the account-level S3 public access block does not enable {}",
                    missing.join(", ")
                ),
            )
        }
    }
}
