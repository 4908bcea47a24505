//! `iam-server-certificate-expiration-check`: no SSL/TLS server certificate stored in IAM has
//! expired.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when the certificate's `expiration` is before
//! the item's capture time (not the wall clock, so a stored inventory keeps its verdicts). A
//! certificate without a readable `expiration` is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::{capture_time, epoch_seconds, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamServerCertificateExpirationCheck;

static META: RuleMeta = RuleMeta {
    id: "iam-server-certificate-expiration-check",
    service: "iam",
    title: "No expired SSL/TLS server certificate is stored in IAM",
    severity: Severity::Medium,
    resource_types: &["AWS::IAM::ServerCertificate"],
    params: &[],
    rationale: "An expired certificate left in IAM can be deployed by mistake to a load balancer or CloudFront, breaking TLS for clients or training them to click through certificate warnings.",
    remediation: "`aws iam delete-server-certificate --server-certificate-name NAME` once nothing uses it (prefer ACM, which renews certificates itself).",
    stride: Stride::Spoofing,
    cis: &["1.19"],
    fsbp: &["IAM.26"],
    notes: "AWS Config does not record IAM server certificates; mamori's collector writes them from ListServerCertificates with the name as resource id. A certificate expiring at the capture instant passes.",
};

impl Rule for IamServerCertificateExpirationCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = item.config("serverCertificateName").and_then(Value::as_str).unwrap_or(&item.resource_id);
        let expiration = match required(item, "expiration") {
            Ok(Value::String(expiration)) => expiration.as_str(),
            Ok(other) => {
                return cx.error(item, format!("server certificate {name} has an unreadable expiration `{other}`"))
            }
            Err(reason) => return cx.error(item, reason),
        };
        let now = match capture_time(item) {
            Ok(now) => now,
            Err(reason) => return cx.error(item, reason),
        };
        match (epoch_seconds(expiration), epoch_seconds(now)) {
            (Some(expires), Some(now)) if expires < now => {
                cx.fail(item, format!("server certificate {name} expired on {expiration}"))
            }
            (Some(_), Some(_)) => cx.pass(item, format!("server certificate {name} expires on {expiration}")),
            _ => cx.error(item, format!("server certificate {name} has an unreadable expiration `{expiration}`")),
        }
    }
}
