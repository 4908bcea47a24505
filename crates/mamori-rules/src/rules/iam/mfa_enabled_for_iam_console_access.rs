//! `mfa-enabled-for-iam-console-access`: every IAM user with a console password has MFA.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when a user has a console password
//! (`LoginProfile` not null) and no MFA device; users without a console password are
//! COMPLIANT. A `LoginProfile` absent from the inventory, or an absent `MfaDevices` for a
//! console user, is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::iam_user_mfa_enabled::{login_profile, mfa_device_count, user_name, USER_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct MfaEnabledForIamConsoleAccess;

static META: RuleMeta = RuleMeta {
    id: "mfa-enabled-for-iam-console-access",
    service: "iam",
    title: "Every IAM user with a console password has MFA",
    severity: Severity::Medium,
    resource_types: &[USER_TYPE],
    params: &[],
    rationale: "Console passwords are phished, guessed and reused from other breaches; without a second factor a stolen password is a working sign-in to the AWS console.",
    remediation: "Assign an MFA device to the user (IAM console > Users > USER > Security credentials > Assign MFA device), or remove its console password (`aws iam delete-login-profile --user-name USER`) if it does not need the console; better, move people to IAM Identity Center.",
    stride: Stride::Spoofing,
    cis: &["1.10"],
    fsbp: &["IAM.5"],
    notes: "",
};

impl Rule for MfaEnabledForIamConsoleAccess {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let user = user_name(item);
        match login_profile(item) {
            Ok(Some(_)) => {}
            Ok(None) => return cx.pass(item, format!("user {user} has no console password")),
            Err(reason) => return cx.error(item, reason),
        }
        match mfa_device_count(item) {
            Ok(0) => cx.fail(item, format!("user {user} has a console password and no MFA device")),
            Ok(_) => cx.pass(item, format!("user {user} has a console password and MFA")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
