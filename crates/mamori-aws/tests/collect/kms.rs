//! KMS collector against moto: keys with and without rotation, read back and judged by
//! `cmk-backing-key-rotation-enabled`.

use crate::common;

use mamori_model::Status;
use mamori_testkit::MotoServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_rotation_reach_the_rule() {
    let Some(server) = MotoServer::start() else { return };
    let config = server.sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&config);
    let rotated = kms.create_key().description("rotated").send().await.unwrap().key_metadata.unwrap();
    kms.enable_key_rotation().key_id(rotated.key_id()).send().await.unwrap();
    let unrotated = kms.create_key().description("not rotated").send().await.unwrap().key_metadata.unwrap();

    let collected = common::collect_current(&config, &["kms"], &["us-east-1", "eu-west-1"]).await;
    let keys = collected.of_type("AWS::KMS::Key");
    assert_eq!(keys.len(), 2, "keys: {keys:?}");
    assert!(keys.iter().all(|k| k.aws_region == "us-east-1"));
    let findings = collected.findings("cmk-backing-key-rotation-enabled");
    let mut expected = vec![(rotated.key_id().to_owned(), Status::Pass), (unrotated.key_id().to_owned(), Status::Fail)];
    expected.sort();
    let got: Vec<_> = findings.iter().map(|(id, status, _)| (id.clone(), *status)).collect();
    assert_eq!(got, expected, "{findings:?}");
    let kms_stats = collected.summary.services["kms"];
    assert!(kms_stats.calls >= 4 && kms_stats.errors == 0, "{kms_stats:?}");
    assert!(kms_stats.attempts >= kms_stats.calls, "attempts are counted under the same service name: {kms_stats:?}");
}
