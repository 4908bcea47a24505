//! `ec2-ebs-encryption-by-default`: EBS encryption by default is on in every account and region.
//!
//! Same semantics as the AWS Config managed rule, read from mamori's `AWS::::Account` records:
//! every record (one per account and region) is judged on `ebsEncryptionByDefault`; `false`
//! or `null` is FAIL, absent is ERROR.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct Ec2EbsEncryptionByDefault;

static META: RuleMeta = RuleMeta {
    id: "ec2-ebs-encryption-by-default",
    service: "ec2",
    title: "EBS encryption by default is enabled in every account and region",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "With encryption by default, every new EBS volume and snapshot copy is encrypted at rest without relying on each launch request to ask for it, so data cannot be left unencrypted by omission.",
    remediation: "Enable it in each region: `aws ec2 enable-ebs-encryption-by-default --region REGION` (EC2 console > Dashboard > Account attributes > Data protection and security > Manage > Enable).",
    stride: Stride::InformationDisclosure,
    cis: &["2.2.1"],
    fsbp: &["EC2.7"],
    notes: "",
};

impl Rule for Ec2EbsEncryptionByDefault {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        match required(item, "ebsEncryptionByDefault") {
            Ok(Value::Null) => {
                cx.fail(item, format!("account {account} has EBS encryption by default disabled in {region}"))
            }
            Ok(value) => match as_bool(value) {
                Some(true) => {
                    cx.pass(item, format!("account {account} has EBS encryption by default enabled in {region}"))
                }
                Some(false) => {
                    cx.fail(item, format!("account {account} has EBS encryption by default disabled in {region}"))
                }
                None => {
                    cx.error(item, format!("account {account} has an unreadable ebsEncryptionByDefault in {region}"))
                }
            },
            Err(reason) => cx.error(item, reason),
        }
    }
}
