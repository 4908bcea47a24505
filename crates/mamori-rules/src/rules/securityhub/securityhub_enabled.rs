//! `securityhub-enabled`: Security Hub is enabled in every account and region.
//!
//! As the AWS Config managed rule (SECURITYHUB_ENABLED), on every `AWS::::Account` record (one
//! finding per account and region): COMPLIANT when `securityHub.enabled` is true (DescribeHub
//! answered); `securityHub` null or `enabled` false is NON_COMPLIANT, absent is ERROR.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct SecurityhubEnabled;

static META: RuleMeta = RuleMeta {
    id: "securityhub-enabled",
    service: "securityhub",
    title: "Security Hub is enabled in every account and region",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "Security Hub gathers GuardDuty, Inspector, Macie and Config findings and runs the FSBP and CIS controls; a region without it has its findings scattered and its controls unchecked.",
    remediation: "Enable it for the organization from the Security Hub delegated administrator with central configuration, or per account and region: `aws securityhub enable-security-hub --enable-default-standards --region REGION`.",
    stride: Stride::Repudiation,
    cis: &["4.16"],
    fsbp: &[],
    notes: "Evaluated per account and region.",
};

impl Rule for SecurityhubEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        let hub = match required(item, "securityHub") {
            Ok(Value::Null) => {
                return cx.fail(item, format!("account {account} has Security Hub disabled in {region}"))
            }
            Ok(hub) => hub,
            Err(reason) => return cx.error(item, reason),
        };
        match hub.get("enabled").map(as_bool) {
            Some(Some(true)) => {
                let arn = hub.get("hubArn").and_then(Value::as_str).map(|arn| format!(" ({arn})")).unwrap_or_default();
                cx.pass(item, format!("account {account} has Security Hub enabled in {region}{arn}"))
            }
            Some(Some(false)) => cx.fail(item, format!("account {account} has Security Hub disabled in {region}")),
            Some(None) => {
                cx.error(item, format!("account {account} region {region}: securityHub.enabled is unreadable"))
            }
            None => cx.error(
                item,
                format!("account {account} region {region}: securityHub has no `enabled` in the inventory"),
            ),
        }
    }
}
