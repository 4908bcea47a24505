//! `vpc-flow-logs-enabled`: every VPC has an active flow log.
//!
//! As the AWS Config managed rule: a VPC is NON_COMPLIANT unless an `AWS::EC2::FlowLog` of the
//! same account and region has `resourceId` equal to the VPC id and, when `trafficType` is
//! set, that traffic type. mamori differs in two ways: a flow log capturing `ALL` traffic also
//! satisfies `ACCEPT` or `REJECT`, and a flow log whose `flowLogStatus` is present and not
//! `ACTIVE` does not count. Flow logs on subnets or interfaces do not count for the VPC.
//!
//! Items written after CloudFormation's resource schema name the fields in PascalCase
//! (`ResourceId`, `TrafficType`, `Id`), where AWS Config's own items and mamori's use camelCase;
//! both are read, so a flow log is never missed for the case of its keys.

use mamori_model::{ConfigItem, Severity, Status};
use serde_json::Value;

use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride, Subject};

pub struct VpcFlowLogsEnabled;

const VPC_TYPE: &str = "AWS::EC2::VPC";
const FLOW_LOG_TYPE: &str = "AWS::EC2::FlowLog";

static META: RuleMeta = RuleMeta {
    id: "vpc-flow-logs-enabled",
    service: "ec2",
    title: "Every VPC has VPC flow logging enabled",
    severity: Severity::Medium,
    resource_types: &[VPC_TYPE, FLOW_LOG_TYPE],
    params: &[ParamSpec {
        name: "trafficType",
        kind: ParamKind::Text,
        default: "",
        description: "Traffic type the flow log must capture: ACCEPT, REJECT or ALL; empty accepts any.",
    }],
    rationale: "Flow logs are the record of who talked to what inside a VPC; without them, scanning, exfiltration and lateral movement leave no network trace to detect or investigate.",
    remediation: "Create a flow log for the VPC: `aws ec2 create-flow-logs --resource-type VPC --resource-ids vpc-… --traffic-type REJECT --log-destination-type cloud-watch-logs --log-group-name NAME --deliver-logs-permission-arn ROLE` (VPC console > Your VPCs > Flow logs > Create flow log).",
    stride: Stride::Repudiation,
    cis: &["3.7"],
    fsbp: &["EC2.6"],
    notes: "A flow log capturing ALL traffic satisfies trafficType ACCEPT or REJECT; a flow log with a flowLogStatus other than ACTIVE does not count. Flow log fields are read in camelCase (AWS Config) or PascalCase (CloudFormation's schema, DescribeFlowLogs).",
};

/// `configuration.<camel>` as text, or its PascalCase spelling.
fn text<'a>(item: &'a ConfigItem, camel: &str) -> Option<&'a str> {
    let pascal = || {
        let mut chars = camel.chars();
        chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
    };
    item.config(camel).or_else(|| item.config(&pascal()?)).and_then(Value::as_str)
}

struct Vpc {
    subject: Subject,
    vpc_id: String,
}

struct FlowLog {
    flow_log_id: String,
    resource_id: String,
    traffic_type: String,
    active: bool,
}

impl Rule for VpcFlowLogsEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let text = |key: &str| text(item, key);
        if item.resource_type == FLOW_LOG_TYPE {
            let Some(resource_id) = text("resourceId") else {
                // A flow log whose target is unknown cannot vouch for any VPC.
                return;
            };
            let note = FlowLog {
                flow_log_id: text("flowLogId")
                    .or_else(|| item.config("Id").and_then(Value::as_str))
                    .unwrap_or(&item.resource_id)
                    .to_owned(),
                resource_id: resource_id.to_owned(),
                traffic_type: text("trafficType").unwrap_or("").to_ascii_uppercase(),
                active: text("flowLogStatus").is_none_or(|status| status.eq_ignore_ascii_case("ACTIVE")),
            };
            return cx.note(Scope::region_of(item), note);
        }
        let vpc_id = text("vpcId").unwrap_or(&item.resource_id).to_owned();
        cx.note(Scope::region_of(item), Vpc { subject: cx.subject_of(item), vpc_id });
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let wanted = cx.params().text("trafficType").map(str::to_ascii_uppercase);
        let mut logs = notes.of::<FlowLog>();
        logs.sort_by(|a, b| a.flow_log_id.cmp(&b.flow_log_id));
        for vpc in notes.of::<Vpc>() {
            let mine: Vec<&FlowLog> = logs.iter().filter(|log| log.resource_id == vpc.vpc_id).collect();
            let fits = |log: &&&FlowLog| {
                log.active
                    && wanted.as_deref().is_none_or(|wanted| log.traffic_type == wanted || log.traffic_type == "ALL")
            };
            let id = &vpc.vpc_id;
            let (status, message) = match (mine.iter().find(fits), mine.first(), &wanted) {
                (Some(log), ..) => (
                    Status::Pass,
                    format!("VPC {id} has flow log {} capturing {} traffic", log.flow_log_id, log.traffic_type),
                ),
                (None, None, _) => (Status::Fail, format!("VPC {id} has no flow log")),
                (None, Some(_), Some(wanted)) => {
                    let found: Vec<String> = mine
                        .iter()
                        .map(|log| {
                            let state = if log.active { "" } else { ", not active" };
                            format!("{} ({}{state})", log.flow_log_id, log.traffic_type)
                        })
                        .collect();
                    (
                        Status::Fail,
                        format!(
                            "VPC {id} has no active flow log capturing {wanted} traffic (found {})",
                            found.join(", ")
                        ),
                    )
                }
                (None, Some(log), None) => {
                    (Status::Fail, format!("VPC {id} has flow log {} but it is not active", log.flow_log_id))
                }
            };
            cx.verdict(vpc.subject, status, message);
        }
    }
}
