//! What the policy test binaries share: a bucket item in AWS Config's shape, and an
//! evaluation of a loaded policy set over items.

use mamori_model::{ConfigItem, Finding};
use mamori_policy::PolicySet;
use mamori_rules::{ActiveRule, Evaluator, RuleSet};

/// A bucket `id` with these tags (its configuration has a `name` and a `size`).
pub fn item(id: &str, tags: &[(&str, &str)]) -> ConfigItem {
    let tags: serde_json::Map<String, serde_json::Value> =
        tags.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
    let raw = serde_json::json!({
        "resourceType": "AWS::S3::Bucket", "resourceId": id, "arn": format!("arn:aws:s3:::{id}"),
        "accountId": "111122223333", "awsRegion": "eu-west-1", "tags": tags,
        "configuration": {"name": id, "size": 3},
    });
    serde_json::from_value::<mamori_model::RawItem>(raw).unwrap().normalize().unwrap()
}

/// Every finding of the set's policies on `items`, conclusions included.
pub fn evaluate(set: &PolicySet, items: &[ConfigItem]) -> Vec<Finding> {
    let rules = RuleSet::new(set.rules().into_iter().map(ActiveRule::with_defaults).collect());
    let mut findings = Vec::new();
    let mut evaluator = Evaluator::new(&rules);
    for item in items {
        evaluator.evaluate(item, &mut |finding| findings.push(finding));
    }
    evaluator.finish(&mut |finding| findings.push(finding));
    findings
}
