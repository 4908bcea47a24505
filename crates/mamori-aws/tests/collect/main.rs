//! The collectors against the emulator, one module per collector, in one test binary: every
//! binary that links the AWS SDK costs a long link and a gigabyte of disk.

mod common;

mod cloudfront;
mod cloudtrail;
mod config;
mod detection;
mod ec2;
mod elb;
mod iam;
mod kms;
mod lambda;
mod organizations;
mod rds;
mod run;
mod s3;
mod session;
