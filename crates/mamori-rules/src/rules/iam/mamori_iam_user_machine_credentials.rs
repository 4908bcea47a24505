//! `mamori-iam-user-machine-credentials`: no IAM user is a machine holding long-lived keys.
//!
//! An IAM user with an active access key and no console password is a "machine user": a
//! workload or CI system authenticating with a key that never expires. Such users FAIL with a
//! pointer to the IAM role mechanism that replaces them. Users with a console password (people)
//! or without active keys PASS. Missing `AccessKeys`, or a missing `LoginProfile` for a user
//! with active keys, is ERROR. No AWS Config managed rule decides this.

use mamori_model::{ConfigItem, Severity};

use super::iam_user_mfa_enabled::{access_keys, login_profile, user_name, USER_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MamoriIamUserMachineCredentials;

static META: RuleMeta = RuleMeta {
    id: "mamori-iam-user-machine-credentials",
    service: "iam",
    title: "Workloads authenticate with IAM roles, not with IAM users' access keys",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[],
    rationale: "A machine user's access key is a long-lived secret copied into servers, CI settings and config files, where it leaks and keeps working until someone rotates it; an IAM role hands out credentials that expire within hours and are never stored.",
    remediation: "Replace the user with an IAM role: an instance profile for EC2, IAM Roles for Service Accounts or EKS Pod Identity for Kubernetes, IAM Roles Anywhere for servers outside AWS, OIDC federation (`AssumeRoleWithWebIdentity`) for CI such as GitHub Actions or GitLab; then deactivate and delete the keys (`aws iam update-access-key --status Inactive`, `aws iam delete-access-key`) and the user.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &[],
    notes: "mamori's own rule: a user with at least one active access key and no console password (`LoginProfile` null) is a machine user and fails; people (console password) and users without active keys pass.",
};

impl Rule for MamoriIamUserMachineCredentials {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        let keys = match access_keys(item) {
            Ok(keys) => keys,
            Err(reason) => return cx.error(item, reason),
        };
        let active: Vec<&str> = keys.iter().filter(|key| key.active).map(|key| key.id).collect();
        if active.is_empty() {
            return cx.pass(item, format!("user {user} has no active access keys"));
        }
        match login_profile(item) {
            Ok(Some(_)) => cx.pass(item, format!("user {user} has a console password: a person, not a machine user")),
            Ok(None) => cx.fail(
                item,
                format!(
                    "user {user} is a machine user: active access key {} and no console password; \
                     use an IAM role instead (instance profile, IRSA, IAM Roles Anywhere, OIDC federation for CI)",
                    active.join(", ")
                ),
            ),
            Err(reason) => cx.error(item, reason),
        }
    }
}
