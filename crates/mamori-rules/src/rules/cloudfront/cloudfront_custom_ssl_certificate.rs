//! `cloudfront-custom-ssl-certificate`: CloudFront distributions serve their own SSL/TLS
//! certificate.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `viewerCertificate` uses the default
//! CloudFront certificate (`cloudFrontDefaultCertificate` true, or no ACM or IAM certificate).
//! A distribution whose viewer certificate is absent from the inventory is ERROR.

use mamori_model::{ConfigItem, Severity};

use super::shared::{custom_certificate, distribution_config, distribution_name, DISTRIBUTION_TYPE};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct CloudfrontCustomSslCertificate;

static META: RuleMeta = RuleMeta {
    id: "cloudfront-custom-ssl-certificate",
    service: "cloudfront",
    title: "CloudFront distributions use a custom SSL/TLS certificate",
    severity: Severity::Medium,
    resource_types: &[DISTRIBUTION_TYPE],
    params: &[],
    rationale: "With the default *.cloudfront.net certificate, users reach the content under CloudFront's domain rather than yours, and cannot tell a look-alike distribution from the real one; a custom certificate ties the content to your domain.",
    remediation: "Request or import a certificate in ACM (us-east-1), set `ViewerCertificate` to use it (`ACMCertificateArn`, `SSLSupportMethod` sni-only, `MinimumProtocolVersion` TLSv1.2_2021) and `aws cloudfront update-distribution`.",
    stride: Stride::Spoofing,
    cis: &[],
    fsbp: &["CloudFront.7"],
    notes: "",
};

impl Rule for CloudfrontCustomSslCertificate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let name = distribution_name(item);
        let config = match distribution_config(item) {
            Ok(config) => config,
            Err(reason) => return cx.error(item, reason),
        };
        let Some(certificate) = config.get("viewerCertificate").filter(|c| c.is_object()) else {
            return cx.error(item, format!("distribution {name} has no viewerCertificate in the inventory"));
        };
        match custom_certificate(certificate) {
            Some(arn) => cx.pass(item, format!("distribution {name} serves certificate {arn}")),
            None => cx.fail(item, format!("distribution {name} serves the default CloudFront certificate")),
        }
    }
}
