//! Rules about Amazon CloudFront distributions: access logging and HTTPS to viewers.

mod cloudfront_accesslogs_enabled;
mod cloudfront_viewer_policy_https;
mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &cloudfront_accesslogs_enabled::CloudfrontAccesslogsEnabled,
    &cloudfront_viewer_policy_https::CloudfrontViewerPolicyHttps,
];
