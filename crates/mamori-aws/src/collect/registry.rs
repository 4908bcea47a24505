//! The list of collectors, and the IAM actions they call.

use std::collections::BTreeSet;

use super::{CollectFuture, Cx};

/// Where a collector runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Once per account (IAM, S3 bucket list, CloudFront, Organizations).
    Global,
    /// In every region of the account.
    Regional,
}

/// One service's collector.
pub struct Collector {
    /// Short name, also used with `--collectors`.
    pub name: &'static str,
    pub placement: Placement,
    /// Resource types whose items it writes.
    pub resource_types: &'static [&'static str],
    /// `AWS::::Account` fields it writes.
    pub account_fields: &'static [&'static str],
    /// Every IAM action it may call: the source of `mamori iam-policy`.
    pub actions: &'static [&'static str],
    pub run: for<'a> fn(&'a Cx) -> CollectFuture<'a>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector").field("name", &self.name).field("placement", &self.placement).finish()
    }
}

/// Every collector, in the order their results are written.
pub const COLLECTORS: &[&Collector] = &[
    &super::iam::COLLECTOR,
    &super::kms::COLLECTOR,
    &super::ec2::COLLECTOR,
    &super::elb::COLLECTOR,
    &super::elb::CLASSIC_COLLECTOR,
    &super::cloudtrail::COLLECTOR,
    &super::config::COLLECTOR,
    &super::detection::COLLECTOR,
    &super::rds::COLLECTOR,
    &super::lambda::COLLECTOR,
    &super::s3::COLLECTOR,
    &super::cloudfront::COLLECTOR,
    &super::organizations::COLLECTOR,
];

/// Actions the run itself calls outside any collector.
const RUN_ACTIONS: &[&str] = &["ec2:DescribeRegions", "sts:GetCallerIdentity"];

/// Actions needed to list an organization's accounts (management or delegated admin only).
pub const ACCOUNT_LIST_ACTIONS: &[&str] = &["organizations:ListAccounts", "organizations:ListTagsForResource"];

/// Every action the audit role needs, sorted and without duplicates.
pub fn required_actions() -> BTreeSet<&'static str> {
    COLLECTORS.iter().flat_map(|c| c.actions.iter().copied()).chain(RUN_ACTIONS.iter().copied()).collect()
}
