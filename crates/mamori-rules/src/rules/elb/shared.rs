//! What the load balancer rules share: ELBv2 resource types and reading fields in both
//! spellings AWS uses.
//!
//! AWS Config writes an ELBv2 load balancer in camelCase (`loadBalancerArn`, `type`) but an
//! `AWS::ElasticLoadBalancingV2::Listener` in CloudFormation's PascalCase (`LoadBalancerArn`,
//! `DefaultActions[].RedirectConfig.Protocol`); mamori's supplementary `Listeners` are camelCase.
//! [`field`] reads either.

use mamori_model::ConfigItem;
use serde_json::Value;

pub(super) const LOAD_BALANCER_TYPE: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
pub(super) const LISTENER_TYPE: &str = "AWS::ElasticLoadBalancingV2::Listener";
pub(super) const CLASSIC_TYPE: &str = "AWS::ElasticLoadBalancing::LoadBalancer";

/// `value.<key>`, the key matched without regard to case.
pub(super) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| object.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// `value.<key>` as text.
pub(super) fn field_str<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    field(value, key).and_then(Value::as_str)
}

/// The load balancer's name for messages: `loadBalancerName`, else the resource name or id.
pub(super) fn load_balancer_name(item: &ConfigItem) -> &str {
    field_str(&item.configuration, "loadBalancerName").or(item.resource_name.as_deref()).unwrap_or(&item.resource_id)
}
