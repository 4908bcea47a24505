//! Rules about Amazon S3 buckets and the account-level public access block.

mod s3_bucket_versioning_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&s3_bucket_versioning_enabled::S3BucketVersioningEnabled];
