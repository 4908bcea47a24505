//! `iam-policy-in-use`: a given managed policy is attached to someone who can use it.
//!
//! As the AWS Config managed rule, the policy `policyARN` counts as in use when it is attached
//! to an IAM user, to a group with at least one member, or to a role whose trust policy names
//! a principal, filtered by `policyUsageType`. Judged once per account on its home-region
//! `AWS::::Account` record, from the `attachedManagedPolicies` of the account's users, groups
//! and roles and the policy's `PolicyEntities` when recorded.

use std::collections::BTreeSet;

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};
use serde_json::Value;

use super::iam_policy_no_statements_with_admin_access::{policy_arn, POLICY_TYPE};
use crate::support::item::{as_bool, as_list, supplementary};
use crate::support::policy::PolicyDocument;
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride, Subject};

pub struct IamPolicyInUse;

static META: RuleMeta = RuleMeta {
    id: "iam-policy-in-use",
    service: "iam",
    title: "The required managed policy (by default AWSSupportAccess) is attached to an IAM role in every account",
    severity: Severity::Low,
    resource_types: &[ACCOUNT_TYPE, "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", POLICY_TYPE],
    params: &[
        ParamSpec {
            name: "policyARN",
            kind: ParamKind::Text,
            default: "arn:aws:iam::aws:policy/AWSSupportAccess",
            description: "The ARN of the managed policy that must be in use (the partition is ignored when comparing).",
        },
        ParamSpec {
            name: "policyUsageType",
            kind: ParamKind::Text,
            default: "IAM_ROLE",
            description: "Who must hold the policy: IAM_USER, IAM_GROUP, IAM_ROLE or ANY.",
        },
    ],
    rationale: "Incidents need someone who can open and follow AWS Support cases without borrowing administrator rights; a role holding AWSSupportAccess gives that access with least privilege (CIS support role).",
    remediation: "Create a role for support staff and attach the policy: `aws iam create-role --role-name aws-support --assume-role-policy-document file://trust.json && aws iam attach-role-policy --role-name aws-support --policy-arn arn:aws:iam::aws:policy/AWSSupportAccess` (IAM console > Roles > Create role).",
    stride: Stride::DenialOfService,
    cis: &["1.17"],
    fsbp: &[],
    notes: "AWS's rule has no default policyARN and defaults policyUsageType to ANY; mamori defaults to arn:aws:iam::aws:policy/AWSSupportAccess on IAM_ROLE so that the rule serves CIS 1.17 (support role) out of the box (Security Hub IAM.18 uses ANY). Judged on the home-region AWS::::Account record, one finding per account (AWS judges the AWS::IAM::Policy). An account with no IAM role in the inventory is ERROR: every account has service-linked roles, so none means IAM was not collected.",
};

/// Who holds the policy, as the judgement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }
}

/// The account's home-region record.
struct Account {
    subject: Subject,
}

/// One user, group or role of the account.
struct Principal {
    kind: Kind,
    name: String,
    holds_policy: bool,
    /// Users: the groups they belong to.
    groups: Vec<String>,
    /// Roles: whether the trust policy names a principal.
    trusted: bool,
}

/// The policy's own record of who it is attached to.
struct Entities {
    names: Vec<(Kind, String)>,
}

/// An ARN with its partition left out, so `arn:aws-cn:` matches `arn:aws:`.
fn without_partition(arn: &str) -> &str {
    arn.splitn(3, ':').nth(2).unwrap_or(arn)
}

fn kind_of(resource_type: &str) -> Option<(Kind, &'static str)> {
    match resource_type {
        "AWS::IAM::User" => Some((Kind::User, "userName")),
        "AWS::IAM::Group" => Some((Kind::Group, "groupName")),
        "AWS::IAM::Role" => Some((Kind::Role, "roleName")),
        _ => None,
    }
}

/// Whether a role's trust policy names at least one principal; a role always has one, so a
/// trust policy not in the inventory is taken to.
fn has_trusted_entity(item: &ConfigItem) -> bool {
    match item.config("assumeRolePolicyDocument").map(PolicyDocument::parse) {
        Some(Ok(document)) => document.allow_statements().any(|statement| statement.principal.is_some()),
        _ => true,
    }
}

impl Rule for IamPolicyInUse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let wanted = cx.params().text("policyARN").unwrap_or_default().to_owned();
        let wanted = without_partition(&wanted);
        if item.resource_type == ACCOUNT_TYPE {
            if item.config("homeRegion").and_then(as_bool) == Some(true) {
                cx.note(Scope::account_of(item), Account { subject: cx.subject_of(item) });
            }
            return;
        }
        if item.resource_type == POLICY_TYPE {
            if without_partition(policy_arn(item)) != wanted {
                return;
            }
            let entities = supplementary(item, "PolicyEntities").ok().flatten();
            let mut names = Vec::new();
            for (key, kind) in [("users", Kind::User), ("groups", Kind::Group), ("roles", Kind::Role)] {
                for name in as_list(entities.and_then(|entities| entities.get(key))) {
                    if let Some(name) = name.as_str() {
                        names.push((kind, name.to_owned()));
                    }
                }
            }
            return cx.note(Scope::account_of(item), Entities { names });
        }
        let Some((kind, name_key)) = kind_of(&item.resource_type) else { return };
        let name = item.config(name_key).and_then(Value::as_str).or(item.resource_name.as_deref());
        let holds_policy = as_list(item.config("attachedManagedPolicies")).into_iter().any(|policy| {
            policy.get("policyArn").and_then(Value::as_str).is_some_and(|arn| without_partition(arn) == wanted)
        });
        let groups =
            as_list(item.config("groupList")).into_iter().filter_map(Value::as_str).map(str::to_owned).collect();
        let trusted = kind == Kind::Role && has_trusted_entity(item);
        let name = name.unwrap_or(&item.resource_id).to_owned();
        cx.note(Scope::account_of(item), Principal { kind, name, holds_policy, groups, trusted });
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let accounts = notes.of::<Account>();
        let principals = notes.of::<Principal>();
        let entities = notes.of::<Entities>();
        let wanted = cx.params().text("policyARN").unwrap_or_default().to_owned();
        let usage = cx.params().text("policyUsageType").unwrap_or("ANY").to_ascii_uppercase();
        let only = match usage.as_str() {
            "IAM_USER" => Some(Kind::User),
            "IAM_GROUP" => Some(Kind::Group),
            "IAM_ROLE" => Some(Kind::Role),
            "ANY" => None,
            other => {
                for account in accounts {
                    let message = format!("policyUsageType `{other}` is not IAM_USER, IAM_GROUP, IAM_ROLE or ANY");
                    cx.verdict(account.subject, Status::Error, message);
                }
                return;
            }
        };
        let counts = |kind: Kind| only.is_none_or(|only| only == kind);
        let members: BTreeSet<&str> = principals
            .iter()
            .filter(|p| p.kind == Kind::User)
            .flat_map(|p| p.groups.iter().map(String::as_str))
            .collect();
        let known = |kind: Kind, name: &str| principals.iter().find(|p| p.kind == kind && p.name == name);
        // Holders from the principals' own lists and from the policy's entity list, deduplicated.
        let mut holders: BTreeSet<(Kind, &str)> =
            principals.iter().filter(|p| p.holds_policy).map(|p| (p.kind, p.name.as_str())).collect();
        holders.extend(entities.iter().flat_map(|e| e.names.iter().map(|(kind, name)| (*kind, name.as_str()))));
        let usable: Vec<String> = holders
            .into_iter()
            .filter(|(kind, _)| counts(*kind))
            .filter(|(kind, name)| match kind {
                Kind::User => true,
                Kind::Group => members.contains(name),
                Kind::Role => known(Kind::Role, name).is_none_or(|role| role.trusted),
            })
            .map(|(kind, name)| format!("{} {name}", kind.label()))
            .collect();
        let holder_kind = match only {
            Some(Kind::User) => "IAM user",
            Some(Kind::Group) => "IAM group with members",
            Some(Kind::Role) => "IAM role with a trusted entity",
            None => "IAM user, group with members or role with a trusted entity",
        };
        let has_roles = principals.iter().any(|p| p.kind == Kind::Role);
        for account in accounts {
            let id = account.subject.account_id.clone();
            let (status, message) = if !usable.is_empty() {
                (Status::Pass, format!("account {id}: {wanted} is attached to {}", usable.join(", ")))
            } else if !has_roles {
                (
                    Status::Error,
                    format!("account {id} has no IAM roles in the inventory, so where {wanted} is attached is unknown"),
                )
            } else {
                (Status::Fail, format!("account {id}: {wanted} is not attached to any {holder_kind}"))
            };
            cx.verdict(account.subject, status, message);
        }
    }
}
