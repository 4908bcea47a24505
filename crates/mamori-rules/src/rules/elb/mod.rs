//! Rules about elb.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
