//! `cloudtrail-all-read-s3-data-event-check`: every account has a multi-region trail logging
//! S3 object-level read events for all buckets.
//!
//! As the AWS Config managed rule (CLOUDTRAIL_ALL_READ_S3_DATA_EVENT_CHECK): the read
//! counterpart of `cloudtrail-all-write-s3-data-event-check` (selectors of type `ReadOnly` or
//! `All`, or advanced selectors with `readOnly` absent or `true`), with the same shape and
//! verdicts.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};

use super::cloudtrail_all_write_s3_data_event_check::conclude_all_buckets;
use super::trail::{note_records_and_trails, Access, Judged, TRAIL_TYPE};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride};

pub struct CloudtrailAllReadS3DataEventCheck;

static META: RuleMeta = RuleMeta {
    id: "cloudtrail-all-read-s3-data-event-check",
    service: "cloudtrail",
    title: "Every account has a multi-region trail logging S3 object-level read events for all buckets",
    severity: Severity::Medium,
    resource_types: &[ACCOUNT_TYPE, TRAIL_TYPE],
    params: &[],
    rationale: "Data theft from S3 is a series of GetObject calls; without read data events the scope of an exfiltration (which objects, by whom, from where) cannot be established.",
    remediation: "Add a read data-event selector for all buckets to a multi-region trail: `aws cloudtrail put-event-selectors --trail-name NAME --advanced-event-selectors '[{\"Name\":\"S3 reads\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},{\"Field\":\"readOnly\",\"Equals\":[\"true\"]}]}]'`.",
    stride: Stride::Repudiation,
    cis: &["3.9"],
    fsbp: &[],
    notes: "As cloudtrail-all-write-s3-data-event-check: bucket-by-bucket selectors do not count, organization trails count for members, the default selector records no data events.",
};

impl Rule for CloudtrailAllReadS3DataEventCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        note_records_and_trails(item, cx, Judged::Accounts);
    }

    fn conclude(&self, _scope: &Scope, notes: Notes, cx: &mut Cx<'_>) {
        conclude_all_buckets(Access::Read, notes, cx);
    }
}
