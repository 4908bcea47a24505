//! `ec2-imdsv2-check`: EC2 instances require IMDSv2 session tokens.
//!
//! As the AWS Config managed rule: NON_COMPLIANT when `metadataOptions.httpTokens` is
//! `optional`, COMPLIANT when `required`. Unlike AWS, an instance whose metadata endpoint is
//! disabled (`httpEndpoint: disabled`) is PASS, since it serves no IMDSv1 either. Absent
//! `metadataOptions` or `httpTokens` is ERROR.

use mamori_model::{ConfigItem, Severity};
use serde_json::Value;

use crate::support::item::required;
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct Ec2Imdsv2Check;

static META: RuleMeta = RuleMeta {
    id: "ec2-imdsv2-check",
    service: "ec2",
    title: "EC2 instances require Instance Metadata Service Version 2 (IMDSv2)",
    severity: Severity::High,
    resource_types: &["AWS::EC2::Instance"],
    params: &[],
    rationale: "IMDSv1 answers any plain GET, so a server-side request forgery or an open proxy on the instance leaks the instance role's credentials; IMDSv2's session tokens block those paths.",
    remediation: "Require tokens: `aws ec2 modify-instance-metadata-options --instance-id i-… --http-tokens required --http-endpoint enabled` (EC2 console > Instance > Actions > Instance settings > Modify instance metadata options > IMDSv2 Required), after checking the software on the instance uses IMDSv2.",
    stride: Stride::InformationDisclosure,
    cis: &["5.6"],
    fsbp: &["EC2.8"],
    notes: "An instance with the metadata endpoint disabled is PASS (AWS judges httpTokens only).",
};

impl Rule for Ec2Imdsv2Check {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let id = &item.resource_id;
        let options = match required(item, "metadataOptions") {
            Ok(options @ Value::Object(_)) => options,
            Ok(_) => return cx.error(item, format!("instance {id} has no readable metadataOptions in the inventory")),
            Err(reason) => return cx.error(item, reason),
        };
        let field = |key: &str| options.get(key).and_then(Value::as_str).map(str::to_ascii_lowercase);
        if field("httpEndpoint").as_deref() == Some("disabled") {
            return cx.pass(item, ["instance ", id, " has its metadata endpoint disabled"].concat());
        }
        match field("httpTokens").as_deref() {
            Some("required") => cx.pass(item, ["instance ", id, " requires IMDSv2 (httpTokens required)"].concat()),
            Some(other) => cx.fail(item, format!("instance {id} allows IMDSv1 (httpTokens {other})")),
            None => cx.error(item, format!("instance {id} has no metadataOptions.httpTokens in the inventory")),
        }
    }
}
