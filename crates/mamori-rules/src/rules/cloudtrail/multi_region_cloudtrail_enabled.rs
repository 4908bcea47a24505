//! `multi-region-cloudtrail-enabled`: each account has a logging multi-region trail recording
//! read and write management events.
//!
//! As the AWS Config managed rule (MULTI_REGION_CLOUD_TRAIL_ENABLED), one finding per account
//! on its home-region `AWS::::Account` record: COMPLIANT when a multi-region trail of the
//! account, or an organization trail of its management account, is logging, matches the
//! destination parameters, records the management events asked for, and excludes no management
//! event source. mamori's defaults are Security Hub's fixed values for CloudTrail.1
//! (`includeManagementEvents` true, `readWriteType` ALL); AWS Config leaves them unset.

use mamori_model::{ConfigItem, Severity, Status, ACCOUNT_TYPE};

use super::trail::{
    because, gather, note_records_and_trails, Check, Decision, Gathered, Judged, Management, Trail, TRAIL_TYPE,
};
use crate::{Cx, Notes, ParamKind, ParamSpec, Rule, RuleMeta, Scope, Stride};

pub struct MultiRegionCloudtrailEnabled;

static META: RuleMeta = RuleMeta {
    id: "multi-region-cloudtrail-enabled",
    service: "cloudtrail",
    title: "Every account has a logging multi-region CloudTrail trail recording read and write management events",
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
        ParamSpec {
            name: "includeManagementEvents",
            kind: ParamKind::Boolean,
            default: "true",
            description: "When true, the trail must record management events; empty or false does not ask.",
        },
        ParamSpec {
            name: "readWriteType",
            kind: ParamKind::Text,
            default: "ALL",
            description: "Management events the trail must record: ReadOnly, WriteOnly or ALL; empty does not ask.",
        },
    ],
    rationale: "A multi-region trail records API activity in every region, including regions nobody watches and regions enabled later, which is where attackers start resources they hope will go unnoticed; read events show reconnaissance, write events show change.",
    remediation: "Make a trail multi-region and record all management events: `aws cloudtrail update-trail --name NAME --is-multi-region-trail && aws cloudtrail put-event-selectors --trail-name NAME --event-selectors ReadWriteType=All,IncludeManagementEvents=true && aws cloudtrail start-logging --name NAME`.",
    stride: Stride::Repudiation,
    cis: &["3.1"],
    fsbp: &["CloudTrail.1"],
    notes: "Defaults are Security Hub CloudTrail.1's (includeManagementEvents true, readWriteType ALL) where AWS Config leaves them unset; set them to \"\" for AWS's behaviour. A trail recording ALL satisfies ReadOnly or WriteOnly, and several selectors add up (ReadOnly plus WriteOnly is ALL). Advanced selectors count: a management selector with conditions other than readOnly excludes events. A trail whose hasCustomEventSelectors is false keeps AWS's default selector (all management events, read and write) whatever GetEventSelectors answered, so AWS Config's trail items, which carry only that flag, are judged too. Organization trails count for member accounts, so notes are gathered over the whole inventory and a collection failure on trails or account records turns the verdicts on the failing account into ERROR (the evaluator limits inventory-wide failures to their account).",
};

/// What the parameters ask of a trail's management events: (read, write).
fn wanted(include: Option<bool>, read_write: Option<&str>) -> Result<Option<(bool, bool)>, String> {
    Ok(match read_write.map(str::to_ascii_lowercase).as_deref() {
        Some("all") => Some((true, true)),
        Some("readonly") => Some((true, false)),
        Some("writeonly") => Some((false, true)),
        Some(other) => return Err(format!("parameter readWriteType `{other}` is not ReadOnly, WriteOnly or ALL")),
        None if include == Some(true) => Some((false, false)),
        None => None,
    })
}

fn recorded(management: &Management) -> &'static str {
    match (management.read, management.write) {
        (true, true) => "read and write",
        (true, false) => "only read",
        (false, true) => "only write",
        (false, false) => "no",
    }
}

fn management_check(trail: &Trail, wanted: &Result<Option<(bool, bool)>, String>) -> Check {
    let management = match (&trail.management, wanted) {
        (_, Err(reason)) | (Err(reason), _) => return Check::Unknown(reason.clone()),
        (Ok(management), _) => management,
    };
    if !management.excluded.is_empty() {
        return Check::No(format!("{} excludes management events ({})", trail.label(), management.excluded.join(", ")));
    }
    match wanted {
        Ok(Some((read, write))) => {
            let any = management.read || management.write;
            if (*read && !management.read) || (*write && !management.write) || !any {
                Check::No(format!("{} records {} management events", trail.label(), recorded(management)))
            } else {
                Check::Yes
            }
        }
        _ => Check::Yes,
    }
}

impl Rule for MultiRegionCloudtrailEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        note_records_and_trails(item, cx, Judged::Accounts);
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let Gathered { records, trails, masters } = gather(&mut notes);
        let params = cx.params();
        let (bucket, topic, group) = (
            params.text("s3BucketName").map(str::to_owned),
            params.text("snsTopicArn").map(str::to_owned),
            params.text("cloudWatchLogsLogGroupArn").map(str::to_owned),
        );
        let wanted = wanted(params.bool("includeManagementEvents"), params.text("readWriteType"));
        let asked = match &wanted {
            Ok(Some((true, true))) => " recording read and write management events",
            Ok(Some((true, false))) => " recording read management events",
            Ok(Some((false, true))) => " recording write management events",
            Ok(Some((false, false))) => " recording management events",
            _ => "",
        };
        for record in records {
            let account = &record.subject.account_id;
            let Some(master) = masters.get(&**account) else { continue };
            let candidates = trails.iter().filter_map(|trail| {
                let reach = trail.account_check(account, master)?;
                Some((
                    trail,
                    Check::all([
                        reach,
                        trail.multi_region_check(),
                        trail.logging_check(),
                        trail.destination_check(bucket.as_deref(), topic.as_deref(), group.as_deref()),
                        management_check(trail, &wanted),
                    ]),
                ))
            });
            let (status, message) = match Decision::of(candidates) {
                Decision::Pass(trail) => {
                    (Status::Pass, format!("account {account} has multi-region {trail} logging{asked}"))
                }
                Decision::Fail(reasons) => (
                    Status::Fail,
                    format!(
                        "account {account} has no logging multi-region CloudTrail trail{asked}{}",
                        because(&reasons)
                    ),
                ),
                Decision::Error(reasons) => (
                    Status::Error,
                    format!(
                        "account {account}: cannot tell whether a multi-region trail is logging{asked}: {}",
                        reasons.join("; ")
                    ),
                ),
            };
            cx.verdict(record.subject, status, message);
        }
    }
}
