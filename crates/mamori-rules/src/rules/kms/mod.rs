//! Rules about AWS KMS keys.

mod cmk_backing_key_rotation_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&cmk_backing_key_rotation_enabled::CmkBackingKeyRotationEnabled];
