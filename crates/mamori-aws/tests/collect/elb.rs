//! Load balancer collectors against moto: Application Load Balancers whose HTTP listener
//! redirects to HTTPS or forwards, with access logs on and off, one without listeners, a
//! network load balancer, and Classic Load Balancers logging or not, read back and judged by
//! `alb-http-to-https-redirection-check` and `elb-logging-enabled`. Failures (one ALB's
//! listeners, one classic load balancer's attributes, the lists of a region) go through the
//! fault proxy.

use crate::common;

use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerAttribute, LoadBalancerTypeEnum, ProtocolEnum, RedirectActionConfig,
    RedirectActionStatusCodeEnum,
};
use mamori_model::Status;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const LOG_BUCKET: &str = "acme-elb-logs";

/// ARNs of the ELBv2 load balancers the test created.
struct Seeded {
    secure: String,
    shop: String,
    bare: String,
    network: String,
}

async fn seed(config: &SdkConfig) -> Seeded {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")] {
        let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr).availability_zone(zone).send().await.unwrap();
        subnets.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let target_group = elb
        .create_target_group()
        .name("web")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let create = |name: &'static str, kind: LoadBalancerTypeEnum| {
        let elb = elb.clone();
        let subnets = subnets.clone();
        async move {
            let created =
                elb.create_load_balancer().name(name).set_subnets(Some(subnets)).r#type(kind).send().await.unwrap();
            created.load_balancers()[0].load_balancer_arn().unwrap().to_owned()
        }
    };
    let seeded = Seeded {
        secure: create("secure", LoadBalancerTypeEnum::Application).await,
        shop: create("shop", LoadBalancerTypeEnum::Application).await,
        bare: create("bare", LoadBalancerTypeEnum::Application).await,
        network: create("tcp-front", LoadBalancerTypeEnum::Network).await,
    };
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build();
    let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&target_group).build();
    for (arn, protocol, action) in [
        (&seeded.secure, ProtocolEnum::Http, redirect),
        (&seeded.shop, ProtocolEnum::Http, forward.clone()),
        (&seeded.network, ProtocolEnum::Tcp, forward),
    ] {
        elb.create_listener()
            .load_balancer_arn(arn)
            .protocol(protocol)
            .port(80)
            .default_actions(action)
            .send()
            .await
            .unwrap();
    }
    // moto leaves `access_logs.s3.enabled` out until it is set (AWS always answers it), so
    // every load balancer gets it explicitly.
    for (arn, enabled) in
        [(&seeded.secure, true), (&seeded.shop, false), (&seeded.bare, false), (&seeded.network, false)]
    {
        let mut request = elb.modify_load_balancer_attributes().load_balancer_arn(arn).attributes(
            LoadBalancerAttribute::builder().key("access_logs.s3.enabled").value(enabled.to_string()).build(),
        );
        if enabled {
            request = request
                .attributes(LoadBalancerAttribute::builder().key("access_logs.s3.bucket").value(LOG_BUCKET).build());
        }
        request.send().await.unwrap();
    }

    let classic = aws_sdk_elasticloadbalancing::Client::new(config);
    for name in ["legacy-on", "legacy-off"] {
        let listener = aws_sdk_elasticloadbalancing::types::Listener::builder()
            .protocol("HTTP")
            .load_balancer_port(80)
            .instance_protocol("HTTP")
            .instance_port(80)
            .build()
            .unwrap();
        classic
            .create_load_balancer()
            .load_balancer_name(name)
            .listeners(listener)
            .availability_zones("us-east-1a")
            .send()
            .await
            .unwrap();
    }
    let access_log = aws_sdk_elasticloadbalancing::types::AccessLog::builder()
        .enabled(true)
        .s3_bucket_name(LOG_BUCKET)
        .emit_interval(60)
        .build();
    classic
        .modify_load_balancer_attributes()
        .load_balancer_name("legacy-on")
        .load_balancer_attributes(
            aws_sdk_elasticloadbalancing::types::LoadBalancerAttributes::builder().access_log(access_log).build(),
        )
        .send()
        .await
        .unwrap();
    seeded
}

fn statuses(findings: Vec<(String, Status, String)>) -> Vec<(String, Status)> {
    let mut found: Vec<_> = findings.into_iter().map(|(id, status, _)| (id, status)).collect();
    found.sort();
    found
}

fn expect(pairs: &[(&str, Status)]) -> Vec<(String, Status)> {
    let mut expected: Vec<_> = pairs.iter().map(|(id, status)| (id.to_string(), *status)).collect();
    expected.sort();
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancers_reach_the_rules() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let seeded = seed(&config).await;
    let collected =
        common::collect_current(&config, &["elasticloadbalancingv2", "elasticloadbalancing"], &REGIONS).await;
    assert!(collected.of_type("Mamori::Collection::Error").is_empty());

    let balancers = collected.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer");
    assert_eq!(balancers.len(), 4, "{balancers:?}");
    let secure = balancers.iter().find(|b| b.resource_id == seeded.secure).unwrap();
    assert_eq!(secure.arn.as_deref(), Some(seeded.secure.as_str()));
    assert_eq!(secure.resource_name.as_deref(), Some("secure"));
    assert_eq!(secure.aws_region, "us-east-1");
    assert_eq!(secure.configuration["type"], "application");
    assert_eq!(secure.configuration["loadBalancerName"], "secure");
    assert!(secure.configuration["dNSName"].is_string());
    let listeners = &secure.supplementary_configuration["Listeners"];
    assert_eq!(listeners.as_array().unwrap().len(), 1, "{listeners}");
    assert_eq!(listeners[0]["protocol"], "HTTP");
    assert_eq!(listeners[0]["port"], 80);
    assert_eq!(listeners[0]["defaultActions"][0]["type"], "redirect");
    assert_eq!(listeners[0]["defaultActions"][0]["redirectConfig"]["protocol"], "HTTPS");
    let attributes = secure.supplementary_configuration["LoadBalancerAttributes"].as_array().unwrap();
    assert!(attributes.contains(&json!({"key": "access_logs.s3.bucket", "value": LOG_BUCKET})), "{attributes:?}");
    let bare = balancers.iter().find(|b| b.resource_id == seeded.bare).unwrap();
    assert_eq!(bare.supplementary_configuration["Listeners"], json!([]));

    let classic = collected.of_type("AWS::ElasticLoadBalancing::LoadBalancer");
    let mut names: Vec<_> = classic.iter().map(|c| c.resource_id.as_str()).collect();
    names.sort();
    assert_eq!(names, ["legacy-off", "legacy-on"]);
    let on = classic.iter().find(|c| c.resource_id == "legacy-on").unwrap();
    assert_eq!(on.arn.as_deref(), Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/legacy-on"));
    assert_eq!(on.configuration["listenerDescriptions"][0]["listener"]["loadBalancerPort"], 80);
    assert_eq!(
        on.supplementary_configuration["LoadBalancerAttributes"]["accessLog"],
        json!({"enabled": true, "s3BucketName": LOG_BUCKET, "emitInterval": 60, "s3BucketPrefix": null})
    );

    // The network load balancer gets no finding from either rule.
    assert_eq!(
        statuses(collected.findings("alb-http-to-https-redirection-check")),
        expect(&[(&seeded.secure, Status::Pass), (&seeded.shop, Status::Fail), (&seeded.bare, Status::Pass)])
    );
    let shop = collected.findings("alb-http-to-https-redirection-check").into_iter().find(|f| f.0 == seeded.shop);
    assert!(shop.as_ref().is_some_and(|f| f.2.contains("HTTP:80 (forward)")), "{shop:?}");
    assert_eq!(
        statuses(collected.findings("elb-logging-enabled")),
        expect(&[
            (&seeded.secure, Status::Pass),
            (&seeded.shop, Status::Fail),
            (&seeded.bare, Status::Fail),
            ("legacy-on", Status::Pass),
            ("legacy-off", Status::Fail),
        ])
    );
    assert!(!collected.findings("elb-logging-enabled").iter().any(|f| f.0 == seeded.network));

    for service in ["elasticloadbalancingv2", "elasticloadbalancing"] {
        let stats = collected.summary.services[service];
        assert!(stats.calls >= 2 && stats.errors == 0, "{service}: {stats:?}");
        assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancer_failures_become_errors() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let seeded = seed(&config).await;
    // ELBv2 and classic ELB are both signed as `elasticloadbalancing` and share operation
    // names: the shop ALB is told apart by its ARN, the classic one by its name.
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("elasticloadbalancing", "DescribeListeners").containing("/shop/"))
        .rule(FaultRule::operation("elasticloadbalancing", "DescribeLoadBalancerAttributes").containing("legacy-on"))
        .rule(FaultRule::operation("elasticloadbalancing", "DescribeLoadBalancers").in_region("eu-west-1"))
        .start()
        .unwrap();
    let collected = common::collect_current(
        &proxy.sdk_config().await,
        &["elasticloadbalancingv2", "elasticloadbalancing"],
        &REGIONS,
    )
    .await;

    let balancers = collected.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer");
    let shop = balancers.iter().find(|b| b.resource_id == seeded.shop).unwrap();
    let reason = shop.supplementary_configuration["mamoriCollectionErrors"]["Listeners"].as_str().unwrap();
    assert!(reason.starts_with("AccessDenied: DescribeListeners"), "{reason}");
    assert!(shop.supplementary_configuration.get("Listeners").is_none());
    assert!(shop.supplementary_configuration["LoadBalancerAttributes"].is_array(), "its attributes are still read");

    let mut failures: Vec<(String, String)> = collected
        .of_type("Mamori::Collection::Error")
        .iter()
        .map(|e| (e.aws_region.clone(), e.configuration["resourceType"].as_str().unwrap().to_owned()))
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        [
            ("eu-west-1".to_owned(), "AWS::ElasticLoadBalancing::LoadBalancer".to_owned()),
            ("eu-west-1".to_owned(), "AWS::ElasticLoadBalancingV2::LoadBalancer".to_owned()),
        ]
    );

    assert_eq!(
        statuses(collected.findings("alb-http-to-https-redirection-check")),
        expect(&[
            ("collection:AWS::ElasticLoadBalancingV2::LoadBalancer", Status::Error),
            (&seeded.secure, Status::Pass),
            (&seeded.shop, Status::Error),
            (&seeded.bare, Status::Pass),
        ])
    );
    assert_eq!(
        statuses(collected.findings("elb-logging-enabled")),
        expect(&[
            ("collection:AWS::ElasticLoadBalancing::LoadBalancer", Status::Error),
            ("collection:AWS::ElasticLoadBalancingV2::LoadBalancer", Status::Error),
            (&seeded.secure, Status::Pass),
            (&seeded.shop, Status::Fail),
            (&seeded.bare, Status::Fail),
            ("legacy-on", Status::Error),
            ("legacy-off", Status::Fail),
        ])
    );
    // Each denied call was made once, never retried: one ALB's listeners, one classic load
    // balancer's attributes, and both load balancer lists of eu-west-1.
    assert_eq!(proxy.stats().rule_hits, vec![1, 1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancers_need_only_their_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let collectors = ["elasticloadbalancingv2", "elasticloadbalancing"];
    let config = common::least_privilege(&server, &config, &collectors).await;
    let collected = common::collect_current(&config, &collectors, &REGIONS).await;
    let errors = collected.of_type("Mamori::Collection::Error");
    assert!(errors.is_empty(), "{errors:?}");
    let attribute_errors = collected.attribute_errors();
    assert!(attribute_errors.is_empty(), "{attribute_errors:?}");
    assert_eq!(collected.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer").len(), 4);
    assert_eq!(collected.of_type("AWS::ElasticLoadBalancing::LoadBalancer").len(), 2);
}
