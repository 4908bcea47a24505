//! `cloud-trail-log-file-validation-enabled`: every trail writes signed digest files.
//!
//! As the AWS Config managed rule (CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED): a trail is
//! NON_COMPLIANT unless `logFileValidationEnabled` is true. Each trail is judged once, on the
//! copy read in its home region and owner account; shadow copies of multi-region and
//! organization trails are skipped.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::trail::{is_shadow_copy, trail_name, TRAIL_TYPE};
use crate::support::item::{as_bool, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudTrailLogFileValidationEnabled;

static META: RuleMeta = RuleMeta {
    id: "cloud-trail-log-file-validation-enabled",
    service: "cloudtrail",
    title: "CloudTrail trails have log file validation enabled",
    severity: Severity::Low,
    resource_types: &[TRAIL_TYPE],
    params: &[],
    rationale: "Signed, chained digest files prove that delivered log files were not altered or deleted afterwards; without them, an intruder with access to the log bucket can rewrite history undetected.",
    remediation: "`aws cloudtrail update-trail --name NAME --enable-log-file-validation` (CloudTrail console > Trails > NAME > General details > Edit > Log file validation: Enabled); check with `aws cloudtrail validate-logs`.",
    stride: Stride::Tampering,
    cis: &["3.2"],
    fsbp: &["CloudTrail.4"],
    notes: "Shadow copies (a multi-region trail listed outside its home region, an organization trail listed in a member account) are not judged again.",
};

impl Rule for CloudTrailLogFileValidationEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if is_shadow_copy(item) {
            return;
        }
        let name = trail_name(item);
        match required(item, "logFileValidationEnabled").map(|value| (value, as_bool(value))) {
            Ok((_, Some(true))) => cx.pass(item, format!("trail {name} has log file validation enabled")),
            Ok((Value::Null, _) | (_, Some(false))) => {
                cx.fail(item, format!("trail {name} has log file validation disabled"))
            }
            Ok((_, None)) => cx.error(item, format!("trail {name} has an unreadable logFileValidationEnabled")),
            Err(reason) => cx.error(item, reason),
        }
    }
}
