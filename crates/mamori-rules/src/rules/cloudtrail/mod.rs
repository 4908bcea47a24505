//! Rules about cloudtrail.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
