//! Sessions in member accounts: assume the audit role, keep the credentials, refresh them.
//!
//! A collection of a large organization outlives one set of role credentials, so the
//! provider renews them before they expire. The SDK's identity cache sits on top of it, one
//! per session, with the same margin: its default (10 seconds before expiry) would hold the
//! credentials until the last moment and ask the provider only then. Both read the time from
//! the SDK configuration's time source, so they agree on what is about to expire, and a test
//! can move that clock instead of waiting an hour. An account whose role cannot be assumed is
//! reported (with AWS's error code) and the run goes on with the others.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::identity::IdentityCache;
use aws_config::SdkConfig;
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_async::time::SharedTimeSource;
use tokio::sync::Mutex;

use crate::collect::ApiError;

/// Renew credentials this long before they expire.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

/// Which role to assume in each account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleTarget {
    /// `--role-name NAME`: `arn:aws:iam::<account>:role/NAME`.
    Name(String),
    /// `--role-arn-template T`: `{account_id}` is replaced by the account id.
    ArnTemplate(String),
}

/// How to enter accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSpec {
    pub target: RoleTarget,
    pub external_id: Option<String>,
    pub session_name: String,
    pub duration: Duration,
}

impl RoleSpec {
    /// Default session name, visible in the member accounts' CloudTrail.
    pub const DEFAULT_SESSION_NAME: &'static str = "mamori-audit";

    /// A spec with the default session name and one-hour sessions.
    pub fn new(target: RoleTarget) -> RoleSpec {
        RoleSpec {
            target,
            external_id: None,
            session_name: Self::DEFAULT_SESSION_NAME.into(),
            duration: Duration::from_secs(3600),
        }
    }

    /// Checks the template and the limits AWS puts on sessions.
    pub fn validate(&self) -> Result<(), String> {
        match &self.target {
            RoleTarget::Name(name) if name.is_empty() || name.contains(':') => {
                return Err(format!("role name `{name}` is not a role name (use --role-arn-template for ARNs)"))
            }
            RoleTarget::ArnTemplate(t) if !t.contains("{account_id}") || !t.starts_with("arn:") => {
                return Err(format!("role ARN template `{t}` must be an ARN containing `{{account_id}}`"))
            }
            _ => {}
        }
        let seconds = self.duration.as_secs();
        if !(900..=43_200).contains(&seconds) {
            return Err(format!("session duration {seconds}s is outside AWS's 900..43200 seconds"));
        }
        let name_ok = (2..=64).contains(&self.session_name.len())
            && self.session_name.chars().all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
        if !name_ok {
            return Err(format!("session name `{}` must be 2-64 characters of [A-Za-z0-9=,.@_-]", self.session_name));
        }
        Ok(())
    }

    /// The role ARN for `account_id` in `partition` (`aws`, `aws-cn`, `aws-us-gov`, ...: the
    /// partition of the home region, see [`crate::regions::partition`]).
    pub fn role_arn(&self, account_id: &str, partition: &str) -> String {
        match &self.target {
            RoleTarget::Name(name) => format!("arn:{partition}:iam::{account_id}:role/{name}"),
            RoleTarget::ArnTemplate(template) => template.replace("{account_id}", account_id),
        }
    }
}

/// Credentials of one account's role, renewed before they expire.
#[derive(Debug)]
struct RoleSession {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    spec: RoleSpec,
    /// The base configuration's clock, the one the SDK's identity cache reads.
    time: SharedTimeSource,
    current: Mutex<Option<Credentials>>,
}

impl RoleSession {
    async fn credentials(&self) -> Result<Credentials, ApiError> {
        let mut current = self.current.lock().await;
        if let Some(credentials) = current.as_ref() {
            let fresh = credentials.expiry().is_none_or(|expiry| expiry > self.time.now() + RENEW_BEFORE_EXPIRY);
            if fresh {
                return Ok(credentials.clone());
            }
        }
        let output = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.spec.session_name)
            .set_external_id(self.spec.external_id.clone())
            .duration_seconds(self.spec.duration.as_secs() as i32)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(&e))?;
        let Some(issued) = output.credentials() else {
            return Err(ApiError::new("MissingCredentials", "AssumeRole answered without credentials"));
        };
        let expiry = SystemTime::try_from(*issued.expiration()).ok();
        let credentials = Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            expiry,
            "mamori-assume-role",
        );
        *current = Some(credentials.clone());
        Ok(credentials)
    }
}

#[derive(Debug, Clone)]
struct RoleProvider(Arc<RoleSession>);

impl ProvideCredentials for RoleProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.0.credentials().await.map_err(|e| CredentialsError::provider_error(e.to_string()))
        })
    }
}

/// Assumes the role of `spec` in `account_id` with the credentials of `base`, and returns an
/// SDK configuration acting in that account. Fails with AWS's error when the role cannot be
/// assumed (AccessDenied, no such role, bad external id).
pub async fn enter(base: &SdkConfig, account_id: &str, spec: &RoleSpec) -> Result<SdkConfig, ApiError> {
    let session = Arc::new(RoleSession {
        sts: aws_sdk_sts::Client::new(base),
        // A role named without its ARN lives in the partition of the accounts being entered,
        // which is the home region's (China and GovCloud accounts are reached there).
        role_arn: spec.role_arn(account_id, crate::regions::partition(base.region().map_or("", |r| r.as_ref()))),
        spec: spec.clone(),
        time: base.time_source().unwrap_or_default(),
        current: Mutex::new(None),
    });
    session.credentials().await?;
    // The cache reloads between the margin and half of it before expiry (the SDK adds jitter),
    // and then the provider finds the credentials within its margin and renews them.
    let cache = IdentityCache::lazy().buffer_time(RENEW_BEFORE_EXPIRY).build();
    Ok(base
        .to_builder()
        .identity_cache(cache)
        .credentials_provider(SharedCredentialsProvider::new(RoleProvider(session)))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_and_validation() {
        let by_name = RoleSpec::new(RoleTarget::Name("mamori-audit".into()));
        assert_eq!(by_name.role_arn("111122223333", "aws"), "arn:aws:iam::111122223333:role/mamori-audit");
        assert_eq!(
            by_name.role_arn("111122223333", "aws-us-gov"),
            "arn:aws-us-gov:iam::111122223333:role/mamori-audit"
        );
        assert!(by_name.validate().is_ok());
        let template = RoleSpec::new(RoleTarget::ArnTemplate("arn:aws-cn:iam::{account_id}:role/audit/ro".into()));
        assert_eq!(template.role_arn("111122223333", "aws"), "arn:aws-cn:iam::111122223333:role/audit/ro");
        let bad = RoleSpec::new(RoleTarget::ArnTemplate("arn:aws:iam::1:role/x".into()));
        assert!(bad.validate().unwrap_err().contains("{account_id}"));
        let short = RoleSpec { duration: Duration::from_secs(60), ..by_name.clone() };
        assert!(short.validate().unwrap_err().contains("900"));
        let name = RoleSpec { session_name: "bad name".into(), ..by_name };
        assert!(name.validate().unwrap_err().contains("session name"));
    }
}
