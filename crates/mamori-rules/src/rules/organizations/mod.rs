//! Rules about organizations.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
