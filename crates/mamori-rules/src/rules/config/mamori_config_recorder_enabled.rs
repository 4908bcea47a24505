//! `mamori-config-recorder-enabled`: AWS Config records every supported resource type in every
//! account and region.
//!
//! Judged on every `AWS::::Account` record (one finding per account and region): a configuration
//! recorder must be recording (`recording` true, `lastStatus` not FAILURE) with
//! `recordingGroup.allSupported` true, and on the account's home-region record also
//! `includeGlobalResourceTypes` true. Global resources (IAM users, roles, policies) are the same
//! in every region, so AWS recommends recording them in one region only: asking for them
//! everywhere would fail well-run accounts, asking nowhere would leave IAM unrecorded.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriConfigRecorderEnabled;

static META: RuleMeta = RuleMeta {
    id: "mamori-config-recorder-enabled",
    service: "config",
    title: "AWS Config records all supported resource types in every account and region, global ones in the home region",
    severity: Severity::Critical,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "The configuration recorder is the history of every resource's configuration: without it, changes made during an incident cannot be reconstructed, and Config rules and Security Hub controls have nothing to evaluate in that region.",
    remediation: "Record all resource types and start the recorder in each region: `aws configservice put-configuration-recorder --configuration-recorder name=default,roleARN=arn:aws:iam::ACCOUNT:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig --recording-group allSupported=true,includeGlobalResourceTypes=true` (true only in the home region), a delivery channel, then `aws configservice start-configuration-recorder --configuration-recorder-name default`.",
    stride: Stride::Repudiation,
    cis: &["3.3"],
    fsbp: &["Config.1"],
    notes: "Requires global resource types only on the account's home-region record (where mamori records global settings), as Security Hub Config.1 does for its aggregation region. Unlike Config.1, the recorder's role is not checked (the service-linked role is recommended, not required). A recorder whose lastStatus is FAILURE does not count.",
};

enum Shortfall {
    No(String),
    Unknown(String),
}

fn judge(recorder: &Value, home: bool) -> Result<(), Shortfall> {
    let name = recorder.get("name").and_then(Value::as_str).unwrap_or("(unnamed)");
    match recorder.get("recording").map(as_bool) {
        None => return Err(Shortfall::Unknown(format!("recorder {name} has no recording status in the inventory"))),
        Some(Some(true)) => {}
        Some(_) => return Err(Shortfall::No(format!("recorder {name} is not recording"))),
    }
    if let Some(status) = recorder.get("lastStatus").and_then(Value::as_str) {
        if status.eq_ignore_ascii_case("FAILURE") {
            return Err(Shortfall::No(format!("recorder {name} failed its last recording (lastStatus FAILURE)")));
        }
    }
    let Some(group) = recorder.get("recordingGroup").filter(|group| group.is_object()) else {
        return Err(Shortfall::Unknown(format!("recorder {name} has no recordingGroup in the inventory")));
    };
    if group.get("allSupported").and_then(as_bool) != Some(true) {
        return Err(Shortfall::No(format!("recorder {name} records only selected resource types")));
    }
    if home && group.get("includeGlobalResourceTypes").and_then(as_bool) != Some(true) {
        return Err(Shortfall::No(format!(
            "recorder {name} does not record global resource types (IAM) in the home region"
        )));
    }
    Ok(())
}

impl Rule for MamoriConfigRecorderEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        let home = item.config("homeRegion").and_then(as_bool) == Some(true);
        let recorders = match required(item, "configRecorders") {
            Ok(recorders) => as_list(Some(recorders)),
            Err(reason) => return cx.error(item, reason),
        };
        if recorders.is_empty() {
            return cx.fail(item, format!("account {account} has no AWS Config configuration recorder in {region}"));
        }
        let (mut no, mut unknown) = (Vec::new(), Vec::new());
        for recorder in recorders {
            match judge(recorder, home) {
                Ok(()) => {
                    let name = recorder.get("name").and_then(Value::as_str).unwrap_or("(unnamed)");
                    let global = if home { ", global ones included" } else { "" };
                    return cx.pass(
                        item,
                        format!(
                            "account {account} region {region}: recorder {name} records all supported resource types{global}"
                        ),
                    );
                }
                Err(Shortfall::No(reason)) => no.push(reason),
                Err(Shortfall::Unknown(reason)) => unknown.push(reason),
            }
        }
        if unknown.is_empty() {
            cx.fail(item, format!("account {account} region {region}: {}", no.join("; ")));
        } else {
            cx.error(item, format!("account {account} region {region}: {}", unknown.join("; ")));
        }
    }
}
