//! `guardduty-enabled-centralized`: GuardDuty is enabled in every account and region.
//!
//! As the AWS Config managed rule (GUARDDUTY_ENABLED_CENTRALIZED), on every `AWS::::Account`
//! record (one finding per account and region): COMPLIANT when a detector's status is ENABLED.
//! With `CentralMonitoringAccount`, the detector must also report to one of those accounts
//! (`administratorAccountId`), unless the account is itself one of them. AWS checks membership
//! from the central account's side; mamori reads it from the member's detector.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct GuarddutyEnabledCentralized;

static META: RuleMeta = RuleMeta {
    id: "guardduty-enabled-centralized",
    service: "guardduty",
    title: "GuardDuty is enabled in every account and region, reporting to the central account when one is given",
    severity: Severity::High,
    resource_types: &[ACCOUNT_TYPE],
    params: &[ParamSpec {
        name: "CentralMonitoringAccount",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated 12-digit account ids where GuardDuty findings may be centralized.",
    }],
    rationale: "GuardDuty watches CloudTrail, VPC flow and DNS logs for credential misuse, crypto-mining and exfiltration; a region without a detector is where an intruder can act unseen, and findings not centralized are findings nobody reads.",
    remediation: "From the GuardDuty delegated administrator, enable GuardDuty for all organization accounts in every region (`aws guardduty update-organization-configuration --detector-id ID --auto-enable-organization-members ALL`), or per account: `aws guardduty create-detector --enable --region REGION`.",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["GuardDuty.1"],
    notes: "Evaluated per account and region. With CentralMonitoringAccount, membership is read from the member detector's administratorAccountId rather than from the central account's member list.",
};

impl Rule for GuarddutyEnabledCentralized {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        let guardduty = match required(item, "guardDuty") {
            Ok(Value::Null) => {
                return cx.fail(item, format!("account {account} has no GuardDuty detector in {region}"))
            }
            Ok(guardduty) => guardduty,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(detectors) = guardduty.get("detectors") else {
            return cx.error(item, format!("account {account} region {region}: guardDuty has no detectors list"));
        };
        let detectors = as_list(Some(detectors));
        let enabled: Vec<&Value> = detectors
            .iter()
            .copied()
            .filter(|detector| {
                detector
                    .get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|status| status.eq_ignore_ascii_case("ENABLED"))
            })
            .collect();
        let id = |detector: &Value| detector.get("detectorId").and_then(Value::as_str).unwrap_or("?").to_owned();
        if enabled.is_empty() {
            return match detectors.first() {
                None => cx.fail(item, format!("account {account} has no GuardDuty detector in {region}")),
                Some(detector) => {
                    let status = detector.get("status").and_then(Value::as_str).unwrap_or("unknown");
                    cx.fail(
                        item,
                        format!(
                            "account {account} has GuardDuty detector {} in {region} with status {status}",
                            id(detector)
                        ),
                    )
                }
            };
        }
        let central = cx.params().list("CentralMonitoringAccount");
        if central.is_empty() || central.contains(account) {
            return cx.pass(
                item,
                format!("account {account} has GuardDuty detector {} enabled in {region}", id(enabled[0])),
            );
        }
        let mut unknown = None;
        for detector in &enabled {
            match detector.get("administratorAccountId") {
                Some(Value::String(admin)) if central.contains(admin) => {
                    return cx.pass(
                        item,
                        format!(
                            "account {account} has GuardDuty detector {} enabled in {region}, administered by {admin}",
                            id(detector)
                        ),
                    )
                }
                None => unknown = Some(id(detector)),
                _ => {}
            }
        }
        if let Some(detector) = unknown {
            return cx.error(
                item,
                format!("account {account} region {region}: detector {detector} has no administratorAccountId in the inventory"),
            );
        }
        let admins: Vec<String> = enabled
            .iter()
            .map(|detector| detector.get("administratorAccountId").and_then(Value::as_str).unwrap_or("none").to_owned())
            .collect();
        cx.fail(
            item,
            format!(
                "account {account} has GuardDuty enabled in {region} but not reporting to {} (administrator: {})",
                central.join(" or "),
                admins.join(", ")
            ),
        );
    }
}
