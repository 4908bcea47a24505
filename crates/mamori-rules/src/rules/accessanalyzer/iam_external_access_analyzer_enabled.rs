//! `iam-external-access-analyzer-enabled`: every account has an active external access analyzer in every region.
//!
//! As the AWS Config managed rule, judged on every `AWS::::Account` record (one finding per
//! account and region): COMPLIANT when `accessAnalyzer.analyzers` holds an analyzer of type
//! `ACCOUNT` or `ORGANIZATION` (external access; unused- and internal-access analyzers do not
//! count) whose status is `ACTIVE`. Each record is judged on the analyzers listed in that
//! account, so an organization analyzer counts in the account that owns it (the delegated
//! administrator), not in the member accounts it watches.

use mamori_model::{ConfigItem, Severity, ACCOUNT_TYPE};
use serde_json::Value;

use crate::support::item::{as_list, required};
use crate::{Cx, Rule, RuleMeta, Stride};

pub struct IamExternalAccessAnalyzerEnabled;

static META: RuleMeta = RuleMeta {
    id: "iam-external-access-analyzer-enabled",
    service: "accessanalyzer",
    title: "IAM Access Analyzer has an active external access analyzer in every account and region",
    severity: Severity::High,
    resource_types: &[ACCOUNT_TYPE],
    params: &[],
    rationale: "An external access analyzer reports every bucket, key, role, queue or snapshot that a policy opens to another account or to the public; without one in a region, such exposure there goes unnoticed.",
    remediation: "Create an analyzer in each region: `aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT --region REGION` (or `--type ORGANIZATION` from the delegated administrator), or IAM console > Access analyzer > Create analyzer.",
    stride: Stride::InformationDisclosure,
    cis: &["1.20"],
    fsbp: &[],
    notes: "Judged on the analyzers listed in the account itself, so a member account watched solely by the delegated administrator's organization analyzer fails (mute it with an exception, or create an account analyzer). An accessAnalyzer attribute not collected for a region is ERROR.",
};

fn field<'a>(analyzer: &'a Value, key: &str) -> &'a str {
    let pascal = format!("{}{}", key[..1].to_ascii_uppercase(), &key[1..]);
    analyzer.get(key).or_else(|| analyzer.get(&pascal)).and_then(Value::as_str).unwrap_or("")
}

impl Rule for IamExternalAccessAnalyzerEnabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        let (account, region) = (&item.account_id, &item.aws_region);
        let analyzers = match required(item, "accessAnalyzer") {
            Ok(value) => as_list(value.get("analyzers")),
            Err(reason) => return cx.error(item, reason),
        };
        let usable = |analyzer: &&&Value| {
            let kind = field(analyzer, "type");
            (kind.eq_ignore_ascii_case("ACCOUNT") || kind.eq_ignore_ascii_case("ORGANIZATION"))
                && field(analyzer, "status").eq_ignore_ascii_case("ACTIVE")
        };
        if let Some(active) = analyzers.iter().find(usable) {
            let (name, kind) = (field(active, "name"), field(active, "type").to_ascii_lowercase());
            return cx.pass(item, format!("account {account} region {region} has active {kind} analyzer {name}"));
        }
        let others: Vec<String> = analyzers
            .iter()
            .map(|analyzer| {
                format!("{} ({} {})", field(analyzer, "name"), field(analyzer, "type"), field(analyzer, "status"))
            })
            .collect();
        let seen = if others.is_empty() { String::new() } else { format!("; found {}", others.join(", ")) };
        cx.fail(item, format!("account {account} region {region} has no active external access analyzer{seen}"));
    }
}
