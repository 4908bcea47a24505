//! What leaves the store, through the real binary: `mamori export security-hub` into the
//! emulator's Security Hub (a second run updates the first run's findings and archives the
//! one that was fixed; none is duplicated), `mamori export ocsf`, the `mamori report`
//! dashboard's data, and the refusals.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use aws_config::Region;
use aws_sdk_securityhub::types::RecordState;
use mamori_testkit::MotoServer;
use serde_json::Value;

mod common;
use common::{copy_demo_org, mamori, run, set_versioning};

const PAYMENTS: &str = "100000000000";
const FIXED: &str = "payments-prod-2-faae83";

fn ok(command: &mut Command) -> (String, String) {
    let output = run(command);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    (String::from_utf8(output.stdout).unwrap(), stderr)
}

/// The non-passing findings of the latest run by (region as Security Hub sees it, ASFF id).
fn expected_ids(db: &Path) -> BTreeMap<String, Vec<String>> {
    let (ocsf, _) = ok(mamori(db).args(["export", "ocsf"]));
    let findings: Vec<Value> = serde_json::from_str(&ocsf).unwrap();
    let mut by_region: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for finding in findings.iter().filter(|f| f["status_code"] != "PASS") {
        let region = finding["cloud"]["region"].as_str().unwrap();
        let region = if region == "global" { "us-east-1" } else { region };
        let rule = finding["metadata"]["event_code"].as_str().unwrap();
        let id = finding["finding_info"]["uid"].as_str().unwrap();
        by_region.entry(region.to_owned()).or_default().push(format!("mamori/{rule}/{id}"));
    }
    by_region
}

/// Security Hub's findings in `region`: id → record state.
async fn security_hub(config: &aws_config::SdkConfig, region: &str) -> BTreeMap<String, RecordState> {
    let client = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(config).region(Region::new(region.to_owned())).build(),
    );
    let mut out = BTreeMap::new();
    let mut pages = client.get_findings().max_results(100).into_paginator().send();
    while let Some(page) = pages.next().await {
        for finding in page.unwrap().findings() {
            out.insert(finding.id().unwrap().to_owned(), finding.record_state().unwrap().clone());
        }
    }
    out
}

#[test]
fn runs_export_to_security_hub_and_ocsf() {
    let Some(moto) = MotoServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let inventory = copy_demo_org(dir.path());
    let db = dir.path().join("mamori.db");
    let endpoint = moto.endpoint_url();
    let rt = mamori_aws::runtime().unwrap();
    let config = rt.block_on(moto.sdk_config());
    let export_to = |db: &Path, endpoint: &str| {
        let mut command = mamori(db);
        command
            .args(["export", "security-hub", "--endpoint-url", endpoint])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
        command
    };

    ok(mamori(&db).arg("evaluate").arg(&inventory));
    let first = expected_ids(&db);
    let (_, stderr) = ok(&mut export_to(&db, &endpoint));
    let total: usize = first.values().map(Vec::len).sum();
    assert!(
        stderr.contains(&format!("{total} findings sent to Security Hub ({total} active, 0 archived)")),
        "{stderr}"
    );
    for (region, ids) in &first {
        let stored = rt.block_on(security_hub(&config, region));
        assert_eq!(
            stored.keys().collect::<Vec<_>>(),
            ids.iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>(),
            "{region}"
        );
        assert!(stored.values().all(|state| *state == RecordState::Active));
    }

    // The next run fixes one bucket: its finding is archived, the others are updated in place.
    set_versioning(&inventory, PAYMENTS, FIXED, "Enabled");
    ok(mamori(&db).arg("evaluate").arg(&inventory));
    let second = expected_ids(&db);
    let (_, stderr) = ok(&mut export_to(&db, &endpoint));
    let active: usize = second.values().map(Vec::len).sum();
    assert_eq!(active, total - 1);
    assert!(stderr.contains(&format!("({active} active, 1 archived against run 1)")), "{stderr}");
    let mut archived = Vec::new();
    for (region, ids) in &first {
        let stored = rt.block_on(security_hub(&config, region));
        assert_eq!(stored.len(), ids.len(), "{region}: updated, not duplicated");
        archived.extend(stored.into_iter().filter(|(_, state)| *state == RecordState::Archived).map(|(id, _)| id));
    }
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert!(archived[0].starts_with("mamori/s3-bucket-versioning-enabled/"), "{archived:?}");

    // OCSF of a stored run, to a file; every finding of the run, class 2003.
    let file = dir.path().join("run1.ocsf.json");
    ok(mamori(&db).args(["export", "ocsf", "1", "--output"]).arg(&file));
    let findings: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let runs: Value = serde_json::from_str(&ok(mamori(&db).args(["runs", "list", "--json"])).0).unwrap();
    let counts = &runs[0]["counts"];
    let checks: u64 = ["pass", "fail", "error", "muted"].iter().map(|k| counts[k].as_u64().unwrap()).sum();
    assert_eq!(findings.len() as u64, checks);
    assert!(findings.iter().all(|f| f["class_uid"] == 2003));

    // The dashboard of the latest run: the page's data is the stored run, with the first run
    // as its trend (the page itself is tested in Chromium by mamori-dashboard).
    let page = dir.path().join("report.html");
    ok(mamori(&db).args(["report", "--title", "Demo organization", "--output"]).arg(&page));
    let html = std::fs::read_to_string(&page).unwrap();
    let start = html.find("id=\"dashboard-data\">").unwrap() + "id=\"dashboard-data\">".len();
    let data: Value = serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()]).unwrap();
    assert_eq!(data["organization"], "Demo organization");
    assert_eq!(data["run"]["id"], runs[1]["id"].to_string());
    for status in ["pass", "fail", "error", "muted"] {
        assert_eq!(data["run"]["checks"][status], runs[1]["counts"][status], "{status}");
    }
    assert_eq!(data["trend"].as_array().unwrap().len(), 1);
    assert_eq!(data["trend"][0]["checks"]["fail"], runs[0]["counts"]["fail"]);
    let listed = ["fail", "error", "muted"].iter().map(|k| runs[1]["counts"][k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(data["findings"].as_array().unwrap().len() as u64, listed);
    assert!(!html.contains("<script src") && !html.contains("<link"), "the page loads nothing");

    // A framework's per-control results of the stored run are those of evaluating it anew.
    let (live, stored) = (dir.path().join("live.json"), dir.path().join("stored.json"));
    ok(mamori(&db)
        .arg("evaluate")
        .arg(&inventory)
        .args(["--no-store", "--framework", "cis-aws-3.0", "--framework-output"])
        .arg(&live)
        .env_remove("MAMORI_DB"));
    ok(mamori(&db)
        .args(["report", "--framework", "cis-aws-3.0", "--framework-output"])
        .arg(&stored)
        .arg("--output")
        .arg(&page));
    let read = |path: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() };
    assert_eq!(read(&stored), read(&live));
    assert!(read(&live)["controls"].as_array().is_some_and(|controls| controls.len() == 62), "{}", read(&live));

    // Refusals: an unknown run, and Security Hub unreachable (nothing claimed as sent).
    for command in [&["export", "ocsf", "9"][..], &["report", "9"]] {
        let unknown = run(mamori(&db).args(command));
        assert_eq!(unknown.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("no run `9`"));
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut unreachable = export_to(&db, &dead_endpoint);
    unreachable.env("AWS_MAX_ATTEMPTS", "1");
    let output = run(&mut unreachable);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{active_and_archived} of {active_and_archived} findings were not imported",
            active_and_archived = active + 1
        )),
        "{stderr}"
    );
}

/// The OCSF export of a stored run is the text earlier releases wrote (the whole array
/// pretty-printed at once), though it is now written finding by finding: on standard output
/// with a final newline, in a file without; and a reader that stops early ends it quietly with
/// 141, as for every command.
#[test]
fn ocsf_export_streams_the_same_bytes_as_the_collected_array() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = copy_demo_org(dir.path());
    let db = dir.path().join("mamori.db");
    ok(mamori(&db).arg("evaluate").arg(&inventory));

    let store = mamori_store::Store::open_read_only(&db).unwrap();
    let run = store.latest_complete_run(None, None).unwrap().unwrap();
    let time = u128::try_from(run.finished_at.unwrap()).unwrap();
    let mut documents = Vec::new();
    store
        .for_each_finding(run.id, |stored| {
            let finding = stored.into_finding();
            let meta = mamori_rules::find(&finding.rule_id).map(|rule| rule.meta());
            documents.push(mamori_engine::report::ocsf_finding(&finding, meta, time));
        })
        .unwrap();
    assert!(documents.len() > 100, "{}", documents.len());
    let expected = serde_json::to_string_pretty(&documents).unwrap();

    let (stdout, _) = ok(mamori(&db).args(["export", "ocsf"]));
    assert!(stdout == format!("{expected}\n"), "standard output differs from the collected array");
    let file = dir.path().join("run.ocsf.json");
    let (_, stderr) = ok(mamori(&db).args(["export", "ocsf", "--output"]).arg(&file));
    assert!(std::fs::read_to_string(&file).unwrap() == expected, "the file differs from the collected array");
    assert!(stderr.contains(&format!("wrote {} OCSF findings of run 1", documents.len())), "{stderr}");

    // `| head -c 100`: the reader goes away after the first bytes.
    let mut child = mamori(&db)
        .args(["export", "ocsf"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.code() == Some(141) && stderr.is_empty(), "{:?} {stderr}", output.status);
    assert_eq!(&first[..], &expected.as_bytes()[..100]);
}
