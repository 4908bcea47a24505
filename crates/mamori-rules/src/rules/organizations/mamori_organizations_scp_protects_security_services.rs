//! `mamori-organizations-scp-protects-security-services`: SCPs keep accounts from disabling security services.
//!
//! Judged once per organization, on the management account's home-region `AWS::::Account`
//! record (`organization.masterAccountId` equal to its account): the Deny statements (over
//! `Resource` `*`) of the service control policies attached to the organization root must
//! together cover every action of `requiredDeniedActions`, wildcards included (`cloudtrail:*`
//! and `cloudtrail:Stop*` cover `cloudtrail:StopLogging`). SCPs attached to OUs or accounts
//! are not counted: only the root reaches every account, present and future.

use std::collections::BTreeSet;

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_bool, as_list, supplementary};
use crate::support::policy::{PolicyDocument, Statement};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride, Subject};

pub struct MamoriOrganizationsScpProtectsSecurityServices;

const POLICY_TYPE: &str = "AWS::Organizations::Policy";

static META: RuleMeta = RuleMeta {
    id: "mamori-organizations-scp-protects-security-services",
    service: "organizations",
    title: "A service control policy on the organization root denies stopping or deleting CloudTrail, GuardDuty, Config and Security Hub",
    severity: Severity::High,
    resource_types: &[ACCOUNT_TYPE, POLICY_TYPE],
    params: &[ParamSpec {
        name: "requiredDeniedActions",
        kind: ParamKind::List,
        default: "cloudtrail:StopLogging,cloudtrail:DeleteTrail,guardduty:DeleteDetector,guardduty:UpdateDetector,guardduty:DisassociateFromMasterAccount,guardduty:DisassociateFromAdministratorAccount,config:StopConfigurationRecorder,config:DeleteConfigurationRecorder,config:DeleteDeliveryChannel,securityhub:DisableSecurityHub,securityhub:DisassociateFromMasterAccount,securityhub:DisassociateFromAdministratorAccount",
        description: "Actions that SCPs attached to the organization root must deny.",
    }],
    rationale: "An intruder with administrator rights in a member account first switches off what would record or report them: the trail, the detector, the recorder, the hub. An SCP on the root denies those calls to everyone in every member account, administrators included.",
    remediation: "From the management account, create an SCP denying the actions (`aws organizations create-policy --type SERVICE_CONTROL_POLICY --name protect-security-services --content file://deny.json`) and attach it to the root (`aws organizations attach-policy --policy-id p-… --target-id r-…`); exempt a break-glass role with an `ArnNotLike` `aws:PrincipalARN` condition if needed.",
    stride: Stride::Tampering,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. Only SCPs (type SERVICE_CONTROL_POLICY) attached to the root count, read in the management account; conditions on the Deny statements (typically exempting a security role) are not evaluated. Policies are read in AWS Organizations' DescribePolicy shape (PolicySummary, Content) with targets in supplementary Targets, or in the CloudFormation shape (Name, Type, Content, TargetIds). A collection failure on Organizations policies or account records in the management account makes its verdict ERROR.",
};

/// The management account's home-region record.
struct Management {
    subject: Subject,
    organization_id: String,
}

/// One SCP, as far as the verdict needs it.
struct Scp {
    account: String,
    arn: String,
    name: String,
    on_root: bool,
    /// The targets could not be read: the SCP may be on the root.
    targets_unknown: bool,
    /// The Deny statements over every resource, or why the content could not be read.
    denies: Result<Vec<Statement>, String>,
}

/// A field of the DescribePolicy shape (`PolicySummary.<key>`) or the CloudFormation shape (`<key>`).
fn summary_field<'a>(item: &'a ConfigItem, key: &str) -> Option<&'a Value> {
    item.config("PolicySummary").and_then(|summary| summary.get(key)).or_else(|| item.config(key))
}

fn read_scp(item: &ConfigItem) -> Option<Scp> {
    let text = |key: &str| summary_field(item, key).and_then(Value::as_str);
    if text("Type").is_some_and(|kind| kind != "SERVICE_CONTROL_POLICY") {
        return None;
    }
    let targets = match supplementary(item, "Targets") {
        Ok(Some(targets)) => as_list(Some(targets)),
        _ => Vec::new(),
    };
    let on_root = targets
        .iter()
        .any(|target| target.get("type").or_else(|| target.get("Type")).and_then(Value::as_str) == Some("ROOT"))
        || as_list(item.config("TargetIds")).iter().any(|id| id.as_str().is_some_and(|id| id.starts_with("r-")));
    let targets_unknown = item.collection_error("Targets").is_some();
    let denies = match (item.collection_error("Targets"), item.config("Content")) {
        (Some(reason), _) => Err(format!("targets could not be read: {reason}")),
        (None, None) => Err(match item.collection_error("Content") {
            Some(reason) => format!("its content could not be read: {reason}"),
            None => "its content is not in the inventory".to_owned(),
        }),
        (None, Some(content)) => PolicyDocument::parse(content).map(|document| {
            document
                .statements
                .into_iter()
                .filter(|s| !s.allow && s.not_resources.is_none() && s.resources.iter().any(|r| r == "*"))
                .collect()
        }),
    };
    Some(Scp {
        account: item.account_id.clone(),
        arn: text("Arn").map(str::to_owned).or_else(|| item.arn.clone()).unwrap_or_else(|| item.resource_id.clone()),
        name: text("Name").or(item.resource_name.as_deref()).unwrap_or(&item.resource_id).to_owned(),
        on_root,
        targets_unknown,
        denies,
    })
}

impl Rule for MamoriOrganizationsScpProtectsSecurityServices {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if item.resource_type == POLICY_TYPE {
            if let Some(scp) = read_scp(item) {
                cx.note(Scope::Inventory, scp);
            }
            return;
        }
        if item.config("homeRegion").and_then(as_bool) != Some(true) {
            return;
        }
        let organization = item.config("organization");
        let master = organization.and_then(|o| o.get("masterAccountId")).and_then(Value::as_str);
        if master == Some(item.account_id.as_str()) {
            let organization_id =
                organization.and_then(|o| o.get("id")).and_then(Value::as_str).unwrap_or_default().to_owned();
            cx.note(Scope::Inventory, Management { subject: cx.subject_of(item), organization_id });
        }
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let mut managements = notes.of::<Management>();
        managements.sort_by(|a, b| a.subject.account_id.cmp(&b.subject.account_id));
        let mut scps = notes.of::<Scp>();
        scps.sort_by(|a, b| a.arn.cmp(&b.arn));
        let required = cx.params().list("requiredDeniedActions").to_vec();
        for management in managements {
            let account = management.subject.account_id.clone();
            let org_marker = format!("/{}/", management.organization_id);
            let ours: Vec<&Scp> = scps
                .iter()
                .filter(|scp| {
                    *scp.account == *account
                        || (!management.organization_id.is_empty() && scp.arn.contains(&org_marker))
                })
                // An SCP whose targets are unknown may be on the root: its error must count.
                .filter(|scp| scp.on_root || scp.targets_unknown)
                .collect();
            let errors: Vec<String> = ours
                .iter()
                .filter_map(|scp| scp.denies.as_ref().err().map(|reason| format!("SCP {}: {reason}", scp.name)))
                .collect();
            let covering = |action: &str| {
                ours.iter()
                    .find(|scp| scp.denies.as_ref().is_ok_and(|denies| denies.iter().any(|s| s.covers_action(action))))
            };
            let uncovered: Vec<&str> =
                required.iter().map(String::as_str).filter(|action| covering(action).is_none()).collect();
            let used: BTreeSet<&str> =
                required.iter().filter_map(|action| covering(action)).map(|scp| scp.name.as_str()).collect();
            let used: Vec<&str> = used.into_iter().collect();
            let (status, message) = if uncovered.is_empty() {
                (
                    Status::Pass,
                    format!(
                        "organization {} (management account {account}): {} {} on the root {} all {} protected actions",
                        management.organization_id,
                        if used.len() == 1 { "SCP" } else { "SCPs" },
                        used.join(", "),
                        if used.len() == 1 { "denies" } else { "deny" },
                        required.len()
                    ),
                )
            } else if !errors.is_empty() {
                (Status::Error, format!("organization of management account {account}: {}", errors.join("; ")))
            } else {
                let which = if ours.is_empty() {
                    "no SCP attached to the root denies".to_owned()
                } else {
                    let names: Vec<&str> = ours.iter().map(|scp| scp.name.as_str()).collect();
                    format!("the root's SCPs ({}) do not deny", names.join(", "))
                };
                let organization = &management.organization_id;
                let uncovered = uncovered.join(", ");
                (
                    Status::Fail,
                    format!("organization {organization} (management account {account}): {which} {uncovered}"),
                )
            };
            cx.verdict(management.subject, status, message);
        }
    }
}
