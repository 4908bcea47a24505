//! What the demo organization contains, decided from the [`Spec`] alone, before any API call.
//!
//! Planning apart from seeding keeps the organization deterministic (the plan is a pure function
//! of the spec, whatever order the accounts are later seeded in), lets the planted expectations be
//! derived from the plan rather than from what the emulator happened to answer, and makes the
//! coverage promise testable without an emulator: every rule the demo plants has at least one
//! passing and one failing resource somewhere.
//!
//! Choices are random (seeded), with one twist that guarantees coverage: every feature group
//! (`Group`) has two designated slots, one account (or account and region) where it is forced
//! compliant and one where it is forced non-compliant. The slots move with the group number, so
//! no account is all good or all bad.

use std::collections::BTreeMap;

use mamori_model::{Status, ACCOUNT_TYPE};
use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::Error;

/// Scope of expectations on global resources (IAM, CloudFront), as AWS Config records them.
pub const GLOBAL: &str = mamori_model::GLOBAL_REGION;

/// What to seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// Member accounts besides the management account.
    pub member_accounts: usize,
    /// Regions to seed; the first is every account's home region (where account-wide settings
    /// such as the password policy are judged and where the trail and buckets live).
    pub regions: Vec<String>,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Spec {
    /// The README demo: 40 member accounts in three regions.
    pub fn demo() -> Spec {
        Spec {
            member_accounts: 40,
            regions: vec!["us-east-1".into(), "eu-west-1".into(), "ap-northeast-1".into()],
            seed: 2024,
        }
    }

    /// The home region: the first region.
    pub fn home_region(&self) -> &str {
        &self.regions[0]
    }

    /// Checks region names and sizes.
    pub fn validate(&self) -> Result<(), Error> {
        if self.regions.is_empty() {
            return Err(Error::Spec("no region given".into()));
        }
        if self.regions.len() > MAX_REGIONS {
            return Err(Error::Spec(format!(
                "{} regions given, at most {MAX_REGIONS} are supported",
                self.regions.len()
            )));
        }
        for (index, region) in self.regions.iter().enumerate() {
            if !is_region_name(region) {
                return Err(Error::Spec(format!("`{region}` is not a region name like `eu-west-1`")));
            }
            if self.regions[..index].contains(region) {
                return Err(Error::Spec(format!("region `{region}` is given twice")));
            }
        }
        if self.member_accounts > MAX_MEMBERS {
            return Err(Error::Spec(format!(
                "{} member accounts asked for, at most {MAX_MEMBERS} are supported (names demo-000 to demo-999)",
                self.member_accounts
            )));
        }
        Ok(())
    }
}

const MAX_REGIONS: usize = 32;
const MAX_MEMBERS: usize = 1000;

/// `xx-name-N` or `xx-name-name-N` (`us-east-1`, `ap-northeast-1`, `us-gov-west-1`).
fn is_region_name(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// The whole organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub spec: Spec,
    /// Whether the SCP that protects the security services is attached to the root (else it is
    /// attached to one member account only, which does not protect the organization).
    pub protective_scp_on_root: bool,
    /// Index 0 is the management account; members follow in order.
    pub accounts: Vec<AccountPlan>,
    /// Names used in bucket names so that two demo organizations never collide (S3 bucket names
    /// are one namespace across all accounts, in moto as in AWS).
    pub tag: String,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPlan {
    pub index: usize,
    /// `demo-000`, ... for members; the management account keeps the name Organizations gives it.
    pub name: String,
    pub email: String,
    pub tags: BTreeMap<String, String>,
    /// Closed with CloseAccount right after creation; nothing is seeded into it.
    pub closed: bool,
    pub global: GlobalPlan,
    pub regions: Vec<RegionPlan>,
    /// Prefix of the account's bucket names.
    pub bucket_prefix: String,
}

impl AccountPlan {
    pub fn is_management(&self) -> bool {
        self.index == 0
    }

    /// `logs`, `data` or `public` bucket name.
    pub fn bucket(&self, kind: &str) -> String {
        format!("{}-{kind}", self.bucket_prefix)
    }

    /// The tags a resource of this account carries under `tagging`: the account's own owner and
    /// environment, as a team would copy them.
    pub fn resource_tags(&self, tagging: Tagging) -> Vec<(&'static str, String)> {
        let tag = |key: &'static str| (key, self.tags.get(key).cloned().unwrap_or_default());
        match tagging {
            Tagging::Complete => vec![tag("owner"), tag("environment")],
            Tagging::OwnerOnly => vec![tag("owner")],
            Tagging::Untagged => Vec::new(),
        }
    }
}

/// The `owner` and `environment` tags of an EC2 instance, S3 bucket or DB instance, which the
/// example tag policy (`examples/policies/tag_policy.rego`) requires, both non-empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    Complete,
    /// `owner` without `environment`: half a tag set still fails.
    OwnerOnly,
    /// Neither (an instance keeps its `Name` tag).
    Untagged,
}

impl Tagging {
    pub fn complete(self) -> bool {
        self == Tagging::Complete
    }

    fn describe(self) -> &'static str {
        match self {
            Tagging::Complete => "owner and environment tags",
            Tagging::OwnerOnly => "owner tag, no environment tag",
            Tagging::Untagged => "no owner or environment tag",
        }
    }
}

/// Tags of the account's buckets (`public` applies only when that bucket exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketTags {
    pub logs: Tagging,
    pub data: Tagging,
    pub public: Tagging,
}

/// The source range of the Deny guard in group `office-network`'s inline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardRange {
    /// 203.0.113.0/24: outside it the key is useless.
    Office,
    /// 0.0.0.0/0: the Deny excludes nothing, so it guards nothing.
    Everywhere,
}

impl GuardRange {
    pub fn cidr(self) -> &'static str {
        match self {
            GuardRange::Office => "203.0.113.0/24",
            GuardRange::Everywhere => "0.0.0.0/0",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPolicy {
    /// Meets every requirement of `iam-password-policy`'s defaults.
    Strong,
    /// Minimum length 8, nothing else.
    Weak,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailPlan {
    /// Multi-region, logging, log file validation, KMS, CloudWatch Logs, S3 data events, to the
    /// private logs bucket.
    Full,
    /// Single-region trail of the home region: logging, validation and KMS, no CloudWatch Logs,
    /// no data events.
    Regional,
    /// Multi-region trail that was stopped: no validation, no KMS, no CloudWatch Logs, and it
    /// delivers to the account's public bucket.
    Neglected,
    Absent,
}

impl TrailPlan {
    pub fn name(self) -> Option<&'static str> {
        match self {
            TrailPlan::Full | TrailPlan::Neglected => Some("audit-trail"),
            TrailPlan::Regional => Some("regional-trail"),
            TrailPlan::Absent => None,
        }
    }
}

/// The `data` bucket: each setting on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBucket {
    pub versioning: bool,
    pub encryption: bool,
    pub logging: bool,
    /// A policy denying requests without TLS.
    pub tls_only: bool,
    /// The bucket-level public access block, all four settings.
    pub block: bool,
}

/// A bucket readable by anyone: canned ACL `public-read` and a public `s3:GetObject` policy, or
/// with `write`, the ACL `public-read-write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicBucket {
    pub write: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Distribution {
    /// `redirect-to-https` rather than `allow-all`.
    pub https: bool,
    pub logging: bool,
}

/// Global (IAM, S3, CloudTrail, CloudFront) resources of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalPlan {
    pub password_policy: PasswordPolicy,
    /// A role with AWSSupportAccess attached (`iam-policy-in-use`, CIS 1.17).
    pub support_role: bool,
    /// User `bob`: console password, no MFA.
    pub bob: bool,
    /// `ci-deploy` also has the customer-managed `admin-everything` attached.
    pub ci_deploy_admin: bool,
    /// Group `ops` with an inline policy.
    pub ops_group: bool,
    /// Role `app-instance` carries an inline policy.
    pub app_role_inline: bool,
    /// Customer-managed `admin-everything` (`*` on `*`) exists.
    pub admin_policy: bool,
    /// Customer-managed `ec2-operator` (`ec2:*`) exists.
    pub ec2_policy: bool,
    pub trail: TrailPlan,
    pub data_bucket: DataBucket,
    pub public_bucket: Option<PublicBucket>,
    pub distributions: Vec<Distribution>,
    pub bucket_tags: BucketTags,
    /// User `backup-agent`, with an active access key and no policy of its own, in group
    /// `office-network`, whose inline policy allows S3 writes unconditionally and denies every
    /// request from outside the range: the Deny alone decides whether the key is confined.
    pub backup_agent: Option<GuardRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenGroup {
    /// TCP 22 from 0.0.0.0/0.
    Ssh,
    /// TCP 3389 from ::/0.
    RdpV6,
    /// TCP 80 and 443 from 0.0.0.0/0.
    Web,
    /// TCP 22 from 0.0.0.0/0, tagged `security-exemption=SEC-123`.
    SshExempt,
}

impl OpenGroup {
    pub fn name(self) -> &'static str {
        match self {
            OpenGroup::Ssh => "ssh-open",
            OpenGroup::RdpV6 => "rdp-open-v6",
            OpenGroup::Web => "web-public",
            OpenGroup::SshExempt => "ssh-exempt",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// Launched into the subnet that maps public IPs, so it gets a public address.
    pub public: bool,
    pub imdsv2: bool,
    pub profile: bool,
    /// Root volume encrypted (with the region's `data` key).
    pub encrypted: bool,
    pub tags: Tagging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// Recording all supported types, with or without global (IAM) types.
    Recording {
        global: bool,
    },
    /// Defined, never started.
    Stopped,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    Enabled,
    Disabled,
    Absent,
}

/// The IAM Access Analyzer analyzers of an account in a region (a service moto lacks: the
/// corrected emulator front of `mamori-testkit` stands in for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerPlan {
    /// An account analyzer of external access, `external-access`.
    External,
    /// Only an unused-access analyzer, `unused-access`, which watches no external access.
    UnusedOnly,
    Absent,
}

/// The account's place in Amazon Detective in a region (a service moto lacks: the corrected
/// emulator front stands in for it). Memberships are in the management account's graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectivePlan {
    /// The account administers its own behaviour graph.
    Owned,
    /// Invited to the management account's graph, invitation accepted.
    Member,
    /// Invited to the management account's graph, invitation never accepted: no data flows.
    Invited,
    Absent,
}

impl DetectivePlan {
    /// Whether the management account must administer a graph in the region for this plan.
    pub fn needs_management_graph(self) -> bool {
        matches!(self, DetectivePlan::Member | DetectivePlan::Invited)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Database {
    pub encrypted: bool,
    pub backups: bool,
    pub public: bool,
    pub multi_az: bool,
    pub deletion_protection: bool,
    /// A manual snapshot, public (`restore` shared with `all`) or not.
    pub snapshot: Option<bool>,
    pub tags: Tagging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadBalancer {
    /// The HTTP:80 listener redirects to HTTPS (else it forwards to a target group).
    pub redirect: bool,
    pub access_logs: bool,
}

/// A Lambda function with a resource policy: public (`Principal: *`) or invoked by S3 from the
/// account's own buckets only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Public,
    S3Pinned,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Public => "public-api",
            Function::S3Pinned => "s3-ingest",
        }
    }
}

/// Regional resources of one account in one region. Every region also gets the `app` VPC with
/// a private and a public subnet, the `internal` security group and the `web` network ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionPlan {
    pub region: String,
    pub home: bool,
    pub ebs_default_encryption: bool,
    pub key_rotation: bool,
    /// A second customer key, never rotated.
    pub legacy_key: bool,
    pub flow_log: bool,
    /// Egress of the `app` VPC's default security group revoked.
    pub default_sg_closed: bool,
    pub open_groups: Vec<OpenGroup>,
    /// A network ACL allowing TCP 22 from 0.0.0.0/0.
    pub ssh_nacl: bool,
    pub instance: Option<Instance>,
    pub recorder: Recorder,
    pub guardduty: Detector,
    pub security_hub: bool,
    pub database: Option<Database>,
    pub load_balancer: Option<LoadBalancer>,
    pub functions: Vec<Function>,
    pub access_analyzer: AnalyzerPlan,
    pub detective: DetectivePlan,
}

/// Feature groups: each has a forced-compliant and a forced-non-compliant slot.
#[derive(Debug, Clone, Copy)]
enum Group {
    Password = 0,
    SupportRole,
    Bob,
    CiAdmin,
    Ops,
    AppRoleInline,
    AdminPolicy,
    Ec2Policy,
    Trail,
    DataBucket,
    PublicBucket,
    Distribution,
    EbsDefault,
    KeyRotation,
    LegacyKey,
    FlowLog,
    DefaultSg,
    OpenGroups,
    SshNacl,
    Instance,
    Recorder,
    GuardDuty,
    SecurityHub,
    Database,
    LoadBalancer,
    Functions,
    BucketTags,
    BackupAgent,
    SshExempt,
    AccessAnalyzer,
    Detective,
}

/// Where one account (global choices) or one account and region (regional choices) sits among
/// all of them.
struct Slot {
    index: usize,
    count: usize,
}

impl Slot {
    /// `Some(true)` in the group's compliant slot, `Some(false)` in its non-compliant slot.
    fn forced(&self, group: Group) -> Option<bool> {
        if self.count < 2 {
            return None;
        }
        let group = group as usize;
        if self.index == (2 * group) % self.count {
            Some(true)
        } else if self.index == (2 * group + 1) % self.count {
            Some(false)
        } else {
            None
        }
    }
}

/// Probability that a setting chosen at random is the compliant one.
const COMPLIANT: f64 = 0.7;

const TEAMS: [&str; 8] = ["payments", "identity", "search", "data", "platform", "mobile", "ml", "growth"];
const ENVIRONMENTS: [&str; 4] = ["prod", "staging", "dev", "sandbox"];

/// Streams of [`Rng::derive`]: one per account and purpose, so choices do not shift when
/// another account's plan changes.
fn stream(account: usize, purpose: u64) -> u64 {
    ((account as u64) << 8) | purpose
}
const META: u64 = 0;
const GLOBAL_STREAM: u64 = 1;
const REGION_STREAM: u64 = 2;
const ORGANIZATION_STREAM: u64 = u64::MAX;

/// Plans the organization. Fails only on an invalid spec.
pub fn plan(spec: &Spec) -> Result<Plan, Error> {
    spec.validate()?;
    let mut organization = Rng::derive(spec.seed, ORGANIZATION_STREAM);
    let tag = format!("{:06x}", organization.next_u64() & 0xff_ffff);
    let protective_scp_on_root = organization.chance(0.5);
    // Closing one account leaves a suspended one for the collectors to skip; with fewer than
    // three members every account is needed for coverage.
    let closed = (spec.member_accounts >= 3).then_some(spec.member_accounts);
    let total = spec.member_accounts + 1;
    let active: Vec<usize> = (0..total).filter(|index| Some(*index) != closed).collect();
    let mut accounts = Vec::with_capacity(total);
    for index in 0..total {
        let mut meta = Rng::derive(spec.seed, stream(index, META));
        let (name, email, owner) = if index == 0 {
            ("management".to_owned(), String::new(), "platform@example.com".to_owned())
        } else {
            let name = format!("demo-{:03}", index - 1);
            let owner = format!("team-{}@example.com", meta.pick(&TEAMS));
            (name.clone(), format!("{name}@example.com"), owner)
        };
        let environment = if index == 0 { "prod" } else { *meta.pick(&ENVIRONMENTS) };
        let tags = BTreeMap::from([("owner".to_owned(), owner), ("environment".to_owned(), environment.to_owned())]);
        let slug = if index == 0 { "mgmt".to_owned() } else { format!("{:03}", index - 1) };
        let bucket_prefix = format!("mamori-demo-{tag}-{slug}");
        let position = active.iter().position(|a| *a == index);
        let (global, regions) = match position {
            Some(position) => {
                let slot = Slot { index: position, count: active.len() };
                let global = plan_global(&mut Rng::derive(spec.seed, stream(index, GLOBAL_STREAM)), &slot);
                let regions = spec
                    .regions
                    .iter()
                    .enumerate()
                    .map(|(r, region)| {
                        let slot =
                            Slot { index: position * spec.regions.len() + r, count: active.len() * spec.regions.len() };
                        let mut rng = Rng::derive(spec.seed, stream(index, REGION_STREAM + r as u64));
                        plan_region(&mut rng, &slot, region, r == 0, index == 0)
                    })
                    .collect();
                (global, regions)
            }
            None => (empty_global(), Vec::new()),
        };
        accounts.push(AccountPlan {
            index,
            name,
            email,
            tags,
            closed: closed == Some(index),
            global,
            regions,
            bucket_prefix,
        });
    }
    // Members join the management account's Detective graph where it has one. Where it has
    // none, a planned member owns a graph and a planned invitation is no graph: the verdicts,
    // hence the coverage of the forced slots, stay as planned.
    for r in 0..spec.regions.len() {
        let administered = accounts.first().and_then(|a| a.regions.get(r)).map(|p| p.detective);
        if administered == Some(DetectivePlan::Owned) {
            continue;
        }
        for region in accounts.iter_mut().skip(1).filter_map(|a| a.regions.get_mut(r)) {
            region.detective = match region.detective {
                DetectivePlan::Member => DetectivePlan::Owned,
                DetectivePlan::Invited => DetectivePlan::Absent,
                other => other,
            };
        }
    }
    Ok(Plan { spec: spec.clone(), protective_scp_on_root, accounts, tag })
}

/// A boolean setting: forced, else compliant with probability [`COMPLIANT`].
fn setting(rng: &mut Rng, forced: Option<bool>) -> bool {
    let drawn = rng.chance(COMPLIANT);
    forced.unwrap_or(drawn)
}

/// Whether an optional resource exists: always in both forced slots, else with `probability`.
fn present(rng: &mut Rng, forced: Option<bool>, probability: f64) -> bool {
    let drawn = rng.chance(probability);
    forced.is_some() || drawn
}

fn plan_global(rng: &mut Rng, slot: &Slot) -> GlobalPlan {
    let password_policy = match slot.forced(Group::Password) {
        Some(true) => PasswordPolicy::Strong,
        Some(false) => PasswordPolicy::Absent,
        None => match rng.below(10) {
            0..=4 => PasswordPolicy::Strong,
            5..=7 => PasswordPolicy::Weak,
            _ => PasswordPolicy::Absent,
        },
    };
    let support_role = setting(rng, slot.forced(Group::SupportRole));
    // The forced "compliant" slot of an optional misconfiguration is its absence.
    let bob = !setting(rng, slot.forced(Group::Bob));
    let ci_deploy_admin = !setting(rng, slot.forced(Group::CiAdmin));
    let ops_group = !setting(rng, slot.forced(Group::Ops));
    let app_role_inline = !setting(rng, slot.forced(Group::AppRoleInline));
    let admin_policy = !setting(rng, slot.forced(Group::AdminPolicy)) || ci_deploy_admin;
    let ec2_policy = !setting(rng, slot.forced(Group::Ec2Policy));
    let trail = match slot.forced(Group::Trail) {
        Some(true) => TrailPlan::Full,
        Some(false) => TrailPlan::Neglected,
        None => match rng.below(20) {
            0..=8 => TrailPlan::Full,
            9..=13 => TrailPlan::Regional,
            14..=16 => TrailPlan::Neglected,
            _ => TrailPlan::Absent,
        },
    };
    let forced = slot.forced(Group::DataBucket);
    let data_bucket = DataBucket {
        versioning: setting(rng, forced),
        encryption: setting(rng, forced),
        logging: setting(rng, forced),
        tls_only: setting(rng, forced),
        block: setting(rng, forced),
    };
    let public_bucket = match slot.forced(Group::PublicBucket) {
        Some(true) => None,
        Some(false) => Some(PublicBucket { write: true }),
        None => rng.chance(0.3).then(|| PublicBucket { write: rng.chance(0.4) }),
    };
    // A neglected trail delivers to the public bucket, so that one must exist.
    let public_bucket = match (trail, public_bucket) {
        (TrailPlan::Neglected, None) => Some(PublicBucket { write: false }),
        (_, bucket) => bucket,
    };
    let forced = slot.forced(Group::Distribution);
    let distributions = match forced {
        Some(good) => vec![Distribution { https: good, logging: good }],
        None if rng.chance(0.35) => (0..1 + rng.below(2))
            .map(|_| Distribution { https: rng.chance(COMPLIANT), logging: rng.chance(COMPLIANT) })
            .collect(),
        None => Vec::new(),
    };
    // Drawn after every earlier choice, so that these additions left the rest of a seed's
    // organization as it was.
    let bucket_tags = match slot.forced(Group::BucketTags) {
        Some(true) => BucketTags { logs: Tagging::Complete, data: Tagging::Complete, public: Tagging::Complete },
        Some(false) => BucketTags { logs: Tagging::OwnerOnly, data: Tagging::Untagged, public: Tagging::Untagged },
        None => BucketTags { logs: tagging(rng, None), data: tagging(rng, None), public: tagging(rng, None) },
    };
    let backup_agent = match slot.forced(Group::BackupAgent) {
        Some(true) => Some(GuardRange::Office),
        Some(false) => Some(GuardRange::Everywhere),
        None => rng.chance(0.5).then(|| if rng.chance(0.75) { GuardRange::Office } else { GuardRange::Everywhere }),
    };
    GlobalPlan {
        password_policy,
        support_role,
        bob,
        ci_deploy_admin,
        ops_group,
        app_role_inline,
        admin_policy,
        ec2_policy,
        trail,
        data_bucket,
        public_bucket,
        distributions,
        bucket_tags,
        backup_agent,
    }
}

/// Tags of one resource: forced complete or absent, else mostly complete.
fn tagging(rng: &mut Rng, forced: Option<bool>) -> Tagging {
    let drawn = match rng.below(20) {
        0..=11 => Tagging::Complete,
        12..=14 => Tagging::OwnerOnly,
        _ => Tagging::Untagged,
    };
    match forced {
        Some(true) => Tagging::Complete,
        Some(false) => Tagging::Untagged,
        None => drawn,
    }
}

fn empty_global() -> GlobalPlan {
    GlobalPlan {
        password_policy: PasswordPolicy::Absent,
        support_role: false,
        bob: false,
        ci_deploy_admin: false,
        ops_group: false,
        app_role_inline: false,
        admin_policy: false,
        ec2_policy: false,
        trail: TrailPlan::Absent,
        data_bucket: DataBucket { versioning: false, encryption: false, logging: false, tls_only: false, block: false },
        public_bucket: None,
        distributions: Vec::new(),
        bucket_tags: BucketTags { logs: Tagging::Untagged, data: Tagging::Untagged, public: Tagging::Untagged },
        backup_agent: None,
    }
}

fn plan_region(rng: &mut Rng, slot: &Slot, region: &str, home: bool, management: bool) -> RegionPlan {
    let mut open_groups = match slot.forced(Group::OpenGroups) {
        Some(true) => Vec::new(),
        Some(false) => vec![OpenGroup::Ssh, OpenGroup::RdpV6, OpenGroup::Web],
        None => [OpenGroup::Ssh, OpenGroup::RdpV6, OpenGroup::Web].into_iter().filter(|_| rng.chance(0.35)).collect(),
    };
    let forced = slot.forced(Group::Instance);
    let mut instance = present(rng, forced, 0.6).then(|| Instance {
        public: !setting(rng, forced),
        imdsv2: setting(rng, forced),
        profile: setting(rng, forced),
        encrypted: setting(rng, forced),
        // Drawn last (below).
        tags: Tagging::Untagged,
    });
    let recorder = match slot.forced(Group::Recorder) {
        Some(true) => Recorder::Recording { global: true },
        Some(false) => Recorder::Absent,
        None => match rng.below(20) {
            0..=10 => Recorder::Recording { global: true },
            11..=13 => Recorder::Recording { global: false },
            14..=16 => Recorder::Stopped,
            _ => Recorder::Absent,
        },
    };
    let guardduty = match slot.forced(Group::GuardDuty) {
        Some(true) => Detector::Enabled,
        Some(false) => Detector::Absent,
        None => match rng.below(20) {
            0..=11 => Detector::Enabled,
            12..=14 => Detector::Disabled,
            _ => Detector::Absent,
        },
    };
    let forced = slot.forced(Group::Database);
    let mut database = present(rng, forced, 0.3).then(|| Database {
        encrypted: setting(rng, forced),
        backups: setting(rng, forced),
        public: !setting(rng, forced),
        multi_az: setting(rng, forced),
        deletion_protection: setting(rng, forced),
        snapshot: match forced {
            Some(good) => Some(!good),
            None => rng.chance(0.5).then(|| rng.chance(0.3)),
        },
        // Drawn last (below).
        tags: Tagging::Untagged,
    });
    let forced = slot.forced(Group::LoadBalancer);
    let load_balancer = present(rng, forced, 0.35)
        .then(|| LoadBalancer { redirect: setting(rng, forced), access_logs: setting(rng, forced) });
    let functions = match slot.forced(Group::Functions) {
        Some(true) => vec![Function::S3Pinned],
        Some(false) => vec![Function::Public],
        None if rng.chance(0.3) => match rng.below(3) {
            0 => vec![Function::Public],
            1 => vec![Function::S3Pinned],
            _ => vec![Function::Public, Function::S3Pinned],
        },
        None => Vec::new(),
    };
    // Drawn after every earlier choice, so that these additions left the rest of a seed's
    // region as it was. A forced-compliant instance or database is also fully tagged.
    if let Some(instance) = instance.as_mut() {
        instance.tags = tagging(rng, slot.forced(Group::Instance));
    }
    if let Some(database) = database.as_mut() {
        database.tags = tagging(rng, slot.forced(Group::Database));
    }
    if present(rng, slot.forced(Group::SshExempt), 0.3) {
        open_groups.push(OpenGroup::SshExempt);
    }
    let access_analyzer = match slot.forced(Group::AccessAnalyzer) {
        Some(true) => AnalyzerPlan::External,
        Some(false) => AnalyzerPlan::Absent,
        None => match rng.below(10) {
            0..=5 => AnalyzerPlan::External,
            6..=7 => AnalyzerPlan::UnusedOnly,
            _ => AnalyzerPlan::Absent,
        },
    };
    let drawn = rng.below(10);
    let detective = match slot.forced(Group::Detective) {
        Some(true) => DetectivePlan::Owned,
        Some(false) => DetectivePlan::Absent,
        // The management account is nobody's member: it owns a graph or has none.
        None if management => {
            if drawn < 6 {
                DetectivePlan::Owned
            } else {
                DetectivePlan::Absent
            }
        }
        None => match drawn {
            0..=1 => DetectivePlan::Owned,
            2..=5 => DetectivePlan::Member,
            6..=7 => DetectivePlan::Invited,
            _ => DetectivePlan::Absent,
        },
    };
    RegionPlan {
        region: region.to_owned(),
        home,
        ebs_default_encryption: setting(rng, slot.forced(Group::EbsDefault)),
        key_rotation: setting(rng, slot.forced(Group::KeyRotation)),
        legacy_key: !setting(rng, slot.forced(Group::LegacyKey)),
        flow_log: setting(rng, slot.forced(Group::FlowLog)),
        default_sg_closed: setting(rng, slot.forced(Group::DefaultSg)),
        open_groups,
        ssh_nacl: !setting(rng, slot.forced(Group::SshNacl)),
        instance,
        recorder,
        guardduty,
        security_hub: setting(rng, slot.forced(Group::SecurityHub)),
        database,
        load_balancer,
        functions,
        access_analyzer,
        detective,
    }
}

/// One expectation as planned: the resource is named by its label until seeding learns its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Region, or [`GLOBAL`] for IAM and CloudFront.
    pub scope: String,
    pub rule_id: &'static str,
    pub resource_type: &'static str,
    /// Unique within the account and scope: `user/alice`, `security-group/ssh-open`, `account`.
    pub label: String,
    /// The resource's name where it has one (bucket, user, group, function...).
    pub name: Option<String>,
    pub expected: Status,
    pub why: String,
}

/// Collects the planned expectations of one account.
struct Expect<'a> {
    out: &'a mut Vec<Planned>,
}

impl Expect<'_> {
    #[allow(clippy::too_many_arguments, reason = "one expectation's fields, named at each call site")]
    fn add(
        &mut self,
        scope: &str,
        rule_id: &'static str,
        resource_type: &'static str,
        label: &str,
        name: Option<&str>,
        pass: bool,
        why: impl Into<String>,
    ) {
        self.out.push(Planned {
            scope: scope.to_owned(),
            rule_id,
            resource_type,
            label: label.to_owned(),
            name: name.map(str::to_owned),
            expected: if pass { Status::Pass } else { Status::Fail },
            why: why.into(),
        });
    }
}

pub const USER: &str = "AWS::IAM::User";
pub const GROUP: &str = "AWS::IAM::Group";
pub const ROLE: &str = "AWS::IAM::Role";
pub const POLICY: &str = "AWS::IAM::Policy";
pub const BUCKET: &str = "AWS::S3::Bucket";
pub const TRAIL: &str = "AWS::CloudTrail::Trail";
pub const DISTRIBUTION: &str = "AWS::CloudFront::Distribution";
pub const VPC: &str = "AWS::EC2::VPC";
pub const SUBNET: &str = "AWS::EC2::Subnet";
pub const SECURITY_GROUP: &str = "AWS::EC2::SecurityGroup";
pub const NETWORK_ACL: &str = "AWS::EC2::NetworkAcl";
pub const INSTANCE: &str = "AWS::EC2::Instance";
pub const VOLUME: &str = "AWS::EC2::Volume";
pub const KEY: &str = "AWS::KMS::Key";
pub const DB_INSTANCE: &str = "AWS::RDS::DBInstance";
pub const DB_SNAPSHOT: &str = "AWS::RDS::DBSnapshot";
pub const LOAD_BALANCER: &str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
pub const FUNCTION: &str = "AWS::Lambda::Function";

/// Ids of the example Rego policies in `examples/policies/` (their `metadata.id`), which the
/// demo plants cases for: an audit run with `--policies examples/policies` judges them.
pub const TAG_POLICY: &str = "org-required-tags";
pub const SG_POLICY: &str = "org-sg-open-ingress-authorized-ports";
pub const KEY_SOURCE_IP_POLICY: &str = "org-iam-access-key-source-ip";

/// What a security group opens to the internet (0.0.0.0/0 or ::/0).
#[derive(Clone, Copy, Default)]
struct Exposure {
    /// TCP 22.
    ssh: bool,
    /// A port `restricted-common-ports` blocks.
    common: bool,
    /// Any port (the catalog authorizes none by default).
    any: bool,
    /// A port other than TCP 80 and 443, without an exemption tag (the example policy).
    unauthorized: bool,
}

/// The four security-group rules of the catalog and the example policy, and whether a group
/// passes each.
fn security_group_rules(e: &mut Expect<'_>, scope: &str, name: &str, exposure: Exposure, why: &str) {
    let label = format!("security-group/{name}");
    e.add(scope, "restricted-ssh", SECURITY_GROUP, &label, Some(name), !exposure.ssh, why);
    e.add(scope, "mamori-ssh-bastion-only", SECURITY_GROUP, &label, Some(name), !exposure.ssh, why);
    e.add(scope, "restricted-common-ports", SECURITY_GROUP, &label, Some(name), !exposure.common, why);
    e.add(scope, "vpc-sg-open-only-to-authorized-ports", SECURITY_GROUP, &label, Some(name), !exposure.any, why);
    e.add(scope, SG_POLICY, SECURITY_GROUP, &label, Some(name), !exposure.unauthorized, why);
}

impl Plan {
    /// The planned expectations of one account, in a fixed order. Empty for a closed account.
    pub fn expectations(&self, account: &AccountPlan) -> Vec<Planned> {
        let mut out = Vec::new();
        if account.closed {
            return out;
        }
        let home = self.spec.home_region();
        let mut e = Expect { out: &mut out };
        let g = &account.global;
        let acct = "account";

        // Account-wide settings, judged on the home region's AWS::::Account record.
        let (pass, why) = match g.password_policy {
            PasswordPolicy::Strong => (true, "password policy meets every default requirement"),
            PasswordPolicy::Weak => (false, "password policy: minimum length 8 and nothing else"),
            PasswordPolicy::Absent => (false, "no password policy"),
        };
        e.add(home, "iam-password-policy", ACCOUNT_TYPE, acct, None, pass, why);
        let why =
            if g.support_role { "role aws-support holds AWSSupportAccess" } else { "no role holds AWSSupportAccess" };
        e.add(home, "iam-policy-in-use", ACCOUNT_TYPE, acct, None, g.support_role, why);
        let full = g.trail == TrailPlan::Full;
        let why = match g.trail {
            TrailPlan::Full => "multi-region trail audit-trail is logging, with S3 data events",
            TrailPlan::Regional => "only a single-region trail",
            TrailPlan::Neglected => "multi-region trail audit-trail is not logging",
            TrailPlan::Absent => "no trail",
        };
        e.add(home, "multi-region-cloudtrail-enabled", ACCOUNT_TYPE, acct, None, full, why);
        e.add(home, "cloudtrail-s3-dataevents-enabled", ACCOUNT_TYPE, acct, None, full, why);
        if account.is_management() {
            let why = if self.protective_scp_on_root {
                "SCP protect-security-services is attached to the root"
            } else {
                "the root has only deny-leave-organization, which protects CloudTrail logging alone"
            };
            let rule = "mamori-organizations-scp-protects-security-services";
            e.add(home, rule, ACCOUNT_TYPE, acct, None, self.protective_scp_on_root, why);
        }

        // IAM: people, machines, groups, roles, customer-managed policies.
        let user = |name: &str| (format!("user/{name}"), name.to_owned());
        let (label, name) = user("alice");
        let why = "console password with a virtual MFA device; permissions from group engineers";
        for rule in [
            "iam-user-mfa-enabled",
            "mfa-enabled-for-iam-console-access",
            "iam-user-no-policies-check",
            "mamori-iam-user-machine-credentials",
            "mamori-iam-user-access-key-ip-restricted",
            "access-keys-rotated",
            "iam-user-unused-credentials-check",
            "iam-no-inline-policy-check",
            KEY_SOURCE_IP_POLICY,
        ] {
            e.add(GLOBAL, rule, USER, &label, Some(&name), true, why);
        }
        if g.bob {
            let (label, name) = user("bob");
            let why = "console password without MFA";
            e.add(GLOBAL, "iam-user-mfa-enabled", USER, &label, Some(&name), false, why);
            e.add(GLOBAL, "mfa-enabled-for-iam-console-access", USER, &label, Some(&name), false, why);
            e.add(
                GLOBAL,
                "iam-user-no-policies-check",
                USER,
                &label,
                Some(&name),
                true,
                "permissions from group engineers",
            );
            e.add(GLOBAL, "mamori-iam-user-machine-credentials", USER, &label, Some(&name), true, "no access keys");
            e.add(GLOBAL, KEY_SOURCE_IP_POLICY, USER, &label, Some(&name), true, "no access keys");
        }
        let (label, name) = user("ci-deploy");
        let why = if g.ci_deploy_admin {
            "access key, no console password, inline policy deploy and admin-everything attached"
        } else {
            "access key, no console password, inline policy deploy"
        };
        e.add(GLOBAL, "mamori-iam-user-machine-credentials", USER, &label, Some(&name), false, why);
        e.add(GLOBAL, "iam-user-no-policies-check", USER, &label, Some(&name), false, why);
        e.add(GLOBAL, "iam-no-inline-policy-check", USER, &label, Some(&name), false, why);
        let why_ip = "its Allow statements have no aws:SourceIp condition";
        e.add(GLOBAL, "mamori-iam-user-access-key-ip-restricted", USER, &label, Some(&name), false, why_ip);
        e.add(GLOBAL, KEY_SOURCE_IP_POLICY, USER, &label, Some(&name), false, why_ip);
        e.add(GLOBAL, "iam-user-mfa-enabled", USER, &label, Some(&name), false, "no MFA device");
        e.add(GLOBAL, "mfa-enabled-for-iam-console-access", USER, &label, Some(&name), true, "no console password");
        e.add(GLOBAL, "access-keys-rotated", USER, &label, Some(&name), true, "access key created by the seeding");
        let (label, name) = user("etl-runner");
        let why = "access key; its only (inline) policy allows from 203.0.113.0/24 only";
        e.add(GLOBAL, "mamori-iam-user-access-key-ip-restricted", USER, &label, Some(&name), true, why);
        e.add(GLOBAL, KEY_SOURCE_IP_POLICY, USER, &label, Some(&name), true, why);
        e.add(GLOBAL, "mamori-iam-user-machine-credentials", USER, &label, Some(&name), false, why);
        e.add(GLOBAL, "iam-no-inline-policy-check", USER, &label, Some(&name), false, why);
        let (label, name) = user("auditor");
        let why = "no console password, no access keys, permissions from group engineers";
        e.add(GLOBAL, "iam-user-mfa-enabled", USER, &label, Some(&name), false, "no MFA device");
        e.add(GLOBAL, "mamori-iam-user-machine-credentials", USER, &label, Some(&name), true, why);
        e.add(GLOBAL, "mamori-iam-user-access-key-ip-restricted", USER, &label, Some(&name), true, why);
        e.add(GLOBAL, KEY_SOURCE_IP_POLICY, USER, &label, Some(&name), true, why);
        e.add(GLOBAL, "iam-user-no-policies-check", USER, &label, Some(&name), true, why);
        e.add(GLOBAL, "iam-user-unused-credentials-check", USER, &label, Some(&name), true, why);
        if let Some(range) = g.backup_agent {
            let (label, name) = user("backup-agent");
            let (guarded, why) = match range {
                GuardRange::Office => {
                    (true, "access key; group office-network denies every request from outside 203.0.113.0/24")
                }
                GuardRange::Everywhere => (
                    false,
                    "access key; group office-network's Deny guard names 0.0.0.0/0, which excludes nothing, and its Allow has no aws:SourceIp",
                ),
            };
            e.add(GLOBAL, "mamori-iam-user-access-key-ip-restricted", USER, &label, Some(&name), guarded, why);
            e.add(GLOBAL, KEY_SOURCE_IP_POLICY, USER, &label, Some(&name), guarded, why);
            let why = "access key, no console password, permissions from group office-network only";
            e.add(GLOBAL, "mamori-iam-user-machine-credentials", USER, &label, Some(&name), false, why);
            e.add(GLOBAL, "iam-user-no-policies-check", USER, &label, Some(&name), true, why);
            e.add(GLOBAL, "iam-no-inline-policy-check", USER, &label, Some(&name), true, why);
            e.add(GLOBAL, "iam-user-mfa-enabled", USER, &label, Some(&name), false, "no MFA device");
            e.add(GLOBAL, "mfa-enabled-for-iam-console-access", USER, &label, Some(&name), true, "no console password");
            e.add(GLOBAL, "access-keys-rotated", USER, &label, Some(&name), true, "access key created by the seeding");
            let rule = "iam-no-inline-policy-check";
            let why = "inline policy office-network-only";
            e.add(GLOBAL, rule, GROUP, "group/office-network", Some("office-network"), false, why);
        }

        e.add(
            GLOBAL,
            "iam-no-inline-policy-check",
            GROUP,
            "group/engineers",
            Some("engineers"),
            true,
            "managed policy only",
        );
        if g.ops_group {
            e.add(
                GLOBAL,
                "iam-no-inline-policy-check",
                GROUP,
                "group/ops",
                Some("ops"),
                false,
                "inline policy ops-runbook",
            );
        }
        e.add(
            GLOBAL,
            "iam-no-inline-policy-check",
            ROLE,
            "role/mamori-audit",
            Some("mamori-audit"),
            true,
            "managed policy only",
        );
        e.add(GLOBAL, "iam-no-inline-policy-check", ROLE, "role/lambda-exec", Some("lambda-exec"), true, "no policies");
        let why = if g.app_role_inline { "inline policy read-parameters" } else { "no inline policy" };
        e.add(
            GLOBAL,
            "iam-no-inline-policy-check",
            ROLE,
            "role/app-instance",
            Some("app-instance"),
            !g.app_role_inline,
            why,
        );
        if g.support_role {
            e.add(
                GLOBAL,
                "iam-no-inline-policy-check",
                ROLE,
                "role/aws-support",
                Some("aws-support"),
                true,
                "managed policy only",
            );
        }
        for (name, present, admin, full, why) in [
            ("s3-readonly", true, true, true, "s3:GetObject and s3:ListBucket"),
            ("admin-everything", g.admin_policy, false, false, "Allow * on *"),
            ("ec2-operator", g.ec2_policy, true, false, "Allow ec2:* on *"),
        ] {
            if present {
                let label = format!("policy/{name}");
                e.add(GLOBAL, "iam-policy-no-statements-with-admin-access", POLICY, &label, Some(name), admin, why);
                e.add(GLOBAL, "iam-policy-no-statements-with-full-access", POLICY, &label, Some(name), full, why);
            }
        }

        // S3, in the home region.
        let logs = account.bucket("logs");
        let why = "versioned, AES256, TLS-only policy, bucket-level block; it is the log target";
        for (rule, pass) in [
            ("s3-bucket-versioning-enabled", true),
            ("s3-bucket-server-side-encryption-enabled", true),
            ("s3-bucket-ssl-requests-only", true),
            ("s3-bucket-level-public-access-prohibited", true),
            ("s3-bucket-public-read-prohibited", true),
            ("s3-bucket-public-write-prohibited", true),
            ("s3-bucket-logging-enabled", false),
        ] {
            e.add(home, rule, BUCKET, "bucket/logs", Some(&logs), pass, why);
        }
        let tags = g.bucket_tags;
        e.add(home, TAG_POLICY, BUCKET, "bucket/logs", Some(&logs), tags.logs.complete(), tags.logs.describe());
        let data = account.bucket("data");
        let d = g.data_bucket;
        let on = |flag: bool, what: &str| format!("{what} {}", if flag { "on" } else { "off" });
        e.add(
            home,
            "s3-bucket-versioning-enabled",
            BUCKET,
            "bucket/data",
            Some(&data),
            d.versioning,
            on(d.versioning, "versioning"),
        );
        let why = on(d.encryption, "default encryption");
        e.add(home, "s3-bucket-server-side-encryption-enabled", BUCKET, "bucket/data", Some(&data), d.encryption, why);
        e.add(
            home,
            "s3-bucket-logging-enabled",
            BUCKET,
            "bucket/data",
            Some(&data),
            d.logging,
            on(d.logging, "access logging"),
        );
        e.add(
            home,
            "s3-bucket-ssl-requests-only",
            BUCKET,
            "bucket/data",
            Some(&data),
            d.tls_only,
            on(d.tls_only, "TLS-only policy"),
        );
        let why = on(d.block, "bucket-level public access block");
        e.add(home, "s3-bucket-level-public-access-prohibited", BUCKET, "bucket/data", Some(&data), d.block, why);
        e.add(home, "s3-bucket-public-read-prohibited", BUCKET, "bucket/data", Some(&data), true, "no public grant");
        e.add(home, "s3-bucket-public-write-prohibited", BUCKET, "bucket/data", Some(&data), true, "no public grant");
        e.add(home, TAG_POLICY, BUCKET, "bucket/data", Some(&data), tags.data.complete(), tags.data.describe());
        if let Some(public) = g.public_bucket {
            let name = account.bucket("public");
            let why = if public.write {
                "ACL public-read-write; no account-level public access block"
            } else {
                "ACL public-read and a public s3:GetObject policy; no account-level public access block"
            };
            e.add(home, "s3-bucket-public-read-prohibited", BUCKET, "bucket/public", Some(&name), false, why);
            e.add(home, "s3-bucket-public-write-prohibited", BUCKET, "bucket/public", Some(&name), !public.write, why);
            for rule in [
                "s3-bucket-level-public-access-prohibited",
                "s3-bucket-versioning-enabled",
                "s3-bucket-server-side-encryption-enabled",
                "s3-bucket-ssl-requests-only",
                "s3-bucket-logging-enabled",
            ] {
                e.add(home, rule, BUCKET, "bucket/public", Some(&name), false, "none of the protections");
            }
            let (pass, why) = (tags.public.complete(), tags.public.describe());
            e.add(home, TAG_POLICY, BUCKET, "bucket/public", Some(&name), pass, why);
        }

        // The trail, judged in its home region, and trail coverage per region.
        if let Some(name) = g.trail.name() {
            let label = format!("trail/{name}");
            let (validation, kms, logs, private, why) = match g.trail {
                TrailPlan::Full => (true, true, true, true, "validation, KMS, CloudWatch Logs, private bucket"),
                TrailPlan::Regional => (true, true, false, true, "validation and KMS, no CloudWatch Logs"),
                _ => (false, false, false, false, "stopped; no validation, KMS or CloudWatch Logs; public bucket"),
            };
            e.add(home, "cloud-trail-log-file-validation-enabled", TRAIL, &label, Some(name), validation, why);
            e.add(home, "cloud-trail-encryption-enabled", TRAIL, &label, Some(name), kms, why);
            e.add(home, "cloud-trail-cloud-watch-logs-enabled", TRAIL, &label, Some(name), logs, why);
            e.add(home, "mamori-cloudtrail-bucket-not-public", TRAIL, &label, Some(name), private, why);
        }

        for (n, distribution) in g.distributions.iter().enumerate() {
            let label = format!("distribution/{}", n + 1);
            let why =
                if distribution.https { "viewer protocol redirect-to-https" } else { "viewer protocol allow-all" };
            e.add(GLOBAL, "cloudfront-viewer-policy-https", DISTRIBUTION, &label, None, distribution.https, why);
            let why = if distribution.logging { "standard logging to the logs bucket" } else { "logging disabled" };
            e.add(GLOBAL, "cloudfront-accesslogs-enabled", DISTRIBUTION, &label, None, distribution.logging, why);
        }

        for region in &account.regions {
            self.region_expectations(&mut e, g.trail, region);
        }
        out
    }

    fn region_expectations(&self, e: &mut Expect<'_>, trail: TrailPlan, r: &RegionPlan) {
        let scope = r.region.as_str();
        let acct = "account";
        let covered = match trail {
            TrailPlan::Full => true,
            TrailPlan::Regional => r.home,
            TrailPlan::Neglected | TrailPlan::Absent => false,
        };
        let why = match (trail, covered) {
            (TrailPlan::Full, _) => "multi-region trail audit-trail is logging",
            (TrailPlan::Regional, true) => "regional-trail is logging in this region",
            (TrailPlan::Regional, false) => "regional-trail covers the home region only",
            (TrailPlan::Neglected, _) => "audit-trail is not logging",
            (TrailPlan::Absent, _) => "no trail",
        };
        e.add(scope, "cloudtrail-enabled", ACCOUNT_TYPE, acct, None, covered, why);
        let why = if r.ebs_default_encryption { "enabled" } else { "disabled" };
        e.add(scope, "ec2-ebs-encryption-by-default", ACCOUNT_TYPE, acct, None, r.ebs_default_encryption, why);
        let (pass, why) = match r.recorder {
            Recorder::Recording { global: true } => (true, "recorder records all types, global ones included"),
            Recorder::Recording { global: false } if r.home => {
                (false, "recorder does not record global types in the home region")
            }
            Recorder::Recording { global: false } => (true, "recorder records all regional types"),
            Recorder::Stopped => (false, "recorder defined but never started"),
            Recorder::Absent => (false, "no configuration recorder"),
        };
        e.add(scope, "mamori-config-recorder-enabled", ACCOUNT_TYPE, acct, None, pass, why);
        let (pass, why) = match r.guardduty {
            Detector::Enabled => (true, "detector enabled"),
            Detector::Disabled => (false, "detector disabled"),
            Detector::Absent => (false, "no detector"),
        };
        e.add(scope, "guardduty-enabled-centralized", ACCOUNT_TYPE, acct, None, pass, why);
        let why = if r.security_hub { "enabled" } else { "not enabled" };
        e.add(scope, "securityhub-enabled", ACCOUNT_TYPE, acct, None, r.security_hub, why);
        let (pass, why) = match r.access_analyzer {
            AnalyzerPlan::External => (true, "account analyzer external-access"),
            AnalyzerPlan::UnusedOnly => (false, "only the unused-access analyzer, which watches no external access"),
            AnalyzerPlan::Absent => (false, "no analyzer"),
        };
        e.add(scope, "iam-external-access-analyzer-enabled", ACCOUNT_TYPE, acct, None, pass, why);
        let (pass, why) = match r.detective {
            DetectivePlan::Owned => (true, "administers its own behaviour graph"),
            DetectivePlan::Member => (true, "member of the management account's behaviour graph"),
            DetectivePlan::Invited => (false, "invited to the management account's behaviour graph, never accepted"),
            DetectivePlan::Absent => (false, "in no behaviour graph"),
        };
        e.add(scope, "mamori-detective-enabled", ACCOUNT_TYPE, acct, None, pass, why);

        let why = if r.flow_log { "flow log (ALL) to the logs bucket" } else { "no flow log" };
        e.add(scope, "vpc-flow-logs-enabled", VPC, "vpc/app", Some("app"), r.flow_log, why);
        let rule = "subnet-auto-assign-public-ip-disabled";
        e.add(scope, rule, SUBNET, "subnet/app-private", Some("app-private"), true, "mapPublicIpOnLaunch false");
        e.add(scope, rule, SUBNET, "subnet/app-public", Some("app-public"), false, "mapPublicIpOnLaunch true");
        let why = if r.default_sg_closed { "no rules" } else { "the allow-all egress rule it was created with" };
        let rule = "vpc-default-security-group-closed";
        e.add(scope, rule, SECURITY_GROUP, "security-group/default", Some("default"), r.default_sg_closed, why);
        let why = "ingress from itself only";
        e.add(scope, SG_POLICY, SECURITY_GROUP, "security-group/default", Some("default"), true, why);
        let why = "SSH from 10.0.0.0/8 and PostgreSQL from itself";
        security_group_rules(e, scope, "internal", Exposure::default(), why);
        for group in &r.open_groups {
            let open = Exposure { any: true, ..Exposure::default() };
            let (exposure, why) = match group {
                OpenGroup::Ssh => (Exposure { ssh: true, unauthorized: true, ..open }, "TCP 22 from 0.0.0.0/0"),
                OpenGroup::RdpV6 => (Exposure { common: true, unauthorized: true, ..open }, "TCP 3389 from ::/0"),
                OpenGroup::Web => (
                    open,
                    "TCP 80 and 443 from 0.0.0.0/0: no port is authorized by the catalog's default, both are by the example policy",
                ),
                OpenGroup::SshExempt => (
                    Exposure { ssh: true, ..open },
                    "TCP 22 from 0.0.0.0/0, tagged security-exemption=SEC-123 (exempt from the example policy only)",
                ),
            };
            security_group_rules(e, scope, group.name(), exposure, why);
        }
        let rule = "nacl-no-unrestricted-ssh-rdp";
        e.add(scope, rule, NETWORK_ACL, "network-acl/web", Some("web"), true, "allows TCP 443 only");
        if r.ssh_nacl {
            e.add(
                scope,
                rule,
                NETWORK_ACL,
                "network-acl/ssh-open",
                Some("ssh-open"),
                false,
                "allows TCP 22 from 0.0.0.0/0",
            );
        }
        if let Some(i) = r.instance {
            let (label, name) = ("instance/app-1", Some("app-1"));
            let why = if i.public { "in the public subnet" } else { "in the private subnet" };
            e.add(scope, "ec2-instance-no-public-ip", INSTANCE, label, name, !i.public, why);
            let why = if i.imdsv2 { "HttpTokens required" } else { "HttpTokens optional" };
            e.add(scope, "ec2-imdsv2-check", INSTANCE, label, name, i.imdsv2, why);
            let why = if i.profile { "instance profile app-instance" } else { "no instance profile" };
            e.add(scope, "ec2-instance-profile-attached", INSTANCE, label, name, i.profile, why);
            let why = if i.encrypted { "encrypted with the data key" } else { "not encrypted" };
            e.add(scope, "encrypted-volumes", VOLUME, "volume/app-1-root", Some("app-1-root"), i.encrypted, why);
            e.add(scope, TAG_POLICY, INSTANCE, label, name, i.tags.complete(), i.tags.describe());
        }
        let why = if r.key_rotation { "automatic rotation on" } else { "automatic rotation off" };
        e.add(scope, "cmk-backing-key-rotation-enabled", KEY, "key/data", Some("alias/demo-data"), r.key_rotation, why);
        if r.legacy_key {
            let rule = "cmk-backing-key-rotation-enabled";
            e.add(scope, rule, KEY, "key/legacy", Some("alias/demo-legacy"), false, "automatic rotation off");
        }
        if let Some(db) = r.database {
            let (label, name) = ("db-instance/orders", Some("orders"));
            let state = |flag: bool, yes: &str, no: &str| if flag { yes.to_owned() } else { no.to_owned() };
            e.add(
                scope,
                "rds-storage-encrypted",
                DB_INSTANCE,
                label,
                name,
                db.encrypted,
                state(db.encrypted, "encrypted", "not encrypted"),
            );
            let why = state(db.backups, "backups kept 7 days", "backup retention 0");
            e.add(scope, "db-instance-backup-enabled", DB_INSTANCE, label, name, db.backups, why);
            let why = state(db.public, "publicly accessible", "not publicly accessible");
            e.add(scope, "rds-instance-public-access-check", DB_INSTANCE, label, name, !db.public, why);
            e.add(
                scope,
                "rds-multi-az-support",
                DB_INSTANCE,
                label,
                name,
                db.multi_az,
                state(db.multi_az, "Multi-AZ", "single AZ"),
            );
            let why = state(db.deletion_protection, "deletion protection on", "deletion protection off");
            e.add(
                scope,
                "rds-instance-deletion-protection-enabled",
                DB_INSTANCE,
                label,
                name,
                db.deletion_protection,
                why,
            );
            e.add(scope, TAG_POLICY, DB_INSTANCE, label, name, db.tags.complete(), db.tags.describe());
            if let Some(public) = db.snapshot {
                let why = state(public, "restore shared with all", "not shared");
                let (label, name) = ("db-snapshot/orders-manual", Some("orders-manual"));
                e.add(scope, "rds-snapshots-public-prohibited", DB_SNAPSHOT, label, name, !public, why);
            }
        }
        if let Some(lb) = r.load_balancer {
            let (label, name) = ("load-balancer/web", Some("web"));
            let why = if lb.redirect { "HTTP:80 redirects to HTTPS" } else { "HTTP:80 forwards to a target group" };
            e.add(scope, "alb-http-to-https-redirection-check", LOAD_BALANCER, label, name, lb.redirect, why);
            let why = if lb.access_logs { "access_logs.s3.enabled true" } else { "access_logs.s3.enabled false" };
            e.add(scope, "elb-logging-enabled", LOAD_BALANCER, label, name, lb.access_logs, why);
        }
        for function in &r.functions {
            let name = function.name();
            let label = format!("function/{name}");
            let (pass, why) = match function {
                Function::Public => (false, "resource policy allows Principal * to invoke"),
                Function::S3Pinned => (true, "resource policy allows S3 with aws:SourceAccount of the account"),
            };
            e.add(scope, "lambda-function-public-access-prohibited", FUNCTION, &label, Some(name), pass, why);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn coverage(plan: &Plan) -> BTreeMap<&'static str, BTreeSet<Status>> {
        let mut seen: BTreeMap<&'static str, BTreeSet<Status>> = BTreeMap::new();
        for account in &plan.accounts {
            for planned in plan.expectations(account) {
                seen.entry(planned.rule_id).or_default().insert(planned.expected);
            }
        }
        seen
    }

    /// Rules planted one way only: the SCP rule has one verdict per organization (one management
    /// account), and moto cannot backdate access keys or passwords, so keys are never old and
    /// credentials never unused for long.
    const ONE_WAY: &[&str] = &[
        "mamori-organizations-scp-protects-security-services",
        "access-keys-rotated",
        "iam-user-unused-credentials-check",
    ];

    #[test]
    fn every_planted_rule_passes_and_fails_somewhere() {
        for spec in
            [Spec::demo(), Spec { member_accounts: 3, regions: vec!["us-east-1".into(), "eu-west-1".into()], seed: 7 }]
        {
            for seed in [spec.seed, 1, 99, 12_345] {
                let plan = plan(&Spec { seed, ..spec.clone() }).unwrap();
                for (rule, statuses) in coverage(&plan) {
                    if ONE_WAY.contains(&rule) {
                        continue;
                    }
                    assert_eq!(
                        statuses.len(),
                        2,
                        "seed {seed}, {} members: rule {rule} only {statuses:?}",
                        spec.member_accounts
                    );
                }
            }
        }
    }

    /// The planted policy ids are those of the example policies: a renamed policy would
    /// otherwise leave its expectations judged by nothing.
    #[test]
    fn policy_ids_are_the_example_policies_ids() {
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/policies");
        for (file, id) in [
            ("tag_policy.rego", TAG_POLICY),
            ("sg_open_ingress_authorized.rego", SG_POLICY),
            ("iam_access_key_source_ip.rego", KEY_SOURCE_IP_POLICY),
        ] {
            let source = std::fs::read_to_string(format!("{examples}/{file}")).unwrap();
            assert!(source.contains(&format!("\"id\": \"{id}\"")), "{file} does not declare id {id}");
        }
    }

    #[test]
    fn detective_members_join_only_where_the_management_account_has_a_graph() {
        let mut kinds = BTreeSet::new();
        for seed in [1, 7, 2024] {
            let plan = plan(&Spec { seed, ..Spec::demo() }).unwrap();
            for r in 0..plan.spec.regions.len() {
                let management = plan.accounts[0].regions[r].detective;
                assert!(!management.needs_management_graph(), "the management account is nobody's member");
                for account in plan.accounts.iter().skip(1).filter(|a| !a.closed) {
                    let planned = account.regions[r].detective;
                    kinds.insert(format!("{planned:?}"));
                    if planned.needs_management_graph() {
                        assert_eq!(management, DetectivePlan::Owned, "seed {seed} {}: {planned:?}", account.name);
                    }
                }
            }
        }
        assert_eq!(kinds.len(), 4, "every kind of Detective plan occurs: {kinds:?}");
    }

    #[test]
    fn the_scp_rule_goes_both_ways_across_seeds() {
        let spec = Spec::demo();
        let verdicts: BTreeSet<bool> =
            (0..16).map(|seed| plan(&Spec { seed, ..spec.clone() }).unwrap().protective_scp_on_root).collect();
        assert_eq!(verdicts.len(), 2);
    }

    #[test]
    fn plans_are_deterministic_and_seed_dependent() {
        let spec = Spec::demo();
        assert_eq!(plan(&spec).unwrap(), plan(&spec).unwrap());
        assert_ne!(plan(&spec).unwrap().accounts, plan(&Spec { seed: spec.seed + 1, ..spec }).unwrap().accounts);
    }

    #[test]
    fn labels_are_unique_per_rule_account_and_scope() {
        let plan = plan(&Spec::demo()).unwrap();
        for account in &plan.accounts {
            let mut keys = BTreeSet::new();
            for planned in plan.expectations(account) {
                let key = (planned.scope.clone(), planned.rule_id, planned.label.clone());
                assert!(keys.insert(key.clone()), "duplicate expectation {key:?} in {}", account.name);
            }
        }
    }

    #[test]
    fn the_last_member_is_closed_and_empty() {
        let plan = plan(&Spec { member_accounts: 3, regions: vec!["us-east-1".into()], seed: 1 }).unwrap();
        let closed: Vec<&AccountPlan> = plan.accounts.iter().filter(|a| a.closed).collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].name, "demo-002");
        assert!(plan.expectations(closed[0]).is_empty());
        let plan = super::plan(&Spec { member_accounts: 2, regions: vec!["us-east-1".into()], seed: 1 }).unwrap();
        assert!(plan.accounts.iter().all(|a| !a.closed));
    }

    #[test]
    fn specs_are_validated() {
        let spec = |regions: &[&str], members| Spec {
            member_accounts: members,
            regions: regions.iter().map(|r| r.to_string()).collect(),
            seed: 0,
        };
        assert!(spec(&["us-east-1", "ap-northeast-1", "us-gov-west-1"], 3).validate().is_ok());
        for (bad, members, message) in [
            (&[][..], 1, "no region"),
            (&["us-east-1", "us-east-1"][..], 1, "given twice"),
            (&["US-EAST-1"][..], 1, "not a region name"),
            (&["us-east"][..], 1, "not a region name"),
            (&["eu-west-1"][..], 1001, "at most 1000"),
        ] {
            let err = spec(bad, members).validate().unwrap_err().to_string();
            assert!(err.contains(message), "{err}");
        }
    }
}
