//! EC2 and VPC resources of one region: security groups with the managed prefix lists they
//! reference, network ACLs, instances, EBS volumes, subnets, VPCs, flow logs, the account's
//! EBS encryption-by-default setting, and the account's own AMIs and EBS snapshots with who may
//! launch or restore them (`AWS::EC2::Image`, `AWS::EC2::Snapshot`: types AWS Config does not
//! record; mamori writes DescribeImages' and DescribeSnapshots' fields, the permissions as
//! `LaunchPermissions` and `CreateVolumePermissions`, one attribute call per image or snapshot).
//!
//! Items take AWS Config's shapes: camelCase fields named as DescribeX answers them, the
//! resource's id as `resourceId`. Two shapes are not AWS Config's classic ones:
//! `AWS::EC2::PrefixList` is written in CloudFormation's PascalCase (as AWS Config records that
//! newer type), and `AWS::EC2::FlowLog` carries DescribeFlowLogs' fields, with the flow log's
//! target (VPC, subnet, interface) in `configuration.resourceId`. AWS Config records only
//! customer-managed prefix lists; mamori also writes the AWS-managed ones a security group
//! references, because the network rules must resolve every list a permission names.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, ManagedPrefixList, Tag};
use aws_sdk_ec2::Client;
use futures_util::future::join_all;
use mamori_model::ConfigItem;
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, ApiError, CollectFuture, Cx};
use crate::client;
use crate::regions::partition;

const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
const PREFIX_LIST: &str = "AWS::EC2::PrefixList";
const NETWORK_ACL: &str = "AWS::EC2::NetworkAcl";
const INSTANCE: &str = "AWS::EC2::Instance";
const VOLUME: &str = "AWS::EC2::Volume";
const SUBNET: &str = "AWS::EC2::Subnet";
const VPC: &str = "AWS::EC2::VPC";
const FLOW_LOG: &str = "AWS::EC2::FlowLog";
const IMAGE: &str = "AWS::EC2::Image";
const SNAPSHOT: &str = "AWS::EC2::Snapshot";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "ec2",
    placement: Placement::Regional,
    resource_types: &[
        SECURITY_GROUP,
        PREFIX_LIST,
        NETWORK_ACL,
        INSTANCE,
        VOLUME,
        SUBNET,
        VPC,
        FLOW_LOG,
        IMAGE,
        SNAPSHOT,
    ],
    account_fields: &["ebsEncryptionByDefault"],
    actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeManagedPrefixLists",
        "ec2:GetManagedPrefixListEntries",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeInstances",
        "ec2:DescribeVolumes",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
        "ec2:DescribeFlowLogs",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:DescribeImages",
        "ec2:DescribeImageAttribute",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let ec2 = client!(cx, aws_sdk_ec2);
    tokio::join!(
        security_groups(cx, &ec2),
        network_acls(cx, &ec2),
        instances(cx, &ec2),
        volumes(cx, &ec2),
        subnets(cx, &ec2),
        vpcs(cx, &ec2),
        flow_logs(cx, &ec2),
        ebs_encryption_by_default(cx, &ec2),
        images(cx, &ec2),
        snapshots(cx, &ec2),
    );
}

/// `[{"group": "all"}, {"userId": "…"}, …]` from a launch or create-volume permission list.
fn permissions_json<'a>(entries: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Value {
    entries
        .map(|(group, user)| match (group, user) {
            (Some(group), _) => json!({"group": group}),
            (None, user) => json!({"userId": user}),
        })
        .collect()
}

/// The account's own AMIs (`Owners=self`: without it DescribeImages lists every public AMI of
/// the region) and who may launch them.
async fn images(cx: &Cx, ec2: &Client) {
    let listed = ec2.describe_images().owners("self").into_paginator().send();
    let pages = match cx.pages("ec2", listed).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(IMAGE, "DescribeImages", &err),
    };
    let images: Vec<_> = pages.iter().flat_map(|page| page.images()).collect();
    let items = join_all(images.into_iter().map(|image| async move {
        let id = image.image_id()?;
        let mut item = tagged_item(cx, IMAGE, id, image.tags());
        item.resource_name = image.name().map(str::to_owned);
        // AMI and snapshot ARNs carry no account: `arn:aws:ec2:<region>::image/<id>`.
        item.arn = Some(format!("arn:{}:ec2:{}::image/{id}", partition(cx.region()), cx.region()));
        item.configuration = json!({
            "imageId": id,
            "name": image.name(),
            "ownerId": image.owner_id(),
            "public": image.public(),
            "state": image.state().map(|s| s.as_str()),
            "creationDate": image.creation_date(),
            "platformDetails": image.platform_details(),
            "tags": tags_json(image.tags()),
        });
        let attribute = ec2
            .describe_image_attribute()
            .image_id(id)
            .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission);
        match cx.call("ec2", attribute.send()).await {
            Ok(output) => {
                let permissions =
                    output.launch_permissions().iter().map(|p| (p.group().map(|g| g.as_str()), p.user_id()));
                item.supplementary_configuration.insert("LaunchPermissions".into(), permissions_json(permissions));
            }
            Err(err) => Cx::attribute_failed(&mut item, "LaunchPermissions", "DescribeImageAttribute", &err),
        }
        Some(item)
    }))
    .await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

/// The account's own EBS snapshots (`OwnerIds=self`: without it DescribeSnapshots lists every
/// public snapshot of the region) and who may create volumes from them.
async fn snapshots(cx: &Cx, ec2: &Client) {
    let listed = ec2.describe_snapshots().owner_ids("self").into_paginator().send();
    let pages = match cx.pages("ec2", listed).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(SNAPSHOT, "DescribeSnapshots", &err),
    };
    let snapshots: Vec<_> = pages.iter().flat_map(|page| page.snapshots()).collect();
    let items = join_all(snapshots.into_iter().map(|snapshot| async move {
        let id = snapshot.snapshot_id()?;
        let mut item = tagged_item(cx, SNAPSHOT, id, snapshot.tags());
        item.arn = Some(format!("arn:{}:ec2:{}::snapshot/{id}", partition(cx.region()), cx.region()));
        item.configuration = json!({
            "snapshotId": id,
            "volumeId": snapshot.volume_id(),
            "volumeSize": snapshot.volume_size(),
            "ownerId": snapshot.owner_id(),
            "state": snapshot.state().map(|s| s.as_str()),
            "startTime": iso_or_null(snapshot.start_time()),
            "encrypted": snapshot.encrypted(),
            "kmsKeyId": snapshot.kms_key_id(),
            "description": snapshot.description(),
            "tags": tags_json(snapshot.tags()),
        });
        let attribute = ec2
            .describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission);
        match cx.call("ec2", attribute.send()).await {
            Ok(output) => {
                let permissions =
                    output.create_volume_permissions().iter().map(|p| (p.group().map(|g| g.as_str()), p.user_id()));
                item.supplementary_configuration
                    .insert("CreateVolumePermissions".into(), permissions_json(permissions));
            }
            Err(err) => Cx::attribute_failed(&mut item, "CreateVolumePermissions", "DescribeSnapshotAttribute", &err),
        }
        Some(item)
    }))
    .await;
    for item in items.into_iter().flatten() {
        cx.emit(item);
    }
}

/// `arn:<partition>:ec2:<region>:<owner>:<kind>/<id>`.
fn ec2_arn(cx: &Cx, owner: Option<&str>, kind: &str, id: &str) -> String {
    let region = cx.region();
    let owner = owner.unwrap_or(cx.account_id());
    format!("arn:{}:ec2:{region}:{owner}:{kind}/{id}", partition(region))
}

/// An item with the resource's tags as its tag map (the caller also writes them as AWS
/// Config's `configuration.tags` list).
fn tagged_item(cx: &Cx, resource_type: &str, id: &str, tags: &[Tag]) -> ConfigItem {
    let mut item = cx.item(resource_type, id);
    item.tags = tags
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or_default().to_owned())))
        .collect::<BTreeMap<_, _>>();
    item
}

fn tags_json(tags: &[Tag]) -> Value {
    tags.iter().map(|tag| json!({"key": tag.key(), "value": tag.value()})).collect()
}

/// A security-group permission as AWS Config writes it: `ipv4Ranges` objects plus the legacy
/// `ipRanges` list of CIDR strings; ports only when AWS gave them (protocol `-1` has none).
fn permission_json(permission: &IpPermission) -> Value {
    let mut out = Map::new();
    out.insert("ipProtocol".into(), json!(permission.ip_protocol()));
    if let Some(from) = permission.from_port() {
        out.insert("fromPort".into(), json!(from));
    }
    if let Some(to) = permission.to_port() {
        out.insert("toPort".into(), json!(to));
    }
    let with_description = |mut entry: Map<String, Value>, description: Option<&str>| {
        if let Some(description) = description {
            entry.insert("description".into(), json!(description));
        }
        Value::Object(entry)
    };
    let pairs: Vec<Value> = permission
        .user_id_group_pairs()
        .iter()
        .map(|pair| {
            let mut entry = Map::new();
            for (key, value) in [
                ("groupId", pair.group_id()),
                ("groupName", pair.group_name()),
                ("userId", pair.user_id()),
                ("vpcId", pair.vpc_id()),
                ("vpcPeeringConnectionId", pair.vpc_peering_connection_id()),
                ("peeringStatus", pair.peering_status()),
            ] {
                if let Some(value) = value {
                    entry.insert(key.into(), json!(value));
                }
            }
            with_description(entry, pair.description())
        })
        .collect();
    out.insert("userIdGroupPairs".into(), Value::Array(pairs));
    let ipv4: Vec<Value> = permission
        .ip_ranges()
        .iter()
        .map(|range| {
            let mut entry = Map::new();
            entry.insert("cidrIp".into(), json!(range.cidr_ip()));
            with_description(entry, range.description())
        })
        .collect();
    let legacy: Vec<Value> =
        permission.ip_ranges().iter().filter_map(|range| range.cidr_ip()).map(|c| json!(c)).collect();
    out.insert("ipv4Ranges".into(), Value::Array(ipv4));
    out.insert("ipRanges".into(), Value::Array(legacy));
    let ipv6: Vec<Value> = permission
        .ipv6_ranges()
        .iter()
        .map(|range| {
            let mut entry = Map::new();
            entry.insert("cidrIpv6".into(), json!(range.cidr_ipv6()));
            with_description(entry, range.description())
        })
        .collect();
    out.insert("ipv6Ranges".into(), Value::Array(ipv6));
    let lists: Vec<Value> = permission
        .prefix_list_ids()
        .iter()
        .map(|list| {
            let mut entry = Map::new();
            entry.insert("prefixListId".into(), json!(list.prefix_list_id()));
            with_description(entry, list.description())
        })
        .collect();
    out.insert("prefixListIds".into(), Value::Array(lists));
    Value::Object(out)
}

/// Security groups, then the prefix lists the account owns or its groups reference.
async fn security_groups(cx: &Cx, ec2: &Client) {
    let mut referenced = BTreeSet::new();
    match cx.pages("ec2", ec2.describe_security_groups().into_paginator().send()).await {
        Ok(pages) => {
            for group in pages.iter().flat_map(|page| page.security_groups()) {
                let Some(id) = group.group_id() else { continue };
                let permissions = group.ip_permissions().iter().chain(group.ip_permissions_egress());
                referenced.extend(
                    permissions
                        .flat_map(|permission| permission.prefix_list_ids())
                        .filter_map(|list| list.prefix_list_id())
                        .map(str::to_owned),
                );
                let mut item = tagged_item(cx, SECURITY_GROUP, id, group.tags());
                item.resource_name = group.group_name().map(str::to_owned);
                item.arn = Some(
                    group
                        .security_group_arn()
                        .map_or_else(|| ec2_arn(cx, group.owner_id(), "security-group", id), str::to_owned),
                );
                item.configuration = json!({
                    "groupId": id,
                    "groupName": group.group_name(),
                    "description": group.description(),
                    "ownerId": group.owner_id(),
                    "vpcId": group.vpc_id(),
                    "ipPermissions": group.ip_permissions().iter().map(permission_json).collect::<Vec<_>>(),
                    "ipPermissionsEgress": group.ip_permissions_egress().iter().map(permission_json).collect::<Vec<_>>(),
                    "tags": tags_json(group.tags()),
                });
                cx.emit(item);
            }
        }
        Err(err) => cx.list_failed(SECURITY_GROUP, "DescribeSecurityGroups", &err),
    }
    prefix_lists(cx, ec2, &referenced).await;
}

/// Prefix lists with their entries. A list whose entries cannot be read would resolve to no
/// CIDRs and make a group look closed, so that failure fails the whole type for the region.
async fn prefix_lists(cx: &Cx, ec2: &Client, referenced: &BTreeSet<String>) {
    let pages = match cx.pages("ec2", ec2.describe_managed_prefix_lists().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(PREFIX_LIST, "DescribeManagedPrefixLists", &err),
    };
    let wanted: Vec<&ManagedPrefixList> = pages
        .iter()
        .flat_map(|page| page.prefix_lists())
        .filter(|list| {
            list.owner_id() == Some(cx.account_id()) || list.prefix_list_id().is_some_and(|id| referenced.contains(id))
        })
        .collect();
    let entries = join_all(wanted.iter().map(|list| async {
        let id = list.prefix_list_id().unwrap_or_default();
        cx.pages("ec2", ec2.get_managed_prefix_list_entries().prefix_list_id(id).into_paginator().send()).await
    }))
    .await;
    let mut items = Vec::new();
    for (list, entries) in wanted.into_iter().zip(entries) {
        let Some(id) = list.prefix_list_id() else { continue };
        let entries = match entries {
            Ok(pages) => pages,
            // Deleted since it was listed: it no longer exists.
            Err(err) if err.is_not_found(&["InvalidPrefixListID.NotFound"]) => continue,
            Err(err) => return cx.list_failed(PREFIX_LIST, "GetManagedPrefixListEntries", &err),
        };
        let entries: Vec<Value> = entries
            .iter()
            .flat_map(|page| page.entries())
            .map(|entry| json!({"Cidr": entry.cidr(), "Description": entry.description()}))
            .collect();
        let mut item = tagged_item(cx, PREFIX_LIST, id, list.tags());
        item.resource_name = list.prefix_list_name().map(str::to_owned);
        item.arn = list.prefix_list_arn().map(str::to_owned);
        item.configuration = json!({
            "PrefixListId": id,
            "PrefixListName": list.prefix_list_name(),
            "AddressFamily": list.address_family(),
            "MaxEntries": list.max_entries(),
            "Version": list.version(),
            "OwnerId": list.owner_id(),
            "Arn": list.prefix_list_arn(),
            "State": list.state().map(|s| s.as_str()),
            "Entries": entries,
            "Tags": list.tags().iter().map(|t| json!({"Key": t.key(), "Value": t.value()})).collect::<Vec<_>>(),
        });
        items.push(item);
    }
    for item in items {
        cx.emit(item);
    }
}

async fn network_acls(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_network_acls().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(NETWORK_ACL, "DescribeNetworkAcls", &err),
    };
    for acl in pages.iter().flat_map(|page| page.network_acls()) {
        let Some(id) = acl.network_acl_id() else { continue };
        let entries: Vec<Value> = acl
            .entries()
            .iter()
            .map(|entry| {
                let mut out = Map::new();
                out.insert("ruleNumber".into(), json!(entry.rule_number()));
                out.insert("egress".into(), json!(entry.egress()));
                out.insert("protocol".into(), json!(entry.protocol()));
                out.insert("ruleAction".into(), json!(entry.rule_action().map(|a| a.as_str())));
                // A family, a port range or an ICMP type only when the entry has one: an
                // absent portRange means every port.
                if let Some(cidr) = entry.cidr_block() {
                    out.insert("cidrBlock".into(), json!(cidr));
                }
                if let Some(cidr) = entry.ipv6_cidr_block() {
                    out.insert("ipv6CidrBlock".into(), json!(cidr));
                }
                if let Some(range) = entry.port_range() {
                    out.insert("portRange".into(), json!({"from": range.from(), "to": range.to()}));
                }
                if let Some(icmp) = entry.icmp_type_code() {
                    out.insert("icmpTypeCode".into(), json!({"type": icmp.r#type(), "code": icmp.code()}));
                }
                Value::Object(out)
            })
            .collect();
        let associations: Vec<Value> = acl
            .associations()
            .iter()
            .map(|a| {
                json!({
                    "networkAclAssociationId": a.network_acl_association_id(),
                    "networkAclId": a.network_acl_id(),
                    "subnetId": a.subnet_id(),
                })
            })
            .collect();
        let mut item = tagged_item(cx, NETWORK_ACL, id, acl.tags());
        item.arn = Some(ec2_arn(cx, acl.owner_id(), "network-acl", id));
        item.configuration = json!({
            "networkAclId": id,
            "vpcId": acl.vpc_id(),
            "isDefault": acl.is_default(),
            "ownerId": acl.owner_id(),
            "associations": associations,
            "entries": entries,
            "tags": tags_json(acl.tags()),
        });
        cx.emit(item);
    }
}

async fn instances(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_instances().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(INSTANCE, "DescribeInstances", &err),
    };
    for reservation in pages.iter().flat_map(|page| page.reservations()) {
        for instance in reservation.instances() {
            let Some(id) = instance.instance_id() else { continue };
            // DescribeInstances keeps terminated instances for about an hour; they no
            // longer exist (AWS Config records them as deleted).
            let state = instance.state();
            if state.and_then(|s| s.name()).is_some_and(|name| name.as_str() == "terminated") {
                continue;
            }
            let interfaces: Vec<Value> = instance
                .network_interfaces()
                .iter()
                .map(|ni| {
                    let association = |a: Option<&aws_sdk_ec2::types::InstanceNetworkInterfaceAssociation>| {
                        a.map_or(Value::Null, |a| {
                            json!({
                                "ipOwnerId": a.ip_owner_id(),
                                "publicDnsName": a.public_dns_name(),
                                "publicIp": a.public_ip(),
                                "carrierIp": a.carrier_ip(),
                                "customerOwnedIp": a.customer_owned_ip(),
                            })
                        })
                    };
                    json!({
                        "networkInterfaceId": ni.network_interface_id(),
                        "association": association(ni.association()),
                        "attachment": ni.attachment().map(|at| json!({
                            "attachmentId": at.attachment_id(),
                            "attachTime": iso_or_null(at.attach_time()),
                            "deleteOnTermination": at.delete_on_termination(),
                            "deviceIndex": at.device_index(),
                            "networkCardIndex": at.network_card_index(),
                            "status": at.status().map(|s| s.as_str()),
                        })),
                        "description": ni.description(),
                        "groups": ni.groups().iter().map(|g| json!({"groupId": g.group_id(), "groupName": g.group_name()})).collect::<Vec<_>>(),
                        "ipv6Addresses": ni.ipv6_addresses().iter().map(|a| json!({"ipv6Address": a.ipv6_address()})).collect::<Vec<_>>(),
                        "macAddress": ni.mac_address(),
                        "ownerId": ni.owner_id(),
                        "privateDnsName": ni.private_dns_name(),
                        "privateIpAddress": ni.private_ip_address(),
                        "privateIpAddresses": ni.private_ip_addresses().iter().map(|p| json!({
                            "association": association(p.association()),
                            "primary": p.primary(),
                            "privateDnsName": p.private_dns_name(),
                            "privateIpAddress": p.private_ip_address(),
                        })).collect::<Vec<_>>(),
                        "sourceDestCheck": ni.source_dest_check(),
                        "status": ni.status().map(|s| s.as_str()),
                        "subnetId": ni.subnet_id(),
                        "vpcId": ni.vpc_id(),
                        "interfaceType": ni.interface_type(),
                    })
                })
                .collect();
            let block_devices: Vec<Value> = instance
                .block_device_mappings()
                .iter()
                .map(|mapping| {
                    json!({
                        "deviceName": mapping.device_name(),
                        "ebs": mapping.ebs().map(|ebs| json!({
                            "attachTime": iso_or_null(ebs.attach_time()),
                            "deleteOnTermination": ebs.delete_on_termination(),
                            "status": ebs.status().map(|s| s.as_str()),
                            "volumeId": ebs.volume_id(),
                        })),
                    })
                })
                .collect();
            let metadata = instance.metadata_options().map(|m| {
                json!({
                    "state": m.state().map(|v| v.as_str()),
                    "httpTokens": m.http_tokens().map(|v| v.as_str()),
                    "httpPutResponseHopLimit": m.http_put_response_hop_limit(),
                    "httpEndpoint": m.http_endpoint().map(|v| v.as_str()),
                    "httpProtocolIpv6": m.http_protocol_ipv6().map(|v| v.as_str()),
                    "instanceMetadataTags": m.instance_metadata_tags().map(|v| v.as_str()),
                })
            });
            let mut item = tagged_item(cx, INSTANCE, id, instance.tags());
            item.arn = Some(ec2_arn(cx, reservation.owner_id(), "instance", id));
            item.configuration = json!({
                "instanceId": id,
                "imageId": instance.image_id(),
                "instanceType": instance.instance_type().map(|v| v.as_str()),
                "state": state.map(|s| json!({"code": s.code(), "name": s.name().map(|n| n.as_str())})),
                "stateTransitionReason": instance.state_transition_reason(),
                "stateReason": instance.state_reason().map(|r| json!({"code": r.code(), "message": r.message()})),
                "launchTime": iso_or_null(instance.launch_time()),
                "amiLaunchIndex": instance.ami_launch_index(),
                "architecture": instance.architecture().map(|v| v.as_str()),
                "platform": instance.platform().map(|v| v.as_str()),
                "platformDetails": instance.platform_details(),
                "kernelId": instance.kernel_id(),
                "ramdiskId": instance.ramdisk_id(),
                "keyName": instance.key_name(),
                "subnetId": instance.subnet_id(),
                "vpcId": instance.vpc_id(),
                "privateDnsName": instance.private_dns_name(),
                "privateIpAddress": instance.private_ip_address(),
                "publicDnsName": instance.public_dns_name(),
                // DescribeInstances leaves the field out when the instance has no public IPv4.
                "publicIpAddress": instance.public_ip_address(),
                "ipv6Address": instance.ipv6_address(),
                "networkInterfaces": interfaces,
                "securityGroups": instance.security_groups().iter().map(|g| json!({"groupId": g.group_id(), "groupName": g.group_name()})).collect::<Vec<_>>(),
                "sourceDestCheck": instance.source_dest_check(),
                // Null: no instance profile attached.
                "iamInstanceProfile": instance.iam_instance_profile().map(|p| json!({"arn": p.arn(), "id": p.id()})),
                "metadataOptions": metadata,
                "tags": tags_json(instance.tags()),
            });
            // In two parts: one `json!` of every field exceeds the macro's recursion limit.
            let hardware = json!({
                "blockDeviceMappings": block_devices,
                "rootDeviceName": instance.root_device_name(),
                "rootDeviceType": instance.root_device_type().map(|v| v.as_str()),
                "ebsOptimized": instance.ebs_optimized(),
                "enaSupport": instance.ena_support(),
                "hypervisor": instance.hypervisor().map(|v| v.as_str()),
                "virtualizationType": instance.virtualization_type().map(|v| v.as_str()),
                "instanceLifecycle": instance.instance_lifecycle().map(|v| v.as_str()),
                "spotInstanceRequestId": instance.spot_instance_request_id(),
                "monitoring": instance.monitoring().map(|m| json!({"state": m.state().map(|s| s.as_str())})),
                "placement": instance.placement().map(|p| json!({
                    "availabilityZone": p.availability_zone(),
                    "groupName": p.group_name(),
                    "tenancy": p.tenancy().map(|t| t.as_str()),
                    "hostId": p.host_id(),
                })),
                "cpuOptions": instance.cpu_options().map(|c| json!({"coreCount": c.core_count(), "threadsPerCore": c.threads_per_core()})),
                "hibernationOptions": instance.hibernation_options().map(|h| json!({"configured": h.configured()})),
                "enclaveOptions": instance.enclave_options().map(|e| json!({"enabled": e.enabled()})),
                "bootMode": instance.boot_mode().map(|v| v.as_str()),
                "capacityReservationId": instance.capacity_reservation_id(),
            });
            if let (Value::Object(configuration), Value::Object(hardware)) = (&mut item.configuration, hardware) {
                configuration.extend(hardware);
            }
            cx.emit(item);
        }
    }
}

async fn volumes(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_volumes().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(VOLUME, "DescribeVolumes", &err),
    };
    for volume in pages.iter().flat_map(|page| page.volumes()) {
        let Some(id) = volume.volume_id() else { continue };
        let attachments: Vec<Value> = volume
            .attachments()
            .iter()
            .map(|a| {
                json!({
                    "attachTime": iso_or_null(a.attach_time()),
                    "device": a.device(),
                    "instanceId": a.instance_id(),
                    "state": a.state().map(|s| s.as_str()),
                    "volumeId": a.volume_id(),
                    "deleteOnTermination": a.delete_on_termination(),
                })
            })
            .collect();
        let mut item = tagged_item(cx, VOLUME, id, volume.tags());
        item.arn =
            Some(volume.volume_arn().map_or_else(|| ec2_arn(cx, volume.owner_id(), "volume", id), str::to_owned));
        item.configuration = json!({
            "volumeId": id,
            "size": volume.size(),
            "snapshotId": volume.snapshot_id(),
            "availabilityZone": volume.availability_zone(),
            // AWS Config writes the volume state as an object.
            "state": volume.state().map(|s| json!({"value": s.as_str()})),
            "createTime": iso_or_null(volume.create_time()),
            "attachments": attachments,
            "encrypted": volume.encrypted(),
            "kmsKeyId": volume.kms_key_id(),
            "volumeType": volume.volume_type().map(|v| v.as_str()),
            "iops": volume.iops(),
            "throughput": volume.throughput(),
            "multiAttachEnabled": volume.multi_attach_enabled(),
            "fastRestored": volume.fast_restored(),
            "outpostArn": volume.outpost_arn(),
            "sseType": volume.sse_type().map(|v| v.as_str()),
            "tags": tags_json(volume.tags()),
        });
        cx.emit(item);
    }
}

async fn subnets(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_subnets().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(SUBNET, "DescribeSubnets", &err),
    };
    for subnet in pages.iter().flat_map(|page| page.subnets()) {
        let Some(id) = subnet.subnet_id() else { continue };
        let mut item = tagged_item(cx, SUBNET, id, subnet.tags());
        item.arn =
            Some(subnet.subnet_arn().map_or_else(|| ec2_arn(cx, subnet.owner_id(), "subnet", id), str::to_owned));
        item.configuration = json!({
            "subnetId": id,
            "subnetArn": subnet.subnet_arn(),
            "vpcId": subnet.vpc_id(),
            "ownerId": subnet.owner_id(),
            "cidrBlock": subnet.cidr_block(),
            "availabilityZone": subnet.availability_zone(),
            "availabilityZoneId": subnet.availability_zone_id(),
            "availableIpAddressCount": subnet.available_ip_address_count(),
            "state": subnet.state().map(|s| s.as_str()),
            "defaultForAz": subnet.default_for_az(),
            "mapPublicIpOnLaunch": subnet.map_public_ip_on_launch(),
            "mapCustomerOwnedIpOnLaunch": subnet.map_customer_owned_ip_on_launch(),
            "assignIpv6AddressOnCreation": subnet.assign_ipv6_address_on_creation(),
            "ipv6CidrBlockAssociationSet": subnet.ipv6_cidr_block_association_set().iter().map(|a| json!({
                "associationId": a.association_id(),
                "ipv6CidrBlock": a.ipv6_cidr_block(),
                "ipv6CidrBlockState": a.ipv6_cidr_block_state().map(|s| json!({
                    "state": s.state().map(|v| v.as_str()),
                    "statusMessage": s.status_message(),
                })),
            })).collect::<Vec<_>>(),
            "tags": tags_json(subnet.tags()),
        });
        cx.emit(item);
    }
}

async fn vpcs(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_vpcs().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(VPC, "DescribeVpcs", &err),
    };
    for vpc in pages.iter().flat_map(|page| page.vpcs()) {
        let Some(id) = vpc.vpc_id() else { continue };
        let mut item = tagged_item(cx, VPC, id, vpc.tags());
        item.arn = Some(ec2_arn(cx, vpc.owner_id(), "vpc", id));
        item.configuration = json!({
            "vpcId": id,
            "ownerId": vpc.owner_id(),
            "cidrBlock": vpc.cidr_block(),
            "dhcpOptionsId": vpc.dhcp_options_id(),
            "state": vpc.state().map(|s| s.as_str()),
            "instanceTenancy": vpc.instance_tenancy().map(|t| t.as_str()),
            "isDefault": vpc.is_default(),
            "cidrBlockAssociationSet": vpc.cidr_block_association_set().iter().map(|a| json!({
                "associationId": a.association_id(),
                "cidrBlock": a.cidr_block(),
                "cidrBlockState": a.cidr_block_state().map(|s| json!({
                    "state": s.state().map(|v| v.as_str()),
                    "statusMessage": s.status_message(),
                })),
            })).collect::<Vec<_>>(),
            "ipv6CidrBlockAssociationSet": vpc.ipv6_cidr_block_association_set().iter().map(|a| json!({
                "associationId": a.association_id(),
                "ipv6CidrBlock": a.ipv6_cidr_block(),
                "ipv6CidrBlockState": a.ipv6_cidr_block_state().map(|s| json!({
                    "state": s.state().map(|v| v.as_str()),
                    "statusMessage": s.status_message(),
                })),
                "networkBorderGroup": a.network_border_group(),
                "ipv6Pool": a.ipv6_pool(),
            })).collect::<Vec<_>>(),
            "tags": tags_json(vpc.tags()),
        });
        cx.emit(item);
    }
}

async fn flow_logs(cx: &Cx, ec2: &Client) {
    let pages = match cx.pages("ec2", ec2.describe_flow_logs().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(FLOW_LOG, "DescribeFlowLogs", &err),
    };
    for log in pages.iter().flat_map(|page| page.flow_logs()) {
        let Some(id) = log.flow_log_id() else { continue };
        let mut item = tagged_item(cx, FLOW_LOG, id, log.tags());
        item.arn = Some(ec2_arn(cx, None, "vpc-flow-log", id));
        item.configuration = json!({
            "flowLogId": id,
            // The VPC, subnet or interface the flow log captures.
            "resourceId": log.resource_id(),
            "trafficType": log.traffic_type().map(|t| t.as_str()),
            "flowLogStatus": log.flow_log_status(),
            "deliverLogsStatus": log.deliver_logs_status(),
            "deliverLogsErrorMessage": log.deliver_logs_error_message(),
            "deliverLogsPermissionArn": log.deliver_logs_permission_arn(),
            "deliverCrossAccountRole": log.deliver_cross_account_role(),
            "logDestinationType": log.log_destination_type().map(|t| t.as_str()),
            "logDestination": log.log_destination(),
            "logGroupName": log.log_group_name(),
            "logFormat": log.log_format(),
            "maxAggregationInterval": log.max_aggregation_interval(),
            "creationTime": iso_or_null(log.creation_time()),
            "tags": tags_json(log.tags()),
        });
        cx.emit(item);
    }
}

async fn ebs_encryption_by_default(cx: &Cx, ec2: &Client) {
    const KEY: &str = "ebsEncryptionByDefault";
    const OPERATION: &str = "GetEbsEncryptionByDefault";
    match cx.call("ec2", ec2.get_ebs_encryption_by_default().send()).await {
        Ok(output) => match output.ebs_encryption_by_default() {
            Some(enabled) => cx.account_field(KEY, Value::Bool(enabled)),
            // An answer without the flag says nothing; `false` would be a guess.
            None => cx.account_field_failed(
                KEY,
                OPERATION,
                &ApiError::new("IncompleteResponse", "the answer has no `EbsEncryptionByDefault`"),
            ),
        },
        Err(err) => cx.account_field_failed(KEY, OPERATION, &err),
    }
}
