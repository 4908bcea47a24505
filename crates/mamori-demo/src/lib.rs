//! A demo AWS organization, seeded into an emulator, with the findings mamori should report.
//!
//! mamori's live collection is tested, and shown in the README, against moto: an organization
//! of member accounts, each with deliberate misconfigurations across the rule catalog beside
//! compliant resources, in several regions. This crate builds that organization through the
//! AWS SDK for Rust, the same client mamori uses, so that what mamori then collects went
//! through real API calls and real SDK serialisation.
//!
//! [`plan()`] decides everything from a [`Spec`] (member count, regions, seed) before any call;
//! [`seed()`] creates it from the management account's credentials at a loopback endpoint and
//! returns a [`Seeded`] summary: accounts (ids, names, tags, status) and, per account and region,
//! the planted expectations `(rule id, resource id, PASS | FAIL)` a test asserts against
//! mamori's findings. The rule ids include those of the example Rego policies in
//! `examples/policies` ([`plan::TAG_POLICY`], ...), whose findings exist only when the audit
//! loads them (`--policies examples/policies`). Expectations are planted only where the rule's
//! semantics make the verdict certain; resources the emulator creates on its own (default VPCs,
//! default network ACLs) are judged too but not listed.
//!
//! Because it plants insecure resources on purpose (public buckets, SSH open to the world), the
//! seeder refuses any endpoint that is not a loopback address.

pub mod plan;
mod rng;
mod seed;
mod zip;

use std::collections::BTreeMap;

use mamori_model::Status;
use serde::{Deserialize, Serialize};

pub use plan::{plan, Plan, Spec, GLOBAL};
pub use seed::{seed, seed_with, Limits};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec cannot be planned.
    #[error("invalid spec: {0}")]
    Spec(String),
    /// The SDK configuration has no endpoint URL: the seeder never talks to real AWS.
    #[error("no endpoint url configured: mamori-demo seeds an emulator only (give --endpoint-url)")]
    NoEndpoint,
    /// The endpoint is not a loopback address.
    #[error("refusing endpoint `{0}`: mamori-demo plants insecure resources and talks only to an emulator on a loopback address")]
    NotLoopback(String),
    /// The management credentials are already in an organization (seeded before).
    #[error("the management account already belongs to organization `{0}`: reset the emulator (POST /moto-api/reset) or start a fresh one")]
    AlreadyInOrganization(String),
    /// An API call failed.
    #[error("`{operation}` failed in account `{account}` ({region}): {message}")]
    Api { account: String, region: String, operation: &'static str, message: String },
    /// An API call succeeded without a field the seeding needs.
    #[error("`{operation}` in account `{account}` ({region}) answered without `{field}`")]
    Missing { account: String, region: String, operation: &'static str, field: &'static str },
    /// A request could not be built (a required field is missing: a bug here).
    #[error("cannot build the `{what}` request: {message}")]
    Request { what: &'static str, message: String },
    /// Organizations reported that an account could not be created.
    #[error("account `{name}` was not created: {reason}")]
    AccountCreation { name: String, reason: String },
    /// A seeding task panicked or was cancelled.
    #[error("seeding task failed: {0}")]
    Task(String),
    /// A planned expectation names a resource the seeding did not record (a bug here).
    #[error("no resource id recorded for `{label}` in `{scope}` of account `{account}`")]
    Unrecorded { account: String, scope: String, label: String },
}

/// What the seeding created, and what mamori should find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seeded {
    pub spec: Spec,
    pub organization_id: String,
    pub root_id: String,
    pub management_account_id: String,
    /// The first region of the spec: where account-wide settings are judged.
    pub home_region: String,
    pub scps: Vec<SeededScp>,
    /// The management account first, then the members in order (`demo-000`, ...).
    pub accounts: Vec<SeededAccount>,
    /// API calls the seeding made (retries not counted).
    pub api_calls: u64,
}

/// A service control policy the seeding created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededScp {
    pub id: String,
    pub name: String,
    /// Root (`r-…`) or account ids it is attached to.
    pub targets: Vec<String>,
}

/// One account of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededAccount {
    /// 0 for the management account, then 1, 2, ... for `demo-000`, `demo-001`, ...
    pub index: usize,
    pub id: String,
    /// As Organizations lists it (moto names the management account `master`).
    pub name: String,
    pub email: String,
    pub tags: BTreeMap<String, String>,
    /// `ACTIVE`, or what Organizations lists for the closed account (moto: `SUSPENDED`).
    pub status: String,
    pub management: bool,
    /// Planted expectations by scope: a region, or [`GLOBAL`] for IAM and CloudFront.
    /// Account-wide settings are on the home region's `AWS::::Account` record.
    pub expectations: BTreeMap<String, Vec<Expectation>>,
}

/// One finding mamori must report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub rule_id: String,
    /// AWS Config resource type (`AWS::EC2::SecurityGroup`, `AWS::::Account`, ...).
    pub resource_type: String,
    /// As AWS Config names the resource: security group, instance, volume, VPC, subnet and
    /// network ACL ids; bucket and function names; IAM user, group, role and policy ids
    /// (`UserId`, ...); the KMS key id; the DB instance's `DbiResourceId`; the DB snapshot
    /// identifier; the trail's name; the load balancer's ARN; the distribution id; the account
    /// id for `AWS::::Account`.
    pub resource_id: String,
    /// The resource's ARN (absent for `AWS::::Account`), to match collectors that key an item
    /// by ARN (IAM policies whose listing lacks an id).
    pub resource_arn: Option<String>,
    pub resource_name: Option<String>,
    /// The resource's name in the plan, stable across runs (`security-group/ssh-open`).
    pub label: String,
    /// `PASS` or `FAIL`.
    pub expected: Status,
    /// What was planted.
    pub why: String,
}

/// An expectation without the identifiers the emulator chose: what two runs of the same spec
/// must agree on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedKey {
    pub account_index: usize,
    pub scope: String,
    pub rule_id: String,
    pub resource_type: String,
    pub label: String,
    pub expected: Status,
}

impl Seeded {
    /// Every expectation with its account and scope.
    pub fn expectations(&self) -> impl Iterator<Item = (&SeededAccount, &str, &Expectation)> {
        self.accounts.iter().flat_map(|account| {
            account
                .expectations
                .iter()
                .flat_map(move |(scope, list)| list.iter().map(move |e| (account, scope.as_str(), e)))
        })
    }

    /// The expectations with emulator-chosen ids left out, sorted.
    pub fn planned_keys(&self) -> Vec<PlannedKey> {
        let mut keys: Vec<PlannedKey> = self
            .expectations()
            .map(|(account, scope, e)| PlannedKey {
                account_index: account.index,
                scope: scope.to_owned(),
                rule_id: e.rule_id.clone(),
                resource_type: e.resource_type.clone(),
                label: e.label.clone(),
                expected: e.expected,
            })
            .collect();
        keys.sort();
        keys
    }

    /// The account with the given plan index.
    pub fn account(&self, index: usize) -> Option<&SeededAccount> {
        self.accounts.iter().find(|account| account.index == index)
    }
}
