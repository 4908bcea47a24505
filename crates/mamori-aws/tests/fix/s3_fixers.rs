//! S3 fixers: bucket-level and account-level public access blocks, default encryption.

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use serde_json::json;

use crate::common::{self, Emulator, ACCOUNT};
use crate::lifecycle::Case;

fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(config).region(Region::new("us-east-1")).force_path_style(true).build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Sends the test's own S3 Control calls straight to the emulator (the fixer's way round the
/// account host prefix is what is under test, not the seeding).
#[derive(Debug)]
struct Fixed(String);

impl ResolveEndpoint for Fixed {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// A bucket with a partial block (only BlockPublicAcls) and one without any block: each is
/// fixed to all four settings, and each rollback restores exactly what it had.
#[tokio::test]
async fn bucket_level_block_is_turned_on_and_restored() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let s3 = s3(&config);
    for bucket in ["no-block", "partial-block"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let partial = PublicAccessBlockConfiguration::builder().block_public_acls(true).build();
    s3.put_public_access_block()
        .bucket("partial-block")
        .public_access_block_configuration(partial)
        .send()
        .await
        .unwrap();

    let rule = "s3-bucket-level-public-access-prohibited";
    let section = common::section(&[rule]);
    for bucket in ["no-block", "partial-block"] {
        let case = Case {
            rule,
            resource: bucket,
            collectors: &["s3"],
            regions: &["us-east-1"],
            region: None,
            capture_time: None,
            credentials: None,
        };
        let action = case.run(&emulator, &section).await;
        assert_eq!(action.calls[0].action(), "s3:PutPublicAccessBlock");
        assert_eq!(
            action.calls[0].parameters["PublicAccessBlockConfiguration"],
            json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
        );
    }
    // Each rollback left the bucket as it was.
    let read = s3.get_public_access_block().bucket("partial-block").send().await.unwrap();
    let block = read.public_access_block_configuration().unwrap();
    assert_eq!((block.block_public_acls(), block.ignore_public_acls()), (Some(true), Some(false)));
    let err = s3.get_public_access_block().bucket("no-block").send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NoSuchPublicAccessBlockConfiguration"), "{err:?}");
}

/// The account block is set through S3 Control (whose account host prefix the fixer undoes on
/// the emulator's address): only the settings the rule requires are turned on.
#[tokio::test]
async fn account_level_block_is_turned_on_and_removed_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let rule = "s3-account-level-public-access-blocks-periodic";
    let case = Case {
        rule,
        resource: ACCOUNT,
        collectors: &["s3"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.state_before, json!({"PublicAccessBlockConfiguration": null}));
    assert_eq!(action.calls[0].parameters["AccountId"], ACCOUNT);
    // Rolled back: no account block at all, as before.
    let control = aws_sdk_s3control::Client::from_conf(
        aws_sdk_s3control::config::Builder::from(&config)
            .endpoint_resolver(Fixed(emulator.server.endpoint_url()))
            .build(),
    );
    let err = control.get_public_access_block().account_id(ACCOUNT).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NoSuchPublicAccessBlockConfiguration"), "{err:?}");
}

#[tokio::test]
async fn default_encryption_is_set_and_removed_again() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    s3(&config).create_bucket().bucket("plain").send().await.unwrap();
    let rule = "s3-bucket-server-side-encryption-enabled";
    let case = Case {
        rule,
        resource: "plain",
        collectors: &["s3"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "s3:PutBucketEncryption");
    assert_eq!(
        action.calls[0].parameters["ServerSideEncryptionConfiguration"]["Rules"][0]
            ["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
}
