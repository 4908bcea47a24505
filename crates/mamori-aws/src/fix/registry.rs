//! The list of fixers, and the IAM write actions they call.

use std::collections::BTreeSet;

use super::Fixer;

/// Every fixer, one per rule id.
pub const FIXERS: &[&dyn Fixer] = &[
    &super::ec2::restricted_ssh::RestrictedSsh,
    &super::ec2::restricted_common_ports::RestrictedCommonPorts,
    &super::ec2::vpc_sg_open_only_to_authorized_ports::VpcSgOpenOnlyToAuthorizedPorts,
    &super::s3::s3_bucket_ssl_requests_only::S3BucketSslRequestsOnly,
    &super::s3::s3_bucket_versioning_enabled::S3BucketVersioningEnabled,
    &super::s3::s3_bucket_level_public_access_prohibited::S3BucketLevelPublicAccessProhibited,
    &super::s3::s3_account_level_public_access_blocks_periodic::S3AccountLevelPublicAccessBlocksPeriodic,
    &super::s3::s3_bucket_server_side_encryption_enabled::S3BucketServerSideEncryptionEnabled,
    &super::ec2::ec2_ebs_encryption_by_default::Ec2EbsEncryptionByDefault,
    &super::ec2::ec2_imdsv2_check::Ec2Imdsv2Check,
    &super::ec2::subnet_auto_assign_public_ip_disabled::SubnetAutoAssignPublicIpDisabled,
    &super::ec2::vpc_default_security_group_closed::VpcDefaultSecurityGroupClosed,
    &super::ec2::vpc_flow_logs_enabled::VpcFlowLogsEnabled,
    &super::kms::cmk_backing_key_rotation_enabled::CmkBackingKeyRotationEnabled,
    &super::iam::iam_password_policy::IamPasswordPolicy,
    &super::iam::iam_user_unused_credentials_check::IamUserUnusedCredentialsCheck,
    &super::cloudtrail::multi_region_cloudtrail_enabled::MultiRegionCloudtrailEnabled,
    &super::cloudtrail::cloud_trail_log_file_validation_enabled::CloudTrailLogFileValidationEnabled,
    &super::cloudtrail::cloudtrail_enabled::CloudtrailEnabled,
    &super::rds::rds_instance_deletion_protection_enabled::RdsInstanceDeletionProtectionEnabled,
    &super::rds::db_instance_backup_enabled::DbInstanceBackupEnabled,
    &super::rds::rds_instance_public_access_check::RdsInstancePublicAccessCheck,
    &super::rds::rds_snapshots_public_prohibited::RdsSnapshotsPublicProhibited,
    &super::guardduty::guardduty_enabled_centralized::GuarddutyEnabledCentralized,
    &super::securityhub::securityhub_enabled::SecurityhubEnabled,
    &super::config::mamori_config_recorder_enabled::MamoriConfigRecorderEnabled,
];

/// The fixer of `rule_id`.
pub fn find(rule_id: &str) -> Option<&'static dyn Fixer> {
    FIXERS.iter().copied().find(|fixer| fixer.meta().rule_id == rule_id)
}

/// The actions the remediation role needs for the fixers of `rule_ids` (every fixer when
/// `None`): their reads and writes, plus STS GetCallerIdentity (the caller recorded with each
/// action), sorted and without duplicates.
pub fn write_actions(rule_ids: Option<&[&str]>) -> BTreeSet<&'static str> {
    FIXERS
        .iter()
        .map(|fixer| fixer.meta())
        .filter(|meta| rule_ids.is_none_or(|ids| ids.contains(&meta.rule_id)))
        .flat_map(|meta| meta.read_actions.iter().chain(meta.write_actions).copied())
        .chain(["sts:GetCallerIdentity"])
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Each fixer names a rule of the catalog, a collector that writes the rule's resource
    /// types, and its file is named after the rule; rule ids are unique.
    #[test]
    fn fixers_name_real_rules_collectors_and_files() {
        let mut seen = BTreeSet::new();
        for fixer in FIXERS {
            let meta = fixer.meta();
            assert!(seen.insert(meta.rule_id), "two fixers for `{}`", meta.rule_id);
            let rule = mamori_rules::find(meta.rule_id).unwrap_or_else(|| panic!("no rule `{}`", meta.rule_id));
            let collector = crate::collect::COLLECTORS
                .iter()
                .find(|c| c.name == meta.collector)
                .unwrap_or_else(|| panic!("fixer `{}`: no collector `{}`", meta.rule_id, meta.collector));
            for resource_type in meta.resource_types {
                assert!(rule.meta().resource_types.contains(resource_type), "{}: {resource_type}", meta.rule_id);
                assert!(
                    collector.resource_types.contains(resource_type) || *resource_type == mamori_model::ACCOUNT_TYPE,
                    "{}: collector `{}` does not write {resource_type}",
                    meta.rule_id,
                    meta.collector
                );
            }
            assert!(!meta.write_actions.is_empty() && !meta.summary.is_empty(), "{}", meta.rule_id);
            // Planning reads through the read-only audit role: a read it lacks would make
            // every plan of the rule fail with AccessDenied.
            let audit_role = crate::collect::required_actions();
            for action in meta.read_actions {
                assert!(
                    audit_role.contains(action),
                    "fixer `{}` reads with `{action}`, which the audit role (collectors' actions) lacks",
                    meta.rule_id
                );
            }
            let file = format!(
                "{}/src/fix/{}/{}.rs",
                env!("CARGO_MANIFEST_DIR"),
                rule.meta().service,
                meta.rule_id.replace('-', "_")
            );
            assert!(std::path::Path::new(&file).exists(), "fixer `{}` is not in `{file}`", meta.rule_id);
        }
    }
}
