//! The organization-wide view, aggregated while findings stream past.
//!
//! Counts per status, per severity, per account and per rule, plus a few example failures per
//! rule: enough for the table view and the JSON summary, in memory that grows with accounts and
//! rules, not with findings.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use mamori_model::{Finding, Severity, SeverityCounts, Status, StatusCounts};
use mamori_rules::support::hash::{FastMap, FastSet};
use serde::Serialize;

use crate::pipeline::InventoryStats;

/// Example failures kept per rule for the table view.
const EXAMPLES_PER_RULE: usize = 3;

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub checks: StatusCounts,
    /// Failing checks by severity.
    pub failing_by_severity: SeverityCounts,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    pub severity: Severity,
    pub checks: StatusCounts,
    pub accounts_failing: u64,
    #[serde(skip)]
    failing_accounts: FastSet<Arc<str>>,
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Example {
    /// Where the finding came in the input, so that merged summaries keep the first ones.
    #[serde(skip)]
    position: u64,
    pub account_id: String,
    pub region: String,
    pub resource_id: String,
    pub message: String,
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Checks evaluated: one per rule and resource, across accounts and regions.
    pub checks: StatusCounts,
    /// [`StatusCounts::score`] of `checks`.
    pub compliance_percent: Option<f64>,
    pub failing_by_severity: SeverityCounts,
    pub rules_evaluated: u64,
    pub accounts: u64,
    pub regions: u64,
    pub files: u64,
    pub resources: u64,
    pub resources_skipped: u64,
    /// Items left out because a later item of the same resource stands instead. Left out of
    /// the JSON report when there are none, so that reports of inventories without repeated
    /// items stay as earlier releases wrote them.
    #[serde(skip_serializing_if = "is_zero")]
    pub resources_superseded: u64,
    pub collection_errors: u64,
    /// Resource types in the inventory that no selected rule reads, with their counts.
    pub not_covered: BTreeMap<String, u64>,
    pub by_account: BTreeMap<String, AccountSummary>,
    pub by_rule: BTreeMap<String, RuleSummary>,
}

/// Builds a [`Summary`] from a stream of findings. Millions of findings pass through `add`,
/// so accounts and rules are looked up by their shared ids in hash maps and ordered only once,
/// in `finish`.
#[derive(Default)]
pub struct SummaryBuilder {
    summary: Summary,
    accounts: Vec<(Arc<str>, AccountSummary)>,
    account_index: HashMap<Arc<str>, usize>,
    rules: Vec<(Arc<str>, RuleSummary)>,
    rule_index: HashMap<Arc<str>, usize>,
    /// The rule of a finding by the address of its shared id, so that a finding's rule is
    /// found without hashing the id's text. The id is kept so that its address stays its own.
    rule_by_address: FastMap<usize, (Arc<str>, Option<usize>)>,
    last_account: Option<(Arc<str>, usize)>,
}

impl SummaryBuilder {
    /// A builder for the rules of a run.
    pub fn for_rules(rules: &mamori_rules::RuleSet) -> SummaryBuilder {
        SummaryBuilder::new(rules.rules().iter().map(|active| (active.rule.meta().id.to_owned(), active.severity)))
    }

    pub fn new(rule_severities: impl IntoIterator<Item = (String, Severity)>) -> SummaryBuilder {
        let mut rules = Vec::new();
        let mut rule_index = HashMap::new();
        for (id, severity) in rule_severities {
            let id: Arc<str> = Arc::from(id);
            let rule = RuleSummary {
                severity,
                checks: StatusCounts::default(),
                accounts_failing: 0,
                failing_accounts: Default::default(),
                examples: Vec::new(),
            };
            match rule_index.get(&id) {
                Some(&index) => rules[index] = (id, rule),
                None => {
                    rule_index.insert(id.clone(), rules.len());
                    rules.push((id, rule));
                }
            }
        }
        let summary = Summary { rules_evaluated: rules.len() as u64, ..Summary::default() };
        SummaryBuilder {
            summary,
            accounts: Vec::new(),
            account_index: HashMap::new(),
            rules,
            rule_index,
            rule_by_address: FastMap::default(),
            last_account: None,
        }
    }

    /// Count a finding; `position` orders findings by input, for the examples.
    pub fn add(&mut self, finding: &Finding, position: u64) {
        let summary = &mut self.summary;
        summary.checks.add(finding.status);
        // Findings come item by item, so consecutive ones nearly always share the account (and
        // the same shared string): skip the hash look-up then.
        let index = match &self.last_account {
            Some((last, index)) if Arc::ptr_eq(last, &finding.account_id) => *index,
            _ => {
                let next = self.accounts.len();
                let index = *self.account_index.entry(finding.account_id.clone()).or_insert(next);
                if index == next {
                    self.accounts.push((finding.account_id.clone(), AccountSummary::default()));
                }
                self.last_account = Some((finding.account_id.clone(), index));
                index
            }
        };
        let account = &mut self.accounts[index].1;
        account.checks.add(finding.status);
        if finding.status == Status::Fail {
            summary.failing_by_severity.add(finding.severity);
            account.failing_by_severity.add(finding.severity);
        }
        let address = Arc::as_ptr(&finding.rule_id) as *const u8 as usize;
        let rule_index = &self.rule_index;
        let (_, index) = self
            .rule_by_address
            .entry(address)
            .or_insert_with(|| (finding.rule_id.clone(), rule_index.get(&finding.rule_id).copied()));
        if let Some((_, rule)) = index.map(|index| &mut self.rules[index]) {
            rule.checks.add(finding.status);
            if finding.status == Status::Fail {
                if !rule.failing_accounts.contains(&finding.account_id) {
                    rule.failing_accounts.insert(finding.account_id.clone());
                }
                if rule.examples.len() < EXAMPLES_PER_RULE {
                    rule.examples.push(Example {
                        position,
                        account_id: finding.account_id.to_string(),
                        region: finding.region.to_string(),
                        resource_id: finding.resource_id.to_string(),
                        message: finding.message.clone(),
                    });
                }
            }
        }
    }

    /// Add the counts of a builder that saw other findings (another worker's).
    pub fn merge(&mut self, other: SummaryBuilder) {
        let summary = &mut self.summary;
        summary.checks.absorb(&other.summary.checks);
        summary.failing_by_severity += &other.summary.failing_by_severity;
        for (id, theirs) in other.accounts {
            let next = self.accounts.len();
            let index = *self.account_index.entry(id.clone()).or_insert(next);
            if index == next {
                self.accounts.push((id, AccountSummary::default()));
            }
            let mine = &mut self.accounts[index].1;
            mine.checks.absorb(&theirs.checks);
            mine.failing_by_severity += &theirs.failing_by_severity;
        }
        for (id, theirs) in other.rules {
            let Some(&index) = self.rule_index.get(&id) else { continue };
            let mine = &mut self.rules[index].1;
            mine.checks.absorb(&theirs.checks);
            mine.failing_accounts.extend(theirs.failing_accounts);
            mine.examples.extend(theirs.examples);
            mine.examples.sort_by_key(|example| example.position);
            mine.examples.truncate(EXAMPLES_PER_RULE);
        }
    }

    pub fn finish(mut self, stats: &InventoryStats) -> Summary {
        let summary = &mut self.summary;
        summary.compliance_percent = summary.checks.score();
        summary.accounts = stats.accounts.len() as u64;
        summary.regions = stats.regions.len() as u64;
        summary.files = stats.files;
        summary.resources = stats.items - stats.collection_errors;
        summary.resources_skipped = stats.items_skipped;
        summary.resources_superseded = stats.items_superseded;
        summary.collection_errors = stats.collection_errors;
        summary.not_covered = stats.not_covered.clone();
        for (id, mut rule) in self.rules {
            rule.accounts_failing = rule.failing_accounts.len() as u64;
            summary.by_rule.insert(id.to_string(), rule);
        }
        for (id, account) in self.accounts {
            summary.by_account.insert(id.to_string(), account);
        }
        for (id, name) in &stats.account_names {
            summary.by_account.entry(id.clone()).or_default().name = Some(name.clone());
        }
        self.summary
    }
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}
