//! Rules about AWS Security Hub: enabled in every account and region.

mod securityhub_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&securityhub_enabled::SecurityhubEnabled];
