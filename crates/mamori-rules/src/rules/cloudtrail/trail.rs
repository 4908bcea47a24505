//! What the CloudTrail rules share: a trail read from its configuration item, the account
//! records that say which organization an account belongs to, and the test of whether a trail
//! reaches an account and region.
//!
//! DescribeTrails lists a multi-region trail in every region (shadow copies) and an
//! organization trail in member accounts too, so an inventory may hold several copies of one
//! trail. Per-trail rules judge a trail once, on the copy read in its home region and owner
//! account ([`is_shadow_copy`]); account-level rules merge copies by ARN ([`merge_copies`]).
//! An organization trail lives in the management account and covers every member account whose
//! home-region `AWS::::Account` record names that account as `organization.masterAccountId`,
//! which is why the account-level rules gather their notes over the whole inventory.
//!
//! Every fact is a [`Fact`]: known, or the reason it is not (absent from the inventory, or its
//! read failed). A trail qualifies when every check is [`Check::Yes`]; a rule passes on one
//! qualifying trail, fails when every trail definitely falls short, and reports ERROR when only
//! unknown facts stand between a trail and qualifying.

use std::collections::BTreeMap;

use mamori_model::ConfigItem;
use serde_json::Value;

use crate::support::item::{as_bool, as_list, required, supplementary};
use crate::{Cx, Notes, Scope, Subject};

pub(super) const TRAIL_TYPE: &str = "AWS::CloudTrail::Trail";

/// A value, or why it is not known.
pub(super) type Fact<T> = Result<T, String>;

/// Whether a trail meets one condition, with the reason when it does not or may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Check {
    Yes,
    No(String),
    Unknown(String),
}

impl Check {
    /// All conditions together: one `No` settles it; otherwise one `Unknown` leaves it open.
    pub(super) fn all(checks: impl IntoIterator<Item = Check>) -> Check {
        let mut unknown = None;
        for check in checks {
            match check {
                Check::Yes => {}
                Check::No(reason) => return Check::No(reason),
                Check::Unknown(reason) => {
                    unknown.get_or_insert(reason);
                }
            }
        }
        unknown.map_or(Check::Yes, Check::Unknown)
    }
}

/// What a rule concluded from the trails that might satisfy it.
pub(super) enum Decision {
    /// The label of the first trail (in ARN order) that qualifies.
    Pass(String),
    /// Why each candidate falls short; empty when there was no candidate.
    Fail(Vec<String>),
    /// What is unknown about the candidates that might have qualified.
    Error(Vec<String>),
}

impl Decision {
    pub(super) fn of<'a>(candidates: impl IntoIterator<Item = (&'a Trail, Check)>) -> Decision {
        let (mut no, mut unknown) = (Vec::new(), Vec::new());
        for (trail, check) in candidates {
            match check {
                Check::Yes => return Decision::Pass(trail.label()),
                Check::No(reason) => no.push(reason),
                Check::Unknown(reason) => unknown.push(reason),
            }
        }
        if unknown.is_empty() {
            Decision::Fail(no)
        } else {
            Decision::Error(unknown)
        }
    }
}

/// `": reason; reason"`, or nothing when there is no reason to give.
pub(super) fn because(reasons: &[String]) -> String {
    if reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", reasons.join("; "))
    }
}

/// Which management events a trail records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Management {
    pub read: bool,
    pub write: bool,
    /// Event sources or conditions that leave some management events out.
    pub excluded: Vec<String>,
}

impl Management {
    /// What AWS's default selector records: every management event, read and write.
    const DEFAULT_SELECTOR: Management = Management { read: true, write: true, excluded: Vec::new() };
}

/// Which buckets a trail records S3 object-level (data) events for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct S3Data {
    /// Every bucket, except those in `except`.
    pub all: bool,
    pub except: Vec<String>,
    /// Whole buckets named one by one.
    pub buckets: Vec<String>,
}

impl S3Data {
    pub(super) fn all_buckets(&self) -> bool {
        self.all && self.except.is_empty()
    }

    pub(super) fn covers(&self, bucket: &str) -> bool {
        (self.all && !self.except.iter().any(|name| name == bucket)) || self.buckets.iter().any(|name| name == bucket)
    }
}

/// One trail, as much as the inventory tells.
#[derive(Debug, Clone)]
pub(super) struct Trail {
    pub arn: String,
    pub name: String,
    /// The account that owns the trail (from its ARN).
    pub owner: String,
    pub home_region: String,
    /// Whether this copy was read in the trail's home region, in its owner account.
    pub home_copy: bool,
    pub multi_region: Fact<bool>,
    pub organization: Fact<bool>,
    pub s3_bucket: Fact<Option<String>>,
    pub sns_topic: Fact<Option<String>>,
    pub log_group: Fact<Option<String>>,
    pub logging: Fact<bool>,
    pub management: Fact<Management>,
    /// S3 data events of any kind (read or write).
    pub s3_data: Fact<S3Data>,
    /// S3 data events that include reads (`ReadOnly` or `All`).
    pub s3_read: Fact<S3Data>,
    /// S3 data events that include writes (`WriteOnly` or `All`).
    pub s3_write: Fact<S3Data>,
}

impl Trail {
    pub(super) fn read(item: &ConfigItem) -> Trail {
        let text = |key: &str| item.config(key).and_then(Value::as_str).filter(|text| !text.is_empty());
        let arn = text("trailARN").or(item.arn.as_deref()).unwrap_or(&item.resource_id).to_owned();
        let name = text("name").or(item.resource_name.as_deref()).unwrap_or(&item.resource_id).to_owned();
        let owner = arn_account(&arn).unwrap_or(&item.account_id).to_owned();
        let home_region = text("homeRegion").unwrap_or(&item.aws_region).to_owned();
        let home_copy = home_region == item.aws_region && owner == item.account_id;
        let sns_key = if item.config("snsTopicArn").is_some() { "snsTopicArn" } else { "snsTopicARN" };
        let selectors = selectors(item, &name);
        let custom = has_custom_selectors(item);
        Trail {
            multi_region: flag(item, "isMultiRegionTrail"),
            organization: flag(item, "isOrganizationTrail"),
            s3_bucket: optional_text(item, "s3BucketName"),
            sns_topic: optional_text(item, sns_key),
            log_group: optional_text(item, "cloudWatchLogsLogGroupArn"),
            logging: is_logging(item, &name),
            management: management_fact(&selectors, custom),
            s3_data: s3_data_fact(&selectors, custom, Access::Any),
            s3_read: s3_data_fact(&selectors, custom, Access::Read),
            s3_write: s3_data_fact(&selectors, custom, Access::Write),
            arn,
            name,
            owner,
            home_region,
            home_copy,
        }
    }

    /// How messages name the trail: with its owner when that is another account.
    pub(super) fn label(&self) -> String {
        match self.organization {
            Ok(true) => format!("organization trail {} of account {}", self.name, self.owner),
            _ => format!("trail {}", self.name),
        }
    }

    pub(super) fn logging_check(&self) -> Check {
        match &self.logging {
            Ok(true) => Check::Yes,
            Ok(false) => Check::No(format!("{} exists but is not logging", self.label())),
            Err(reason) => Check::Unknown(reason.clone()),
        }
    }

    pub(super) fn multi_region_check(&self) -> Check {
        match &self.multi_region {
            Ok(true) => Check::Yes,
            Ok(false) => Check::No(format!("{} is a single-region trail of {}", self.label(), self.home_region)),
            Err(reason) => Check::Unknown(reason.clone()),
        }
    }

    /// Whether the trail records events of `region`: its home region, or every region.
    pub(super) fn region_check(&self, region: &str) -> Check {
        if self.home_region == region {
            return Check::Yes;
        }
        self.multi_region_check()
    }

    /// Whether the trail records events of `account`: its own trails, and the organization
    /// trails of the account's management account. `master` is what the account's home-region
    /// record says about its organization. `None` when it does not: such a trail is no
    /// candidate for the account, so the account-level rules leave it out. They ask this of
    /// every trail for every account and region, so the answer costs no allocation then.
    pub(super) fn account_check(&self, account: &str, master: &Fact<Option<String>>) -> Option<Check> {
        if self.owner == account {
            return Some(Check::Yes);
        }
        match (&self.organization, master) {
            (Ok(false), _) | (_, Ok(None)) => None,
            (_, Ok(Some(master))) if *master != self.owner => None,
            (Ok(true), Ok(Some(_))) => Some(Check::Yes),
            (Err(reason), Ok(Some(_))) => Some(Check::Unknown(reason.clone())),
            (_, Err(reason)) => Some(Check::Unknown(format!(
                "whether trail {} of account {} covers account {account} is unknown: {reason}",
                self.name, self.owner
            ))),
        }
    }

    /// The rule parameters `s3BucketName`, `snsTopicArn`, `cloudWatchLogsLogGroupArn`: filters
    /// on which trails count, as AWS applies them.
    pub(super) fn destination_check(&self, bucket: Option<&str>, topic: Option<&str>, group: Option<&str>) -> Check {
        Check::all([
            self.matches(&self.s3_bucket, bucket, "delivers to bucket"),
            self.matches(&self.sns_topic, topic, "notifies SNS topic"),
            self.matches(&self.log_group, group, "sends to log group"),
        ])
    }

    fn matches(&self, actual: &Fact<Option<String>>, wanted: Option<&str>, verb: &str) -> Check {
        let Some(wanted) = wanted else { return Check::Yes };
        // DescribeTrails returns log group ARNs ending in `:*`; users often write them without.
        let normal = |text: &str| text.trim_end_matches(":*").to_owned();
        match actual {
            Ok(Some(actual)) if normal(actual) == normal(wanted) => Check::Yes,
            Ok(Some(actual)) => Check::No(format!("{} {verb} {actual}, not {wanted}", self.label())),
            Ok(None) => Check::No(format!("{} {verb} none, not {wanted}", self.label())),
            Err(reason) => Check::Unknown(reason.clone()),
        }
    }
}

/// Whether a trail item is a copy of a trail judged elsewhere: a shadow of a multi-region trail
/// read outside its home region, or an organization trail seen from a member account.
pub(super) fn is_shadow_copy(item: &ConfigItem) -> bool {
    let home = item.config("homeRegion").and_then(Value::as_str).filter(|home| !home.is_empty());
    let arn = item.config("trailARN").and_then(Value::as_str).or(item.arn.as_deref());
    home.is_some_and(|home| home != item.aws_region)
        || arn.and_then(arn_account).is_some_and(|owner| owner != item.account_id)
}

/// The trail's name, for messages of per-trail rules.
pub(super) fn trail_name(item: &ConfigItem) -> &str {
    item.config("name")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .or(item.resource_name.as_deref())
        .unwrap_or(&item.resource_id)
}

/// One trail per ARN, preferring the copy read in the trail's home region and owner account
/// (where its status was read), otherwise the first read.
pub(super) fn merge_copies(trails: Vec<Trail>) -> Vec<Trail> {
    let mut by_arn: BTreeMap<String, Trail> = BTreeMap::new();
    for trail in trails {
        match by_arn.get(&trail.arn) {
            Some(kept) if kept.home_copy || !trail.home_copy => {}
            _ => {
                by_arn.insert(trail.arn.clone(), trail);
            }
        }
    }
    by_arn.into_values().collect()
}

/// The account id in an ARN (`arn:aws:cloudtrail:us-east-1:111122223333:trail/x`).
pub(super) fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then_some(())?;
    parts.nth(3).filter(|account| !account.is_empty())
}

/// One `AWS::::Account` record: the subject of account- and region-level findings, and on the
/// home-region record, the account's organization.
#[derive(Debug, Clone)]
pub(super) struct AccountRecord {
    pub subject: Subject,
    pub home: bool,
    /// `organization.masterAccountId`: `None` outside an organization. Known only on the
    /// home-region record.
    pub master: Fact<Option<String>>,
}

impl AccountRecord {
    pub(super) fn read(item: &ConfigItem) -> AccountRecord {
        let home = item.config("homeRegion").and_then(as_bool) == Some(true);
        let master = match required(item, "organization") {
            Ok(Value::Null) => Ok(None),
            Ok(organization) => organization
                .get("masterAccountId")
                .and_then(Value::as_str)
                .map(|id| Some(id.to_owned()))
                .ok_or_else(|| format!("the organization of account {} has no masterAccountId", item.account_id)),
            Err(reason) => Err(reason),
        };
        AccountRecord { subject: Subject::of(item), home, master }
    }
}

/// Each account's management account, from its home-region record.
pub(super) fn masters(records: &[AccountRecord]) -> BTreeMap<String, Fact<Option<String>>> {
    let mut masters = BTreeMap::new();
    for record in records.iter().filter(|record| record.home) {
        masters.insert(record.subject.account_id.to_string(), record.master.clone());
    }
    for record in records {
        masters.entry(record.subject.account_id.to_string()).or_insert_with(|| {
            Err(format!(
                "account {} has no home-region AWS::::Account record in the inventory to tell its organization",
                record.subject.account_id
            ))
        });
    }
    masters
}

fn flag(item: &ConfigItem, key: &str) -> Fact<bool> {
    match required(item, key)? {
        Value::Null => Ok(false),
        value => as_bool(value).ok_or_else(|| format!("{} has an unreadable `{key}`", item.resource_id)),
    }
}

fn optional_text(item: &ConfigItem, key: &str) -> Fact<Option<String>> {
    match required(item, key)? {
        Value::Null => Ok(None),
        Value::String(text) if text.is_empty() => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        _ => Err(format!("{} has an unreadable `{key}`", item.resource_id)),
    }
}

fn is_logging(item: &ConfigItem, name: &str) -> Fact<bool> {
    let status = supplementary(item, "TrailStatus")?.ok_or_else(|| {
        format!("trail {name} has no TrailStatus in the inventory, so whether it is logging is unknown")
    })?;
    field(status, "isLogging")
        .and_then(as_bool)
        .ok_or_else(|| format!("the TrailStatus of trail {name} has no readable isLogging"))
}

/// A field in the SDK's camelCase or the API's PascalCase.
pub(super) fn field<'a>(value: &'a Value, camel: &str) -> Option<&'a Value> {
    value.get(camel).or_else(|| {
        let mut pascal = camel.to_owned();
        if let Some(first) = pascal.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        value.get(&pascal)
    })
}

/// The trail's event selectors: basic and advanced, as GetEventSelectors returns them.
struct Selectors {
    basic: Vec<Value>,
    advanced: Vec<Value>,
}

/// The recorded answer of GetEventSelectors; `None` when the inventory has none but needs none,
/// the trail keeping the default selector (AWS Config's own trail items carry only the flag).
fn selectors(item: &ConfigItem, name: &str) -> Fact<Option<Selectors>> {
    let custom = has_custom_selectors(item);
    match supplementary(item, "EventSelectors")? {
        Some(value) => Ok(Some(Selectors {
            basic: as_list(field(value, "eventSelectors")).into_iter().cloned().collect(),
            advanced: as_list(field(value, "advancedEventSelectors")).into_iter().cloned().collect(),
        })),
        None if custom == Some(false) => Ok(None),
        None if custom == Some(true) => Err(format!(
            "trail {name} has no EventSelectors in the inventory, and its hasCustomEventSelectors says it has custom ones"
        )),
        None => Err(format!(
            "trail {name} has no EventSelectors in the inventory, and no hasCustomEventSelectors to tell whether it keeps the default selector"
        )),
    }
}

/// DescribeTrails' `HasCustomEventSelectors`, which AWS Config's items carry as
/// `configuration.hasCustomEventSelectors`, when the item says.
fn has_custom_selectors(item: &ConfigItem) -> Option<bool> {
    item.config("hasCustomEventSelectors").and_then(as_bool)
}

/// A trail never given selectors (`hasCustomEventSelectors` false) has AWS's default one: all
/// management events, read and write, nothing excluded. That settles its management events
/// whatever GetEventSelectors answered: AWS answers the default selector, but emulators answer
/// an empty list, which would read as "no management events", and AWS Config's items carry
/// only the flag.
fn management_fact(selectors: &Fact<Option<Selectors>>, custom: Option<bool>) -> Fact<Management> {
    match (custom, selectors) {
        (Some(false), _) | (_, Ok(None)) => Ok(Management::DEFAULT_SELECTOR),
        (_, Ok(Some(selectors))) => Ok(management_of(selectors)),
        (_, Err(reason)) => Err(reason.clone()),
    }
}

/// The default selector selects no data events. The recorded selectors still count when
/// present: AWS answers the default one for such a trail (no data resources), so reading it
/// changes nothing there, while moto reports `HasCustomEventSelectors` false even after
/// PutEventSelectors and answers the selectors it was given.
fn s3_data_fact(selectors: &Fact<Option<Selectors>>, custom: Option<bool>, access: Access) -> Fact<S3Data> {
    match (custom, selectors) {
        (_, Ok(Some(selectors))) => Ok(s3_data_of(selectors, access)),
        (Some(false), _) | (_, Ok(None)) => Ok(S3Data::default()),
        (_, Err(reason)) => Err(reason.clone()),
    }
}

/// `(field, operator, values)` of an advanced selector's field selectors.
fn field_selectors(selector: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for entry in as_list(field(selector, "fieldSelectors")) {
        let Some(name) = field(entry, "field").and_then(Value::as_str) else { continue };
        for operator in ["equals", "notEquals", "startsWith", "notStartsWith", "endsWith", "notEndsWith"] {
            if let Some(values) = field(entry, operator) {
                let values = as_list(Some(values)).into_iter().filter_map(Value::as_str).map(str::to_owned).collect();
                out.push((name.to_owned(), operator.to_owned(), values));
            }
        }
    }
    out
}

fn is(conditions: &[(String, String, Vec<String>)], name: &str, value: &str) -> bool {
    conditions
        .iter()
        .any(|(field, operator, values)| field == name && operator == "equals" && values.iter().any(|v| v == value))
}

fn management_of(selectors: &Selectors) -> Management {
    let mut management = Management::default();
    for selector in &selectors.basic {
        if field(selector, "includeManagementEvents").and_then(as_bool) == Some(false) {
            continue;
        }
        let kind = field(selector, "readWriteType").and_then(Value::as_str).unwrap_or("All").to_ascii_lowercase();
        management.read |= kind != "writeonly";
        management.write |= kind != "readonly";
        for source in as_list(field(selector, "excludeManagementEventSources")).into_iter().filter_map(Value::as_str) {
            management.excluded.push(source.to_owned());
        }
    }
    for selector in &selectors.advanced {
        let conditions = field_selectors(selector);
        if !is(&conditions, "eventCategory", "Management") {
            continue;
        }
        let read_only: Vec<&str> = conditions
            .iter()
            .filter(|(name, operator, _)| name == "readOnly" && operator == "equals")
            .flat_map(|(_, _, values)| values.iter().map(String::as_str))
            .collect();
        management.read |= read_only.is_empty() || read_only.contains(&"true");
        management.write |= read_only.is_empty() || read_only.contains(&"false");
        for (name, operator, values) in &conditions {
            if name != "eventCategory" && name != "readOnly" {
                management.excluded.push(format!("{name} {operator} {}", values.join(",")));
            }
        }
    }
    management
}

/// `arn:aws:s3` or `arn:aws:s3:::` (any partition): every bucket.
fn is_all_buckets(arn: &str) -> bool {
    let trimmed = arn.trim_end_matches(':');
    let parts: Vec<&str> = trimmed.split(':').collect();
    parts.len() == 3 && parts[0] == "arn" && parts[2] == "s3"
}

/// The bucket a whole-bucket ARN prefix names (`arn:aws:s3:::bucket/`); `None` for a key prefix.
fn whole_bucket(arn: &str) -> Option<String> {
    let rest = arn.split_once(":::")?.1;
    match rest.split_once('/') {
        Some((bucket, "")) => Some(bucket.to_owned()),
        None if !rest.is_empty() => Some(rest.to_owned()),
        _ => None,
    }
}

/// Which data events a question is about: any, or those that include reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Any,
    Read,
    Write,
}

impl Access {
    /// Whether a basic selector's `readWriteType` (`All`, `ReadOnly`, `WriteOnly`) records it.
    fn basic(self, read_write_type: &str) -> bool {
        match self {
            Access::Any => true,
            Access::Read => !read_write_type.eq_ignore_ascii_case("WriteOnly"),
            Access::Write => !read_write_type.eq_ignore_ascii_case("ReadOnly"),
        }
    }

    /// Whether an advanced selector's `readOnly` equality values (none: both) record it.
    fn advanced(self, read_only: &[&str]) -> bool {
        match self {
            Access::Any => true,
            _ if read_only.is_empty() => true,
            Access::Read => read_only.contains(&"true"),
            Access::Write => read_only.contains(&"false"),
        }
    }
}

fn s3_data_of(selectors: &Selectors, access: Access) -> S3Data {
    let mut data = S3Data::default();
    for selector in &selectors.basic {
        let kind = field(selector, "readWriteType").and_then(Value::as_str).unwrap_or("All");
        if !access.basic(kind) {
            continue;
        }
        for resource in as_list(field(selector, "dataResources")) {
            if field(resource, "type").and_then(Value::as_str) != Some("AWS::S3::Object") {
                continue;
            }
            for value in as_list(field(resource, "values")).into_iter().filter_map(Value::as_str) {
                if is_all_buckets(value) {
                    data.all = true;
                } else if let Some(bucket) = whole_bucket(value) {
                    data.buckets.push(bucket);
                }
            }
        }
    }
    for selector in &selectors.advanced {
        let conditions = field_selectors(selector);
        if !is(&conditions, "eventCategory", "Data") || !is(&conditions, "resources.type", "AWS::S3::Object") {
            continue;
        }
        let read_only: Vec<&str> = conditions
            .iter()
            .filter(|(name, operator, _)| name == "readOnly" && operator == "equals")
            .flat_map(|(_, _, values)| values.iter().map(String::as_str))
            .collect();
        if !access.advanced(&read_only) {
            continue;
        }
        let arns: Vec<&(String, String, Vec<String>)> =
            conditions.iter().filter(|(name, _, _)| name == "resources.ARN").collect();
        if arns.is_empty() {
            data.all = true;
        }
        for (_, operator, values) in arns {
            let buckets = values.iter().filter_map(|value| value.split_once(":::").map(|(_, rest)| rest));
            match operator.as_str() {
                "startsWith" => data.buckets.extend(values.iter().filter_map(|value| whole_bucket(value))),
                "notStartsWith" | "notEquals" => {
                    data.all = true;
                    data.except.extend(buckets.map(|rest| rest.split('/').next().unwrap_or(rest).to_owned()));
                }
                _ => {}
            }
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_arns() {
        assert!(is_all_buckets("arn:aws:s3"));
        assert!(is_all_buckets("arn:aws-us-gov:s3:::"));
        assert!(!is_all_buckets("arn:aws:s3:::logs/"));
        assert_eq!(whole_bucket("arn:aws:s3:::logs/"), Some("logs".to_owned()));
        assert_eq!(whole_bucket("arn:aws:s3:::logs/prefix/"), None);
        assert_eq!(arn_account("arn:aws:cloudtrail:us-east-1:111122223333:trail/x"), Some("111122223333"));
        assert_eq!(arn_account("management-events"), None);
    }
}

/// Which account records an account-level CloudTrail rule judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Judged {
    /// One verdict per account, on its home-region record.
    Accounts,
    /// One verdict per account and region.
    Regions,
}

/// The `evaluate` of the account-level CloudTrail rules. Notes go to the whole inventory
/// because an organization trail lives in the management account and covers the members.
pub(super) fn note_records_and_trails(item: &ConfigItem, cx: &mut Cx<'_>, judged: Judged) {
    if item.resource_type == TRAIL_TYPE {
        cx.note(Scope::Inventory, Trail::read(item));
        return;
    }
    let record = AccountRecord::read(item);
    if judged == Judged::Regions || record.home {
        cx.note(Scope::Inventory, record);
    }
}

/// What the account-level rules conclude from: the judged records in account and region
/// order, the trails with their copies merged, and each account's management account.
pub(super) struct Gathered {
    pub records: Vec<AccountRecord>,
    pub trails: Vec<Trail>,
    pub masters: BTreeMap<String, Fact<Option<String>>>,
}

pub(super) fn gather(notes: &mut Notes) -> Gathered {
    let mut records = notes.of::<AccountRecord>();
    records.sort_by(|a, b| (&a.subject.account_id, &a.subject.region).cmp(&(&b.subject.account_id, &b.subject.region)));
    let trails = merge_copies(notes.of::<Trail>());
    let masters = masters(&records);
    Gathered { records, trails, masters }
}
