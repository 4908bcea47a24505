//! Rules about AWS CloudTrail: trails in every account and region, what they record, and how
//! their logs are protected.

mod cloud_trail_cloud_watch_logs_enabled;
mod cloud_trail_encryption_enabled;
mod cloud_trail_log_file_validation_enabled;
mod cloudtrail_all_read_s3_data_event_check;
mod cloudtrail_all_write_s3_data_event_check;
mod cloudtrail_enabled;
mod cloudtrail_s3_dataevents_enabled;
mod mamori_cloudtrail_bucket_not_public;
mod mamori_cloudtrail_s3_bucket_access_logging;
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
    &cloudtrail_all_write_s3_data_event_check::CloudtrailAllWriteS3DataEventCheck,
    &cloudtrail_all_read_s3_data_event_check::CloudtrailAllReadS3DataEventCheck,
    &mamori_cloudtrail_s3_bucket_access_logging::MamoriCloudtrailS3BucketAccessLogging,
];
