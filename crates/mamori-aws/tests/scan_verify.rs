//! End to end: a key issued by the emulator is written into a repository file,
//! found by the scanner, and verified live with the right account and ARN; a
//! made-up key in the same scan is reported not live. This is what
//! `mamori secrets scan --verify` does.

use aws_sdk_iam::Client as Iam;
use mamori_aws::{KeyStatus, SdkOptions, Verifier};
use mamori_secrets::{output, Allowlist, ScanOptions, Scanner, Verification};
use mamori_testkit::MotoServer;

#[test]
fn scan_then_verify_against_moto() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (id, secret, arn) = rt.block_on(async {
        let iam = Iam::new(&moto.sdk_config().await);
        let user = iam.create_user().user_name("ci-deployer").send().await.unwrap();
        let key = iam.create_access_key().user_name("ci-deployer").send().await.unwrap();
        let key = key.access_key().unwrap();
        (key.access_key_id().to_string(), key.secret_access_key().to_string(), user.user().unwrap().arn().to_string())
    });
    moto.enable_authentication();

    let tmp = tempfile::tempdir().unwrap();
    let made_up_id = format!("AKIA{}", "Q7ZX4M2N6P3R5T7V");
    let made_up_secret = format!("{}{}", "Zq8r3Tk9Lm2Pw7Xc4Vb1", "Nn6Hs5Jd0Fg+Ae8Yu3K/");
    std::fs::write(
        tmp.path().join("credentials"),
        format!(
            "[live]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n\n[dead]\naws_access_key_id = {made_up_id}\naws_secret_access_key = {made_up_secret}\n"
        ),
    )
    .unwrap();

    let mut report = Scanner::new(ScanOptions::default(), Allowlist::builtin()).scan_path(tmp.path()).unwrap();
    let pairs = report.credential_pairs();
    assert_eq!(pairs.len(), 2);
    let verifier =
        Verifier::new(&SdkOptions { endpoint_url: Some(moto.endpoint_url()), region: None, profile: None }).unwrap();
    for pair in &pairs {
        let v = match verifier.verify_access_key(pair.key_id.expose(), pair.secret.expose(), None) {
            KeyStatus::Live { account, arn } => Verification::Live { account, arn },
            KeyStatus::Invalid { code } => Verification::Invalid { code },
            KeyStatus::Error { message } => Verification::Error { message },
        };
        report.set_verification(pair, v);
    }
    let live = report.findings.iter().find(|f| f.secret.expose() == id).unwrap();
    assert_eq!(
        live.verification,
        Some(Verification::Live { account: arn.split(':').nth(4).unwrap().to_string(), arn: arn.clone() })
    );
    let dead = report.findings.iter().find(|f| f.secret.expose() == made_up_id).unwrap();
    assert_eq!(dead.verification, Some(Verification::Invalid { code: "InvalidClientTokenId".into() }));
    let text = output::text(&report);
    assert!(text.contains(&format!("LIVE key: account {}", arn.split(':').nth(4).unwrap())), "{text}");
    assert!(text.contains("not live (InvalidClientTokenId)"), "{text}");
    for raw in [&id, &secret, &made_up_id, &made_up_secret] {
        assert!(!text.contains(raw.as_str()), "output leaks a secret");
    }
}
