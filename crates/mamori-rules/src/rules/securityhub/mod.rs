//! Rules about securityhub.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
