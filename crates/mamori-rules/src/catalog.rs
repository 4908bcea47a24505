//! The registry: every built-in rule, in one list.

use std::sync::LazyLock;

use crate::rules;
use crate::Rule;

static CATALOG: LazyLock<Vec<&'static dyn Rule>> = LazyLock::new(|| {
    let groups: &[&[&'static dyn Rule]] = &[
        rules::iam::RULES,
        rules::organizations::RULES,
        rules::accessanalyzer::RULES,
        rules::cloudtrail::RULES,
        rules::config::RULES,
        rules::guardduty::RULES,
        rules::securityhub::RULES,
        rules::detective::RULES,
        rules::s3::RULES,
        rules::ec2::RULES,
        rules::rds::RULES,
        rules::elb::RULES,
        rules::cloudfront::RULES,
        rules::kms::RULES,
        rules::lambda::RULES,
    ];
    groups.iter().flat_map(|group| group.iter().copied()).collect()
});

/// Every built-in rule, grouped by service.
pub fn catalog() -> &'static [&'static dyn Rule] {
    &CATALOG
}

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    catalog().iter().copied().find(|rule| rule.meta().id == id)
}
