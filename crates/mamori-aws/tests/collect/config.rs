//! Config collector against moto: a recorder of every type with global ones (us-east-1, the
//! home region), one of selected types (eu-west-1), one never started (ap-southeast-2) and
//! none at all (ap-northeast-1), read back into `configRecorders` and judged by
//! `mamori-config-recorder-enabled`; then the recorder status refused in one region through
//! the fault proxy.

use crate::common;

use aws_config::{Region, SdkConfig};
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup, ResourceType};
use mamori_model::{ConfigItem, Status};
use mamori_testkit::{FaultProxy, FaultRule, MotoServer};
use serde_json::json;

const ACCOUNT: &str = "123456789012";
const RULE: &str = "mamori-config-recorder-enabled";
const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2", "ap-northeast-1"];

fn config_in(config: &SdkConfig, region: &str) -> aws_sdk_config::Client {
    aws_sdk_config::Client::from_conf(
        aws_sdk_config::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    )
}

async fn put_recorder(config: &SdkConfig, region: &str, group: RecordingGroup, start: bool) {
    let client = config_in(config, region);
    let recorder = ConfigurationRecorder::builder()
        .name("default")
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"))
        .recording_group(group)
        .build();
    client.put_configuration_recorder().configuration_recorder(recorder).send().await.unwrap();
    if start {
        let channel = DeliveryChannel::builder().name("default").s3_bucket_name("config-history").build();
        client.put_delivery_channel().delivery_channel(channel).send().await.unwrap();
        client.start_configuration_recorder().configuration_recorder_name("default").send().await.unwrap();
    }
}

async fn seed(config: &SdkConfig) {
    let everything = RecordingGroup::builder().all_supported(true).include_global_resource_types(true).build();
    put_recorder(config, "us-east-1", everything.clone(), true).await;
    let selected = RecordingGroup::builder().all_supported(false).resource_types(ResourceType::Instance).build();
    put_recorder(config, "eu-west-1", selected, true).await;
    put_recorder(config, "ap-southeast-2", everything, false).await;
}

fn record<'a>(items: &'a [ConfigItem], region: &str) -> &'a ConfigItem {
    items
        .iter()
        .find(|i| i.resource_type == "AWS::::Account" && i.aws_region == region)
        .unwrap_or_else(|| panic!("no account record in {region}"))
}

/// The rule's findings as (region named in the message, status), in `REGIONS` order.
fn by_region(found: &[(String, Status, String)]) -> Vec<(&'static str, Status)> {
    REGIONS
        .iter()
        .map(|region| {
            let matching: Vec<_> = found.iter().filter(|(_, _, message)| message.contains(region)).collect();
            assert_eq!(matching.len(), 1, "one finding names {region}: {found:?}");
            assert_eq!(matching[0].0, ACCOUNT);
            (*region, matching[0].1)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorders_reach_the_rule() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;

    let collected = common::collect_current(&config, &["config"], REGIONS).await;
    assert!(collected.of_type("Mamori::Collection::Error").is_empty());
    let home = record(&collected.items, "us-east-1");
    let recorders = &home.configuration["configRecorders"];
    assert_eq!(recorders.as_array().map(Vec::len), Some(1), "{recorders}");
    let recorder = &recorders[0];
    assert_eq!(recorder["name"], json!("default"));
    // Delivery channels were put where the recorder was started, none where it never was.
    assert_eq!(home.configuration["configDeliveryChannels"][0]["s3BucketName"], json!("config-history"));
    assert_eq!(record(&collected.items, "ap-southeast-2").configuration["configDeliveryChannels"], json!([]));
    assert_eq!(
        recorder["roleARN"],
        json!(format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"))
    );
    assert_eq!(recorder["recordingGroup"]["allSupported"], json!(true));
    assert_eq!(recorder["recordingGroup"]["includeGlobalResourceTypes"], json!(true));
    assert_eq!(recorder["recordingGroup"]["resourceTypes"], json!([]));
    assert_eq!(recorder["recording"], json!(true));
    assert_eq!(recorder["lastStatus"], json!("PENDING"));
    let selected = &record(&collected.items, "eu-west-1").configuration["configRecorders"][0]["recordingGroup"];
    assert_eq!(selected["resourceTypes"], json!(["AWS::EC2::Instance"]));
    assert_eq!(
        record(&collected.items, "ap-southeast-2").configuration["configRecorders"][0]["recording"],
        json!(false)
    );
    assert_eq!(record(&collected.items, "ap-northeast-1").configuration["configRecorders"], json!([]));

    let found = collected.findings(RULE);
    assert_eq!(
        by_region(&found),
        vec![
            ("us-east-1", Status::Pass),
            ("eu-west-1", Status::Fail),
            ("ap-southeast-2", Status::Fail),
            ("ap-northeast-1", Status::Fail),
        ],
        "{found:?}"
    );
    let message = |region: &str| found.iter().find(|(_, _, m)| m.contains(region)).unwrap().2.clone();
    assert!(message("eu-west-1").contains("records only selected resource types"), "{found:?}");
    assert!(message("ap-southeast-2").contains("is not recording"), "{found:?}");
    assert!(message("ap-northeast-1").contains("no AWS Config configuration recorder"), "{found:?}");

    let stats = collected.summary.services["config"];
    assert!(stats.calls == 12 && stats.errors == 0, "three calls in each of four regions: {stats:?}");
    assert!(stats.attempts >= stats.calls, "attempts are counted under the same service name: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_status_is_an_error_for_that_region_only() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let proxy = FaultProxy::in_front_of(&server)
        .rule(FaultRule::operation("config", "DescribeConfigurationRecorderStatus").in_region("eu-west-1"))
        .start()
        .unwrap();
    let collected = common::collect_current(&proxy.sdk_config().await, &["config"], &REGIONS[..2]).await;

    let refused = record(&collected.items, "eu-west-1");
    assert!(refused.configuration.get("configRecorders").is_none(), "a recorder without its status is not written");
    let reason = refused.supplementary_configuration["mamoriCollectionErrors"]["configRecorders"].as_str().unwrap();
    assert!(reason.starts_with("AccessDeniedException: DescribeConfigurationRecorderStatus"), "{reason}");

    let found = collected.findings(RULE);
    let statuses: Vec<_> = found.iter().map(|(id, status, _)| (id.as_str(), *status)).collect();
    assert_eq!(statuses.len(), 2, "{found:?}");
    let home = found.iter().find(|(_, _, m)| m.contains("us-east-1")).unwrap();
    assert_eq!(home.1, Status::Pass, "{found:?}");
    let failed = found.iter().find(|(_, status, _)| *status == Status::Error).unwrap();
    assert!(failed.2.contains("AccessDeniedException"), "{found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_needs_only_its_listed_actions() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    seed(&config).await;
    let config = common::least_privilege(&server, &config, &["config"]).await;
    let collected = common::collect_current(&config, &["config"], REGIONS).await;
    assert!(collected.attribute_errors().is_empty(), "{:?}", collected.attribute_errors());
    for region in REGIONS {
        assert!(record(&collected.items, region).configuration["configRecorders"].is_array(), "{region}");
        assert!(record(&collected.items, region).configuration["configDeliveryChannels"].is_array(), "{region}");
    }
    assert_eq!(collected.summary.services["config"].errors, 0);
}
