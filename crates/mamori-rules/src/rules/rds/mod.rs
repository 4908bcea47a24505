//! Rules about Amazon RDS: DB instances (backups, deletion protection, public access,
//! encryption, Multi-AZ, minor upgrades, IAM authentication, monitoring, administrator name,
//! port) and DB snapshots (public, encrypted).

mod db_instance_backup_enabled;
mod mamori_rds_instance_non_default_port;
mod rds_automatic_minor_version_upgrade_enabled;
mod rds_enhanced_monitoring_enabled;
mod rds_instance_default_admin_check;
mod rds_instance_deletion_protection_enabled;
mod rds_instance_iam_authentication_enabled;
mod rds_instance_public_access_check;
mod rds_multi_az_support;
mod rds_snapshot_encrypted;
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
    &rds_automatic_minor_version_upgrade_enabled::RdsAutomaticMinorVersionUpgradeEnabled,
    &rds_instance_iam_authentication_enabled::RdsInstanceIamAuthenticationEnabled,
    &rds_enhanced_monitoring_enabled::RdsEnhancedMonitoringEnabled,
    &rds_instance_default_admin_check::RdsInstanceDefaultAdminCheck,
    &mamori_rds_instance_non_default_port::MamoriRdsInstanceNonDefaultPort,
    &rds_snapshot_encrypted::RdsSnapshotEncrypted,
];
