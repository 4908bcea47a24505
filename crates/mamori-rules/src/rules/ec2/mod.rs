//! Rules about EC2 instances, volumes, security groups, network ACLs, subnets and VPCs.

mod restricted_ssh;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&restricted_ssh::RestrictedSsh];
