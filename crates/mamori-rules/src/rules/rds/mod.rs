//! Rules about rds.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
