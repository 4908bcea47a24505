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

/// The verdict of both multi-AZ rules (AWS Config's `clb-multiple-az`, `elbv2-multiple-az`):
/// at least `minAvailabilityZones` (default 2) zones in `availabilityZones`; absent is ERROR.
/// `kind` names the load balancer in messages.
pub(super) fn judge_zone_count(item: &ConfigItem, cx: &mut crate::Cx<'_>, kind: &str) {
    let name = load_balancer_name(item);
    let zones = match crate::support::item::required(item, "availabilityZones") {
        Ok(zones) => crate::support::item::as_list(Some(zones)).len() as i64,
        Err(reason) => return cx.error(item, reason),
    };
    let minimum = cx.params().int("minAvailabilityZones").unwrap_or(2);
    if zones >= minimum {
        cx.pass(item, format!("{kind} {name} spans {zones} Availability Zones"))
    } else {
        cx.fail(item, format!("{kind} {name} spans {zones} Availability Zone(s), fewer than {minimum}"))
    }
}

/// The ELBv2 load balancer's `type` (`application`, `network`, `gateway`), lower-case.
pub(super) fn v2_type(item: &ConfigItem) -> Result<String, String> {
    field_str(&item.configuration, "type").map(str::to_ascii_lowercase).ok_or_else(|| {
        format!("load balancer {} has no `configuration.type` in the inventory", load_balancer_name(item))
    })
}

/// The value of one ELBv2 attribute from the supplementary `LoadBalancerAttributes` list
/// (`None` when the list does not hold the key); an error when the list was not collected.
pub(super) fn v2_attribute(item: &ConfigItem, key: &str) -> Result<Option<String>, String> {
    let attributes = crate::support::item::supplementary(item, "LoadBalancerAttributes")?.ok_or_else(|| {
        format!("load balancer {} has no LoadBalancerAttributes in the inventory", load_balancer_name(item))
    })?;
    Ok(crate::support::item::as_list(Some(attributes))
        .into_iter()
        .find(|attribute| field_str(attribute, "key") == Some(key))
        .and_then(|attribute| field(attribute, "value"))
        .map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned)))
}

/// A Classic Load Balancer's supplementary `LoadBalancerAttributes` object.
pub(super) fn classic_attributes(item: &ConfigItem) -> Result<&Value, String> {
    crate::support::item::supplementary(item, "LoadBalancerAttributes")?.ok_or_else(|| {
        format!("Classic Load Balancer {} has no LoadBalancerAttributes in the inventory", load_balancer_name(item))
    })
}

/// Whether an ELBv2 load balancer is an Application Load Balancer; records ERROR (and answers
/// false) when its type is not in the inventory.
pub(super) fn is_application(item: &ConfigItem, cx: &mut crate::Cx<'_>) -> bool {
    match v2_type(item) {
        Ok(kind) => kind == "application",
        Err(reason) => {
            cx.error(item, reason);
            false
        }
    }
}
