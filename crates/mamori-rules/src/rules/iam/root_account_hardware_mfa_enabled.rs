//! `root-account-hardware-mfa-enabled`: the root user's MFA is a hardware device.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when root MFA is off, or when a virtual MFA
//! device is assigned to the root user (`virtualMfaDevices` lists one whose `userArn` is the
//! account's root ARN, or, without `userArn`, whose serial is `…:mfa/root-account-mfa-device`).
//! A root user without credentials is PASS (AWS: NOT_APPLICABLE). Home-region record only.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use super::root_account_mfa_enabled::{
    account_summary, carries_global_settings, root_without_credentials, summary_flag,
};
use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct RootAccountHardwareMfaEnabled;

static META: RuleMeta = RuleMeta {
    id: "root-account-hardware-mfa-enabled",
    service: "iam",
    title: "The root user of every account uses a hardware MFA device",
    severity: Severity::Critical,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "A virtual MFA seed lives on a phone or laptop that can be cloned, backed up to the cloud or lost with the device; a hardware key (FIDO security key or hardware TOTP token) cannot be copied, and a FIDO key also resists phishing of the root sign-in.",
    remediation: "Sign in as the root user, register a FIDO security key or hardware TOTP token under Security credentials > Multi-factor authentication (MFA), then remove the virtual device (`aws iam deactivate-mfa-device` as root, then `aws iam delete-virtual-mfa-device --serial-number arn:aws:iam::ACCOUNT:mfa/root-account-mfa-device`).",
    stride: Stride::Spoofing,
    cis: &["1.6"],
    fsbp: &["IAM.6"],
    notes: "AWS answers NOT_APPLICABLE when the root user has no credentials; mamori reports PASS, as Security Hub does.",
};

/// The serial number of a virtual MFA device assigned to the root user, if any.
fn root_virtual_device<'a>(devices: &'a Value, account: &str) -> Option<&'a str> {
    let root_arn_suffix = format!(":iam::{account}:root");
    as_list(Some(devices)).into_iter().find_map(|device| {
        let serial = device.get("serialNumber").or_else(|| device.get("SerialNumber")).and_then(Value::as_str);
        let assigned_to_root = match device.get("userArn").or_else(|| device.get("User")) {
            Some(Value::String(arn)) => arn.ends_with(&root_arn_suffix),
            Some(Value::Object(user)) => {
                user.get("Arn").and_then(Value::as_str).is_some_and(|arn| arn.ends_with(&root_arn_suffix))
            }
            // `null` means the device is not assigned to anyone.
            Some(Value::Null) => false,
            _ => serial.is_some_and(|serial| serial.ends_with(":mfa/root-account-mfa-device")),
        };
        assigned_to_root.then_some(serial.unwrap_or("(no serial number)"))
    })
}

impl Rule for RootAccountHardwareMfaEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if !carries_global_settings(item) {
            return;
        }
        let account = &item.account_id;
        let summary = match account_summary(item) {
            Ok(summary) => summary,
            Err(reason) => return cx.error(item, reason),
        };
        if root_without_credentials(summary) {
            return cx.pass(item, format!("account {account}: the root user has no password and no access keys"));
        }
        match summary_flag(summary, "AccountMFAEnabled") {
            Some(true) => {}
            Some(false) => return cx.fail(item, format!("account {account}: the root user has no MFA device at all")),
            None => {
                return cx.error(item, format!("the account summary of account {account} has no AccountMFAEnabled"))
            }
        }
        let devices = match required(item, "virtualMfaDevices") {
            Ok(devices) => devices,
            Err(reason) => return cx.error(item, reason),
        };
        match root_virtual_device(devices, account) {
            Some(serial) => {
                cx.fail(item, format!("account {account}: the root user's MFA is a virtual device ({serial})"))
            }
            None => cx.pass(item, format!("account {account}: the root user's MFA is a hardware device")),
        }
    }
}
