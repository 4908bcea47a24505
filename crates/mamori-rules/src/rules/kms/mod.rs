//! Rules about kms.

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[];
