//! `mamori incidents list|show` read what `mamori watch` recorded in the findings history.

mod common;

use mamori_model::event::parse_event;
use mamori_store::{Claim, NewIncident, Store};
use serde_json::{json, Value};

use common::{mamori, run};

fn stop_logging(event_id: &str) -> String {
    json!({
        "detail-type": "AWS API Call via CloudTrail",
        "account": "111122223333",
        "region": "eu-west-1",
        "detail": {
            "eventID": event_id,
            "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "StopLogging",
            "eventTime": "2026-12-08T02:00:00Z",
            "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15.0 \u{1b}[2J",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/Ops/mallory",
                "sessionContext": { "sessionIssuer": { "arn": "arn:aws:iam::111122223333:role/Ops" } }
            },
            "requestParameters": { "name": "org" }
        }
    })
    .to_string()
}

#[test]
fn list_and_show_print_the_incident_with_its_actor() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mamori.db");
    {
        let mut store = Store::open(&db).unwrap();
        let event = parse_event(&stop_logging("0d4b3f7e-1111")).unwrap();
        assert_eq!(store.claim_event(&event, "m-1").unwrap(), Claim::New);
        let incident = NewIncident {
            responder: "cloudtrail_tampering",
            kind: "trail-stopped",
            resource: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
            summary: "logging of trail org was stopped",
            action: "StartLogging called; logging verified on",
        };
        store.finish_event(&event, "restored", "", &[incident]).unwrap();
    }

    let output = run(mamori(&db).args(["incidents", "list", "--json"]));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["principalArn"], "arn:aws:iam::111122223333:role/Ops");
    assert_eq!(listed[0]["eventId"], "0d4b3f7e-1111");
    assert_eq!(listed[0]["kind"], "trail-stopped");

    let table = String::from_utf8(run(mamori(&db).args(["incidents", "list"])).stdout).unwrap();
    assert!(table.lines().nth(1).unwrap().contains("trail-stopped"), "{table}");

    let output = run(mamori(&db).args(["incidents", "show", "1"]));
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for expected in
        ["198.51.100.7", "arn:aws:iam::111122223333:role/Ops", "2026-12-08T02:00:00Z", "StartLogging called"]
    {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // The user agent came from outside: its escape sequence is shown, not sent to the terminal.
    assert!(!text.contains('\u{1b}'), "{text}");

    let output = run(mamori(&db).args(["incidents", "show", "7"]));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no incident 7") && stderr.contains("mamori.db"), "{stderr}");
}
