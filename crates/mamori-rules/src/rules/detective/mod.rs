//! Rules about detective.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
