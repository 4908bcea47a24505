//! Rules about cloudfront.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
