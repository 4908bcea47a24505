//! SDK configuration: the standard credential chain, region and endpoint.
//!
//! `aws-config` already honours `AWS_ENDPOINT_URL` (and the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>`); an explicit `--endpoint-url` wins over them.

use crate::{Error, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Region used when the chain resolves none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How to build the SDK configuration.
#[derive(Clone, Debug, Default)]
pub struct SdkOptions {
    /// `--endpoint-url`: overrides the endpoint of every service.
    pub endpoint_url: Option<String>,
    /// `--region`; else the chain (`AWS_REGION`, profile), else `us-east-1`.
    pub region: Option<String>,
    /// `--profile`; else the chain (`AWS_PROFILE`).
    pub profile: Option<String>,
}

impl SdkOptions {
    /// Checks the endpoint URL.
    pub fn validate(&self) -> Result<()> {
        if let Some(url) = &self.endpoint_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::EndpointUrl(url.clone()));
            }
        }
        Ok(())
    }
}

/// Loads the SDK configuration from the standard chain with `opts` applied.
pub async fn load(opts: &SdkOptions) -> Result<SdkConfig> {
    opts.validate()?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Ok(config.into_builder().region(Region::new(DEFAULT_REGION)).build());
    }
    Ok(config)
}

/// The workspace's release profile compiles every AWS SDK crate without optimisation (see the
/// measurements in the root `Cargo.toml`); a crate added to this one's dependencies without its
/// profile entry would quietly add minutes to every first build.
#[cfg(test)]
mod release_profile {
    use std::path::Path;

    #[test]
    fn every_sdk_crate_in_the_lock_file_is_compiled_without_optimisation() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let sdk_crates: Vec<&str> = lock
            .lines()
            .filter_map(|line| line.strip_prefix("name = \"")?.strip_suffix('"'))
            .filter(|name| name.starts_with("aws-sdk-"))
            .collect();
        assert!(sdk_crates.contains(&"aws-sdk-ec2"), "{sdk_crates:?}");
        let missing: Vec<&&str> = sdk_crates
            .iter()
            .filter(|name| !manifest.contains(&format!("[profile.release.package.{name}]\nopt-level = 0\n")))
            .collect();
        assert!(
            missing.is_empty(),
            "add `[profile.release.package.<name>] opt-level = 0` to Cargo.toml for {missing:?}"
        );
    }
}
