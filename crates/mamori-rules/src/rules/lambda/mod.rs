//! Rules about lambda.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
