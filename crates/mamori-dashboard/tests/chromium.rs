//! The dashboard in a real browser: headless Chromium loads the rendered file of a real
//! evaluation of `examples/demo-org`, runs its script, and the test reads the resulting DOM:
//! the score, the counts, the heatmap, the table, and (through the URL fragment the page
//! honours) search, filters and drill-down. A screenshot is kept for people to look at.
//!
//! Chromium runs with a fresh profile, its background services off, every host name
//! unresolvable and a dead loopback proxy, so the page gets no network at all (and could not
//! reach beyond 127.0.0.0/8 if it tried). Each run is bounded by a timeout and its whole
//! process group is killed afterwards. Under `CI=true` a missing Chromium fails the test;
//! elsewhere the test says it skips.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mamori_dashboard::{render, DashboardBuilder, DashboardData, TrendPoint};
use mamori_engine::{pipeline, Config, Summary};
use mamori_model::{score_text, Finding, Severity, SeverityCounts, Status, StatusCounts};

const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);
const DEFAULT_PAGE_SIZE: usize = 50;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MAMORI_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium, or `None` (with a message) when it is missing outside CI.
fn require_chromium() -> Option<Browser> {
    match chromium() {
        Some(binary) => Some(Browser { binary, work: tempfile::tempdir().expect("temporary directory") }),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("chromium is not installed: CI must install it (.ci/run installs the Debian package `chromium`)")
        }
        None => {
            eprintln!("skipping the dashboard browser test: chromium is not installed (apt-get install chromium)");
            None
        }
    }
}

struct Browser {
    binary: PathBuf,
    work: tempfile::TempDir,
}

impl Browser {
    /// Run headless Chromium on `page#fragment` with `extra` flags; its standard output.
    fn run(&self, page: &Path, fragment: &str, extra: &[String]) -> String {
        let profile = tempfile::tempdir_in(self.work.path()).expect("profile directory");
        let stdout_path = self.work.path().join("stdout");
        let stderr_path = self.work.path().join("stderr");
        let url = format!("file://{}{}", page.display(), fragment);
        let mut command = Command::new(&self.binary);
        command
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-extensions",
                "--disable-sync",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--metrics-recording-only",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=127.0.0.1:9",
                "--hide-scrollbars",
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(&url)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_path).expect("stdout file"))
            .stderr(File::create(&stderr_path).expect("stderr file"))
            // A group of its own, so that renderer and helper processes are killed with it.
            .process_group(0);
        let mut child = command.spawn().expect("chromium starts");
        let group = child.id() as i32;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for chromium") {
                break Some(status);
            }
            if started.elapsed() > BROWSER_TIMEOUT {
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // SAFETY: kill(2) on the process group Chromium leads; ESRCH when it is gone already.
        #[allow(unsafe_code, reason = "std can kill a child but not its process group")]
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = child.wait();
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: String =
            stderr.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
        match status {
            None => panic!("chromium did not finish within {BROWSER_TIMEOUT:?} on {url}; stderr:\n{tail}"),
            Some(status) if !status.success() => panic!("chromium failed ({status}) on {url}; stderr:\n{tail}"),
            Some(_) => std::fs::read_to_string(&stdout_path).expect("chromium output"),
        }
    }

    /// The DOM after the page's script ran.
    fn dom(&self, page: &Path, fragment: &str) -> Dom {
        let dom = self.run(page, fragment, &["--dump-dom".to_owned()]);
        assert!(dom.contains("data-ready=\"true\""), "the dashboard script did not finish:\n{}", clip(&dom));
        Dom(without_scripts(&dom))
    }
}

/// The DOM without its script elements, whose source names the same test ids as the markup.
fn without_scripts(dom: &str) -> String {
    let mut rest = dom;
    let mut kept = String::with_capacity(dom.len());
    while let Some(start) = rest.find("<script") {
        kept.push_str(&rest[..start]);
        let end = rest[start..].find("</script>").expect("script end");
        rest = &rest[start + end + "</script>".len()..];
    }
    kept.push_str(rest);
    kept
}

fn clip(text: &str) -> &str {
    &text[..text.len().min(4000)]
}

/// Chromium's serialized DOM, read by `data-testid`: the page's markup is ours, so a tag with
/// a test id is found by the attribute, and its text runs to the next tag.
struct Dom(String);

impl Dom {
    fn count(&self, test_id: &str) -> usize {
        self.0.matches(&format!("data-testid=\"{test_id}\"")).count()
    }

    /// The opening tag of each element with this test id, and the text that follows it.
    fn elements(&self, test_id: &str) -> Vec<(&str, &str)> {
        let needle = format!("data-testid=\"{test_id}\"");
        let mut found = Vec::new();
        for (at, _) in self.0.match_indices(&needle) {
            let start = self.0[..at].rfind('<').expect("tag start");
            let end = at + self.0[at..].find('>').expect("tag end");
            let text_end = end + 1 + self.0[end + 1..].find('<').unwrap_or(0);
            found.push((&self.0[start..=end], &self.0[end + 1..text_end]));
        }
        found
    }

    fn one(&self, test_id: &str) -> (&str, &str) {
        let elements = self.elements(test_id);
        assert_eq!(elements.len(), 1, "expected one element `{test_id}`, found {}", elements.len());
        elements[0]
    }

    fn text(&self, test_id: &str) -> String {
        unescape(self.one(test_id).1)
    }

    fn attr(&self, test_id: &str, name: &str) -> String {
        attr(self.one(test_id).0, name).unwrap_or_else(|| panic!("`{test_id}` has no attribute `{name}`"))
    }

    fn number(&self, test_id: &str) -> u64 {
        let value = self.attr(test_id, "data-value");
        value.parse().unwrap_or_else(|_| panic!("`{test_id}` data-value `{value}` is not a count"))
    }

    /// The attributes of the `<body>` element.
    fn body_tag(&self) -> &str {
        let start = self.0.find("<body").expect("body");
        &self.0[start..start + self.0[start..].find('>').expect("body end")]
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

fn demo_org() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org")
}

/// Every finding of the demo organization with the default rules, and the engine's summary
/// (the terminal view's numbers).
fn evaluate_demo() -> (Vec<Finding>, Summary, mamori_engine::InventoryStats) {
    let rules = Config::default().rule_set().expect("default rule set");
    let mut findings = Vec::new();
    let mut sink = |finding: Finding| findings.push(finding);
    let (stats, builder) =
        pipeline::evaluate(&[demo_org()], &rules, 2, Some(&mut sink)).expect("the demo organization evaluates");
    let summary = builder.finish(&stats);
    (findings, summary, stats)
}

fn group_of(rule_id: &str) -> String {
    mamori_rules::find(rule_id).map(|rule| rule.meta().service.to_owned()).unwrap_or_else(|| "other".to_owned())
}

/// The text the page's search looks in, built here from the catalog and the finding, as the
/// dashboard documents it: rule id and title, group, severity, status, account id, name and
/// owner, region, resource type, id and ARN, message.
fn searchable(finding: &Finding, data: &DashboardData) -> String {
    let rule = mamori_rules::find(&finding.rule_id).expect("catalog rule").meta();
    let account = data.account(&finding.account_id).expect("account row");
    [
        finding.rule_id.to_string(),
        rule.title.to_owned(),
        rule.service.to_owned(),
        finding.severity.to_string(),
        finding.status.to_string(),
        finding.account_id.to_string(),
        account.name.clone().unwrap_or_default(),
        account.owner.clone().unwrap_or_default(),
        finding.region.to_string(),
        finding.resource_type.to_string(),
        finding.resource_id.to_string(),
        finding.resource_arn.as_deref().unwrap_or("").to_owned(),
        finding.message.clone(),
    ]
    .join("\n")
    .to_lowercase()
}

fn demo_dashboard(findings: &[Finding], stats: &mamori_engine::InventoryStats) -> DashboardData {
    let mut builder = DashboardBuilder::new("Demo organization", "run-0003");
    builder
        .generated_at("2026-03-02T09:15:00Z")
        .run_times(Some("2026-03-02T09:00:00Z".into()), Some("2026-03-02T09:04:31Z".into()))
        .scope("examples/demo-org")
        .inventory_counts(stats.accounts.len() as u64, stats.regions.len() as u64);
    for (index, account) in stats.accounts.iter().enumerate() {
        let name = stats.account_names.get(account).cloned();
        let owner = ["platform", "payments", "data"][index % 3];
        builder.account(account, name, Some(format!("{owner}-team@example.com")));
    }
    // Two earlier runs of the same organization, with more failures than today.
    let earlier = [("run-0001", "2026-01-05T09:03:10Z", 3.0), ("run-0002", "2026-02-02T09:02:44Z", 2.0)];
    let mut today = StatusCounts::default();
    let mut failing = SeverityCounts::default();
    for finding in findings {
        today.add(finding.status);
        if finding.status == Status::Fail {
            failing.add(finding.severity);
        }
    }
    for (run, at, factor) in earlier {
        let extra = (today.fail as f64 * (factor - 1.0) * 0.5) as u64;
        let checks = StatusCounts { pass: today.pass.saturating_sub(extra), fail: today.fail + extra, ..today };
        let mut severities = failing;
        severities.add_n(Severity::High, extra);
        builder.earlier_run(TrendPoint::new(run, at, checks, severities));
    }
    for finding in findings {
        builder.add(finding);
    }
    builder.finish()
}

fn render_to(dir: &Path, data: &DashboardData) -> PathBuf {
    let path = dir.join("dashboard.html");
    std::fs::write(&path, render(data)).expect("write the dashboard");
    path
}

#[test]
fn demo_organization_dashboard_matches_the_evaluation() {
    let Some(browser) = require_chromium() else { return };
    let (findings, summary, stats) = evaluate_demo();
    let data = demo_dashboard(&findings, &stats);
    let page = render_to(browser.work.path(), &data);

    // Expected values, from the engine's summary and the findings themselves.
    let attention: Vec<&Finding> = findings.iter().filter(|finding| finding.status != Status::Pass).collect();
    assert!(attention.len() > DEFAULT_PAGE_SIZE, "the demo organization should fill more than a page");
    let groups: BTreeSet<String> = findings.iter().map(|finding| group_of(&finding.rule_id)).collect();
    let mut fails_by_cell: BTreeMap<(String, String), u64> = BTreeMap::new();
    for finding in &findings {
        if finding.status == Status::Fail {
            *fails_by_cell.entry((finding.account_id.to_string(), group_of(&finding.rule_id))).or_default() += 1;
        }
    }

    let dom = browser.dom(&page, "");
    let terminal_score = score_text(summary.compliance_percent);
    assert_eq!(dom.text("org-score"), terminal_score, "the dashboard shows the terminal view's compliance");
    assert_eq!(dom.text("org-name"), "Demo organization");
    assert_eq!(dom.text("run-id"), "run-0003");
    assert_eq!(dom.number("checks-pass"), summary.checks.pass);
    assert_eq!(dom.number("checks-fail"), summary.checks.fail);
    assert_eq!(dom.number("checks-error"), summary.checks.error);
    assert_eq!(dom.number("checks-muted"), summary.checks.muted);
    assert_eq!(dom.number("checks-total"), findings.len() as u64);
    assert_eq!(dom.number("accounts-count"), summary.accounts);
    assert_eq!(dom.number("regions-count"), summary.regions);
    for severity in Severity::ALL {
        let expected = summary.failing_by_severity.get(severity);
        assert_eq!(dom.number(&format!("sev-count-{severity}")), expected, "{severity} in the key figures");
        assert_eq!(dom.number(&format!("sev-bar-{severity}")), expected, "{severity} in the chart");
    }
    assert!(summary.failing_by_severity.total() > 0);
    // A severity without failures is absent from the page's data: the page shows it as 0.
    assert!(Severity::ALL.iter().any(|severity| summary.failing_by_severity.get(*severity) == 0));

    // The trend: two earlier runs and this one, ending at today's score.
    let points = dom.elements("trend-point");
    assert_eq!(points.len(), 3);
    assert_eq!(attr(points[2].0, "data-run").as_deref(), Some("run-0003"));
    assert!(dom.text("score-delta").contains("vs run-0002"), "{}", dom.text("score-delta"));

    // The heatmap: one cell per account and rule group, each with its failures.
    let cells = dom.elements("heat-cell");
    assert_eq!(cells.len(), stats.accounts.len() * groups.len());
    assert_eq!(cells.len(), 6 * groups.len());
    for (tag, _) in &cells {
        let account = attr(tag, "data-account").unwrap();
        let group = attr(tag, "data-group").unwrap();
        let expected = fails_by_cell.get(&(account.clone(), group.clone())).copied().unwrap_or(0);
        assert_eq!(attr(tag, "data-fail").unwrap(), expected.to_string(), "failures of {group} in {account}");
    }

    // Accounts: one row each, scored as the terminal view scores them.
    let rows = dom.elements("account-row");
    assert_eq!(rows.len(), summary.by_account.len());
    let scores = dom.elements("account-score");
    for ((tag, _), (_, score)) in rows.iter().zip(&scores) {
        let account = attr(tag, "data-account").unwrap();
        let expected = score_text(summary.by_account[&account].checks.score());
        assert_eq!(unescape(score).trim(), expected, "score of {account}");
    }

    // The table: every FAIL, ERROR and MUTED check, one page at a time.
    assert_eq!(dom.number("findings-count"), attention.len() as u64);
    assert_eq!(dom.count("finding-row"), DEFAULT_PAGE_SIZE);
    assert_eq!(dom.text("page-info"), format!("Page 1 of {}", attention.len().div_ceil(DEFAULT_PAGE_SIZE)));
    assert_eq!(dom.attr("detail", "data-finding"), "");

    // All on one page.
    let dom = browser.dom(&page, "#size=100000");
    assert_eq!(dom.count("finding-row"), attention.len());

    // Search and filters from the fragment, and a drill-down.
    let matching: Vec<&&Finding> = attention
        .iter()
        .filter(|finding| finding.status == Status::Fail && searchable(finding, &data).contains("s3"))
        .collect();
    assert!(!matching.is_empty() && matching.len() < attention.len());
    let chosen =
        matching.iter().find(|finding| finding.resource_arn.is_some()).expect("a failing S3 check with an ARN");
    let dom = browser.dom(&page, &format!("#search=S3&status=FAIL&size=100000&finding={}", chosen.id()));
    assert_eq!(dom.number("findings-count"), matching.len() as u64);
    assert_eq!(dom.count("finding-row"), matching.len());
    assert_eq!(dom.attr("detail", "data-finding"), chosen.id());
    let rule = mamori_rules::find(&chosen.rule_id).unwrap().meta();
    assert_eq!(dom.text("detail-title"), rule.title);
    assert_eq!(dom.text("detail-arn"), chosen.resource_arn.as_deref().unwrap());
    assert_eq!(dom.text("detail-resource-id"), &*chosen.resource_id);
    assert_eq!(dom.text("detail-message"), chosen.message);
    assert_eq!(dom.text("detail-remediation"), rule.remediation);
    assert_eq!(dom.text("detail-rationale"), rule.rationale);
    assert_eq!(dom.text("detail-status"), "FAIL");

    // A heatmap cell's filter: one account, one group.
    let (account, group) = fails_by_cell.keys().next().expect("some failure").clone();
    let expected = attention
        .iter()
        .filter(|finding| *finding.account_id == *account && group_of(&finding.rule_id) == group)
        .count();
    let dom = browser.dom(&page, &format!("#account={account}&group={group}&severity=&size=100000"));
    assert_eq!(dom.number("findings-count"), expected as u64);

    // The picture, for people.
    let screenshot = std::env::var_os("MAMORI_DASHBOARD_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png"));
    if let Some(parent) = screenshot.parent() {
        std::fs::create_dir_all(parent).expect("screenshot directory");
    }
    let _ = std::fs::remove_file(&screenshot);
    // Drilled down to the most severe check, so the picture shows the details panel too.
    browser.run(
        &page,
        &format!("#finding={}", data.findings[0].id),
        &[format!("--screenshot={}", screenshot.display()), "--window-size=1400,1800".to_owned()],
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 1800));
    assert!(png.len() > 50_000, "a {} byte screenshot is too plain to be the dashboard", png.len());
    eprintln!("dashboard screenshot: {}", screenshot.display());
}

#[test]
fn hostile_text_stays_text() {
    let Some(browser) = require_chromium() else { return };
    let message = "</script><script>alert(1)</script><script>document.body.setAttribute('data-pwned','1')</script>\
                   <img src=x onerror=\"document.body.setAttribute('data-pwned','2')\"> & \u{2028} done";
    let organization = "Acme </title><script>document.body.setAttribute('data-pwned','3')</script>";
    let mut builder = DashboardBuilder::new(organization, "run-1");
    builder.generated_at("2026-03-02T09:15:00Z");
    let finding = Finding {
        rule_id: "s3-bucket-versioning-enabled".into(),
        status: Status::Fail,
        severity: Severity::High,
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        resource_type: "AWS::S3::Bucket".into(),
        resource_id: "<b>logs</b>".into(),
        resource_arn: Some("arn:aws:s3:::logs\"><script>alert(1)</script>".into()),
        message: message.to_owned(),
    };
    builder.account("123456789012", Some("<i>prod</i>".into()), Some("\"owner\" <o@example.com>".into()));
    builder.add(&finding);
    let data = builder.finish();
    let page = render_to(browser.work.path(), &data);

    let dom = browser.dom(&page, &format!("#finding={}", finding.id()));
    assert!(!dom.body_tag().contains("data-pwned"), "injected markup ran: {}", dom.body_tag());
    assert!(!dom.0.contains("<img src=\"x\""), "injected markup became an element");
    assert_eq!(dom.text("org-name"), organization);
    assert_eq!(dom.text("detail-message"), message);
    assert_eq!(dom.text("detail-arn"), finding.resource_arn.as_deref().unwrap());
    assert_eq!(dom.text("detail-resource-id"), "<b>logs</b>");
    assert_eq!(dom.text("detail-account"), "<i>prod</i> (123456789012)");
    assert_eq!(dom.count("finding-row"), 1);
}

/// Twenty thousand failing checks: the page shows one page of rows, counts all of them, and
/// searches them, well inside the browser timeout (the time is printed).
#[test]
fn a_large_run_is_paginated_and_searchable() {
    let Some(browser) = require_chromium() else { return };
    let rules: Vec<&str> = mamori_rules::catalog().iter().map(|rule| rule.meta().id).take(40).collect();
    let mut builder = DashboardBuilder::new("Large organization", "run-large");
    let mut expected_bucket_7 = 0;
    for index in 0..20_000u64 {
        let account = format!("{:012}", 200_000_000_000 + index % 50);
        let bucket = format!("bucket-{index}");
        if bucket.contains("bucket-7") {
            expected_bucket_7 += 1;
        }
        builder.add(&Finding {
            rule_id: rules[(index % rules.len() as u64) as usize].into(),
            status: if index % 10 == 0 { Status::Error } else { Status::Fail },
            severity: Severity::ALL[(index % 5) as usize],
            account_id: account.as_str().into(),
            region: ["us-east-1", "eu-west-1", "ap-northeast-1"][(index % 3) as usize].into(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: bucket.as_str().into(),
            resource_arn: Some(format!("arn:aws:s3:::{bucket}").as_str().into()),
            message: format!("{bucket} fails check number {index}"),
        });
    }
    let data = builder.finish();
    let page = render_to(browser.work.path(), &data);

    let started = Instant::now();
    let dom = browser.dom(&page, "");
    eprintln!("20,000 findings: loaded and rendered in {:?}", started.elapsed());
    assert_eq!(dom.number("findings-count"), 20_000);
    assert_eq!(dom.count("finding-row"), DEFAULT_PAGE_SIZE);
    assert_eq!(dom.text("page-info"), "Page 1 of 400");
    assert_eq!(dom.count("heat-cell"), 50 * data.groups.len());

    let dom = browser.dom(&page, "#search=bucket-7&page=2");
    assert_eq!(dom.number("findings-count"), expected_bucket_7);
    assert_eq!(
        dom.text("page-info"),
        format!("Page 2 of {}", (expected_bucket_7 as usize).div_ceil(DEFAULT_PAGE_SIZE))
    );
}

/// A run without any check (an empty scope) still draws: no score, an empty table.
#[test]
fn an_empty_run_renders() {
    let Some(browser) = require_chromium() else { return };
    let data = DashboardBuilder::new("Empty", "run-empty").finish();
    let page = render_to(browser.work.path(), &data);
    let dom = browser.dom(&page, "#finding=unknown");
    assert_eq!(dom.text("org-score"), "-");
    assert_eq!(dom.text("score-delta"), "first run");
    assert_eq!(dom.number("findings-count"), 0);
    assert_eq!(dom.count("finding-row"), 0);
    assert_eq!(dom.count("heat-cell"), 0);
    assert_eq!(dom.count("trend-point"), 0);
    assert_eq!(dom.attr("detail", "data-finding"), "");
}
