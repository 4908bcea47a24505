//! The built-in rules, one file per rule, grouped by service. A rule's fixtures live in the
//! folder of the same name beside its file (`s3/s3_bucket_versioning_enabled/*.json`).

pub mod accessanalyzer;
pub mod cloudfront;
pub mod cloudtrail;
pub mod config;
pub mod detective;
pub mod ec2;
pub mod elb;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod organizations;
pub mod rds;
pub mod s3;
pub mod securityhub;
