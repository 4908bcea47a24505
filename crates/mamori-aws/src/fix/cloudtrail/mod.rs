//! Fixers of CloudTrail rules.
//!
//! A trail's changes go to its home region (CloudTrail refuses them elsewhere), which is the
//! region of its ARN, so the clients here are built for the trail's region rather than the
//! finding's.

pub mod cloud_trail_log_file_validation_enabled;
pub mod cloudtrail_enabled;
pub mod multi_region_cloudtrail_enabled;

use aws_sdk_cloudtrail::Client;
use serde_json::{json, Value};

use super::FixCx;
use crate::collect::ApiError;

/// A CloudTrail client in `region` (the fix's region when `None`), its retries counted.
pub(crate) fn client(cx: &FixCx, region: Option<&str>) -> Client {
    let mut config = aws_sdk_cloudtrail::config::Builder::from(cx.sdk()).interceptor(cx.attempt_counter());
    if let Some(region) = region {
        config = config.region(aws_config::Region::new(region.to_owned()));
    }
    Client::from_conf(config.build())
}

/// The region of a trail ARN (`arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`); `None` for a name.
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then_some(())?;
    parts.nth(2).filter(|region| !region.is_empty())
}

/// The account's own trails visible in the fix's region (its trails homed here, and its
/// multi-region trails homed elsewhere), each with whether it is logging, sorted by ARN.
pub(crate) async fn own_trails(cx: &FixCx) -> Result<Vec<Value>, ApiError> {
    let cloudtrail = client(cx, None);
    let listed = cx.call("cloudtrail", cloudtrail.describe_trails().include_shadow_trails(true).send()).await?;
    let mut trails = Vec::new();
    for trail in listed.trail_list() {
        let Some(arn) = trail.trail_arn() else { continue };
        if arn.split(':').nth(4) != Some(cx.account_id()) {
            // Another account's organization trail: not this account's to change.
            continue;
        }
        let status = cx.call("cloudtrail", client(cx, arn_region(arn)).get_trail_status().name(arn).send()).await?;
        trails.push(json!({
            "Name": trail.name(),
            "TrailARN": arn,
            "HomeRegion": trail.home_region(),
            "IsMultiRegionTrail": trail.is_multi_region_trail().unwrap_or(false),
            "S3BucketName": trail.s3_bucket_name(),
            "IsLogging": status.is_logging().unwrap_or(false),
        }));
    }
    trails.sort_by_key(|trail| trail["TrailARN"].to_string());
    Ok(trails)
}

/// StartLogging / StopLogging of the trail `Name` (an ARN), in its home region.
pub(crate) async fn set_logging(cx: &FixCx, name: &str, on: bool) -> Result<(), ApiError> {
    let cloudtrail = client(cx, arn_region(name));
    if on {
        cx.call("cloudtrail", cloudtrail.start_logging().name(name).send()).await.map(|_| ())
    } else {
        cx.call("cloudtrail", cloudtrail.stop_logging().name(name).send()).await.map(|_| ())
    }
}
