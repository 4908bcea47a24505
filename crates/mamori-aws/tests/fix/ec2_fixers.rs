//! EC2 and VPC fixers: EBS encryption by default, IMDSv2, subnet public IPs, the default
//! security group, flow logs.

use aws_config::{Region, SdkConfig};
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, IpPermission, UserIdGroupPair};
use mamori_model::remediation::LeftOutReason;
use serde_json::json;

use crate::common::{self, Emulator, ACCOUNT};
use crate::lifecycle::{section_with, Case};

fn ec2(config: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::from_conf(aws_sdk_ec2::config::Builder::from(config).region(Region::new("us-east-1")).build())
}

fn case<'a>(rule: &'a str, resource: &'a str) -> Case<'a> {
    Case {
        rule,
        resource,
        collectors: &["ec2"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    }
}

#[tokio::test]
async fn ebs_encryption_by_default_is_enabled_and_disabled_again() {
    let Some(emulator) = Emulator::start() else { return };
    let rule = "ec2-ebs-encryption-by-default";
    let action = case(rule, ACCOUNT).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "ec2:EnableEbsEncryptionByDefault");
    let config = emulator.config().await;
    let now = ec2(&config).get_ebs_encryption_by_default().send().await.unwrap();
    assert_eq!(now.ebs_encryption_by_default(), Some(false), "rolled back");
}

#[tokio::test]
async fn imdsv2_is_required_and_relaxed_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let run = ec2(&config).run_instances().image_id("ami-12345678").min_count(1).max_count(1).send().await.unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_owned();
    let rule = "ec2-imdsv2-check";
    let action = case(rule, &instance).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters, json!({"InstanceId": instance, "HttpTokens": "required"}));
    assert_eq!(action.state_before, json!({"HttpTokens": "optional"}));
}

#[tokio::test]
async fn subnet_public_ips_are_turned_off_and_on_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let ec2 = ec2(&config);
    let vpc = ec2.create_vpc().cidr_block("10.9.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.9.1.0/24").send().await.unwrap();
    let subnet = subnet.subnet.unwrap().subnet_id.unwrap();
    let on = AttributeBooleanValue::builder().value(true).build();
    ec2.modify_subnet_attribute().subnet_id(&subnet).map_public_ip_on_launch(on).send().await.unwrap();
    let rule = "subnet-auto-assign-public-ip-disabled";
    let action = case(rule, &subnet).run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].parameters["MapPublicIpOnLaunch"], json!({"Value": false}));
}

/// The default group's egress (all traffic) and an ingress rule from itself are removed, and
/// rollback puts exactly those back; another group is not touched.
#[tokio::test]
async fn default_security_group_is_closed_and_restored() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let ec2 = ec2(&config);
    let default = Filter::builder().name("group-name").values("default").build();
    let groups = ec2.describe_security_groups().filters(default).send().await.unwrap();
    let group = groups.security_groups()[0].clone();
    let id = group.group_id().unwrap().to_owned();
    let vpc = group.vpc_id().unwrap();
    let self_rule = IpPermission::builder()
        .ip_protocol("-1")
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&id).description("members").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&id).ip_permissions(self_rule).send().await.unwrap();
    let other = ec2.create_security_group().group_name("web").description("web").vpc_id(vpc).send().await.unwrap();
    let other = other.group_id.unwrap();
    let rule = "vpc-default-security-group-closed";
    let action = case(rule, &id).run(&emulator, &common::section(&[rule])).await;
    let operations: Vec<String> = action.calls.iter().map(|c| c.action()).collect();
    assert_eq!(operations, ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"]);
    assert_eq!(action.expected_after["IpPermissions"], json!([]));

    let read = |group: String| {
        let ec2 = ec2.clone();
        async move { ec2.describe_security_groups().group_ids(group).send().await.unwrap().security_groups()[0].clone() }
    };
    let restored = read(id.clone()).await;
    assert_eq!(restored.ip_permissions().len(), 1, "{restored:?}");
    assert_eq!(restored.ip_permissions()[0].user_id_group_pairs()[0].group_id(), Some(id.as_str()));
    assert_eq!(restored.ip_permissions_egress().len(), 1, "{restored:?}");
    let untouched = read(other).await;
    assert_eq!(untouched.ip_permissions_egress().len(), 1, "another group keeps its egress rule");
}

/// Without a destination in `mamori.toml` the VPC is left out with that reason; with one, a
/// flow log to the S3 bucket is created, and rollback deletes exactly it.
#[tokio::test]
async fn flow_log_is_created_to_the_configured_bucket_and_deleted_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config).region(Region::new("us-east-1")).force_path_style(true).build(),
    );
    s3.create_bucket().bucket("vpc-flow-logs").send().await.unwrap();
    let vpc = ec2(&config).create_vpc().cidr_block("10.8.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let rule = "vpc-flow-logs-enabled";
    let case = case(rule, &vpc);

    let unset = case.plan(&config, &common::section(&[rule])).await;
    assert!(unset.actions.is_empty(), "{unset:#?}");
    assert_eq!(unset.left_out[0].reason, LeftOutReason::SettingMissing);
    assert!(unset.left_out[0].detail.contains("flow_logs_destination"), "{}", unset.left_out[0].detail);

    let section = section_with(rule, json!({"flow_logs_destination": "arn:aws:s3:::vpc-flow-logs"}));
    let plan = case.plan(&config, &section).await;
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let call = &plan.actions[0].calls[0];
    assert_eq!(call.action(), "ec2:CreateFlowLogs");
    assert_eq!(
        (&call.parameters["TrafficType"], &call.parameters["LogDestinationType"]),
        (&json!("ALL"), &json!("s3"))
    );
    case.apply_and_roll_back(&emulator, &plan).await;
    let filter = Filter::builder().name("resource-id").values(&vpc).build();
    let left = ec2(&config).describe_flow_logs().filter(filter).send().await.unwrap();
    assert!(left.flow_logs().is_empty(), "rolled back: {left:?}");
}
