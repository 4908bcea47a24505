//! `cloudtrail-s3-dataevents-enabled`: each account logs S3 object-level (data) events.
//!
//! As the AWS Config managed rule (CLOUDTRAIL_S3_DATAEVENTS_ENABLED), one finding per account
//! on its home-region `AWS::::Account` record: COMPLIANT when a logging trail of the account (or
//! an organization trail of its management account) records S3 data events for all buckets, or,
//! with `S3BucketNames`, for each named bucket (several trails may share the work). Basic
//! (`dataResources` of type `AWS::S3::Object`) and advanced event selectors both count.

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};

use super::trail::{
    because, gather, note_records_and_trails, Check, Decision, Gathered, Judged, S3Data, Trail, TRAIL_TYPE,
};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride};

pub struct CloudtrailS3DataeventsEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloudtrail-s3-dataevents-enabled",
    service: "cloudtrail",
    title: "Every account has a logging CloudTrail trail recording S3 data events for all buckets",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE, TRAIL_TYPE],
    params: &[ParamSpec {
        name: "S3BucketNames",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated bucket names whose data events must be logged; empty means all buckets.",
    }],
    rationale: "Management events do not show who read, wrote or deleted which object; without S3 data events, the scope of a data theft or a ransomware deletion cannot be established.",
    remediation: "Add an S3 data event selector to a logging trail: `aws cloudtrail put-event-selectors --trail-name NAME --advanced-event-selectors '[{\"Name\":\"S3 data events\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]}]}]'` (CloudTrail console > Trails > NAME > Data events > Edit).",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &[],
    notes: "Any read/write type counts, as in AWS; CIS 3.8 (write events) and 3.9 (read events) are cloudtrail-all-write-s3-data-event-check and cloudtrail-all-read-s3-data-event-check; a bucket counts only when selected whole (a key-prefix selector does not cover the bucket). The trail must be logging. A trail whose hasCustomEventSelectors is false keeps AWS's default selector, which records no data events. Organization trails count for member accounts, so notes are gathered over the whole inventory and a collection failure on trails or account records turns the verdicts on the failing account into ERROR (the evaluator limits inventory-wide failures to their account).",
};

pub(super) fn describe(data: &S3Data) -> String {
    let mut parts = Vec::new();
    if data.all {
        parts.push(if data.except.is_empty() {
            "all buckets".to_owned()
        } else {
            format!("all buckets except {}", data.except.join(", "))
        });
    }
    if !data.buckets.is_empty() {
        parts.push(format!("buckets {}", data.buckets.join(", ")));
    }
    if parts.is_empty() {
        "no S3 data events".to_owned()
    } else {
        format!("S3 data events of {}", parts.join(" and "))
    }
}

/// Whether the trail records data events of `bucket`, or of every bucket when `None`.
fn data_check(trail: &Trail, bucket: Option<&str>) -> Check {
    match &trail.s3_data {
        Ok(data) if bucket.map_or(data.all_buckets(), |bucket| data.covers(bucket)) => Check::Yes,
        Ok(data) => Check::No(format!("{} records {}", trail.label(), describe(data))),
        Err(reason) => Check::Unknown(reason.clone()),
    }
}

impl Rule for CloudtrailS3DataeventsEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        note_records_and_trails(item, cx, Judged::Accounts);
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let Gathered { records, trails, masters } = gather(&mut notes);
        let names: Vec<String> = cx.params().list("S3BucketNames").to_vec();
        for record in records {
            let account = &record.subject.account_id;
            let Some(master) = masters.get(&**account) else { continue };
            let decide = |bucket: Option<&str>| {
                Decision::of(trails.iter().filter_map(|trail| {
                    let reach = trail.account_check(account, master)?;
                    Some((trail, Check::all([reach, trail.logging_check(), data_check(trail, bucket)])))
                }))
            };
            let (status, message) = if names.is_empty() {
                match decide(None) {
                    Decision::Pass(trail) => {
                        (Status::Pass, format!("account {account}: {trail} logs S3 data events for all buckets"))
                    }
                    Decision::Fail(reasons) => (
                        Status::Fail,
                        format!(
                            "account {account} has no logging trail recording S3 data events for all buckets{}",
                            because(&reasons)
                        ),
                    ),
                    Decision::Error(reasons) => (
                        Status::Error,
                        format!(
                            "account {account}: cannot tell whether S3 data events are logged: {}",
                            reasons.join("; ")
                        ),
                    ),
                }
            } else {
                let (mut missing, mut unknown, mut found) = (Vec::new(), Vec::new(), Vec::new());
                for name in &names {
                    match decide(Some(name)) {
                        Decision::Pass(trail) => found.push(format!("{name} by {trail}")),
                        Decision::Fail(_) => missing.push(name.as_str()),
                        Decision::Error(reasons) => unknown.extend(reasons),
                    }
                }
                if !missing.is_empty() {
                    (
                        Status::Fail,
                        format!(
                            "account {account} has no logging trail recording S3 data events for bucket(s) {}",
                            missing.join(", ")
                        ),
                    )
                } else if !unknown.is_empty() {
                    (
                        Status::Error,
                        format!(
                            "account {account}: cannot tell whether S3 data events are logged: {}",
                            unknown.join("; ")
                        ),
                    )
                } else {
                    (Status::Pass, format!("account {account} logs S3 data events of {}", found.join(", ")))
                }
            };
            cx.verdict(record.subject, status, message);
        }
    }
}
