//! CloudFront collector against moto: distributions with HTTPS everywhere, with HTTP allowed
//! by default or on one path, with and without access logs, read back and judged by
//! `cloudfront-viewer-policy-https` and `cloudfront-accesslogs-enabled`. Failures (one
//! distribution's configuration, the distribution list) go through the fault proxy.
//!
//! No least-privilege run here: with authentication on, moto 5.2.5 rejects every CloudFront
//! request as `SignatureDoesNotMatch` (botocore's requests too), whatever the policy.

use crate::common;

use aws_config::SdkConfig;
use aws_sdk_cloudfront::types::{
    CacheBehavior, CacheBehaviors, DefaultCacheBehavior, DistributionConfig, LoggingConfig, Origin, Origins,
    S3OriginConfig, Tag, Tags, ViewerProtocolPolicy,
};
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const ORIGIN: &str = "S3-assets";

/// Creates a distribution; returns its id.
async fn distribution(
    cloudfront: &aws_sdk_cloudfront::Client,
    name: &str,
    default: ViewerProtocolPolicy,
    paths: &[(&str, ViewerProtocolPolicy)],
    logs: bool,
) -> String {
    let mut config = DistributionConfig::builder()
        .caller_reference(name)
        .comment(name)
        .enabled(true)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(
                    Origin::builder()
                        .id(ORIGIN)
                        .domain_name("assets.s3.amazonaws.com")
                        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder().target_origin_id(ORIGIN).viewer_protocol_policy(default).build().unwrap(),
        );
    if !paths.is_empty() {
        let mut behaviors = CacheBehaviors::builder().quantity(paths.len() as i32);
        for (path, policy) in paths {
            behaviors = behaviors.items(
                CacheBehavior::builder()
                    .path_pattern(*path)
                    .target_origin_id(ORIGIN)
                    .viewer_protocol_policy(policy.clone())
                    .build()
                    .unwrap(),
            );
        }
        config = config.cache_behaviors(behaviors.build().unwrap());
    }
    if logs {
        config = config.logging(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("cf-logs.s3.amazonaws.com")
                .prefix(format!("{name}/"))
                .build(),
        );
    }
    let created = cloudfront
        .create_distribution()
        .distribution_config(config.build().unwrap())
        .send()
        .await
        .unwrap()
        .distribution
        .unwrap();
    created.id().to_owned()
}

struct Seeded {
    secure: String,
    legacy: String,
    mixed: String,
}

async fn seed(config: &SdkConfig) -> Seeded {
    use ViewerProtocolPolicy::{AllowAll, HttpsOnly, RedirectToHttps};
    let cloudfront = aws_sdk_cloudfront::Client::new(config);
    let secure = distribution(&cloudfront, "secure", RedirectToHttps, &[("/api/*", HttpsOnly)], true).await;
    let legacy = distribution(&cloudfront, "legacy", AllowAll, &[], false).await;
    let mixed = distribution(&cloudfront, "mixed", HttpsOnly, &[("/img/*", AllowAll)], true).await;
    let arn = format!("arn:aws:cloudfront::123456789012:distribution/{secure}");
    cloudfront
        .tag_resource()
        .resource(arn)
        .tags(Tags::builder().items(Tag::builder().key("team").value("web").build().unwrap()).build())
        .send()
        .await
        .unwrap();
    Seeded { secure, legacy, mixed }
}

fn statuses(found: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    found.into_iter().map(|(id, status, _)| (id, status)).collect()
}

fn expect(pairs: &[(&str, Status)]) -> Vec<(String, Status)> {
    let mut out: Vec<_> = pairs.iter().map(|(id, s)| (id.to_string(), *s)).collect();
    out.sort();
    out
}

fn message<'a>(found: &'a [(String, Status, String)], id: &str) -> &'a str {
    &found.iter().find(|f| f.0 == id).unwrap_or_else(|| panic!("no finding for {id}: {found:?}")).2
}

fn by_id<'a>(items: &[&'a ConfigItem], id: &str) -> &'a ConfigItem {
    items.iter().find(|i| i.resource_id == id).unwrap_or_else(|| panic!("no distribution {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributions_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let Seeded { secure, legacy, mixed } = seed(&config).await;

    let collected = common::collect_current(&config, &["cloudfront"], &["us-east-1", "eu-west-1"]).await;
    assert!(collected.of_type("Mamori::Collection::Error").is_empty());
    let distributions = collected.of_type("AWS::CloudFront::Distribution");
    assert_eq!(distributions.len(), 3, "{distributions:?}");
    assert!(distributions.iter().all(|d| d.aws_region == "global"), "CloudFront is global");

    let item = by_id(&distributions, &secure);
    assert_eq!(item.arn.as_deref(), Some(format!("arn:aws:cloudfront::123456789012:distribution/{secure}").as_str()));
    assert_eq!(item.tags.get("team").map(String::as_str), Some("web"));
    let configuration = &item.configuration;
    assert_eq!(configuration["id"], secure.as_str());
    assert!(configuration["domainName"].as_str().unwrap().ends_with(".cloudfront.net"), "{configuration}");
    let distribution_config = &configuration["distributionConfig"];
    assert_eq!(distribution_config["callerReference"], "secure");
    assert_eq!(
        distribution_config["logging"],
        json!({"enabled": true, "includeCookies": false, "bucket": "cf-logs.s3.amazonaws.com", "prefix": "secure/"})
    );
    assert_eq!(distribution_config["defaultCacheBehavior"]["viewerProtocolPolicy"], "redirect-to-https");
    assert_eq!(distribution_config["defaultCacheBehavior"]["targetOriginId"], ORIGIN);
    assert_eq!(distribution_config["cacheBehaviors"]["quantity"], 1);
    assert_eq!(distribution_config["cacheBehaviors"]["items"][0]["pathPattern"], "/api/*");
    assert_eq!(distribution_config["cacheBehaviors"]["items"][0]["viewerProtocolPolicy"], "https-only");
    assert_eq!(distribution_config["origins"]["items"][0]["id"], ORIGIN);
    assert!(item.supplementary_configuration.get("mamoriCollectionErrors").is_none());

    use Status::{Fail, Pass};
    let https = collected.findings("cloudfront-viewer-policy-https");
    assert_eq!(statuses(https.clone()), expect(&[(&secure, Pass), (&legacy, Fail), (&mixed, Fail)]));
    assert!(message(&https, &secure).contains("all 2 cache behaviors"), "{https:?}");
    assert!(message(&https, &legacy).contains("default (*)"), "{https:?}");
    assert!(message(&https, &mixed).contains("/img/*") && !message(&https, &mixed).contains("default"), "{https:?}");
    let logs = collected.findings("cloudfront-accesslogs-enabled");
    assert_eq!(statuses(logs.clone()), expect(&[(&secure, Pass), (&legacy, Fail), (&mixed, Pass)]));
    assert!(message(&logs, &legacy).contains("disabled"), "{logs:?}");

    let stats = collected.summary.services["cloudfront"];
    // ListDistributions, then per distribution its configuration and its tags.
    assert_eq!((stats.calls, stats.errors), (1 + 3 * 2, 0), "{stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_become_errors_of_the_rules_that_need_them() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let Seeded { secure, legacy, mixed } = seed(&config).await;

    // One distribution's configuration cannot be read: ERROR for it, the others judged.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::rest("cloudfront", "GET", &format!("/distribution/{legacy}")))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["cloudfront"], &["us-east-1"]).await;
    let distributions = collected.of_type("AWS::CloudFront::Distribution");
    let broken = by_id(&distributions, &legacy);
    let reason = broken.supplementary_configuration["mamoriCollectionErrors"]["distributionConfig"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: GetDistribution"), "{reason}");
    assert!(broken.configuration.get("distributionConfig").is_none(), "{:?}", broken.configuration);
    assert_eq!(broken.configuration["id"], legacy.as_str(), "the summary's identity is kept");
    use Status::{Error, Fail, Pass};
    for rule in ["cloudfront-viewer-policy-https", "cloudfront-accesslogs-enabled"] {
        let found = collected.findings(rule);
        let mixed_status = if rule == "cloudfront-accesslogs-enabled" { Pass } else { Fail };
        assert_eq!(
            statuses(found.clone()),
            expect(&[(&secure, Pass), (&legacy, Error), (&mixed, mixed_status)]),
            "{rule}"
        );
        assert!(message(&found, &legacy).contains("AccessDenied"), "{rule}: {found:?}");
    }

    // The distribution list cannot be read: a collection error, never an empty list.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::rest("cloudfront", "GET", "/distribution").when(|r| r.path().ends_with("/distribution")))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["cloudfront"], &["us-east-1"]).await;
    assert!(collected.of_type("AWS::CloudFront::Distribution").is_empty());
    let errors = collected.of_type("Mamori::Collection::Error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].configuration["operation"], "ListDistributions");
    assert_eq!(errors[0].aws_region, "global");
    for rule in ["cloudfront-viewer-policy-https", "cloudfront-accesslogs-enabled"] {
        assert_eq!(
            statuses(collected.findings(rule)),
            expect(&[("collection:AWS::CloudFront::Distribution", Error)]),
            "{rule}"
        );
    }
}
