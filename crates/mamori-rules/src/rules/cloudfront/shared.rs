//! What the CloudFront rules share: the distribution type and its `distributionConfig`.

use mamori_model::ConfigItem;
use serde_json::Value;

use crate::support::item::required;

pub(super) const DISTRIBUTION_TYPE: &str = "AWS::CloudFront::Distribution";

/// `configuration.distributionConfig`, which must be in the inventory.
pub(super) fn distribution_config(item: &ConfigItem) -> Result<&Value, String> {
    let config = required(item, "distributionConfig")?;
    if config.is_object() {
        Ok(config)
    } else {
        Err(format!("distribution {} has an unreadable `distributionConfig`", item.resource_id))
    }
}

/// The distribution's name for messages: its id, with its domain name when known.
pub(super) fn distribution_name(item: &ConfigItem) -> String {
    match item.config("domainName").and_then(Value::as_str) {
        Some(domain) => format!("{} ({domain})", item.resource_id),
        None => item.resource_id.clone(),
    }
}

/// The custom certificate a viewer certificate serves (ACM ARN or IAM certificate id), `None`
/// for CloudFront's default certificate.
pub(super) fn custom_certificate(certificate: &Value) -> Option<&str> {
    if certificate.get("cloudFrontDefaultCertificate").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    ["acmCertificateArn", "iAMCertificateId"]
        .iter()
        .find_map(|key| certificate.get(*key).and_then(Value::as_str).filter(|value| !value.is_empty()))
}
