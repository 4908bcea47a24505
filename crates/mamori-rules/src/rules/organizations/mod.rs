//! Rules about AWS Organizations: the guardrails the organization imposes on its accounts.

mod mamori_organizations_scp_protects_security_services;

use crate::Rule;

pub const RULES: &[&dyn Rule] =
    &[&mamori_organizations_scp_protects_security_services::MamoriOrganizationsScpProtectsSecurityServices];
