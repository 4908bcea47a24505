//! Load balancers: Elastic Load Balancing v2 (`AWS::ElasticLoadBalancingV2::LoadBalancer`:
//! application, network and gateway) with their attributes and listeners, and Classic Load
//! Balancers (`AWS::ElasticLoadBalancing::LoadBalancer`) with their attributes. They are two
//! collectors because they are two AWS services with their own APIs and permissions.
//!
//! AWS Config's ELBv2 item has neither attributes nor listeners, so they go under
//! `supplementaryConfiguration`: `LoadBalancerAttributes` as DescribeLoadBalancerAttributes'
//! `[{key, value}]` list and `Listeners` as DescribeListeners' listeners in camelCase; its id
//! is the load balancer's ARN, as AWS Config's. A Classic Load Balancer's id is its name and
//! its `LoadBalancerAttributes` the object AWS Config records (`{"accessLog": {...}, ...}`).

use aws_sdk_elasticloadbalancing::types::LoadBalancerDescription;
use aws_sdk_elasticloadbalancingv2::types::{Action, Listener, LoadBalancer};
use aws_sdk_elasticloadbalancingv2::Client;
use futures_util::future::join_all;
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, CollectFuture, Cx};
use crate::client;
use crate::regions::partition;

const LOAD_BALANCER: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const CLASSIC: &str = "AWS::ElasticLoadBalancing::LoadBalancer";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "elasticloadbalancingv2",
    placement: Placement::Regional,
    resource_types: &[LOAD_BALANCER],
    account_fields: &[],
    actions: &[
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeListeners",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let elb = client!(cx, aws_sdk_elasticloadbalancingv2);
    let pages = match cx.pages("elasticloadbalancingv2", elb.describe_load_balancers().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(LOAD_BALANCER, "DescribeLoadBalancers", &err),
    };
    let balancers: Vec<&LoadBalancer> = pages.iter().flat_map(|page| page.load_balancers()).collect();
    join_all(balancers.into_iter().map(|lb| load_balancer(cx, &elb, lb))).await;
}

async fn load_balancer(cx: &Cx, elb: &Client, lb: &LoadBalancer) {
    let Some(arn) = lb.load_balancer_arn() else { return };
    let mut item = cx.item(LOAD_BALANCER, arn);
    item.arn = Some(arn.to_owned());
    item.resource_name = lb.load_balancer_name().map(str::to_owned);
    item.configuration = json!({
        "loadBalancerArn": arn,
        "loadBalancerName": lb.load_balancer_name(),
        // AWS Config's spelling of DNSName.
        "dNSName": lb.dns_name(),
        "canonicalHostedZoneId": lb.canonical_hosted_zone_id(),
        "createdTime": iso_or_null(lb.created_time()),
        "scheme": lb.scheme().map(|v| v.as_str()),
        "type": lb.r#type().map(|v| v.as_str()),
        "vpcId": lb.vpc_id(),
        "state": lb.state().map(|s| json!({"code": s.code().map(|c| c.as_str()), "reason": s.reason()})),
        "availabilityZones": lb.availability_zones().iter().map(|zone| json!({
            "zoneName": zone.zone_name(),
            "subnetId": zone.subnet_id(),
            "outpostId": zone.outpost_id(),
            "loadBalancerAddresses": zone.load_balancer_addresses().iter().map(|a| json!({
                "ipAddress": a.ip_address(),
                "allocationId": a.allocation_id(),
                "privateIPv4Address": a.private_ipv4_address(),
                "iPv6Address": a.ipv6_address(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "securityGroups": lb.security_groups(),
        "ipAddressType": lb.ip_address_type().map(|v| v.as_str()),
        "customerOwnedIpv4Pool": lb.customer_owned_ipv4_pool(),
    });
    let (attributes, listeners) = tokio::join!(
        cx.call("elasticloadbalancingv2", elb.describe_load_balancer_attributes().load_balancer_arn(arn).send()),
        cx.pages("elasticloadbalancingv2", elb.describe_listeners().load_balancer_arn(arn).into_paginator().send()),
    );
    match attributes {
        Ok(output) => {
            let attributes: Vec<Value> =
                output.attributes().iter().map(|a| json!({"key": a.key(), "value": a.value()})).collect();
            item.supplementary_configuration.insert("LoadBalancerAttributes".into(), Value::Array(attributes));
        }
        Err(err) => Cx::attribute_failed(&mut item, "LoadBalancerAttributes", "DescribeLoadBalancerAttributes", &err),
    }
    match listeners {
        Ok(pages) => {
            let listeners: Vec<Value> = pages.iter().flat_map(|page| page.listeners()).map(listener_json).collect();
            item.supplementary_configuration.insert("Listeners".into(), Value::Array(listeners));
        }
        Err(err) => Cx::attribute_failed(&mut item, "Listeners", "DescribeListeners", &err),
    }
    cx.emit(item);
}

fn listener_json(listener: &Listener) -> Value {
    json!({
        "listenerArn": listener.listener_arn(),
        "loadBalancerArn": listener.load_balancer_arn(),
        "port": listener.port(),
        "protocol": listener.protocol().map(|p| p.as_str()),
        "sslPolicy": listener.ssl_policy(),
        "certificates": listener.certificates().iter().map(|c| json!({
            "certificateArn": c.certificate_arn(),
            "isDefault": c.is_default(),
        })).collect::<Vec<_>>(),
        "alpnPolicy": listener.alpn_policy(),
        "defaultActions": listener.default_actions().iter().map(action_json).collect::<Vec<_>>(),
    })
}

/// A listener action. Authentication actions keep only their type: their configuration names
/// identity-provider clients and is read by no rule.
fn action_json(action: &Action) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(action.r#type().map(|t| t.as_str())));
    out.insert("order".into(), json!(action.order()));
    if let Some(arn) = action.target_group_arn() {
        out.insert("targetGroupArn".into(), json!(arn));
    }
    if let Some(redirect) = action.redirect_config() {
        out.insert(
            "redirectConfig".into(),
            json!({
                "protocol": redirect.protocol(),
                "port": redirect.port(),
                "host": redirect.host(),
                "path": redirect.path(),
                "query": redirect.query(),
                "statusCode": redirect.status_code().map(|c| c.as_str()),
            }),
        );
    }
    if let Some(fixed) = action.fixed_response_config() {
        out.insert(
            "fixedResponseConfig".into(),
            json!({
                "statusCode": fixed.status_code(),
                "contentType": fixed.content_type(),
                "messageBody": fixed.message_body(),
            }),
        );
    }
    if let Some(forward) = action.forward_config() {
        out.insert(
            "forwardConfig".into(),
            json!({
                "targetGroups": forward.target_groups().iter().map(|t| json!({
                    "targetGroupArn": t.target_group_arn(),
                    "weight": t.weight(),
                })).collect::<Vec<_>>(),
                "targetGroupStickinessConfig": forward.target_group_stickiness_config().map(|s| json!({
                    "enabled": s.enabled(),
                    "durationSeconds": s.duration_seconds(),
                })),
            }),
        );
    }
    Value::Object(out)
}

pub(crate) const CLASSIC_COLLECTOR: Collector = Collector {
    name: "elasticloadbalancing",
    placement: Placement::Regional,
    resource_types: &[CLASSIC],
    account_fields: &[],
    actions: &["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes"],
    run: run_classic,
};

fn run_classic(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect_classic(cx))
}

async fn collect_classic(cx: &Cx) {
    let elb = client!(cx, aws_sdk_elasticloadbalancing);
    let pages = match cx.pages("elasticloadbalancing", elb.describe_load_balancers().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(CLASSIC, "DescribeLoadBalancers", &err),
    };
    let balancers: Vec<&LoadBalancerDescription> =
        pages.iter().flat_map(|page| page.load_balancer_descriptions()).collect();
    join_all(balancers.into_iter().map(|lb| classic_load_balancer(cx, &elb, lb))).await;
}

async fn classic_load_balancer(cx: &Cx, elb: &aws_sdk_elasticloadbalancing::Client, lb: &LoadBalancerDescription) {
    let Some(name) = lb.load_balancer_name() else { return };
    let mut item = cx.item(CLASSIC, name);
    item.resource_name = Some(name.to_owned());
    let region = cx.region();
    item.arn = Some(format!(
        "arn:{}:elasticloadbalancing:{region}:{}:loadbalancer/{name}",
        partition(region),
        cx.account_id()
    ));
    let listeners: Vec<Value> = lb
        .listener_descriptions()
        .iter()
        .map(|description| {
            json!({
                "listener": description.listener().map(|l| json!({
                    "protocol": l.protocol(),
                    "loadBalancerPort": l.load_balancer_port(),
                    "instanceProtocol": l.instance_protocol(),
                    "instancePort": l.instance_port(),
                    "sslcertificateId": l.ssl_certificate_id(),
                })),
                "policyNames": description.policy_names(),
            })
        })
        .collect();
    // AWS Config's spellings: `dnsname`, `vpcid`, `canonicalHostedZoneNameID`.
    item.configuration = json!({
        "loadBalancerName": name,
        "dnsname": lb.dns_name(),
        "canonicalHostedZoneName": lb.canonical_hosted_zone_name(),
        "canonicalHostedZoneNameID": lb.canonical_hosted_zone_name_id(),
        "listenerDescriptions": listeners,
        "policies": lb.policies().map(|p| json!({
            "appCookieStickinessPolicies": p.app_cookie_stickiness_policies().iter().map(|a| json!({
                "policyName": a.policy_name(),
                "cookieName": a.cookie_name(),
            })).collect::<Vec<_>>(),
            "lbcookieStickinessPolicies": p.lb_cookie_stickiness_policies().iter().map(|l| json!({
                "policyName": l.policy_name(),
                "cookieExpirationPeriod": l.cookie_expiration_period(),
            })).collect::<Vec<_>>(),
            "otherPolicies": p.other_policies(),
        })),
        "backendServerDescriptions": lb.backend_server_descriptions().iter().map(|b| json!({
            "instancePort": b.instance_port(),
            "policyNames": b.policy_names(),
        })).collect::<Vec<_>>(),
        "availabilityZones": lb.availability_zones(),
        "subnets": lb.subnets(),
        "vpcid": lb.vpc_id(),
        "instances": lb.instances().iter().map(|i| json!({"instanceId": i.instance_id()})).collect::<Vec<_>>(),
        "healthCheck": lb.health_check().map(|h| json!({
            "target": h.target(),
            "interval": h.interval(),
            "timeout": h.timeout(),
            "unhealthyThreshold": h.unhealthy_threshold(),
            "healthyThreshold": h.healthy_threshold(),
        })),
        "sourceSecurityGroup": lb.source_security_group().map(|g| json!({
            "ownerAlias": g.owner_alias(),
            "groupName": g.group_name(),
        })),
        "securityGroups": lb.security_groups(),
        "createdTime": iso_or_null(lb.created_time()),
        "scheme": lb.scheme(),
    });
    let operation = elb.describe_load_balancer_attributes().load_balancer_name(name).send();
    match cx.call("elasticloadbalancing", operation).await {
        Ok(output) => {
            let attributes = output.load_balancer_attributes().map_or(Value::Null, |a| {
                json!({
                    "crossZoneLoadBalancing": a.cross_zone_load_balancing().map(|c| json!({"enabled": c.enabled()})),
                    // Null: AWS reported no access-log configuration, i.e. logging is off.
                    "accessLog": a.access_log().map(|l| json!({
                        "enabled": l.enabled(),
                        "s3BucketName": l.s3_bucket_name(),
                        "emitInterval": l.emit_interval(),
                        "s3BucketPrefix": l.s3_bucket_prefix(),
                    })),
                    "connectionDraining": a.connection_draining().map(|c| json!({
                        "enabled": c.enabled(),
                        "timeout": c.timeout(),
                    })),
                    "connectionSettings": a.connection_settings().map(|c| json!({"idleTimeout": c.idle_timeout()})),
                    "additionalAttributes": a.additional_attributes().iter().map(|x| json!({
                        "key": x.key(),
                        "value": x.value(),
                    })).collect::<Vec<_>>(),
                })
            });
            item.supplementary_configuration.insert("LoadBalancerAttributes".into(), attributes);
        }
        Err(err) => Cx::attribute_failed(&mut item, "LoadBalancerAttributes", "DescribeLoadBalancerAttributes", &err),
    }
    cx.emit(item);
}
