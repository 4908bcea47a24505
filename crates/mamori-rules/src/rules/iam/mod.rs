//! Rules about IAM: the root user, users and their credentials, the password policy,
//! policies and where they are attached, and whether the account is in use.

// Root, users, credentials, password policy, account use.
mod access_keys_rotated;
mod iam_password_policy;
mod iam_root_access_key_check;
mod iam_server_certificate_expiration_check;
mod iam_user_mfa_enabled;
mod iam_user_unused_credentials_check;
mod mamori_account_in_use;
mod mamori_iam_user_machine_credentials;
mod mamori_iam_user_single_active_access_key;
mod mfa_enabled_for_iam_console_access;
mod root_account_hardware_mfa_enabled;
mod root_account_mfa_enabled;
// (end of credential rule modules)

// Policies and their attachments.
mod iam_customer_policy_blocked_kms_actions;
mod iam_inline_policy_blocked_kms_actions;
mod iam_no_inline_policy_check;
mod iam_policy_blacklisted_check;
mod iam_policy_in_use;
mod iam_policy_no_statements_with_admin_access;
mod iam_policy_no_statements_with_full_access;
mod iam_user_no_policies_check;
mod mamori_iam_policy_no_privilege_escalation;
mod mamori_iam_user_access_key_ip_restricted;
// (end of policy rule modules)

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    // credential rules
    &root_account_mfa_enabled::RootAccountMfaEnabled,
    &root_account_hardware_mfa_enabled::RootAccountHardwareMfaEnabled,
    &iam_root_access_key_check::IamRootAccessKeyCheck,
    &iam_password_policy::IamPasswordPolicy,
    &iam_user_mfa_enabled::IamUserMfaEnabled,
    &mfa_enabled_for_iam_console_access::MfaEnabledForIamConsoleAccess,
    &access_keys_rotated::AccessKeysRotated,
    &iam_user_unused_credentials_check::IamUserUnusedCredentialsCheck,
    &mamori_iam_user_machine_credentials::MamoriIamUserMachineCredentials,
    &mamori_account_in_use::MamoriAccountInUse,
    &mamori_iam_user_single_active_access_key::MamoriIamUserSingleActiveAccessKey,
    &iam_server_certificate_expiration_check::IamServerCertificateExpirationCheck,
    // (end of credential rules)
    // policy rules
    &iam_user_no_policies_check::IamUserNoPoliciesCheck,
    &iam_policy_no_statements_with_admin_access::IamPolicyNoStatementsWithAdminAccess,
    &iam_policy_no_statements_with_full_access::IamPolicyNoStatementsWithFullAccess,
    &iam_no_inline_policy_check::IamNoInlinePolicyCheck,
    &iam_policy_in_use::IamPolicyInUse,
    &mamori_iam_user_access_key_ip_restricted::MamoriIamUserAccessKeyIpRestricted,
    &iam_policy_blacklisted_check::IamPolicyBlacklistedCheck,
    &mamori_iam_policy_no_privilege_escalation::MamoriIamPolicyNoPrivilegeEscalation,
    &iam_customer_policy_blocked_kms_actions::IamCustomerPolicyBlockedKmsActions,
    &iam_inline_policy_blocked_kms_actions::IamInlinePolicyBlockedKmsActions,
    // (end of policy rules)
];
