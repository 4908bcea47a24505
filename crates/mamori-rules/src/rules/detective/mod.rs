//! Rules about Amazon Detective: a behaviour graph for every account and region.

mod mamori_detective_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&mamori_detective_enabled::MamoriDetectiveEnabled];
