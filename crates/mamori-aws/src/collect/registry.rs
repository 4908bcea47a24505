//! The list of collectors, and the IAM actions they call.
//!
//! The resource types they declare are also listed in `mamori_model::resource_types` (the
//! policy loader and `docs/INVENTORY.md` need them without the SDK); the tests below keep the
//! three in step.

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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use mamori_model::resource_types;

    use super::*;

    #[test]
    fn declared_resource_types_are_the_models_list() {
        let mut declared: BTreeMap<&str, &str> = BTreeMap::new();
        for collector in COLLECTORS {
            for resource_type in collector.resource_types {
                if let Some(other) = declared.insert(resource_type, collector.name) {
                    panic!("`{resource_type}` is declared by two collectors: `{other}` and `{}`", collector.name);
                }
            }
        }
        let declared: BTreeSet<&str> = declared.into_keys().collect();
        let listed: BTreeSet<&str> = resource_types::COLLECTED.iter().copied().collect();
        let unlisted: Vec<_> = declared.difference(&listed).collect();
        let undeclared: Vec<_> = listed.difference(&declared).collect();
        assert!(
            unlisted.is_empty() && undeclared.is_empty(),
            "declared by a collector but missing from mamori_model::resource_types::COLLECTED: {unlisted:?}; \
             in COLLECTED but declared by no collector in collect/registry.rs: {undeclared:?}"
        );
    }

    /// `docs/INVENTORY.md`'s table says which `--collectors` name and placement give each type
    /// (mamori-model checks the types themselves).
    #[test]
    fn inventory_document_names_the_right_collector() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/INVENTORY.md");
        let doc = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read `{path}`: {err}"));
        let section = doc
            .split("\n## ")
            .find(|section| section.starts_with("Resource types"))
            .expect("docs/INVENTORY.md has a `## Resource types` section");
        let mut wrong = Vec::new();
        for line in section.lines().filter(|line| line.starts_with("| `")) {
            let cells: Vec<&str> =
                line.trim_matches('|').split('|').map(|cell| cell.trim().trim_matches('`')).collect();
            let [resource_type, name, read, ..] = cells[..] else { panic!("short table row: {line}") };
            if !resource_types::is_collected(resource_type) {
                continue;
            }
            let Some(collector) = COLLECTORS.iter().find(|c| c.resource_types.contains(&resource_type)) else {
                continue; // reported by declared_resource_types_are_the_models_list
            };
            let placement = match collector.placement {
                Placement::Global => "once per account",
                Placement::Regional => "in every region",
            };
            if (name, read) != (collector.name, placement) {
                wrong.push(format!(
                    "`{resource_type}`: `{}`, {placement} (the table says `{name}`, {read})",
                    collector.name
                ));
            }
        }
        assert!(wrong.is_empty(), "docs/INVENTORY.md's Resource types table is wrong for: {wrong:#?}");
    }
}
