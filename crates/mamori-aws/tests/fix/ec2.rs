//! Security-group fixers: only the whole-internet ranges of the offending permission go;
//! source-restricted ranges, other ports, other permissions and other groups stay.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, UserIdGroupPair};
use mamori_model::{Finding, Status};
use mamori_store::ActionOutcome;

use crate::common::{self, Emulator};

fn ec2(config: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(config)
}

fn tcp(from: i32, to: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    IpPermission::builder().ip_protocol("tcp").from_port(from).to_port(to)
}

fn v4(cidr: &str) -> IpRange {
    IpRange::builder().cidr_ip(cidr).description(format!("range {cidr}")).build()
}

async fn group(config: &SdkConfig, name: &str, permissions: Vec<IpPermission>) -> String {
    let client = ec2(config);
    let vpc = client.describe_vpcs().send().await.unwrap().vpcs.unwrap().remove(0).vpc_id.unwrap();
    let created = client.create_security_group().group_name(name).description(name).vpc_id(vpc).send().await.unwrap();
    let id = created.group_id.unwrap();
    client.authorize_security_group_ingress().group_id(&id).set_ip_permissions(Some(permissions)).send().await.unwrap();
    id
}

/// The group's inbound permissions as the SDK reads them, sorted, for before/after comparison.
async fn permissions(config: &SdkConfig, id: &str) -> Vec<String> {
    let described = ec2(config).describe_security_groups().group_ids(id).send().await.unwrap();
    let mut found: Vec<String> = described.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let ports = format!("{}:{:?}-{:?}", p.ip_protocol().unwrap_or_default(), p.from_port(), p.to_port());
            let v4 = p.ip_ranges().iter().map(move |r| format!("{ports} {}", r.cidr_ip().unwrap_or_default()));
            let ports = format!("{}:{:?}-{:?}", p.ip_protocol().unwrap_or_default(), p.from_port(), p.to_port());
            let v6 = p.ipv6_ranges().iter().map(move |r| format!("{ports} {}", r.cidr_ipv6().unwrap_or_default()));
            let ports = format!("{}:{:?}-{:?}", p.ip_protocol().unwrap_or_default(), p.from_port(), p.to_port());
            let groups =
                p.user_id_group_pairs().iter().map(move |g| format!("{ports} {}", g.group_id().unwrap_or_default()));
            v4.chain(v6).chain(groups).collect::<Vec<_>>()
        })
        .collect();
    found.sort();
    found
}

fn of_resources(findings: &[(String, Finding)], resources: &[&str]) -> Vec<(String, Finding)> {
    findings.iter().filter(|(_, f)| resources.contains(&&*f.resource_id)).cloned().collect()
}

const SSH: &str = "restricted-ssh";

#[tokio::test]
async fn ssh_fix_revokes_only_the_internet_ranges_of_the_offending_permission() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let peer = group(&config, "peer", vec![tcp(443, 443).ip_ranges(v4("10.9.0.0/16")).build()]).await;
    let target = group(
        &config,
        "target",
        vec![
            // The offending permission: two internet ranges and a source-restricted one.
            tcp(22, 22)
                .ip_ranges(v4("0.0.0.0/0"))
                .ip_ranges(v4("10.0.0.0/8"))
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
            // SSH from another group, another port open to the internet, and a source-restricted
            // all-traffic rule (the kind ASR's users saw removed): all stay.
            tcp(22, 22).user_id_group_pairs(UserIdGroupPair::builder().group_id(&peer).build()).build(),
            tcp(443, 443).ip_ranges(v4("0.0.0.0/0")).build(),
            IpPermission::builder().ip_protocol("-1").ip_ranges(v4("10.1.0.0/16")).build(),
        ],
    )
    .await;
    let other = group(&config, "other", vec![tcp(22, 22).ip_ranges(v4("0.0.0.0/0")).build()]).await;
    let original = permissions(&config, &target).await;
    let other_original = permissions(&config, &other).await;

    let findings = common::audit(&config, &["ec2"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSH, &target), Some(Status::Fail));
    assert_eq!(common::status_of(&findings, SSH, &other), Some(Status::Fail));

    let remediator = common::remediator(&config);
    let section = common::section(&[SSH]);
    let plan = common::plan(&remediator, &of_resources(&findings, &[&target]), &section, &[SSH]).await;
    assert_eq!(plan.actions.len(), 1, "{plan:#?}");
    let calls = &plan.actions[0].calls;
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].action(), "ec2:RevokeSecurityGroupIngress");
    assert_eq!(
        calls[0].parameters,
        serde_json::json!({"GroupId": target, "IpPermissions": [{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]
        }]})
    );

    let (_dir, mut store) = common::store();
    let before = emulator.changes();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Verified, "{:?}", report.actions[0]);
    assert_eq!(emulator.changes() - before, 1);

    let mut expected: Vec<String> = original
        .iter()
        .filter(|p| !p.starts_with("tcp:Some(22)-Some(22) 0.0.0.0/0") && !p.ends_with(" ::/0"))
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(permissions(&config, &target).await, expected, "only the two internet ranges of port 22 went");
    assert!(expected.iter().any(|p| p.ends_with("10.0.0.0/8")) && expected.iter().any(|p| p.ends_with(&peer)));
    assert!(expected.iter().any(|p| p == "tcp:Some(443)-Some(443) 0.0.0.0/0"));
    assert!(expected.iter().any(|p| p.starts_with("-1:") && p.ends_with("10.1.0.0/16")), "{expected:?}");
    assert_eq!(permissions(&config, &other).await, other_original, "another group is never touched");

    let findings = common::audit(&config, &["ec2"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSH, &target), Some(Status::Pass));
    assert_eq!(common::status_of(&findings, SSH, &other), Some(Status::Fail));

    // Rollback authorizes the revoked ranges again (with their descriptions): FAIL again.
    let fix = store.actions().unwrap().remove(0);
    let rollback = remediator.rollback(fix.id, &mut store).await.unwrap();
    assert_eq!(rollback.outcome, ActionOutcome::Verified, "{rollback:?}");
    assert_eq!(permissions(&config, &target).await, original);
    let findings = common::audit(&config, &["ec2"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, SSH, &target), Some(Status::Fail));
    let restored = &rollback.state_after.unwrap()["ipPermissions"];
    let internet = restored
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["fromPort"] == 22 && p["ipv4Ranges"].as_array().unwrap().len() == 2)
        .unwrap();
    assert!(
        internet["ipv4Ranges"].as_array().unwrap().iter().any(|r| r["description"] == "range 0.0.0.0/0"),
        "{internet}"
    );
}

#[tokio::test]
async fn common_ports_and_authorized_ports_fixes_pass_their_rules() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let rdp = group(
        &config,
        "rdp",
        vec![tcp(3389, 3389).ip_ranges(v4("0.0.0.0/0")).build(), tcp(80, 80).ip_ranges(v4("0.0.0.0/0")).build()],
    )
    .await;
    let web =
        group(&config, "web", vec![tcp(8000, 8080).ip_ranges(v4("0.0.0.0/0")).ip_ranges(v4("192.168.0.0/16")).build()])
            .await;
    let findings = common::audit(&config, &["ec2"], &["us-east-1"]).await;
    const COMMON: &str = "restricted-common-ports";
    const AUTHORIZED: &str = "vpc-sg-open-only-to-authorized-ports";
    assert_eq!(common::status_of(&findings, COMMON, &rdp), Some(Status::Fail));
    assert_eq!(common::status_of(&findings, AUTHORIZED, &web), Some(Status::Fail));

    let remediator = common::remediator(&config);
    let section = common::section(&[COMMON, AUTHORIZED]);
    let chosen: Vec<(String, Finding)> = findings
        .iter()
        .filter(|(_, f)| {
            (&*f.rule_id == COMMON && *f.resource_id == *rdp) || (&*f.rule_id == AUTHORIZED && *f.resource_id == *web)
        })
        .cloned()
        .collect();
    let plan = common::plan(&remediator, &chosen, &section, &[]).await;
    assert_eq!(plan.actions.len(), 2, "{plan:#?}");
    let (_dir, mut store) = common::store();
    let report = remediator.apply(&plan, &mut store, &section, &common::rules(), None).await.unwrap();
    assert!(report.actions.iter().all(|a| a.outcome == ActionOutcome::Verified), "{report:#?}");

    let findings = common::audit(&config, &["ec2"], &["us-east-1"]).await;
    assert_eq!(common::status_of(&findings, COMMON, &rdp), Some(Status::Pass));
    assert_eq!(common::status_of(&findings, AUTHORIZED, &web), Some(Status::Pass));
    // Port 80 is not a blocked port: restricted-common-ports leaves it open.
    assert_eq!(permissions(&config, &rdp).await, ["tcp:Some(80)-Some(80) 0.0.0.0/0"]);
    assert_eq!(permissions(&config, &web).await, ["tcp:Some(8000)-Some(8080) 192.168.0.0/16"]);
}
