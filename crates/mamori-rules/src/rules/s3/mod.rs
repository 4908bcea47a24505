//! Rules about Amazon S3 buckets and the account-level public access block.

mod s3_account_level_public_access_blocks_periodic;
mod s3_bucket_blacklisted_actions_prohibited;
mod s3_bucket_level_public_access_prohibited;
mod s3_bucket_logging_enabled;
mod s3_bucket_mfa_delete_enabled;
mod s3_bucket_public_read_prohibited;
mod s3_bucket_public_write_prohibited;
mod s3_bucket_server_side_encryption_enabled;
mod s3_bucket_ssl_requests_only;
mod s3_bucket_versioning_enabled;
mod s3_default_encryption_kms;
pub(crate) mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &s3_bucket_versioning_enabled::S3BucketVersioningEnabled,
    &s3_account_level_public_access_blocks_periodic::S3AccountLevelPublicAccessBlocksPeriodic,
    &s3_bucket_level_public_access_prohibited::S3BucketLevelPublicAccessProhibited,
    &s3_bucket_public_read_prohibited::S3BucketPublicReadProhibited,
    &s3_bucket_public_write_prohibited::S3BucketPublicWriteProhibited,
    &s3_bucket_server_side_encryption_enabled::S3BucketServerSideEncryptionEnabled,
    &s3_bucket_ssl_requests_only::S3BucketSslRequestsOnly,
    &s3_bucket_logging_enabled::S3BucketLoggingEnabled,
    &s3_bucket_mfa_delete_enabled::S3BucketMfaDeleteEnabled,
    &s3_default_encryption_kms::S3DefaultEncryptionKms,
    &s3_bucket_blacklisted_actions_prohibited::S3BucketBlacklistedActionsProhibited,
];
