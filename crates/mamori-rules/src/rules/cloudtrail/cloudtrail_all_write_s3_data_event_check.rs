//! `cloudtrail-all-write-s3-data-event-check`: every account has a multi-region trail logging
//! S3 object-level write events for all buckets.
//!
//! As the AWS Config managed rule (CLOUDTRAIL_ALL_WRITE_S3_DATA_EVENT_CHECK), one finding per
//! account on its home-region `AWS::::Account` record: COMPLIANT when a logging multi-region
//! trail of the account (or an organization trail of its management account) records S3 data
//! events of type `WriteOnly` or `All` for all buckets (basic `dataResources` `arn:aws:s3`, or
//! an advanced selector on `AWS::S3::Object` without a bucket filter, with `readOnly` absent or
//! `false`). [`conclude_all_buckets`] is shared with the read-events rule.

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};

use super::cloudtrail_s3_dataevents_enabled::describe;
use super::trail::{
    because, gather, note_records_and_trails, Access, Check, Decision, Gathered, Judged, Trail, TRAIL_TYPE,
};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride};

pub struct CloudtrailAllWriteS3DataEventCheck;

static META: RuleMeta = RuleMeta {
    id: "cloudtrail-all-write-s3-data-event-check",
    service: "cloudtrail",
    title: "Every account has a multi-region trail logging S3 object-level write events for all buckets",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE, TRAIL_TYPE],
    params: &[],
    rationale: "Object writes and deletions are what ransomware and data tampering look like in S3; without write data events nobody can tell which objects were changed, when, or by whom.",
    remediation: "Add a write data-event selector for all buckets to a multi-region trail: `aws cloudtrail put-event-selectors --trail-name NAME --advanced-event-selectors '[{\"Name\":\"S3 writes\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},{\"Field\":\"readOnly\",\"Equals\":[\"false\"]}]}]'`.",
    stride: Stride::Repudiation,
    cis: &["3.8"],
    fsbp: &[],
    notes: "A bucket-by-bucket selector does not count: the control asks for all buckets. Organization trails count for member accounts (notes are gathered over the whole inventory; a collection failure on trails or account records turns the affected account's verdict into ERROR). A trail that keeps AWS's default selector records no data events.",
};

/// The verdict of the all-buckets read or write rule for every account.
pub(super) fn conclude_all_buckets(access: Access, mut notes: Notes, cx: &mut Cx<'_>) {
    let kind = if access == Access::Read { "read" } else { "write" };
    let Gathered { records, trails, masters } = gather(&mut notes);
    let data_check = |trail: &Trail| {
        let data = if access == Access::Read { &trail.s3_read } else { &trail.s3_write };
        match data {
            Ok(data) if data.all_buckets() => Check::Yes,
            Ok(data) => Check::No(format!("{} records {} {kind} events", trail.label(), describe(data))),
            Err(reason) => Check::Unknown(reason.clone()),
        }
    };
    for record in records {
        let account = &record.subject.account_id;
        let Some(master) = masters.get(&**account) else { continue };
        let decision = Decision::of(trails.iter().filter_map(|trail| {
            let reach = trail.account_check(account, master)?;
            Some((trail, Check::all([reach, trail.logging_check(), trail.multi_region_check(), data_check(trail)])))
        }));
        let (status, message) = match decision {
            Decision::Pass(trail) => (
                Status::Pass,
                format!("account {account}: {trail} logs S3 object-level {kind} events for all buckets in every region"),
            ),
            Decision::Fail(reasons) => (
                Status::Fail,
                format!(
                    "account {account} has no logging multi-region trail recording S3 object-level {kind} events for all buckets{}",
                    because(&reasons)
                ),
            ),
            Decision::Error(reasons) => (
                Status::Error,
                format!("account {account}: cannot tell whether S3 {kind} data events are logged: {}", reasons.join("; ")),
            ),
        };
        cx.verdict(record.subject, status, message);
    }
}

impl Rule for CloudtrailAllWriteS3DataEventCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        note_records_and_trails(item, cx, Judged::Accounts);
    }

    fn conclude(&self, _scope: &Scope, notes: Notes, cx: &mut Cx<'_>) {
        conclude_all_buckets(Access::Write, notes, cx);
    }
}
