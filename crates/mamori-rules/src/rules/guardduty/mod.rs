//! Rules about guardduty.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
