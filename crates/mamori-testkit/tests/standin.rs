//! The stand-ins of the corrected front, on the wire, in front of a real moto server.
//!
//! Stood in for here (moto 5.2.5 lacks both services): IAM Access Analyzer CreateAnalyzer and
//! ListAnalyzers; Detective CreateGraph, ListGraphs, CreateMembers, AcceptInvitation and
//! ListInvitations. The requests are written by hand in the services' REST-JSON form, signed
//! scopes included (moto checks no signature until authentication is enabled), so the checks
//! see exactly the status, headers and bodies the SDK would read; the SDK's own reading of them
//! is checked by mamori-aws's detection collector test and the demo's seeding test. The caller's
//! account comes from moto (STS GetCallerIdentity for the key), so a key from AssumeRole acts in
//! the role's account.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use mamori_testkit::front::{Front, CORRECTIONS};
use mamori_testkit::standin;
use mamori_testkit::{FaultProxy, FaultRule, MotoServer, TEST_ACCESS_KEY_ID};
use serde_json::{json, Value};

/// moto's default account, where the `testing` key acts.
const DEFAULT_ACCOUNT: &str = "123456789012";
const MEMBER_ACCOUNT: &str = "111111111111";

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn error_type(&self) -> Option<&str> {
        self.header("x-amzn-ErrorType")
    }
}

/// One request to `port`, signed (scope only) for `service` in `region` with `key`.
fn send(port: u16, key: &str, service: &str, region: &str, method: &str, target: &str, body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential={key}/20251201/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).unwrap();
    Reply { status, headers, body }
}

/// A key of `MEMBER_ACCOUNT`: moto issues assumed-role keys in the role's account.
fn member_key(moto: &MotoServer) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let sts = aws_sdk_sts::Client::new(&moto.sdk_config().await);
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole"))
            .role_session_name("standin-test")
            .send()
            .await
            .unwrap();
        assumed.credentials().unwrap().access_key_id().to_owned()
    })
}

#[test]
fn access_analyzer_keeps_analyzers_per_account_and_region() {
    let Some(moto) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&moto).start().unwrap();
    let port = front.port();
    let analyzers = |key: &str, region: &str, query: &str| {
        send(port, key, "access-analyzer", region, "GET", &format!("/analyzer{query}"), "")
    };
    let create = |key: &str, region: &str, body: Value| {
        send(port, key, "access-analyzer", region, "PUT", "/analyzer", &body.to_string())
    };
    let key = TEST_ACCESS_KEY_ID;

    let empty = analyzers(key, "us-east-1", "");
    assert_eq!(empty.status, 200);
    assert_eq!(empty.header("content-type"), Some("application/json"));
    assert_eq!(empty.json(), json!({"analyzers": []}));

    let created = create(key, "us-east-1", json!({"analyzerName": "external-access", "type": "ACCOUNT"}));
    assert_eq!(created.status, 200, "{}", String::from_utf8_lossy(&created.body));
    let arn = format!("arn:aws:access-analyzer:us-east-1:{DEFAULT_ACCOUNT}:analyzer/external-access");
    assert_eq!(created.json(), json!({ "arn": arn }));
    let again = create(key, "us-east-1", json!({"analyzerName": "external-access", "type": "ACCOUNT"}));
    assert_eq!((again.status, again.error_type()), (409, Some("ConflictException")));
    assert!(again.json()["message"].as_str().unwrap().contains("external-access"));
    let bad_type = create(key, "us-east-1", json!({"analyzerName": "x", "type": "EVERYTHING"}));
    assert_eq!((bad_type.status, bad_type.error_type()), (400, Some("ValidationException")));
    let bad_name = create(key, "us-east-1", json!({"analyzerName": "1st", "type": "ACCOUNT"}));
    assert_eq!((bad_name.status, bad_name.error_type()), (400, Some("ValidationException")));
    let unused = json!({"analyzerName": "unused-access", "type": "ACCOUNT_UNUSED_ACCESS", "tags": {"team": "sec"}});
    assert_eq!(create(key, "us-east-1", unused).status, 200);

    let listed = analyzers(key, "us-east-1", "").json();
    let listed = listed["analyzers"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["arn"], json!(arn));
    assert_eq!(listed[0]["name"], json!("external-access"));
    assert_eq!(listed[0]["type"], json!("ACCOUNT"));
    assert_eq!(listed[0]["status"], json!("ACTIVE"));
    let created_at = listed[0]["createdAt"].as_str().unwrap();
    assert!(created_at.len() == 20 && created_at.ends_with('Z') && created_at.as_bytes()[10] == b'T', "{created_at}");
    assert_eq!(listed[1]["tags"], json!({"team": "sec"}));

    // The type filter and pages.
    let external = analyzers(key, "us-east-1", "?type=ACCOUNT").json();
    assert_eq!(external["analyzers"].as_array().unwrap().len(), 1);
    let first = analyzers(key, "us-east-1", "?maxResults=1").json();
    assert_eq!(first["analyzers"][0]["name"], json!("external-access"));
    let token = first["nextToken"].as_str().unwrap();
    let second = analyzers(key, "us-east-1", &format!("?maxResults=1&nextToken={token}")).json();
    assert_eq!(second["analyzers"][0]["name"], json!("unused-access"));
    assert!(second.get("nextToken").is_none());

    // Another region, another account: their own (empty) lists.
    assert_eq!(analyzers(key, "eu-west-1", "").json(), json!({"analyzers": []}));
    let member = member_key(&moto);
    assert_eq!(analyzers(&member, "us-east-1", "").json(), json!({"analyzers": []}));
    let theirs = create(&member, "us-east-1", json!({"analyzerName": "external-access", "type": "ACCOUNT"}));
    assert_eq!(
        theirs.json()["arn"],
        json!(format!("arn:aws:access-analyzer:us-east-1:{MEMBER_ACCOUNT}:analyzer/external-access"))
    );

    // An operation not stood in for goes to moto, which lacks it.
    let relayed = send(port, key, "access-analyzer", "us-east-1", "GET", "/analyzer/external-access", "");
    assert!(relayed.status >= 400, "GetAnalyzer is not stood in for: {}", relayed.status);
    let stats = front.stats();
    assert_eq!(stats.stood_in, 13, "{stats:?}");
}

#[test]
fn detective_graphs_invitations_and_memberships() {
    let Some(moto) = MotoServer::start() else { return };
    let front = FaultProxy::front_of(&moto).start().unwrap();
    let port = front.port();
    let call = |key: &str, method: &str, path: &str, body: Value| {
        send(port, key, "detective", "eu-west-1", method, path, &body.to_string())
    };
    let (admin, member) = (TEST_ACCESS_KEY_ID.to_owned(), member_key(&moto));

    assert_eq!(call(&admin, "POST", "/graphs/list", json!({})).json(), json!({"GraphList": []}));
    let created = call(&admin, "POST", "/graph", json!({"Tags": {"owner": "security"}}));
    assert_eq!(created.status, 200);
    let arn = created.json()["GraphArn"].as_str().unwrap().to_owned();
    assert!(arn.starts_with(&format!("arn:aws:detective:eu-west-1:{DEFAULT_ACCOUNT}:graph:")), "{arn}");
    assert_eq!(arn.rsplit(':').next().unwrap().len(), 32, "{arn}");
    let second = call(&admin, "POST", "/graph", json!({}));
    assert_eq!((second.status, second.error_type()), (409, Some("ConflictException")));
    let graphs = call(&admin, "POST", "/graphs/list", json!({"MaxResults": 10})).json();
    assert_eq!(graphs["GraphList"][0]["Arn"], json!(arn));
    assert!(graphs["GraphList"][0]["CreatedTime"].as_str().unwrap().ends_with('Z'));

    // The member may not invite into the administrator's graph; a graph nobody has is unknown.
    let account = json!([{"AccountId": MEMBER_ACCOUNT, "EmailAddress": "member@example.com"}]);
    let refused = call(&member, "POST", "/graph/members", json!({"GraphArn": arn, "Accounts": account}));
    assert_eq!((refused.status, refused.error_type()), (403, Some("AccessDeniedException")));
    let unknown = format!("arn:aws:detective:eu-west-1:{DEFAULT_ACCOUNT}:graph:0");
    let missing = call(&admin, "POST", "/graph/members", json!({"GraphArn": unknown, "Accounts": account}));
    assert_eq!((missing.status, missing.error_type()), (404, Some("ResourceNotFoundException")));
    let invalid = call(&admin, "POST", "/graph/members", json!({"GraphArn": arn, "Accounts": [{"AccountId": "12"}]}));
    assert_eq!((invalid.status, invalid.error_type()), (400, Some("ValidationException")));

    let both = json!([{"AccountId": MEMBER_ACCOUNT, "EmailAddress": "member@example.com"},
                      {"AccountId": DEFAULT_ACCOUNT, "EmailAddress": "admin@example.com"}]);
    let invited = call(&admin, "POST", "/graph/members", json!({"GraphArn": arn, "Accounts": both})).json();
    assert_eq!(invited["Members"].as_array().unwrap().len(), 1, "{invited}");
    assert_eq!(invited["Members"][0]["Status"], json!("INVITED"));
    assert_eq!(invited["Members"][0]["AdministratorId"], json!(DEFAULT_ACCOUNT));
    assert_eq!(invited["UnprocessedAccounts"][0]["AccountId"], json!(DEFAULT_ACCOUNT), "the administrator itself");

    let open = call(&member, "POST", "/invitations/list", json!({})).json();
    assert_eq!(open["Invitations"][0]["GraphArn"], json!(arn));
    assert_eq!(open["Invitations"][0]["Status"], json!("INVITED"));
    assert_eq!(open["Invitations"][0]["AccountId"], json!(MEMBER_ACCOUNT));
    // Invitations are regional.
    let elsewhere = send(port, &member, "detective", "us-east-1", "POST", "/invitations/list", "{}");
    assert_eq!(elsewhere.json(), json!({"Invitations": []}));

    let accepted = call(&member, "PUT", "/invitation", json!({"GraphArn": arn}));
    assert_eq!((accepted.status, accepted.body.len()), (200, 0));
    let twice = call(&member, "PUT", "/invitation", json!({"GraphArn": arn}));
    assert_eq!((twice.status, twice.error_type()), (409, Some("ConflictException")));
    let stranger = call(&admin, "PUT", "/invitation", json!({"GraphArn": arn}));
    assert_eq!((stranger.status, stranger.error_type()), (404, Some("ResourceNotFoundException")));
    let enabled = call(&member, "POST", "/invitations/list", json!({})).json();
    assert_eq!(enabled["Invitations"][0]["Status"], json!("ENABLED"));
    // A member administers no graph of its own.
    assert_eq!(call(&member, "POST", "/graphs/list", json!({})).json(), json!({"GraphList": []}));
    let bad_page = call(&member, "POST", "/invitations/list", json!({"NextToken": "elsewhere"}));
    assert_eq!((bad_page.status, bad_page.error_type()), (400, Some("ValidationException")));
}

#[test]
fn faults_apply_to_stood_in_operations_and_proxies_can_share_stand_ins() {
    let Some(moto) = MotoServer::start() else { return };
    let stand_ins = standin::standard();
    let clean = FaultProxy::in_front_of(&moto).corrected(&stand_ins).start().unwrap();
    let denied = FaultProxy::in_front_of(&moto)
        .rule(FaultRule::rest("detective", "POST", "/graphs/list"))
        .corrected(&stand_ins)
        .start()
        .unwrap();
    let created = send(clean.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/graph", "{}");
    assert_eq!(created.status, 200);
    let refused = send(denied.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/graphs/list", "{}");
    assert_eq!((refused.status, refused.error_type()), (403, Some("AccessDeniedException")));
    // The graph made through one proxy is listed through another proxy with the same stand-ins.
    let via_denied =
        send(denied.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/invitations/list", "{}");
    assert_eq!(via_denied.json(), json!({"Invitations": []}));
    let listed = send(clean.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/graphs/list", "{}");
    assert_eq!(listed.json()["GraphList"].as_array().unwrap().len(), 1);
    assert_eq!(denied.stats().permanent, 1);
    // Resetting moto through a front resets the stand-ins it holds.
    let (code, body) = clean.request("POST", "/moto-api/reset", "").unwrap();
    assert_eq!(code, 200, "{body}");
    let after = send(clean.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/graphs/list", "{}");
    assert_eq!(after.json(), json!({"GraphList": []}));
    // New stand-ins start empty.
    let fresh = FaultProxy::front_of(&moto).start().unwrap();
    let none = send(fresh.port(), TEST_ACCESS_KEY_ID, "detective", "us-east-1", "POST", "/graphs/list", "{}");
    assert_eq!(none.json(), json!({"GraphList": []}));
}

#[test]
fn the_front_corrects_get_bucket_versioning() {
    let Some(moto) = MotoServer::start() else { return };
    let raw =
        |port: u16, target: &str, method: &str| send(port, TEST_ACCESS_KEY_ID, "s3", "us-east-1", method, target, "");
    assert_eq!(raw(moto.port(), "/versioned", "PUT").status, 200);
    let direct = raw(moto.port(), "/versioned?versioning", "GET");
    let direct = String::from_utf8_lossy(&direct.body).into_owned();
    assert!(direct.contains("<GetBucketVersioningResponse"), "moto still answers as documented: {direct}");
    let front = FaultProxy::front_of(&moto).start().unwrap();
    let corrected = raw(front.port(), "/versioned?versioning", "GET");
    let corrected = String::from_utf8_lossy(&corrected.body).into_owned();
    assert!(
        corrected.contains("<VersioningConfiguration") && !corrected.contains("GetBucketVersioningResponse"),
        "{corrected}"
    );
    // The DescribeInstances correction is exercised by the live audit tests (mamori-cli
    // tests/audit.rs: no ERROR through the front, where moto alone leaves every instance's
    // virtualization type unreadable).
    assert_eq!(CORRECTIONS.len(), 2, "a new correction is documented in the README and tested");
}

#[test]
fn front_runs_moto_and_the_proxy_together() {
    let path = mamori_testkit::moto_server_path();
    if !path.exists() {
        // Same rule as MotoServer::start: skip with a notice, never under CI=true.
        assert!(MotoServer::start().is_none());
        return;
    }
    let front = Front::start(&path).unwrap();
    let port: u16 = front.endpoint_url().rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, front.moto().port());
    let listed = send(port, TEST_ACCESS_KEY_ID, "access-analyzer", "us-east-1", "GET", "/analyzer", "");
    assert_eq!(listed.json(), json!({"analyzers": []}));
    let missing = Front::start(std::path::Path::new("/nonexistent/moto_server")).err().unwrap();
    assert!(missing.to_string().contains("/nonexistent/moto_server"), "{missing}");
}
