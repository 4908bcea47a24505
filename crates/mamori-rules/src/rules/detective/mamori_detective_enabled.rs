//! `mamori-detective-enabled`: every account and region feeds an Amazon Detective behaviour graph.
//!
//! Judged on every `AWS::::Account` record (one finding per account and region): PASS when the
//! account owns a behaviour graph (`detective.graphs`) or is a member of one (`detective.memberOf`,
//! typically the organization's delegated administrator graph). AWS Config has no managed rule
//! for Detective.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriDetectiveEnabled;

static META: RuleMeta = RuleMeta {
    id: "mamori-detective-enabled",
    service: "detective",
    title: "Every account and region owns or is a member of an Amazon Detective behaviour graph",
    severity: Severity::Low,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "Detective keeps a year of linked CloudTrail, VPC flow, DNS and GuardDuty data per principal and resource, which turns investigating a finding from hours of log queries into minutes; it only covers accounts and regions that feed a graph.",
    remediation: "From the Detective delegated administrator, enable Detective in each region and auto-enable organization accounts (`aws detective create-graph`, then `aws detective update-organization-configuration --graph-arn ARN --auto-enable`), or accept the invitation in a member account.",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule: a graph owned or joined (as member) in the region passes; membership status (invited vs enabled) is not distinguished.",
};

impl Rule for MamoriDetectiveEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        let detective = match required(item, "detective") {
            Ok(Value::Null) => {
                return cx.fail(item, format!("account {account} is in no Detective behaviour graph in {region}"))
            }
            Ok(detective) => detective,
            Err(reason) => return cx.error(item, reason),
        };
        let arns = |key: &str| {
            detective.get(key).map(|list| {
                as_list(Some(list)).into_iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>()
            })
        };
        let (graphs, member_of) = (arns("graphs"), arns("memberOf"));
        if let Some(graph) = graphs.iter().flatten().next() {
            cx.pass(item, format!("account {account} has Detective behaviour graph {graph} in {region}"));
        } else if let Some(graph) = member_of.iter().flatten().next() {
            cx.pass(item, format!("account {account} is a member of Detective behaviour graph {graph} in {region}"));
        } else if graphs.is_none() || member_of.is_none() {
            let missing = if graphs.is_none() { "graphs" } else { "memberOf" };
            cx.error(item, format!("account {account} region {region}: detective has no `{missing}` in the inventory"));
        } else {
            cx.fail(item, format!("account {account} is in no Detective behaviour graph in {region}"));
        }
    }
}
