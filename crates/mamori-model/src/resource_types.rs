//! Every resource type mamori's own inventory holds, listed once.
//!
//! Three places need this list and used to keep copies of it: the collectors (mamori-aws's
//! registry declares what each one writes), the Rego policy loader (a policy may only name a
//! type that can appear in an inventory) and `docs/INVENTORY.md`, the contract users read.
//! The list lives here because mamori-model is the one crate all of them can depend on
//! without pulling in the AWS SDK; tests in mamori-aws (against the registry) and here
//! (against the document) fail, naming the type, when one of them drifts.

pub use crate::item::{ACCOUNT_TYPE as ACCOUNT, COLLECTION_ERROR_TYPE as COLLECTION_ERROR};

/// Resource types of the items the collectors write, sorted. The two records mamori writes
/// besides them are [`ACCOUNT`] and [`COLLECTION_ERROR`].
pub const COLLECTED: &[&str] = &[
    "AWS::CloudFront::Distribution",
    "AWS::CloudTrail::Trail",
    "AWS::EC2::FlowLog",
    "AWS::EC2::Image",
    "AWS::EC2::Instance",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::PrefixList",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Snapshot",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::EC2::Volume",
    "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::IAM::Group",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::ServerCertificate",
    "AWS::IAM::User",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::Organizations::Policy",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBClusterSnapshot",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSnapshot",
    "AWS::S3::Bucket",
];

/// Every resource type an inventory written by `mamori collect` may hold: the collected ones,
/// then [`ACCOUNT`] and [`COLLECTION_ERROR`].
pub fn all() -> impl Iterator<Item = &'static str> {
    COLLECTED.iter().copied().chain([ACCOUNT, COLLECTION_ERROR])
}

/// Whether the collectors write items of `resource_type` (the two special records excluded).
pub fn is_collected(resource_type: &str) -> bool {
    COLLECTED.binary_search(&resource_type).is_ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn collected_is_sorted_without_duplicates_or_special_records() {
        // `is_collected` relies on the order.
        for pair in COLLECTED.windows(2) {
            assert!(
                pair[0] < pair[1],
                "`{}` must come after `{}` in COLLECTED (sorted, no duplicates)",
                pair[0],
                pair[1]
            );
        }
        assert!(!is_collected(ACCOUNT) && !is_collected(COLLECTION_ERROR));
        assert!(is_collected("AWS::S3::Bucket"));
        assert!(!is_collected("AWS::ElasticLoadBalancingV2::Listener"));
    }

    /// The types `docs/INVENTORY.md` lists in its "Resource types" table (first column).
    fn documented_types(doc: &str) -> Vec<String> {
        let section = doc
            .split("\n## ")
            .find(|section| section.starts_with("Resource types"))
            .expect("docs/INVENTORY.md has a `## Resource types` section");
        section
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cell = line.trim_start_matches('|').split('|').next().unwrap_or_default().trim();
                cell.trim_matches('`').to_owned()
            })
            .collect()
    }

    /// Types named in the first column of the additions table (`## mamori's additions`).
    fn extended_types(doc: &str) -> BTreeSet<String> {
        let section = doc
            .split("\n## ")
            .find(|section| section.starts_with("mamori's additions"))
            .expect("docs/INVENTORY.md has a `## mamori's additions to AWS Config shapes` section");
        section
            .lines()
            .filter(|line| line.starts_with("| `"))
            .filter_map(|line| line.trim_start_matches('|').split('|').next())
            .map(|cell| cell.trim().trim_matches('`').to_owned())
            .collect()
    }

    #[test]
    fn inventory_document_lists_exactly_these_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/INVENTORY.md");
        let doc = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read `{path}`: {err}"));
        let listed = documented_types(&doc);
        let documented: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        assert_eq!(documented.len(), listed.len(), "docs/INVENTORY.md lists a resource type twice: {listed:?}");
        let known: BTreeSet<&str> = all().collect();
        let undocumented: Vec<_> = known.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&known).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "missing from the `Resource types` table of docs/INVENTORY.md: {undocumented:?}; \
             in that table but missing from mamori_model::resource_types: {unknown:?}"
        );
        let extended = extended_types(&doc);
        let not_collected: Vec<_> = extended.iter().filter(|t| !is_collected(t)).collect();
        assert!(
            not_collected.is_empty(),
            "docs/INVENTORY.md describes additions to types missing from COLLECTED: {not_collected:?}"
        );
    }
}
