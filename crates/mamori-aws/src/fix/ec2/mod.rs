//! Fixers of EC2 and VPC rules.

pub mod restricted_common_ports;
pub mod restricted_ssh;
pub(crate) mod security_group;
pub mod vpc_sg_open_only_to_authorized_ports;

use aws_sdk_ec2::Client;

use super::FixCx;

/// An EC2 client in the fix's region, its retries counted.
pub(crate) fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_ec2::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}
