//! Fixers under exactly the actions they declare: moto enforcing IAM for a user allowed only
//! the collectors' reads (the audit and the verification re-collect) and what
//! `mamori iam-policy --remediation` grants the fixers. An undeclared call would be refused,
//! and the lifecycle (plan, apply verified, rollback) would fail. EC2, KMS, IAM and RDS are
//! covered, whose action names moto checks as AWS does; GuardDuty and Security Hub answer
//! `SignatureDoesNotMatch` under enforcement in moto 5.2.5 (see the detection collector test),
//! and moto's S3 action names differ from AWS's.

use aws_config::Region;
use serde_json::json;

use crate::collect_common;
use crate::common::{Emulator, ACCOUNT};
use crate::lifecycle::{section_with, Case};

#[tokio::test]
async fn fixers_need_only_their_declared_actions() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let ec2 = aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(&config).region(Region::new("us-east-1")).build(),
    );
    let default = aws_sdk_ec2::types::Filter::builder().name("group-name").values("default").build();
    let group = ec2.describe_security_groups().filters(default).send().await.unwrap().security_groups()[0].clone();
    let group = group.group_id().unwrap().to_owned();
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&config).region(Region::new("us-east-1")).build(),
    );
    let key = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
    let rds = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::config::Builder::from(&config).region(Region::new("us-east-1")).build(),
    );
    let created = rds
        .create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .master_username("admin")
        .master_user_password("correct-horse-battery")
        .allocated_storage(20)
        .backup_retention_period(0)
        .send()
        .await
        .unwrap();
    let instance = created.db_instance.unwrap().dbi_resource_id.unwrap();

    let cases: [(&str, &str, &[&str]); 6] = [
        ("ec2-ebs-encryption-by-default", ACCOUNT, &["ec2"]),
        ("vpc-default-security-group-closed", &group, &["ec2"]),
        ("cmk-backing-key-rotation-enabled", &key, &["kms"]),
        ("iam-password-policy", ACCOUNT, &["iam"]),
        ("rds-instance-deletion-protection-enabled", &instance, &["rds"]),
        ("db-instance-backup-enabled", &instance, &["rds"]),
    ];
    let rules: Vec<&str> = cases.iter().map(|(rule, ..)| *rule).collect();
    let granted: Vec<&'static str> = mamori_aws::fix::write_actions(Some(&rules)).into_iter().collect();
    let limited =
        collect_common::least_privilege_with(&emulator.server, &config, &["ec2", "kms", "iam", "rds"], &granted).await;

    for (rule, resource, collectors) in cases {
        let case = Case {
            rule,
            resource,
            collectors,
            regions: &["us-east-1"],
            region: Some("us-east-1"),
            capture_time: None,
            credentials: Some(&limited),
        };
        let section = section_with(rule, json!({"rds_backup_retention_days": 7}));
        case.run(&emulator, &section).await;
    }
}
