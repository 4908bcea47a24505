//! Rules about AWS KMS keys.

mod cmk_backing_key_rotation_enabled;
mod kms_cmk_not_scheduled_for_deletion;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &cmk_backing_key_rotation_enabled::CmkBackingKeyRotationEnabled,
    &kms_cmk_not_scheduled_for_deletion::KmsCmkNotScheduledForDeletion,
];
