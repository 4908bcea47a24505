//! Rules about EC2 instances, volumes, security groups, network ACLs, subnets and VPCs.

mod ebs_snapshot_public_restorable_check;
mod ec2_ebs_encryption_by_default;
mod ec2_imdsv2_check;
mod ec2_instance_multiple_eni_check;
mod ec2_instance_no_public_ip;
mod ec2_instance_profile_attached;
mod ec2_paravirtual_instance_check;
mod ec2_stopped_instance;
mod encrypted_volumes;
mod mamori_ec2_ami_not_public;
mod mamori_restricted_data_store_ports;
mod mamori_ssh_bastion_only;
mod nacl_no_unrestricted_ssh_rdp;
mod restricted_common_ports;
mod restricted_ssh;
mod subnet_auto_assign_public_ip_disabled;
mod vpc_default_security_group_closed;
mod vpc_flow_logs_enabled;
mod vpc_network_acl_unused_check;
mod vpc_sg_open_only_to_authorized_ports;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &restricted_ssh::RestrictedSsh,
    &restricted_common_ports::RestrictedCommonPorts,
    &vpc_sg_open_only_to_authorized_ports::VpcSgOpenOnlyToAuthorizedPorts,
    &vpc_default_security_group_closed::VpcDefaultSecurityGroupClosed,
    &mamori_ssh_bastion_only::MamoriSshBastionOnly,
    &nacl_no_unrestricted_ssh_rdp::NaclNoUnrestrictedSshRdp,
    &ec2_instance_no_public_ip::Ec2InstanceNoPublicIp,
    &ec2_imdsv2_check::Ec2Imdsv2Check,
    &ec2_instance_profile_attached::Ec2InstanceProfileAttached,
    &encrypted_volumes::EncryptedVolumes,
    &ec2_ebs_encryption_by_default::Ec2EbsEncryptionByDefault,
    &subnet_auto_assign_public_ip_disabled::SubnetAutoAssignPublicIpDisabled,
    &vpc_flow_logs_enabled::VpcFlowLogsEnabled,
    &mamori_restricted_data_store_ports::MamoriRestrictedDataStorePorts,
    &ec2_paravirtual_instance_check::Ec2ParavirtualInstanceCheck,
    &ec2_instance_multiple_eni_check::Ec2InstanceMultipleEniCheck,
    &ec2_stopped_instance::Ec2StoppedInstance,
    &vpc_network_acl_unused_check::VpcNetworkAclUnusedCheck,
    &ebs_snapshot_public_restorable_check::EbsSnapshotPublicRestorableCheck,
    &mamori_ec2_ami_not_public::MamoriEc2AmiNotPublic,
];
