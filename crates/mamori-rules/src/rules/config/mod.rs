//! Rules about config.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
