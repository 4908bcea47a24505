//! `vpc-default-security-group-closed`: the default security group of every VPC has no rules.
//!
//! Same semantics as the AWS Config managed rule: a group named `default` is NON_COMPLIANT when
//! it has any inbound or any outbound permission; other groups are not judged (no finding, as
//! AWS's NOT_APPLICABLE). Permissions are read with the shared security-group parser; a group
//! whose `ipPermissions` or `ipPermissionsEgress` is absent is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::{json, Value};

use crate::support::item::required;
use crate::support::network::{IngressRule, Source, SECURITY_GROUP_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct VpcDefaultSecurityGroupClosed;

static META: RuleMeta = RuleMeta {
    id: "vpc-default-security-group-closed",
    service: "ec2",
    title: "The default security group of every VPC allows no inbound and no outbound traffic",
    severity: Severity::High,
    resource_types: &[SECURITY_GROUP_TYPE],
    params: &[],
    rationale: "Resources launched without an explicit security group land in the default group; if it allows traffic (by default, everything between its members and all egress) they are exposed by accident rather than by design.",
    remediation: "Move resources to purpose-built security groups, then delete every inbound and outbound rule of each default group (VPC console > Security groups > default > Edit inbound/outbound rules, or `aws ec2 revoke-security-group-ingress/egress --group-id sg-… --ip-permissions …`).",
    stride: Stride::ElevationOfPrivilege,
    cis: &["5.4"],
    fsbp: &["EC2.2"],
    notes: "Non-default groups produce no finding, as AWS's NOT_APPLICABLE.",
};

/// The permissions of `configuration.<key>`, parsed like inbound permissions so that labels and
/// sources read the same as in every other network rule.
fn permissions(item: &ConfigItem, key: &str) -> Result<Vec<IngressRule>, String> {
    let list = required(item, key)?;
    IngressRule::parse_group(&json!({ "ipPermissions": list }))
        .map_err(|reason| format!("{}: {reason}", item.resource_id))
}

fn describe(rules: &[IngressRule], direction: &str) -> String {
    let parts: Vec<String> = rules
        .iter()
        .map(|rule| {
            let peers: Vec<&str> = rule
                .sources
                .iter()
                .map(|source| match source {
                    Source::Cidr(id) | Source::PrefixList(id) | Source::Group(id) => id.as_str(),
                })
                .collect();
            if peers.is_empty() {
                rule.port_label()
            } else {
                format!("{} {direction} {}", rule.port_label(), peers.join(", "))
            }
        })
        .collect();
    parts.join("; ")
}

impl Rule for VpcDefaultSecurityGroupClosed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = match required(item, "groupName") {
            Ok(Value::String(name)) => name,
            Ok(_) => return cx.error(item, format!("security group {} has no readable groupName", item.resource_id)),
            Err(reason) => return cx.error(item, reason),
        };
        if name != "default" {
            return;
        }
        let group = item.config("groupId").and_then(Value::as_str).unwrap_or(&item.resource_id);
        let vpc = item.config("vpcId").and_then(Value::as_str).unwrap_or("no VPC");
        let (inbound, outbound) = match (permissions(item, "ipPermissions"), permissions(item, "ipPermissionsEgress")) {
            (Ok(inbound), Ok(outbound)) => (inbound, outbound),
            (Err(reason), _) | (_, Err(reason)) => return cx.error(item, reason),
        };
        let mut problems = Vec::new();
        if !inbound.is_empty() {
            problems.push(format!("{} inbound rule(s) ({})", inbound.len(), describe(&inbound, "from")));
        }
        if !outbound.is_empty() {
            problems.push(format!("{} outbound rule(s) ({})", outbound.len(), describe(&outbound, "to")));
        }
        if problems.is_empty() {
            cx.pass(
                item,
                ["default security group ", group, " of ", vpc, " has no inbound or outbound rules"].concat(),
            );
        } else {
            cx.fail(item, format!("default security group {group} of {vpc} has {}", problems.join(" and ")));
        }
    }
}
