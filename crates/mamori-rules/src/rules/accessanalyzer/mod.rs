//! Rules about accessanalyzer.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
