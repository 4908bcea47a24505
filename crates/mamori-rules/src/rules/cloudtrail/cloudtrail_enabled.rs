//! `cloudtrail-enabled`: in every account and region, a trail is logging that region's events.
//!
//! As the AWS Config managed rule (CLOUD_TRAIL_ENABLED), judged per `AWS::::Account` record
//! (one finding per account and region): COMPLIANT when a trail that is logging covers the
//! region, being a trail of that home region or a multi-region trail of the account, or an
//! organization trail of the account's management account. The parameters `s3BucketName`,
//! `snsTopicArn` and `cloudWatchLogsLogGroupArn` narrow which trails count, as in AWS.

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};

use super::trail::{because, gather, note_records_and_trails, Check, Decision, Gathered, Judged, TRAIL_TYPE};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride};

pub struct CloudtrailEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloudtrail-enabled",
    service: "cloudtrail",
    title: "Every account and region is covered by a CloudTrail trail that is logging",
    severity: Severity::High,
    resource_types: &[ACCOUNT_TYPE, TRAIL_TYPE],
    params: &[
        ParamSpec {
            name: "s3BucketName",
            kind: ParamKind::Text,
            default: "",
            description: "Only trails delivering to this S3 bucket count.",
        },
        ParamSpec {
            name: "snsTopicArn",
            kind: ParamKind::Text,
            default: "",
            description: "Only trails notifying this SNS topic count.",
        },
        ParamSpec {
            name: "cloudWatchLogsLogGroupArn",
            kind: ParamKind::Text,
            default: "",
            description: "Only trails sending to this CloudWatch Logs log group count (a trailing `:*` is ignored).",
        },
    ],
    rationale: "CloudTrail is the record of who did what through the AWS API; a region no trail logs is a place where an intruder's actions leave no durable trace, and the 90-day event history cannot be kept or alerted on.",
    remediation: "Create a multi-region trail and start it: `aws cloudtrail create-trail --name management-events --s3-bucket-name BUCKET --is-multi-region-trail && aws cloudtrail start-logging --name management-events` (CloudTrail console > Trails > Create trail), or an organization trail from the management account.",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &[],
    notes: "Evaluated per account and region rather than once per region of the rule's account. Organization trails count for every member account whose home-region AWS::::Account record names the trail's account as its management account; notes are gathered over the whole inventory for that reason, so a collection failure on trails or account records turns the verdicts on the failing account into ERROR (the evaluator limits inventory-wide failures to their account).",
};

impl Rule for CloudtrailEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        note_records_and_trails(item, cx, Judged::Regions);
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let Gathered { records, trails, masters } = gather(&mut notes);
        let params = cx.params();
        let (bucket, topic, group) = (
            params.text("s3BucketName").map(str::to_owned),
            params.text("snsTopicArn").map(str::to_owned),
            params.text("cloudWatchLogsLogGroupArn").map(str::to_owned),
        );
        for record in records {
            let (account, region) = (&record.subject.account_id, &record.subject.region);
            let Some(master) = masters.get(&**account) else { continue };
            let candidates = trails.iter().filter_map(|trail| {
                let reach = trail.account_check(account, master)?;
                Some((
                    trail,
                    Check::all([
                        reach,
                        trail.region_check(region),
                        trail.logging_check(),
                        trail.destination_check(bucket.as_deref(), topic.as_deref(), group.as_deref()),
                    ]),
                ))
            });
            let (status, message) = match Decision::of(candidates) {
                Decision::Pass(trail) => {
                    (Status::Pass, format!("account {account} region {region} is covered by {trail}, which is logging"))
                }
                Decision::Fail(reasons) => (
                    Status::Fail,
                    format!(
                        "account {account} has no CloudTrail trail logging events of {region}{}",
                        because(&reasons)
                    ),
                ),
                Decision::Error(reasons) => (
                    Status::Error,
                    format!(
                        "account {account} region {region}: cannot tell whether a trail logs its events: {}",
                        reasons.join("; ")
                    ),
                ),
            };
            cx.verdict(record.subject, status, message);
        }
    }
}
