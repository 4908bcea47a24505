//! Fixers of EC2 and VPC rules.

pub mod ec2_ebs_encryption_by_default;
pub mod ec2_imdsv2_check;
pub mod restricted_common_ports;
pub mod restricted_ssh;
pub(crate) mod security_group;
pub mod subnet_auto_assign_public_ip_disabled;
pub mod vpc_default_security_group_closed;
pub mod vpc_flow_logs_enabled;
pub mod vpc_sg_open_only_to_authorized_ports;

use aws_sdk_ec2::Client;

use super::FixCx;

/// An EC2 client in the fix's region, its retries counted.
pub(crate) fn client(cx: &FixCx) -> Client {
    Client::from_conf(aws_sdk_ec2::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter()).build())
}
