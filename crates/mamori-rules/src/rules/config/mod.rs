//! Rules about AWS Config: a configuration recorder in every account and region.

mod mamori_config_recorder_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&mamori_config_recorder_enabled::MamoriConfigRecorderEnabled];
