//! EC2 collector against moto: security groups open and closed (IPv4, IPv6, all traffic, port
//! ranges, bastion sources, customer prefix lists), network ACLs, subnets mapping public IPs,
//! instances with and without a public IP, an instance profile and IMDSv2, attached volumes
//! encrypted or not, EBS encryption by default on in one region only, and VPCs with and
//! without flow logs. Every item is read back and judged by the 13 EC2 rules of the catalog,
//! with moto's own default VPC, subnets, security groups and network ACLs in both regions
//! judged too. Failures (flow logs, prefix list entries, the EBS default) go through the
//! fault proxy.

use crate::common;

use std::collections::BTreeMap;

use aws_config::{Region, SdkConfig};
use aws_sdk_ec2::types::{
    AddPrefixListEntry, AttributeBooleanValue, Filter, FlowLogsResourceType, HttpTokensState,
    IamInstanceProfileSpecification, InstanceMetadataOptionsRequest, IpPermission, IpRange, Ipv6Range,
    LogDestinationType, PortRange, PrefixListId, RuleAction, TrafficType, UserIdGroupPair,
};
use mamori_model::{ConfigItem, Status};
use mamori_rules::{ActiveRule, Evaluator, Params, RuleSet};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn ec2(config: &SdkConfig, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    )
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// moto's own resources of one region (every region has a default VPC with its subnets, and
/// every VPC a default security group and network ACL).
#[derive(Debug, Default)]
struct Defaults {
    vpc: String,
    subnets: Vec<String>,
    /// Default security groups by VPC.
    groups: BTreeMap<String, String>,
    /// Default network ACLs.
    acls: Vec<String>,
}

async fn defaults(config: &SdkConfig, region: &str) -> Defaults {
    let client = ec2(config, region);
    let vpcs = client.describe_vpcs().filters(filter("is-default", "true")).send().await.unwrap();
    let subnets = client.describe_subnets().filters(filter("default-for-az", "true")).send().await.unwrap();
    let groups = client.describe_security_groups().filters(filter("group-name", "default")).send().await.unwrap();
    let acls = client.describe_network_acls().filters(filter("default", "true")).send().await.unwrap();
    Defaults {
        vpc: vpcs.vpcs()[0].vpc_id().unwrap().to_owned(),
        subnets: subnets.subnets().iter().map(|s| s.subnet_id().unwrap().to_owned()).collect(),
        groups: groups
            .security_groups()
            .iter()
            .map(|g| (g.vpc_id().unwrap().to_owned(), g.group_id().unwrap().to_owned()))
            .collect(),
        acls: acls.network_acls().iter().map(|a| a.network_acl_id().unwrap().to_owned()).collect(),
    }
}

/// What the test created in us-east-1.
#[derive(Debug, Default)]
struct Seeded {
    vpc_logged: String,
    vpc_unlogged: String,
    subnet_private: String,
    subnet_public: String,
    subnet_unlogged: String,
    /// Security groups by role in the test.
    groups: BTreeMap<&'static str, String>,
    acl_ssh: String,
    acl_https: String,
    private_instance: String,
    public_instance: String,
    terminated_instance: String,
    /// Root volumes of the two live instances (moto creates them unencrypted).
    root_volumes: Vec<String>,
    volume_encrypted: String,
    volume_plain: String,
    volume_spare: String,
    profile_arn: String,
}

fn tcp(from: i32, to: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    IpPermission::builder().ip_protocol("tcp").from_port(from).to_port(to)
}

fn v4(cidr: &str) -> IpRange {
    IpRange::builder().cidr_ip(cidr).build()
}

async fn seed(config: &SdkConfig) -> Seeded {
    let client = ec2(config, "us-east-1");
    let mut seeded = Seeded::default();
    let vpc = |cidr: &'static str| {
        let client = client.clone();
        async move { client.create_vpc().cidr_block(cidr).send().await.unwrap().vpc.unwrap().vpc_id.unwrap() }
    };
    seeded.vpc_logged = vpc("10.0.0.0/16").await;
    seeded.vpc_unlogged = vpc("10.1.0.0/16").await;
    let subnet = |vpc: String, cidr: &'static str| {
        let client = client.clone();
        async move {
            let subnet = client.create_subnet().vpc_id(vpc).cidr_block(cidr).availability_zone("us-east-1a").send();
            subnet.await.unwrap().subnet.unwrap().subnet_id.unwrap()
        }
    };
    seeded.subnet_private = subnet(seeded.vpc_logged.clone(), "10.0.1.0/24").await;
    seeded.subnet_public = subnet(seeded.vpc_logged.clone(), "10.0.2.0/24").await;
    seeded.subnet_unlogged = subnet(seeded.vpc_unlogged.clone(), "10.1.1.0/24").await;
    client
        .modify_subnet_attribute()
        .subnet_id(&seeded.subnet_public)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();

    // Prefix lists: one containing the whole internet, one an office network.
    let prefix_list = |name: &'static str, cidr: &'static str| {
        let client = client.clone();
        async move {
            let list = client
                .create_managed_prefix_list()
                .prefix_list_name(name)
                .address_family("IPv4")
                .max_entries(5)
                .entries(AddPrefixListEntry::builder().cidr("10.20.0.0/16").build())
                .entries(AddPrefixListEntry::builder().cidr(cidr).build())
                .send()
                .await
                .unwrap();
            list.prefix_list.unwrap().prefix_list_id.unwrap()
        }
    };
    let wide_list = prefix_list("wide", "0.0.0.0/0").await;
    let office_list = prefix_list("office", "198.51.100.0/24").await;

    // moto's default groups have no inbound rule; AWS's admit all traffic from the group
    // itself, which this default group is given.
    let logged_default = default_group(&client, &seeded.vpc_logged).await;
    let logged_default_id = logged_default.group_id().unwrap().to_owned();
    let from_itself = UserIdGroupPair::builder().group_id(&logged_default_id).build();
    client
        .authorize_security_group_ingress()
        .group_id(&logged_default_id)
        .ip_permissions(IpPermission::builder().ip_protocol("-1").user_id_group_pairs(from_itself.clone()).build())
        .send()
        .await
        .unwrap();
    let bastion =
        create_group(&client, &seeded.vpc_logged, "bastion", tcp(22, 22).ip_ranges(v4("203.0.113.0/24"))).await;
    let permissions = [
        ("ssh-open", tcp(22, 22).ip_ranges(v4("0.0.0.0/0"))),
        ("rdp-ipv6", tcp(3389, 3389).ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())),
        ("all-traffic", IpPermission::builder().ip_protocol("-1").ip_ranges(v4("0.0.0.0/0"))),
        ("mysql-range", tcp(3300, 3310).ip_ranges(v4("0.0.0.0/0"))),
        ("https", tcp(443, 443).ip_ranges(v4("0.0.0.0/0"))),
        ("ssh-internal", tcp(22, 22).ip_ranges(v4("10.0.0.0/8"))),
        ("app", tcp(22, 22).user_id_group_pairs(UserIdGroupPair::builder().group_id(&bastion).build())),
        ("ssh-from-default", tcp(22, 22).user_id_group_pairs(from_itself)),
        ("ssh-wide-list", tcp(22, 22).prefix_list_ids(PrefixListId::builder().prefix_list_id(&wide_list).build())),
        ("ssh-office-list", tcp(22, 22).prefix_list_ids(PrefixListId::builder().prefix_list_id(&office_list).build())),
    ];
    seeded.groups.insert("bastion", bastion);
    for (name, permission) in permissions {
        let id = create_group(&client, &seeded.vpc_logged, name, permission).await;
        seeded.groups.insert(name, id);
    }

    // The default group of the unlogged VPC is emptied; the logged VPC's keeps moto's rules.
    let default_group = default_group(&client, &seeded.vpc_unlogged).await;
    let group_id = default_group.group_id().unwrap();
    if !default_group.ip_permissions().is_empty() {
        let revoke = client.revoke_security_group_ingress().group_id(group_id);
        revoke.set_ip_permissions(Some(default_group.ip_permissions().to_vec())).send().await.unwrap();
    }
    if !default_group.ip_permissions_egress().is_empty() {
        let revoke = client.revoke_security_group_egress().group_id(group_id);
        revoke.set_ip_permissions(Some(default_group.ip_permissions_egress().to_vec())).send().await.unwrap();
    }

    // Network ACLs: SSH open to the internet, and HTTPS only.
    let acl = |port: i32| {
        let client = client.clone();
        let vpc = seeded.vpc_logged.clone();
        async move {
            let acl = client.create_network_acl().vpc_id(vpc).send().await.unwrap();
            let id = acl.network_acl.unwrap().network_acl_id.unwrap();
            client
                .create_network_acl_entry()
                .network_acl_id(&id)
                .rule_number(100)
                .protocol("6")
                .rule_action(RuleAction::Allow)
                .egress(false)
                .cidr_block("0.0.0.0/0")
                .port_range(PortRange::builder().from(port).to(port).build())
                .send()
                .await
                .unwrap();
            id
        }
    };
    seeded.acl_ssh = acl(22).await;
    seeded.acl_https = acl(443).await;

    // Instances: a private one with a profile and IMDSv2, a public one with neither, and one
    // terminated (which no longer exists for the inventory).
    let iam = aws_sdk_iam::Client::new(config);
    let profile = iam.create_instance_profile().instance_profile_name("app").send().await.unwrap();
    seeded.profile_arn = profile.instance_profile.unwrap().arn;
    let run = |subnet: String, profile: bool| {
        let client = client.clone();
        async move {
            let mut request =
                client.run_instances().image_id("ami-12345678").min_count(1).max_count(1).subnet_id(subnet);
            if profile {
                request = request
                    .iam_instance_profile(IamInstanceProfileSpecification::builder().name("app").build())
                    .metadata_options(
                        InstanceMetadataOptionsRequest::builder().http_tokens(HttpTokensState::Required).build(),
                    );
            }
            request.send().await.unwrap().instances()[0].instance_id().unwrap().to_owned()
        }
    };
    seeded.private_instance = run(seeded.subnet_private.clone(), true).await;
    seeded.public_instance = run(seeded.subnet_public.clone(), false).await;
    seeded.terminated_instance = run(seeded.subnet_private.clone(), false).await;
    client.terminate_instances().instance_ids(&seeded.terminated_instance).send().await.unwrap();
    let described = client
        .describe_instances()
        .instance_ids(&seeded.private_instance)
        .instance_ids(&seeded.public_instance)
        .send()
        .await
        .unwrap();
    for instance in described.reservations().iter().flat_map(|r| r.instances()) {
        for mapping in instance.block_device_mappings() {
            seeded.root_volumes.push(mapping.ebs().unwrap().volume_id().unwrap().to_owned());
        }
    }
    assert_eq!(seeded.root_volumes.len(), 2, "one root volume per live instance: {described:?}");

    // Volumes: encrypted and attached, plain and attached, plain and spare.
    let volume = |encrypted: bool| {
        let client = client.clone();
        async move {
            let volume = client.create_volume().availability_zone("us-east-1a").size(10).encrypted(encrypted).send();
            volume.await.unwrap().volume_id.unwrap()
        }
    };
    seeded.volume_encrypted = volume(true).await;
    seeded.volume_plain = volume(false).await;
    seeded.volume_spare = volume(false).await;
    for (volume, device) in [(&seeded.volume_encrypted, "/dev/sdf"), (&seeded.volume_plain, "/dev/sdg")] {
        let attach = client.attach_volume().volume_id(volume).instance_id(&seeded.private_instance).device(device);
        attach.send().await.unwrap();
    }
    client.enable_ebs_encryption_by_default().send().await.unwrap();

    // Flow logs: the logged VPC's own, and only a subnet's in the other VPC.
    for (kind, id) in
        [(FlowLogsResourceType::Vpc, &seeded.vpc_logged), (FlowLogsResourceType::Subnet, &seeded.subnet_unlogged)]
    {
        client
            .create_flow_logs()
            .resource_type(kind)
            .resource_ids(id)
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(format!("flows-{id}"))
            .deliver_logs_permission_arn(format!("arn:aws:iam::{ACCOUNT}:role/flow-logs"))
            .send()
            .await
            .unwrap();
    }
    seeded
}

async fn default_group(client: &aws_sdk_ec2::Client, vpc: &str) -> aws_sdk_ec2::types::SecurityGroup {
    let groups = client
        .describe_security_groups()
        .filters(filter("vpc-id", vpc))
        .filters(filter("group-name", "default"))
        .send()
        .await
        .unwrap();
    groups.security_groups()[0].clone()
}

async fn create_group(
    client: &aws_sdk_ec2::Client,
    vpc: &str,
    name: &str,
    permission: aws_sdk_ec2::types::builders::IpPermissionBuilder,
) -> String {
    let group = client.create_security_group().group_name(name).description(name).vpc_id(vpc).send().await.unwrap();
    let id = group.group_id.unwrap();
    client.authorize_security_group_ingress().group_id(&id).ip_permissions(permission.build()).send().await.unwrap();
    id
}

fn statuses(findings: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    let mut found: Vec<_> = findings.into_iter().map(|(id, status, _)| (id, status)).collect();
    found.sort();
    found
}

fn expect<S: AsRef<str>>(pairs: impl IntoIterator<Item = (S, Status)>) -> Vec<(String, Status)> {
    let mut expected: Vec<_> = pairs.into_iter().map(|(id, status)| (id.as_ref().to_owned(), status)).collect();
    expected.sort();
    expected
}

/// Findings of one rule run with `params` (the catalog's defaults otherwise), as statuses.
fn findings_with(items: &[ConfigItem], rule_id: &str, params: &[(&str, &str)]) -> Vec<(String, Status)> {
    let rule = mamori_rules::find(rule_id).expect("rule in the catalog");
    let given: BTreeMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let params = Params::build(rule_id, rule.meta().params, &given).unwrap();
    let set = RuleSet::new(vec![ActiveRule { rule, params, severity: rule.meta().severity }]);
    let mut evaluator = Evaluator::new(&set);
    let mut found = Vec::new();
    for item in items {
        evaluator.evaluate(item, &mut |f| found.push((f.resource_id.to_string(), f.status)));
    }
    evaluator.finish(&mut |f| found.push((f.resource_id.to_string(), f.status)));
    found.sort();
    found
}

fn by_id<'a>(items: &[&'a ConfigItem], id: &str) -> &'a ConfigItem {
    items.iter().find(|i| i.resource_id == id).unwrap_or_else(|| panic!("{id} not collected"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_resources_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let seeded = seed(&config).await;
    let east = defaults(&config, "us-east-1").await;
    let west = defaults(&config, "eu-west-1").await;

    let collected = common::collect_current(&config, &["ec2"], &REGIONS).await;
    assert!(
        collected.of_type("Mamori::Collection::Error").is_empty(),
        "{:?}",
        collected.of_type("Mamori::Collection::Error")
    );
    let g = |name: &str| seeded.groups[name].clone();

    // Items keep AWS Config's shapes.
    let groups = collected.of_type("AWS::EC2::SecurityGroup");
    let ssh_open = by_id(&groups, &g("ssh-open"));
    assert_eq!(ssh_open.resource_name.as_deref(), Some("ssh-open"));
    assert_eq!(ssh_open.aws_region, "us-east-1");
    assert_eq!(
        ssh_open.arn.as_deref(),
        Some(format!("arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{}", g("ssh-open")).as_str())
    );
    assert_eq!(
        ssh_open.configuration["ipPermissions"],
        json!([{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "userIdGroupPairs": [],
                "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [], "prefixListIds": []}])
    );
    assert!(ssh_open.configuration["ipPermissionsEgress"].is_array());
    assert_eq!(ssh_open.configuration["vpcId"], json!(seeded.vpc_logged));
    let all = &by_id(&groups, &g("all-traffic")).configuration["ipPermissions"][0];
    assert_eq!(all["ipProtocol"], "-1");
    assert!(all.get("fromPort").is_none() && all.get("toPort").is_none(), "{all}");
    let app = &by_id(&groups, &g("app")).configuration["ipPermissions"][0]["userIdGroupPairs"][0];
    assert_eq!(app["groupId"], json!(g("bastion")));
    let lists = collected.of_type("AWS::EC2::PrefixList");
    let mut names: Vec<_> = lists.iter().map(|l| l.resource_name.clone().unwrap_or_default()).collect();
    names.sort();
    assert_eq!(names, ["office", "wide"], "only the account's lists and the ones groups reference");
    let wide = lists.iter().find(|l| l.resource_name.as_deref() == Some("wide")).unwrap();
    let mut cidrs: Vec<_> =
        wide.configuration["Entries"].as_array().unwrap().iter().map(|e| e["Cidr"].clone()).collect();
    cidrs.sort_by_key(|c| c.to_string());
    assert_eq!(cidrs, [json!("0.0.0.0/0"), json!("10.20.0.0/16")]);
    assert_eq!(wide.configuration["AddressFamily"], "IPv4");

    let instances = collected.of_type("AWS::EC2::Instance");
    let mut ids: Vec<_> = instances.iter().map(|i| i.resource_id.clone()).collect();
    ids.sort();
    let mut live = vec![seeded.private_instance.clone(), seeded.public_instance.clone()];
    live.sort();
    assert_eq!(ids, live, "the terminated instance is not recorded");
    let private = by_id(&instances, &seeded.private_instance);
    assert_eq!(private.configuration["publicIpAddress"], json!(null));
    assert_eq!(private.configuration["iamInstanceProfile"]["arn"], json!(seeded.profile_arn));
    assert_eq!(private.configuration["metadataOptions"]["httpTokens"], "required");
    assert_eq!(private.configuration["state"]["name"], "running");
    let public = by_id(&instances, &seeded.public_instance);
    assert!(public.configuration["publicIpAddress"].is_string(), "{:?}", public.configuration);
    assert_eq!(public.configuration["iamInstanceProfile"], json!(null));

    let volumes = collected.of_type("AWS::EC2::Volume");
    let encrypted = by_id(&volumes, &seeded.volume_encrypted);
    assert_eq!(encrypted.configuration["encrypted"], json!(true));
    assert_eq!(encrypted.configuration["attachments"][0]["instanceId"], json!(seeded.private_instance));
    assert_eq!(encrypted.configuration["state"], json!({"value": "in-use"}));
    assert_eq!(by_id(&volumes, &seeded.volume_spare).configuration["attachments"], json!([]));

    let flow_logs = collected.of_type("AWS::EC2::FlowLog");
    let mut targets: Vec<_> =
        flow_logs.iter().map(|f| f.configuration["resourceId"].as_str().unwrap().to_owned()).collect();
    targets.sort();
    let mut wanted = vec![seeded.vpc_logged.clone(), seeded.subnet_unlogged.clone()];
    wanted.sort();
    assert_eq!(targets, wanted);

    // Security-group rules, with moto's default groups (a self-referencing rule and open
    // egress) in every VPC of both regions.
    let default_groups: Vec<String> = east.groups.values().chain(west.groups.values()).cloned().collect();
    let judge = |fail: &[&str]| {
        let mut expected: Vec<(String, Status)> = seeded
            .groups
            .iter()
            .map(|(name, id)| (id.clone(), if fail.contains(name) { Status::Fail } else { Status::Pass }))
            .collect();
        expected.extend(default_groups.iter().map(|id| (id.clone(), Status::Pass)));
        expect(expected)
    };
    assert_eq!(statuses(collected.findings("restricted-ssh")), judge(&["ssh-open", "all-traffic", "ssh-wide-list"]));
    assert_eq!(
        statuses(collected.findings("restricted-common-ports")),
        judge(&["rdp-ipv6", "all-traffic", "mysql-range"])
    );
    assert_eq!(
        statuses(collected.findings("vpc-sg-open-only-to-authorized-ports")),
        judge(&["ssh-open", "rdp-ipv6", "all-traffic", "mysql-range", "https", "ssh-wide-list"])
    );
    assert_eq!(
        statuses(collected.findings("mamori-ssh-bastion-only")),
        judge(&["ssh-open", "all-traffic", "ssh-wide-list"])
    );
    let wide_finding = collected.findings("restricted-ssh").into_iter().find(|f| f.0 == g("ssh-wide-list")).unwrap();
    assert!(wide_finding.2.contains("0.0.0.0/0"), "resolved through the prefix list: {wide_finding:?}");

    // The same items under parameters: 443 authorized; SSH only from the bastion.
    assert_eq!(
        findings_with(&collected.items, "vpc-sg-open-only-to-authorized-ports", &[("authorizedTcpPorts", "443")]),
        judge(&["ssh-open", "rdp-ipv6", "all-traffic", "mysql-range", "ssh-wide-list"])
    );
    let bastion_params =
        [("bastionSecurityGroupIds", seeded.groups["bastion"].as_str()), ("bastionCidrs", "203.0.113.0/24")];
    let mut expected =
        judge(&["ssh-open", "all-traffic", "ssh-wide-list", "ssh-internal", "ssh-office-list", "ssh-from-default"]);
    // The logged VPC's default group admits all traffic, port 22 included, from itself: not
    // from the bastion.
    let logged_default = &east.groups[&seeded.vpc_logged];
    for (id, status) in &mut expected {
        if id == logged_default {
            *status = Status::Fail;
        }
    }
    assert_eq!(findings_with(&collected.items, "mamori-ssh-bastion-only", &bastion_params), expected);

    let unlogged_default = east.groups[&seeded.vpc_unlogged].clone();
    let mut expected: Vec<(String, Status)> = default_groups.iter().map(|id| (id.clone(), Status::Fail)).collect();
    expected.retain(|(id, _)| *id != unlogged_default);
    expected.push((unlogged_default, Status::Pass));
    assert_eq!(statuses(collected.findings("vpc-default-security-group-closed")), expect(expected));

    // Network ACLs: moto's defaults allow everything.
    let mut expected: Vec<(String, Status)> =
        east.acls.iter().chain(&west.acls).map(|id| (id.clone(), Status::Fail)).collect();
    expected.push((seeded.acl_ssh.clone(), Status::Fail));
    expected.push((seeded.acl_https.clone(), Status::Pass));
    assert_eq!(statuses(collected.findings("nacl-no-unrestricted-ssh-rdp")), expect(expected));

    // Subnets: moto's default subnets map public IPs.
    let mut expected: Vec<(String, Status)> =
        east.subnets.iter().chain(&west.subnets).map(|id| (id.clone(), Status::Fail)).collect();
    expected.push((seeded.subnet_public.clone(), Status::Fail));
    expected.push((seeded.subnet_private.clone(), Status::Pass));
    expected.push((seeded.subnet_unlogged.clone(), Status::Pass));
    assert_eq!(statuses(collected.findings("subnet-auto-assign-public-ip-disabled")), expect(expected));

    // Flow logs: a subnet's flow log does not count for its VPC.
    assert_eq!(
        statuses(collected.findings("vpc-flow-logs-enabled")),
        expect([
            (seeded.vpc_logged.clone(), Status::Pass),
            (seeded.vpc_unlogged.clone(), Status::Fail),
            (east.vpc.clone(), Status::Fail),
            (west.vpc.clone(), Status::Fail),
        ])
    );

    // Instances.
    let instance_expect = expect([(&seeded.private_instance, Status::Pass), (&seeded.public_instance, Status::Fail)]);
    for rule in ["ec2-imdsv2-check", "ec2-instance-no-public-ip", "ec2-instance-profile-attached"] {
        assert_eq!(statuses(collected.findings(rule)), instance_expect, "{rule}");
    }

    // Volumes: the instances' unencrypted root volumes fail too; the spare one is not judged.
    let mut expected =
        vec![(seeded.volume_encrypted.clone(), Status::Pass), (seeded.volume_plain.clone(), Status::Fail)];
    expected.extend(seeded.root_volumes.iter().map(|id| (id.clone(), Status::Fail)));
    assert_eq!(statuses(collected.findings("encrypted-volumes")), expect(expected));

    // EBS encryption by default: on in us-east-1 only.
    let mut ebs: Vec<(Status, bool)> = collected
        .findings("ec2-ebs-encryption-by-default")
        .into_iter()
        .map(|(id, status, message)| {
            assert_eq!(id, ACCOUNT);
            (status, message.contains("us-east-1"))
        })
        .collect();
    ebs.sort();
    assert_eq!(ebs, [(Status::Pass, true), (Status::Fail, false)]);

    let stats = collected.summary.services["ec2"];
    assert!(stats.calls >= 2 * 8 && stats.errors == 0, "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_failures_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let seeded = seed(&config).await;
    let east = defaults(&config, "us-east-1").await;
    let west = defaults(&config, "eu-west-1").await;
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("ec2", "DescribeFlowLogs").in_region("us-east-1"))
        .rule(FaultRule::operation("ec2", "GetManagedPrefixListEntries"))
        .rule(FaultRule::operation("ec2", "GetEbsEncryptionByDefault").in_region("eu-west-1"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["ec2"], &REGIONS).await;

    let mut failures: Vec<(String, String, String)> = collected
        .of_type("Mamori::Collection::Error")
        .iter()
        .map(|e| {
            let c = &e.configuration;
            (
                e.aws_region.clone(),
                c["resourceType"].as_str().unwrap().to_owned(),
                c["errorCode"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        [
            ("us-east-1".to_owned(), "AWS::EC2::FlowLog".to_owned(), "UnauthorizedOperation".to_owned()),
            ("us-east-1".to_owned(), "AWS::EC2::PrefixList".to_owned(), "UnauthorizedOperation".to_owned()),
        ]
    );
    assert!(collected.of_type("AWS::EC2::PrefixList").is_empty(), "no list without its entries");

    // The VPCs of us-east-1 cannot be judged; eu-west-1's still can.
    assert_eq!(
        statuses(collected.findings("vpc-flow-logs-enabled")),
        expect([
            ("collection:AWS::EC2::FlowLog".to_owned(), Status::Error),
            (seeded.vpc_logged.clone(), Status::Error),
            (seeded.vpc_unlogged.clone(), Status::Error),
            (east.vpc.clone(), Status::Error),
            (west.vpc.clone(), Status::Fail),
        ])
    );

    // Groups naming a prefix list cannot be decided; the others are judged as before.
    let found = statuses(collected.findings("restricted-ssh"));
    let status_of = |id: &str| found.iter().find(|(i, _)| i == id).map(|(_, s)| *s);
    assert_eq!(status_of(&seeded.groups["ssh-wide-list"]), Some(Status::Error));
    assert_eq!(status_of(&seeded.groups["ssh-office-list"]), Some(Status::Error));
    assert_eq!(status_of(&seeded.groups["ssh-open"]), Some(Status::Fail));
    assert_eq!(status_of(&seeded.groups["https"]), Some(Status::Pass));
    assert_eq!(status_of("collection:AWS::EC2::PrefixList"), Some(Status::Error));

    // The EBS default of eu-west-1 is unknown, not off.
    let mut ebs: Vec<(Status, bool)> = collected
        .findings("ec2-ebs-encryption-by-default")
        .into_iter()
        .map(|(_, status, message)| {
            (status, message.contains("eu-west-1") || message.contains("UnauthorizedOperation"))
        })
        .collect();
    ebs.sort();
    assert_eq!(
        ebs,
        [(Status::Pass, false), (Status::Error, true)],
        "{:?}",
        collected.findings("ec2-ebs-encryption-by-default")
    );
    let west_record = collected
        .of_type("AWS::::Account")
        .into_iter()
        .find(|a| a.aws_region == "eu-west-1")
        .expect("account record of eu-west-1");
    assert!(west_record.configuration.get("ebsEncryptionByDefault").is_none());
    let reason =
        west_record.supplementary_configuration["mamoriCollectionErrors"]["ebsEncryptionByDefault"].as_str().unwrap();
    assert!(reason.starts_with("UnauthorizedOperation: GetEbsEncryptionByDefault"), "{reason}");

    // Each denied call was made once (the entries once per list), and never retried.
    assert_eq!(proxy.stats().rule_hits, vec![1, 2, 1]);
    assert_eq!(collected.summary.services["ec2"].errors, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_needs_only_its_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let config = common::least_privilege(&server, &config, &["ec2"]).await;
    let collected = common::collect_current(&config, &["ec2"], &REGIONS).await;
    let errors = collected.of_type("Mamori::Collection::Error");
    assert!(errors.is_empty(), "{errors:?}");
    let attribute_errors = collected.attribute_errors();
    assert!(attribute_errors.is_empty(), "{attribute_errors:?}");
    assert_eq!(collected.of_type("AWS::EC2::PrefixList").len(), 2, "entries read under the listed actions");
    assert_eq!(collected.summary.services["ec2"].errors, 0);
}

/// The account's AMIs and EBS snapshots with their launch and create-volume permissions reach
/// `mamori-ec2-ami-not-public` and `ebs-snapshot-public-restorable-check`; a failed attribute
/// read is ERROR for that snapshot only, and a failed DescribeImages is ERROR, never an empty
/// pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amis_and_snapshots_reach_the_public_sharing_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let client = ec2(&config, "us-east-1");
    let instance = client.run_instances().image_id("ami-12345678").min_count(1).max_count(1).send().await.unwrap();
    let instance = instance.instances()[0].instance_id().unwrap().to_owned();
    let mut images = Vec::new();
    for name in ["golden-public", "golden-private"] {
        let image = client.create_image().instance_id(&instance).name(name).send().await.unwrap();
        images.push(image.image_id().unwrap().to_owned());
    }
    client
        .modify_image_attribute()
        .image_id(&images[0])
        .launch_permission(
            aws_sdk_ec2::types::LaunchPermissionModifications::builder()
                .add(
                    aws_sdk_ec2::types::LaunchPermission::builder()
                        .group(aws_sdk_ec2::types::PermissionGroup::All)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let volume = client.create_volume().availability_zone("us-east-1a").size(8).send().await.unwrap();
    let mut snapshots = Vec::new();
    for description in ["public", "private"] {
        let snapshot = client
            .create_snapshot()
            .volume_id(volume.volume_id().unwrap())
            .description(description)
            .send()
            .await
            .unwrap();
        snapshots.push(snapshot.snapshot_id().unwrap().to_owned());
    }
    client
        .modify_snapshot_attribute()
        .snapshot_id(&snapshots[0])
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .operation_type(aws_sdk_ec2::types::OperationType::Add)
        .group_names("all")
        .send()
        .await
        .unwrap();

    let collected = common::collect_current(&config, &["ec2"], &["us-east-1"]).await;
    let image_items = collected.of_type("AWS::EC2::Image");
    let public = by_id(&image_items, &images[0]);
    assert_eq!(public.supplementary_configuration["LaunchPermissions"], json!([{"group": "all"}]));
    assert_eq!(public.arn.as_deref(), Some(format!("arn:aws:ec2:us-east-1::image/{}", images[0]).as_str()));
    let ami_findings = statuses(collected.findings("mamori-ec2-ami-not-public"));
    let mut expected = vec![(images[0].clone(), Status::Fail), (images[1].clone(), Status::Pass)];
    expected.sort();
    assert_eq!(ami_findings, expected);
    // moto lists the snapshots behind the AMIs too; the two made here are judged as made.
    let snapshot_findings: BTreeMap<String, Status> = collected
        .findings("ebs-snapshot-public-restorable-check")
        .into_iter()
        .map(|(id, status, _)| (id, status))
        .collect();
    assert_eq!(snapshot_findings[&snapshots[0]], Status::Fail);
    assert_eq!(snapshot_findings[&snapshots[1]], Status::Pass);

    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("ec2", "DescribeImages"))
        .rule(FaultRule::operation("ec2", "DescribeSnapshotAttribute").containing(&snapshots[1]))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["ec2"], &["us-east-1"]).await;
    assert!(collected.of_type("AWS::EC2::Image").is_empty());
    let ami_findings = collected.findings("mamori-ec2-ami-not-public");
    assert_eq!(ami_findings.len(), 1, "{ami_findings:?}");
    assert_eq!(ami_findings[0].1, Status::Error);
    let snapshot_findings: BTreeMap<String, Status> = collected
        .findings("ebs-snapshot-public-restorable-check")
        .into_iter()
        .map(|(id, status, _)| (id, status))
        .collect();
    assert_eq!(snapshot_findings[&snapshots[0]], Status::Fail);
    assert_eq!(snapshot_findings[&snapshots[1]], Status::Error, "only the snapshot whose permissions were not read");
}
