//! Rules about Amazon CloudFront distributions: access logging, HTTPS to viewers and origins,
//! certificates, WAF, default root object and origin access control.

mod cloudfront_accesslogs_enabled;
mod cloudfront_associated_with_waf;
mod cloudfront_custom_ssl_certificate;
mod cloudfront_default_root_object_configured;
mod cloudfront_no_deprecated_ssl_protocols;
mod cloudfront_s3_origin_access_control_enabled;
mod cloudfront_sni_enabled;
mod cloudfront_traffic_to_origin_encrypted;
mod cloudfront_viewer_policy_https;
mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &cloudfront_accesslogs_enabled::CloudfrontAccesslogsEnabled,
    &cloudfront_viewer_policy_https::CloudfrontViewerPolicyHttps,
    &cloudfront_default_root_object_configured::CloudfrontDefaultRootObjectConfigured,
    &cloudfront_associated_with_waf::CloudfrontAssociatedWithWaf,
    &cloudfront_custom_ssl_certificate::CloudfrontCustomSslCertificate,
    &cloudfront_sni_enabled::CloudfrontSniEnabled,
    &cloudfront_traffic_to_origin_encrypted::CloudfrontTrafficToOriginEncrypted,
    &cloudfront_no_deprecated_ssl_protocols::CloudfrontNoDeprecatedSslProtocols,
    &cloudfront_s3_origin_access_control_enabled::CloudfrontS3OriginAccessControlEnabled,
];
