//! What the dashboard shows, and the builder that aggregates it from a run's findings.
//!
//! Counts (organization, accounts, heatmap cells, severities) cover every finding; the list of
//! findings keeps the ones that need attention (FAIL, ERROR, MUTED), most severe first, so
//! that the page stays proportional to the problems rather than to the inventory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use mamori_model::{score_text, Finding, Severity, SeverityCounts, Status, StatusCounts, GLOBAL_REGION};
use serde::Serialize;

/// The heatmap group of findings whose rule is not in this build's catalog (a run stored by
/// another version).
const UNKNOWN_GROUP: &str = "other";

/// The run the dashboard shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    pub id: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// What was audited, in the user's words (an organization, an OU, an inventory path).
    pub scope: String,
    pub accounts: u64,
    pub regions: u64,
    pub checks: StatusCounts,
    pub failing_by_severity: SeverityCounts,
    pub score: Option<f64>,
    pub score_text: String,
}

/// An earlier run, for the trend.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub run_id: String,
    /// When the run finished (RFC 3339).
    pub at: String,
    pub checks: StatusCounts,
    pub failing_by_severity: SeverityCounts,
    pub score: Option<f64>,
    pub score_text: String,
}

impl TrendPoint {
    pub fn new(
        run_id: impl Into<String>,
        at: impl Into<String>,
        checks: StatusCounts,
        failing_by_severity: SeverityCounts,
    ) -> TrendPoint {
        let score = checks.score();
        TrendPoint {
            run_id: run_id.into(),
            at: at.into(),
            checks,
            failing_by_severity,
            score,
            score_text: score_text(score),
        }
    }
}

/// One account: its score and what fails in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRow {
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub checks: StatusCounts,
    pub failing_by_severity: SeverityCounts,
    pub score: Option<f64>,
    pub score_text: String,
}

/// One heatmap cell: the checks of one rule group in one account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeatCell {
    pub checks: StatusCounts,
    pub score: Option<f64>,
    pub score_text: String,
}

/// What the dashboard says about a rule, from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleInfo {
    pub title: String,
    /// The heatmap column: the rule's service (`iam`, `s3`, `ec2`, ...).
    pub group: String,
    pub rationale: String,
    pub remediation: String,
    /// Benchmark controls the rule maps to, e.g. `CIS 1.5`, `FSBP IAM.6`.
    pub references: Vec<String>,
}

impl RuleInfo {
    /// The catalog's description of `rule_id`; a placeholder naming the id when this build
    /// does not know the rule.
    pub fn of(rule_id: &str) -> RuleInfo {
        match mamori_rules::find(rule_id) {
            Some(rule) => {
                let meta = rule.meta();
                let references = meta
                    .cis
                    .iter()
                    .map(|control| format!("CIS {control}"))
                    .chain(meta.fsbp.iter().map(|control| format!("FSBP {control}")))
                    .collect();
                RuleInfo {
                    title: meta.title.to_owned(),
                    group: meta.service.to_owned(),
                    rationale: meta.rationale.to_owned(),
                    remediation: meta.remediation.to_owned(),
                    references,
                }
            }
            None => RuleInfo {
                title: rule_id.to_owned(),
                group: UNKNOWN_GROUP.to_owned(),
                rationale: String::new(),
                remediation: format!("rule `{rule_id}` is not in this version's catalog"),
                references: Vec::new(),
            },
        }
    }
}

/// A check that needs attention (FAIL, ERROR or MUTED). Rule texts are in
/// [`DashboardData::rules`], account names in [`DashboardData::accounts`], once each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRow {
    /// The stable finding id ([`Finding::id`]).
    pub id: String,
    pub rule_id: String,
    pub severity: Severity,
    pub status: Status,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_arn: Option<String>,
    pub message: String,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardData {
    /// The organization's name or label, in the title and header.
    pub organization: String,
    /// When the dashboard was made (RFC 3339).
    pub generated_at: String,
    pub run: RunInfo,
    /// Earlier runs, oldest first; the trend ends with [`DashboardData::run`].
    pub trend: Vec<TrendPoint>,
    /// Least compliant first, as in the terminal view.
    pub accounts: Vec<AccountRow>,
    /// Heatmap columns (rule groups), sorted.
    pub groups: Vec<String>,
    /// `heatmap[a][g]`: account `accounts[a]`, group `groups[g]`.
    pub heatmap: Vec<Vec<HeatCell>>,
    /// The rules of the run's findings, by id.
    pub rules: BTreeMap<String, RuleInfo>,
    /// Most severe first, then FAIL before ERROR before MUTED, then rule, account, region,
    /// resource.
    pub findings: Vec<FindingRow>,
    /// FAIL, ERROR and MUTED checks in the run; more than `findings.len()` when a limit cut
    /// the list.
    pub findings_total: u64,
}

impl DashboardData {
    /// The catalog description of a finding's rule.
    pub fn rule(&self, rule_id: &str) -> Option<&RuleInfo> {
        self.rules.get(rule_id)
    }

    pub fn account(&self, account_id: &str) -> Option<&AccountRow> {
        self.accounts.iter().find(|account| account.id == account_id)
    }
}

#[derive(Default)]
struct AccountTally {
    name: Option<String>,
    owner: Option<String>,
    checks: StatusCounts,
    failing_by_severity: SeverityCounts,
    by_group: HashMap<Arc<str>, StatusCounts>,
}

/// Aggregates a run's findings into [`DashboardData`]. Feed every finding of the run (PASS
/// too: they make the scores) to [`DashboardBuilder::add`].
pub struct DashboardBuilder {
    organization: String,
    generated_at: String,
    run_id: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    scope: String,
    counts_override: Option<(u64, u64)>,
    limit: Option<usize>,
    checks: StatusCounts,
    failing_by_severity: SeverityCounts,
    accounts: BTreeMap<String, AccountTally>,
    regions: BTreeSet<String>,
    /// Each rule's catalog entry and group, looked up once per rule rather than per finding.
    rules: HashMap<Arc<str>, (Arc<str>, RuleInfo)>,
    groups: BTreeSet<Arc<str>>,
    findings: Vec<FindingRow>,
    findings_total: u64,
    trend: Vec<TrendPoint>,
}

impl DashboardBuilder {
    pub fn new(organization: impl Into<String>, run_id: impl Into<String>) -> DashboardBuilder {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs() as i64)
            .unwrap_or(0);
        DashboardBuilder {
            organization: organization.into(),
            generated_at: mamori_model::time::rfc3339(now),
            run_id: run_id.into(),
            started_at: None,
            finished_at: None,
            scope: String::new(),
            counts_override: None,
            limit: None,
            checks: StatusCounts::default(),
            failing_by_severity: SeverityCounts::default(),
            accounts: BTreeMap::new(),
            regions: BTreeSet::new(),
            rules: HashMap::new(),
            groups: BTreeSet::new(),
            findings: Vec::new(),
            findings_total: 0,
            trend: Vec::new(),
        }
    }

    /// When the dashboard was made (RFC 3339); now by default.
    pub fn generated_at(&mut self, at: impl Into<String>) -> &mut Self {
        self.generated_at = at.into();
        self
    }

    /// When the run started and finished (RFC 3339).
    pub fn run_times(&mut self, started_at: Option<String>, finished_at: Option<String>) -> &mut Self {
        self.started_at = started_at;
        self.finished_at = finished_at;
        self
    }

    /// What was audited, in the user's words.
    pub fn scope(&mut self, scope: impl Into<String>) -> &mut Self {
        self.scope = scope.into();
        self
    }

    /// The inventory's account and region counts, when the caller knows them (accounts and
    /// regions without any check are otherwise not counted).
    pub fn inventory_counts(&mut self, accounts: u64, regions: u64) -> &mut Self {
        self.counts_override = Some((accounts, regions));
        self
    }

    /// Keep at most `limit` findings in the list (the most severe); counts still cover all.
    pub fn finding_limit(&mut self, limit: usize) -> &mut Self {
        self.limit = Some(limit);
        self
    }

    /// Name and owner of an account. Accounts declared here get a row even without checks.
    pub fn account(&mut self, id: &str, name: Option<String>, owner: Option<String>) -> &mut Self {
        let tally = self.accounts.entry(id.to_owned()).or_default();
        if name.is_some() {
            tally.name = name;
        }
        if owner.is_some() {
            tally.owner = owner;
        }
        self
    }

    /// An earlier run for the trend, in any order (they are sorted by time).
    pub fn earlier_run(&mut self, point: TrendPoint) -> &mut Self {
        self.trend.push(point);
        self
    }

    pub fn add(&mut self, finding: &Finding) {
        self.checks.add(finding.status);
        if finding.status == Status::Fail {
            self.failing_by_severity.add(finding.severity);
        }
        if &*finding.region != GLOBAL_REGION && !self.regions.contains(&*finding.region) {
            self.regions.insert(finding.region.to_string());
        }
        let group = match self.rules.get(&finding.rule_id) {
            Some((group, _)) => group.clone(),
            None => {
                let info = RuleInfo::of(&finding.rule_id);
                let group: Arc<str> = Arc::from(info.group.as_str());
                self.groups.insert(group.clone());
                self.rules.insert(finding.rule_id.clone(), (group.clone(), info));
                group
            }
        };
        // Looked up by reference first: allocating the id per finding would dominate.
        if !self.accounts.contains_key(&*finding.account_id) {
            self.accounts.insert(finding.account_id.to_string(), AccountTally::default());
        }
        let Some(account) = self.accounts.get_mut(&*finding.account_id) else { return };
        account.checks.add(finding.status);
        if finding.status == Status::Fail {
            account.failing_by_severity.add(finding.severity);
        }
        account.by_group.entry(group).or_default().add(finding.status);
        if finding.status != Status::Pass {
            self.findings_total += 1;
            self.findings.push(FindingRow {
                id: finding.id(),
                rule_id: finding.rule_id.to_string(),
                severity: finding.severity,
                status: finding.status,
                account_id: finding.account_id.to_string(),
                region: finding.region.to_string(),
                resource_type: finding.resource_type.to_string(),
                resource_id: finding.resource_id.to_string(),
                resource_arn: finding.resource_arn.as_deref().map(str::to_owned),
                message: finding.message.clone(),
            });
        }
    }

    pub fn finish(self) -> DashboardData {
        let run_score = self.checks.score();
        let (accounts_count, regions_count) =
            self.counts_override.unwrap_or((self.accounts.len() as u64, self.regions.len() as u64));
        let run = RunInfo {
            id: self.run_id,
            started_at: self.started_at,
            finished_at: self.finished_at,
            scope: self.scope,
            accounts: accounts_count,
            regions: regions_count,
            checks: self.checks,
            failing_by_severity: self.failing_by_severity,
            score: run_score,
            score_text: score_text(run_score),
        };

        let groups: Vec<Arc<str>> = self.groups.into_iter().collect();
        let mut accounts: Vec<(String, AccountTally)> = self.accounts.into_iter().collect();
        // Least compliant first, as the terminal view orders them; no decided check sorts as
        // fully compliant.
        accounts.sort_by(|(a_id, a), (b_id, b)| {
            let key = |tally: &AccountTally| tally.checks.score().unwrap_or(100.0);
            key(a).total_cmp(&key(b)).then_with(|| a_id.cmp(b_id))
        });
        let heatmap = accounts
            .iter()
            .map(|(_, tally)| {
                groups
                    .iter()
                    .map(|group| {
                        let checks = tally.by_group.get(group).copied().unwrap_or_default();
                        let cell_score = checks.score();
                        HeatCell { checks, score: cell_score, score_text: score_text(cell_score) }
                    })
                    .collect()
            })
            .collect();
        let accounts = accounts
            .into_iter()
            .map(|(id, tally)| {
                let account_score = tally.checks.score();
                AccountRow {
                    id,
                    name: tally.name,
                    owner: tally.owner,
                    checks: tally.checks,
                    failing_by_severity: tally.failing_by_severity,
                    score: account_score,
                    score_text: score_text(account_score),
                }
            })
            .collect();

        let mut findings = self.findings;
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| status_rank(a.status).cmp(&status_rank(b.status)))
                .then_with(|| a.rule_id.cmp(&b.rule_id))
                .then_with(|| a.account_id.cmp(&b.account_id))
                .then_with(|| a.region.cmp(&b.region))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.id.cmp(&b.id))
        });
        if let Some(limit) = self.limit {
            findings.truncate(limit);
        }
        let rules = self.rules.into_iter().map(|(id, (_, info))| (id.to_string(), info)).collect();

        let mut trend = self.trend;
        trend.sort_by(|a, b| {
            let at = |point: &TrendPoint| mamori_model::time::epoch_seconds(&point.at).unwrap_or(i64::MIN);
            at(a).cmp(&at(b)).then_with(|| a.run_id.cmp(&b.run_id))
        });

        DashboardData {
            organization: self.organization,
            generated_at: self.generated_at,
            run,
            trend,
            accounts,
            groups: groups.iter().map(|group| group.to_string()).collect(),
            heatmap,
            rules,
            findings,
            findings_total: self.findings_total,
        }
    }
}

/// The order of statuses in the list: what fails, then what could not be decided, then what
/// an exception covers.
fn status_rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Muted => 2,
        Status::Pass => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, status: Status, severity: Severity, account: &str, resource: &str) -> Finding {
        Finding {
            rule_id: Arc::from(rule),
            status,
            severity,
            account_id: Arc::from(account),
            region: Arc::from("eu-west-1"),
            resource_type: Arc::from("AWS::S3::Bucket"),
            resource_id: Arc::from(resource),
            resource_arn: Some(Arc::from(format!("arn:aws:s3:::{resource}").as_str())),
            message: format!("{resource} is {status}"),
        }
    }

    #[test]
    fn counts_scores_and_orders() {
        let mut builder = DashboardBuilder::new("Example", "run-1");
        builder.account("222222222222", Some("prod".into()), Some("ops@example.com".into()));
        builder.account("333333333333", Some("idle".into()), None);
        let s3 = mamori_rules::catalog().iter().find(|rule| rule.meta().service == "s3").unwrap().meta();
        let iam = mamori_rules::catalog().iter().find(|rule| rule.meta().service == "iam").unwrap().meta();
        builder.add(&finding(s3.id, Status::Pass, Severity::High, "111111111111", "a"));
        builder.add(&finding(s3.id, Status::Fail, Severity::High, "111111111111", "b"));
        builder.add(&finding(iam.id, Status::Muted, Severity::Low, "111111111111", "c"));
        builder.add(&finding(iam.id, Status::Error, Severity::Critical, "222222222222", "d"));
        builder.add(&finding(iam.id, Status::Fail, Severity::Critical, "222222222222", "e"));
        builder.add(&finding("no-such-rule", Status::Pass, Severity::Low, "222222222222", "f"));
        let data = builder.finish();

        assert_eq!(data.run.checks, StatusCounts { pass: 2, fail: 2, error: 1, muted: 1 });
        // (pass + muted) / (pass + fail + muted): 3 / 5.
        assert_eq!(data.run.score_text, "60.0%");
        assert_eq!(data.run.failing_by_severity.get(Severity::Critical), 1);
        assert_eq!(data.run.failing_by_severity.get(Severity::High), 1);
        assert_eq!(data.run.accounts, 3);
        assert_eq!(data.run.regions, 1);
        assert_eq!(data.groups, vec!["iam".to_owned(), "other".to_owned(), "s3".to_owned()]);
        // Account 222…: 1 pass, 1 fail → 50 %; 111…: 2 of 3 → 66.7 %; 333… has no checks.
        let order: Vec<&str> = data.accounts.iter().map(|account| account.id.as_str()).collect();
        assert_eq!(order, ["222222222222", "111111111111", "333333333333"]);
        assert_eq!(data.accounts[0].owner.as_deref(), Some("ops@example.com"));
        assert_eq!(data.accounts[2].score_text, "-");
        assert_eq!(data.heatmap.len(), 3);
        assert!(data.heatmap.iter().all(|row| row.len() == 3));
        assert_eq!(data.heatmap[1][2].checks, StatusCounts { pass: 1, fail: 1, error: 0, muted: 0 });
        assert_eq!(data.heatmap[0][0].checks, StatusCounts { pass: 0, fail: 1, error: 1, muted: 0 });
        assert_eq!(data.findings_total, 4);
        let statuses: Vec<Status> = data.findings.iter().map(|row| row.status).collect();
        assert_eq!(statuses, [Status::Fail, Status::Error, Status::Fail, Status::Muted]);
        assert_eq!(data.rule("no-such-rule").unwrap().group, "other");
        assert_eq!(data.rule(s3.id).unwrap().remediation, s3.remediation);
    }

    #[test]
    fn limit_keeps_the_most_severe_and_trend_is_sorted() {
        let mut builder = DashboardBuilder::new("Example", "run-3");
        builder.finding_limit(1);
        builder.earlier_run(TrendPoint::new(
            "run-2",
            "2026-02-01T00:00:00Z",
            StatusCounts::default(),
            Default::default(),
        ));
        builder.earlier_run(TrendPoint::new(
            "run-1",
            "2026-01-01T00:00:00Z",
            StatusCounts::default(),
            Default::default(),
        ));
        builder.add(&finding("x", Status::Fail, Severity::Low, "1", "low"));
        builder.add(&finding("x", Status::Fail, Severity::Critical, "1", "critical"));
        let data = builder.finish();
        assert_eq!(data.findings.len(), 1);
        assert_eq!(data.findings[0].resource_id, "critical");
        assert_eq!(data.findings_total, 2);
        assert_eq!(data.trend[0].run_id, "run-1");
        assert_eq!(data.trend[1].score_text, "-");
    }
}
