//! Rules about Amazon RDS: DB instances (backups, deletion protection, public access,
//! encryption, Multi-AZ) and DB snapshots.

mod db_instance_backup_enabled;
mod rds_instance_deletion_protection_enabled;
mod rds_instance_public_access_check;
mod rds_multi_az_support;
mod rds_snapshots_public_prohibited;
mod rds_storage_encrypted;
mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &db_instance_backup_enabled::DbInstanceBackupEnabled,
    &rds_instance_deletion_protection_enabled::RdsInstanceDeletionProtectionEnabled,
    &rds_instance_public_access_check::RdsInstancePublicAccessCheck,
    &rds_storage_encrypted::RdsStorageEncrypted,
    &rds_snapshots_public_prohibited::RdsSnapshotsPublicProhibited,
    &rds_multi_az_support::RdsMultiAzSupport,
];
