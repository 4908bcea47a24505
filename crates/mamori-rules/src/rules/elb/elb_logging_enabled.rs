//! `elb-logging-enabled`: Application and Classic Load Balancers write access logs to S3.
//!
//! As the AWS Config managed rule: an ALB is NON_COMPLIANT when its load balancer attribute
//! `access_logs.s3.enabled` is not `true` (supplementary `LoadBalancerAttributes`, a list of
//! `{key, value}`), a Classic Load Balancer when `LoadBalancerAttributes.accessLog.enabled` is
//! not true; with `s3BucketNames` set, logs must also go to one of those buckets. Network and
//! gateway load balancers get no finding. Absent attributes are ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use super::shared::{field, field_str, load_balancer_name, CLASSIC_TYPE, LOAD_BALANCER_TYPE};
use crate::support::item::{as_bool, as_list, supplementary};
use crate::{Cx, ParamKind, ParamSpec, Rule, RuleMeta, Stride};

pub struct ElbLoggingEnabled;

static META: RuleMeta = RuleMeta {
    id: "elb-logging-enabled",
    service: "elb",
    title: "Application and Classic Load Balancers have access logging enabled",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE, CLASSIC_TYPE],
    params: &[ParamSpec {
        name: "s3BucketNames",
        kind: ParamKind::List,
        default: "",
        description: "Comma-separated S3 bucket names the access logs must be delivered to; empty accepts any bucket.",
    }],
    rationale: "Access logs record every request a load balancer received (client IP, path, status, TLS cipher); without them, attacks against the application behind it cannot be investigated.",
    remediation: "ALB: `aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=BUCKET`; Classic: `aws elb modify-load-balancer-attributes --load-balancer-name NAME --load-balancer-attributes '{\"AccessLog\":{\"Enabled\":true,\"S3BucketName\":\"BUCKET\"}}'`.",
    stride: Stride::Repudiation,
    cis: &[],
    fsbp: &["ELB.5"],
    notes: "",
};

/// Where a load balancer's access logging stands, from its attributes.
struct AccessLog<'a> {
    enabled: bool,
    bucket: Option<&'a str>,
}

/// ELBv2 attributes: a list of `{key, value}` (also accepted: an object of key to value).
fn v2_access_log(attributes: &Value) -> Result<AccessLog<'_>, String> {
    let attribute = |wanted: &str| -> Option<&Value> {
        match attributes {
            Value::Object(_) => field(attributes, wanted),
            _ => as_list(Some(attributes))
                .into_iter()
                .find(|entry| field_str(entry, "key") == Some(wanted))
                .and_then(|entry| field(entry, "value")),
        }
    };
    let enabled =
        attribute("access_logs.s3.enabled").ok_or("its attributes do not include `access_logs.s3.enabled`")?;
    let enabled = as_bool(enabled).ok_or_else(|| format!("`access_logs.s3.enabled` is unreadable: `{enabled}`"))?;
    let bucket = attribute("access_logs.s3.bucket").and_then(Value::as_str).filter(|bucket| !bucket.is_empty());
    Ok(AccessLog { enabled, bucket })
}

/// Classic attributes: `{"accessLog": {"enabled", "s3BucketName", ...}, ...}`.
fn classic_access_log(attributes: &Value) -> Result<AccessLog<'_>, String> {
    let log = field(attributes, "accessLog").ok_or("its attributes do not include `accessLog`")?;
    if log.is_null() {
        return Ok(AccessLog { enabled: false, bucket: None });
    }
    let enabled = field(log, "enabled").and_then(as_bool).ok_or("`accessLog.enabled` is absent or unreadable")?;
    let bucket = field_str(log, "s3BucketName").filter(|bucket| !bucket.is_empty());
    Ok(AccessLog { enabled, bucket })
}

impl Rule for ElbLoggingEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = load_balancer_name(item);
        let classic = item.resource_type == CLASSIC_TYPE;
        let kind = if classic { "Classic Load Balancer" } else { "ALB" };
        if !classic {
            match field_str(&item.configuration, "type") {
                Some(kind) if kind.eq_ignore_ascii_case("application") => {}
                Some(_) => return,
                None => {
                    return cx.error(item, format!("load balancer {name} has no `configuration.type` in the inventory"))
                }
            }
        }
        let attributes = match supplementary(item, "LoadBalancerAttributes") {
            Ok(Some(attributes)) => attributes,
            Ok(None) => return cx.error(item, format!("{kind} {name} has no LoadBalancerAttributes in the inventory")),
            Err(reason) => return cx.error(item, reason),
        };
        let log = match if classic { classic_access_log(attributes) } else { v2_access_log(attributes) } {
            Ok(log) => log,
            Err(reason) => return cx.error(item, format!("{kind} {name}: {reason}")),
        };
        if !log.enabled {
            return cx.fail(item, format!("{kind} {name} has access logging disabled"));
        }
        let bucket = log.bucket.unwrap_or("an unnamed bucket");
        let allowed = cx.params().list("s3BucketNames");
        if !allowed.is_empty() && !allowed.iter().any(|wanted| Some(wanted.as_str()) == log.bucket) {
            return cx.fail(
                item,
                format!("{kind} {name} logs to {bucket}, which is not one of s3BucketNames ({})", allowed.join(", ")),
            );
        }
        cx.pass(item, [kind, " ", name, " writes access logs to ", bucket].concat())
    }
}
