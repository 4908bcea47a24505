//! Rules about AWS CloudTrail: trails in every account and region, what they record, and how
//! their logs are protected.

mod cloud_trail_cloud_watch_logs_enabled;
mod cloud_trail_encryption_enabled;
mod cloud_trail_log_file_validation_enabled;
mod cloudtrail_enabled;
mod cloudtrail_s3_dataevents_enabled;
mod mamori_cloudtrail_bucket_not_public;
mod multi_region_cloudtrail_enabled;
mod trail;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &cloudtrail_enabled::CloudtrailEnabled,
    &multi_region_cloudtrail_enabled::MultiRegionCloudtrailEnabled,
    &cloud_trail_log_file_validation_enabled::CloudTrailLogFileValidationEnabled,
    &cloud_trail_encryption_enabled::CloudTrailEncryptionEnabled,
    &cloud_trail_cloud_watch_logs_enabled::CloudTrailCloudWatchLogsEnabled,
    &cloudtrail_s3_dataevents_enabled::CloudtrailS3DataeventsEnabled,
    &mamori_cloudtrail_bucket_not_public::MamoriCloudtrailBucketNotPublic,
];
