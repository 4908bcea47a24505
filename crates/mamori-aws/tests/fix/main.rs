//! The fixers against the emulator, one module per service, in one test binary (every binary
//! that links the AWS SDK costs a long link and a gigabyte of disk): seed a failing resource,
//! audit (FAIL), plan, apply, audit again (PASS), roll back where reversible (FAIL again), and
//! the driver's guarantees (precondition, belts, failures, idempotency, resumption).

#[path = "../collect/common/mod.rs"]
mod collect_common;
mod common;
mod lifecycle;

mod cloudtrail;
mod detection;
mod driver;
mod ec2;
mod ec2_fixers;
mod iam;
mod kms;
mod least_privilege;
mod rds;
mod s3;
mod s3_fixers;
