//! Rules about IAM: the root user, users and their credentials, the password policy,
//! policies and where they are attached, and whether the account is in use.

// Root, users, credentials, password policy, account use.
// (end of credential rule modules)

// Policies and their attachments.
// (end of policy rule modules)

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    // credential rules
    // (end of credential rules)
    // policy rules
    // (end of policy rules)
];
