//! `mamori-account-in-use`: every account shows signs of use.
//!
//! An account is in use when some IAM role (service-linked roles under `/aws-service-role/`
//! and roles named in `ignoredRoleNames` excluded) was last used at most `maxDaysSinceLastUse`
//! days before the home-region `AWS::::Account` record was captured. One finding per account,
//! on that record. When no role proves use and some role's `RoleLastUsed` is not in the
//! inventory, the verdict is ERROR. No AWS Config managed rule decides this.

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};
use serde_json::Value;

use super::root_account_mfa_enabled::carries_global_settings;
use crate::support::item::{capture_time, days_between};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride, Subject};

pub struct MamoriAccountInUse;

const ROLE_TYPE: &str = "AWS::IAM::Role";

static META: RuleMeta = RuleMeta {
    id: "mamori-account-in-use",
    service: "iam",
    title: "Every account has had an IAM role in use within 90 days",
    severity: Severity::Low,
    resource_types: &[ACCOUNT_TYPE, ROLE_TYPE],
    params: &[
        ParamSpec {
            name: "maxDaysSinceLastUse",
            kind: ParamKind::at_least(1),
            default: "90",
            description: "An account whose roles were all last used longer ago than this is considered unused.",
        },
        ParamSpec {
            name: "ignoredRoleNames",
            kind: ParamKind::List,
            default: "",
            description: "Roles whose use does not count (a trailing `*` matches a prefix): mamori's own audit role and other tooling assumed into every account.",
        },
    ],
    rationale: "An abandoned account still holds resources, credentials and trust relationships that nobody watches; it is attack surface with no owner to notice its misuse, and it keeps costing money.",
    remediation: "Find the account's owner; if it is abandoned, delete its resources and close it (`aws organizations close-account --account-id ACCOUNT`), or move it to a suspended OU with a deny-all SCP until it is closed.",
    stride: Stride::ElevationOfPrivilege,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule. Role use is read from RoleLastUsed (IAM tracks it for 400 days); roles assumed by security tooling in every account (including mamori's audit role) prove nothing and should be listed in ignoredRoleNames.",
};

/// The account record a verdict is attached to.
struct AccountNote {
    subject: Subject,
    now: Result<String, String>,
}

/// What one role says about the account's use.
enum RoleNote {
    UsedAt { role: String, date: String },
    NeverUsed { role: String },
    Unknown { role: String },
}

fn ignored(role: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|pattern| match pattern.strip_suffix('*') {
        Some(prefix) => role.starts_with(prefix),
        None => role == pattern,
    })
}

fn role_note(item: &ConfigItem) -> RoleNote {
    let role = item
        .config("roleName")
        .and_then(Value::as_str)
        .or(item.resource_name.as_deref())
        .unwrap_or(&item.resource_id)
        .to_owned();
    if item.collection_error("RoleLastUsed").is_some() {
        return RoleNote::Unknown { role };
    }
    match item.supplementary("RoleLastUsed") {
        None => RoleNote::Unknown { role },
        // GetRole answers `{}` for a role never used (within IAM's 400-day window).
        Some(last_used) => match last_used.get("lastUsedDate").or_else(|| last_used.get("LastUsedDate")) {
            Some(Value::String(date)) => RoleNote::UsedAt { role, date: date.clone() },
            _ => RoleNote::NeverUsed { role },
        },
    }
}

impl Rule for MamoriAccountInUse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if item.resource_type == ACCOUNT_TYPE {
            if carries_global_settings(item) {
                let now = capture_time(item).map(str::to_owned);
                cx.note(Scope::account_of(item), AccountNote { subject: cx.subject_of(item), now });
            }
            return;
        }
        let path = item.config("path").and_then(Value::as_str).unwrap_or("/");
        if path.starts_with("/aws-service-role/") {
            return;
        }
        let note = role_note(item);
        let (RoleNote::UsedAt { role, .. } | RoleNote::NeverUsed { role } | RoleNote::Unknown { role }) = &note;
        if ignored(role, cx.params().list("ignoredRoleNames")) {
            return;
        }
        cx.note(Scope::account_of(item), note);
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let limit = cx.params().int("maxDaysSinceLastUse").unwrap_or(90);
        let roles = notes.of::<RoleNote>();
        for account in notes.of::<AccountNote>() {
            let id = account.subject.account_id.clone();
            let now = match &account.now {
                Ok(now) => now,
                Err(reason) => {
                    cx.verdict(account.subject, Status::Error, reason.clone());
                    continue;
                }
            };
            // The most recent use, ties broken by name so that note order does not matter.
            let mut latest: Option<(i64, &str)> = None;
            let mut unknown: Vec<&str> = Vec::new();
            for note in &roles {
                match note {
                    // A role item captured after the account record may show a later use.
                    RoleNote::UsedAt { role, date } => match days_between(date, now).map(|days| days.max(0)) {
                        Some(days) if latest.is_none_or(|(best, name)| (days, role.as_str()) < (best, name)) => {
                            latest = Some((days, role));
                        }
                        Some(_) => {}
                        None => unknown.push(role),
                    },
                    RoleNote::Unknown { role } => unknown.push(role),
                    RoleNote::NeverUsed { .. } => {}
                }
            }
            unknown.sort_unstable();
            let (status, message) = match latest {
                Some((days, role)) if days <= limit => {
                    (Status::Pass, format!("account {id} is in use: role {role} was used {days} days ago"))
                }
                _ if !unknown.is_empty() => (
                    Status::Error,
                    format!(
                        "cannot tell whether account {id} is in use: the last use of role(s) {} is not in the inventory",
                        unknown.join(", ")
                    ),
                ),
                Some((days, role)) => (
                    Status::Fail,
                    format!(
                        "account {id} looks abandoned: no IAM role used in the last {limit} days \
                         (most recent: role {role}, {days} days ago)"
                    ),
                ),
                None if roles.is_empty() => (
                    Status::Fail,
                    format!("account {id} looks abandoned: it has no IAM roles besides service-linked or ignored ones"),
                ),
                None => (
                    Status::Fail,
                    format!("account {id} looks abandoned: none of its {} IAM role(s) has ever been used", roles.len()),
                ),
            };
            cx.verdict(account.subject, status, message);
        }
    }
}
