//! CloudFront distributions (`AWS::CloudFront::Distribution`).
//!
//! ListDistributions' summaries lack the logging configuration, so each distribution is read
//! with GetDistribution and recorded as AWS Config records it: `configuration` with the
//! distribution's id, ARN, status and domain name, and its `distributionConfig` in camelCase
//! with CloudFront's `{quantity, items}` lists. CloudFront is global: items have `awsRegion`
//! `global`. Origin custom headers keep their names only: their values are often the shared
//! secret an origin checks to accept CloudFront's requests.

use aws_sdk_cloudfront::types::{
    AllowedMethods, CustomErrorResponses, Distribution, DistributionConfig, DistributionSummary, FunctionAssociations,
    LambdaFunctionAssociations, Origin, Restrictions, TrustedKeyGroups, TrustedSigners, ViewerCertificate,
};
use aws_sdk_cloudfront::Client;
use futures_util::future::join_all;
use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{iso, CollectFuture, Cx};
use crate::client;

const DISTRIBUTION: &str = "AWS::CloudFront::Distribution";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "cloudfront",
    placement: Placement::Global,
    resource_types: &[DISTRIBUTION],
    account_fields: &[],
    actions: &["cloudfront:ListDistributions", "cloudfront:GetDistribution", "cloudfront:ListTagsForResource"],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let cloudfront = client!(cx, aws_sdk_cloudfront);
    let pages = match cx.pages("cloudfront", cloudfront.list_distributions().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(DISTRIBUTION, "ListDistributions", &err),
    };
    let summaries: Vec<&DistributionSummary> =
        pages.iter().filter_map(|page| page.distribution_list()).flat_map(|list| list.items()).collect();
    join_all(summaries.into_iter().map(|summary| distribution(cx, &cloudfront, summary))).await;
}

async fn distribution(cx: &Cx, cloudfront: &Client, summary: &DistributionSummary) {
    let id = summary.id();
    let mut item = cx.item(DISTRIBUTION, id);
    item.arn = Some(summary.arn().to_owned());
    let (distribution, tags) = tokio::join!(
        cx.call("cloudfront", cloudfront.get_distribution().id(id).send()),
        cx.call("cloudfront", cloudfront.list_tags_for_resource().resource(summary.arn()).send()),
    );
    match distribution {
        Ok(output) => {
            item.configuration = match output.distribution() {
                Some(distribution) => distribution_json(distribution),
                // Nothing beyond the summary's identity is known: `distributionConfig` stays absent.
                None => summary_json(summary),
            }
        }
        Err(err) => {
            item.configuration = summary_json(summary);
            Cx::attribute_failed(&mut item, "distributionConfig", "GetDistribution", &err);
        }
    }
    match tags {
        Ok(output) => {
            item.tags = output
                .tags()
                .map(|tags| tags.items())
                .unwrap_or_default()
                .iter()
                .map(|tag| (tag.key().to_owned(), tag.value().unwrap_or_default().to_owned()))
                .collect();
        }
        Err(err) => Cx::attribute_failed(&mut item, "Tags", "ListTagsForResource", &err),
    }
    cx.emit(item);
}

/// A cache behavior, default or by path: CloudFront gives them two types with the same fields.
macro_rules! behavior_json {
    ($behavior:expr) => {{
        let b = $behavior;
        json!({
            "targetOriginId": b.target_origin_id(),
            "viewerProtocolPolicy": b.viewer_protocol_policy().as_str(),
            "allowedMethods": b.allowed_methods().map(allowed_methods_json),
            "compress": b.compress(),
            "smoothStreaming": b.smooth_streaming(),
            "fieldLevelEncryptionId": b.field_level_encryption_id(),
            "realtimeLogConfigArn": b.realtime_log_config_arn(),
            "cachePolicyId": b.cache_policy_id(),
            "originRequestPolicyId": b.origin_request_policy_id(),
            "responseHeadersPolicyId": b.response_headers_policy_id(),
            "trustedSigners": b.trusted_signers().map(trusted_signers_json),
            "trustedKeyGroups": b.trusted_key_groups().map(trusted_key_groups_json),
            "lambdaFunctionAssociations": b.lambda_function_associations().map(lambda_associations_json),
            "functionAssociations": b.function_associations().map(function_associations_json),
        })
    }};
}

fn summary_json(summary: &DistributionSummary) -> Value {
    json!({
        "id": summary.id(),
        "arn": summary.arn(),
        "status": summary.status(),
        "lastModifiedTime": iso(summary.last_modified_time()),
        "domainName": summary.domain_name(),
    })
}

fn distribution_json(distribution: &Distribution) -> Value {
    json!({
        "id": distribution.id(),
        "arn": distribution.arn(),
        "status": distribution.status(),
        "lastModifiedTime": iso(distribution.last_modified_time()),
        "inProgressInvalidationBatches": distribution.in_progress_invalidation_batches(),
        "domainName": distribution.domain_name(),
        "distributionConfig": distribution.distribution_config().map(config_json),
    })
}

fn config_json(config: &DistributionConfig) -> Value {
    json!({
        "callerReference": config.caller_reference(),
        "aliases": config.aliases().map(|a| json!({"quantity": a.quantity(), "items": a.items()})),
        "defaultRootObject": config.default_root_object(),
        "origins": config.origins().map(|o| json!({
            "quantity": o.quantity(),
            "items": o.items().iter().map(origin_json).collect::<Vec<_>>(),
        })),
        "originGroups": config.origin_groups().map(|g| json!({
            "quantity": g.quantity(),
            "items": g.items().iter().map(|group| json!({"id": group.id()})).collect::<Vec<_>>(),
        })),
        "defaultCacheBehavior": config.default_cache_behavior().map(|b| behavior_json!(b)),
        // Absent from the API means no path behaviors; the rules read `null` as none.
        "cacheBehaviors": config.cache_behaviors().map(|c| json!({
            "quantity": c.quantity(),
            "items": c.items().iter().map(|b| {
                let mut behavior = behavior_json!(b);
                behavior["pathPattern"] = json!(b.path_pattern());
                behavior
            }).collect::<Vec<_>>(),
        })),
        "customErrorResponses": config.custom_error_responses().map(error_responses_json),
        "comment": config.comment(),
        "logging": config.logging().map(|l| json!({
            "enabled": l.enabled(),
            "includeCookies": l.include_cookies(),
            "bucket": l.bucket(),
            "prefix": l.prefix(),
        })),
        "priceClass": config.price_class().map(|p| p.as_str()),
        "enabled": config.enabled(),
        "viewerCertificate": config.viewer_certificate().map(certificate_json),
        "restrictions": config.restrictions().map(restrictions_json),
        "webACLId": config.web_acl_id(),
        "httpVersion": config.http_version().map(|h| h.as_str()),
        "isIPV6Enabled": config.is_ipv6_enabled(),
        "continuousDeploymentPolicyId": config.continuous_deployment_policy_id(),
        "staging": config.staging(),
    })
}

fn origin_json(origin: &Origin) -> Value {
    json!({
        "id": origin.id(),
        "domainName": origin.domain_name(),
        "originPath": origin.origin_path(),
        "customHeaders": origin.custom_headers().map(|h| json!({
            "quantity": h.quantity(),
            "items": h.items().iter().map(|header| json!({"headerName": header.header_name()})).collect::<Vec<_>>(),
        })),
        "s3OriginConfig": origin.s3_origin_config().map(|s3| json!({
            "originAccessIdentity": s3.origin_access_identity(),
            "originReadTimeout": s3.origin_read_timeout(),
        })),
        "customOriginConfig": origin.custom_origin_config().map(|custom| json!({
            "hTTPPort": custom.http_port(),
            "hTTPSPort": custom.https_port(),
            "originProtocolPolicy": custom.origin_protocol_policy().as_str(),
            "originSslProtocols": custom.origin_ssl_protocols().map(|p| json!({
                "quantity": p.quantity(),
                "items": p.items().iter().map(|protocol| protocol.as_str()).collect::<Vec<_>>(),
            })),
            "originReadTimeout": custom.origin_read_timeout(),
            "originKeepaliveTimeout": custom.origin_keepalive_timeout(),
        })),
        "connectionAttempts": origin.connection_attempts(),
        "connectionTimeout": origin.connection_timeout(),
        "originShield": origin.origin_shield().map(|s| json!({
            "enabled": s.enabled(),
            "originShieldRegion": s.origin_shield_region(),
        })),
        "originAccessControlId": origin.origin_access_control_id(),
    })
}

fn allowed_methods_json(methods: &AllowedMethods) -> Value {
    json!({
        "quantity": methods.quantity(),
        "items": methods.items().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "cachedMethods": methods.cached_methods().map(|cached| json!({
            "quantity": cached.quantity(),
            "items": cached.items().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        })),
    })
}

fn trusted_signers_json(signers: &TrustedSigners) -> Value {
    json!({"enabled": signers.enabled(), "quantity": signers.quantity(), "items": signers.items()})
}

fn trusted_key_groups_json(groups: &TrustedKeyGroups) -> Value {
    json!({"enabled": groups.enabled(), "quantity": groups.quantity(), "items": groups.items()})
}

fn lambda_associations_json(associations: &LambdaFunctionAssociations) -> Value {
    json!({
        "quantity": associations.quantity(),
        "items": associations.items().iter().map(|a| json!({
            "lambdaFunctionARN": a.lambda_function_arn(),
            "eventType": a.event_type().as_str(),
            "includeBody": a.include_body(),
        })).collect::<Vec<_>>(),
    })
}

fn function_associations_json(associations: &FunctionAssociations) -> Value {
    json!({
        "quantity": associations.quantity(),
        "items": associations.items().iter().map(|a| json!({
            "functionARN": a.function_arn(),
            "eventType": a.event_type().as_str(),
        })).collect::<Vec<_>>(),
    })
}

fn error_responses_json(responses: &CustomErrorResponses) -> Value {
    json!({
        "quantity": responses.quantity(),
        "items": responses.items().iter().map(|r| json!({
            "errorCode": r.error_code(),
            "responsePagePath": r.response_page_path(),
            "responseCode": r.response_code(),
            "errorCachingMinTTL": r.error_caching_min_ttl(),
        })).collect::<Vec<_>>(),
    })
}

fn certificate_json(certificate: &ViewerCertificate) -> Value {
    json!({
        "cloudFrontDefaultCertificate": certificate.cloud_front_default_certificate(),
        "iAMCertificateId": certificate.iam_certificate_id(),
        "acmCertificateArn": certificate.acm_certificate_arn(),
        "sslSupportMethod": certificate.ssl_support_method().map(|m| m.as_str()),
        "minimumProtocolVersion": certificate.minimum_protocol_version().map(|v| v.as_str()),
    })
}

fn restrictions_json(restrictions: &Restrictions) -> Value {
    json!({
        "geoRestriction": restrictions.geo_restriction().map(|geo| json!({
            "restrictionType": geo.restriction_type().as_str(),
            "quantity": geo.quantity(),
            "items": geo.items(),
        })),
    })
}
