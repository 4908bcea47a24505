//! Rules about Amazon GuardDuty: threat detection in every account and region.

mod guardduty_enabled_centralized;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&guardduty_enabled_centralized::GuarddutyEnabledCentralized];
