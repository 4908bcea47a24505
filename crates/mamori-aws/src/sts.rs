//! STS calls.
//!
//! [`verify_access_key`] asks STS GetCallerIdentity with a given key. The call
//! needs no IAM permission (AWS always allows it), so a key that STS accepts is
//! live, and the answer names its account and ARN. STS's rejection codes tell a
//! dead key (`InvalidClientTokenId`), a wrong secret (`SignatureDoesNotMatch`)
//! and an expired session (`ExpiredToken`) apart; anything else (network,
//! throttling) leaves the status unknown.

use crate::sdk::{self, SdkOptions};
use crate::{Error, Result};
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;

/// Codes with which STS says the credentials themselves are not valid.
const INVALID_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "UnrecognizedClientException",
    "AuthFailure",
];

/// Whether a key is live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// STS accepted it.
    Live { account: String, arn: String },
    /// STS rejected it, with this error code.
    Invalid { code: String },
    /// The check failed; the key's status is unknown.
    Error { message: String },
}

/// Calls GetCallerIdentity signed with the given static credentials, using
/// `config` only for region, endpoint, retry and timeouts.
pub async fn verify_access_key(
    config: &SdkConfig,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
) -> KeyStatus {
    let creds =
        Credentials::new(access_key_id, secret_access_key, session_token.map(str::to_string), None, "mamori-verify");
    let sts_config = aws_sdk_sts::config::Builder::from(config).credentials_provider(creds).build();
    let client = aws_sdk_sts::Client::from_conf(sts_config);
    match client.get_caller_identity().send().await {
        Ok(out) => KeyStatus::Live {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        },
        Err(e) => {
            let code = e.code().map(str::to_string).or_else(|| code_from_body(&e));
            match code {
                Some(code) if INVALID_CODES.contains(&code.as_str()) => KeyStatus::Invalid { code },
                Some(code) => KeyStatus::Error { message: format!("{code}: {}", e.message().unwrap_or_default()) },
                None => KeyStatus::Error { message: aws_sdk_sts::error::DisplayErrorContext(&e).to_string() },
            }
        }
    }
}

/// The `<Code>` of an XML error body the SDK could not classify. STS answers
/// `<ErrorResponse><Error><Code>`, which the SDK parses; some emulators and
/// proxies (moto among them) wrap it as `<ErrorResponse><Errors><Error>`.
fn code_from_body<E>(e: &aws_sdk_sts::error::SdkError<E, aws_sdk_sts::config::http::HttpResponse>) -> Option<String> {
    let body = std::str::from_utf8(e.raw_response()?.body().bytes()?).ok()?;
    let start = body.find("<Code>")? + "<Code>".len();
    let len = body[start..].find("</Code>")?;
    Some(body[start..start + len].trim().to_string()).filter(|c| !c.is_empty() && c.len() < 100)
}

/// A blocking verifier: owns a small runtime and the SDK configuration, for
/// callers (the CLI) that are not async.
pub struct Verifier {
    runtime: tokio::runtime::Runtime,
    config: SdkConfig,
}

impl Verifier {
    /// Loads the configuration (standard chain, `opts` applied).
    pub fn new(opts: &SdkOptions) -> Result<Self> {
        opts.validate()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(Error::Runtime)?;
        let config = runtime.block_on(sdk::load(opts))?;
        Ok(Verifier { runtime, config })
    }

    /// Verifies one key; see [`verify_access_key`].
    pub fn verify_access_key(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> KeyStatus {
        self.runtime.block_on(verify_access_key(&self.config, access_key_id, secret_access_key, session_token))
    }
}
