//! `verify_access_key` against a real moto server: a key moto issued is live
//! (right account and ARN); a made-up key and a wrong secret are not.

use aws_sdk_iam::Client as Iam;
use mamori_aws::{KeyStatus, SdkOptions, Verifier};
use mamori_testkit::MotoServer;

#[test]
fn verifies_issued_and_made_up_keys_against_moto() {
    let Some(moto) = MotoServer::start() else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (id, secret, user_arn) = rt.block_on(async {
        let iam = Iam::new(&moto.sdk_config().await);
        let user = iam.create_user().user_name("leaky").send().await.unwrap();
        let key = iam.create_access_key().user_name("leaky").send().await.unwrap();
        let key = key.access_key().unwrap();
        (key.access_key_id().to_string(), key.secret_access_key().to_string(), user.user().unwrap().arn().to_string())
    });
    // From here on moto checks every request's key and signature.
    moto.enable_authentication();

    let verifier = Verifier::new(&SdkOptions {
        endpoint_url: Some(moto.endpoint_url()),
        region: Some("us-east-1".into()),
        profile: None,
    })
    .unwrap();

    match verifier.verify_access_key(&id, &secret, None) {
        KeyStatus::Live { account, arn } => {
            assert_eq!(arn, user_arn);
            assert_eq!(account, user_arn.split(':').nth(4).unwrap());
            assert_eq!(account.len(), 12);
        }
        other => panic!("issued key should be live, got {other:?}"),
    }

    let made_up_id = format!("AKIA{}", "Q7ZX4M2N6P3R5T7V");
    let made_up_secret = format!("{}{}", "Zq8r3Tk9Lm2Pw7Xc4Vb1", "Nn6Hs5Jd0Fg+Ae8Yu3K/");
    assert_eq!(
        verifier.verify_access_key(&made_up_id, &made_up_secret, None),
        KeyStatus::Invalid { code: "InvalidClientTokenId".into() }
    );

    // The real id with a wrong secret: the signature does not match.
    assert_eq!(
        verifier.verify_access_key(&id, &made_up_secret, None),
        KeyStatus::Invalid { code: "SignatureDoesNotMatch".into() }
    );
}

#[test]
fn unreachable_endpoint_is_an_error_not_invalid() {
    // A port on 127.0.0.1 nobody listens on: the status is unknown, not "invalid".
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let verifier = Verifier::new(&SdkOptions {
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        region: Some("us-east-1".into()),
        profile: None,
    })
    .unwrap();
    let status = verifier.verify_access_key(&format!("AKIA{}", "0".repeat(16)), "x", None);
    assert!(matches!(status, KeyStatus::Error { .. }), "{status:?}");
}

#[test]
fn rejects_a_non_http_endpoint() {
    let err = Verifier::new(&SdkOptions { endpoint_url: Some("ftp://x".into()), ..Default::default() }).err().unwrap();
    assert_eq!(err.to_string(), "invalid endpoint url `ftp://x`: expected http:// or https://");
}
