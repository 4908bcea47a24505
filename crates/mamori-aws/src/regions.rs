//! Which regions of an account are read: the ones enabled for it, or a given list; and the
//! partition a region belongs to, for the ARNs mamori builds where an API gives none.

use aws_config::SdkConfig;
use aws_sdk_ec2::types::Region;

use crate::collect::ApiError;

/// `--regions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionChoice {
    /// Every region enabled for the account (opt-in regions only once opted in).
    Enabled,
    /// Exactly these regions.
    List(Vec<String>),
}

impl RegionChoice {
    /// Parses `all` or a comma-separated list of region names.
    pub fn parse(value: &str) -> Result<RegionChoice, String> {
        if value == "all" {
            return Ok(RegionChoice::Enabled);
        }
        let mut regions: Vec<String> = Vec::new();
        for region in value.split(',').map(str::trim) {
            let well_formed = region.split('-').count() >= 3
                && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && region.ends_with(|c: char| c.is_ascii_digit());
            if !well_formed {
                return Err(format!("`{region}` is not a region name (like `eu-west-1`)"));
            }
            if !regions.iter().any(|r| r == region) {
                regions.push(region.to_owned());
            }
        }
        Ok(RegionChoice::List(regions))
    }
}

/// The regions enabled for the account of `config`, sorted: EC2 DescribeRegions without
/// AllRegions, keeping only what [`usable`] keeps.
pub async fn enabled(config: &SdkConfig) -> Result<Vec<String>, ApiError> {
    let client = aws_sdk_ec2::Client::new(config);
    let output = client.describe_regions().send().await.map_err(|e| ApiError::from_sdk(&e))?;
    let home = config.region().map(|region| partition(region.as_ref()));
    Ok(usable(output.regions(), home))
}

/// The regions of a DescribeRegions answer that can be read, sorted: an opt-in region the
/// account has not opted in to (`not-opted-in`) refuses every call, and a region of another
/// partition than `home`'s cannot be reached with its credentials. AWS leaves both out of an
/// answer without AllRegions; an emulator may not, and a run over them would fail account by
/// account.
fn usable(regions: &[Region], home: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = regions
        .iter()
        .filter(|region| region.opt_in_status() != Some("not-opted-in"))
        .filter_map(Region::region_name)
        .filter(|name| home.is_none_or(|home| partition(name) == home))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The ARN partition of a region (`arn:<partition>:…`), by the region-name prefixes of the
/// SDK's partition table; every region outside the isolated and sovereign partitions is `aws`.
pub fn partition(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_typos() {
        assert_eq!(RegionChoice::parse("all").unwrap(), RegionChoice::Enabled);
        assert_eq!(
            RegionChoice::parse("eu-west-1, us-east-1,eu-west-1").unwrap(),
            RegionChoice::List(vec!["eu-west-1".into(), "us-east-1".into()])
        );
        assert!(RegionChoice::parse("eu-west").unwrap_err().contains("`eu-west`"));
        assert!(RegionChoice::parse("us-east-1,").is_err());
    }

    fn region(name: &str, opt_in: Option<&str>) -> Region {
        Region::builder().region_name(name).set_opt_in_status(opt_in.map(str::to_owned)).build()
    }

    #[test]
    fn regions_not_opted_in_or_of_another_partition_are_left_out() {
        let answer = [
            region("us-east-1", Some("opt-in-not-required")),
            region("ap-east-1", Some("not-opted-in")),
            region("me-south-1", Some("opted-in")),
            region("eu-west-1", None),
            region("us-gov-west-1", Some("opt-in-not-required")),
            region("cn-north-1", Some("opt-in-not-required")),
            Region::builder().opt_in_status("opt-in-not-required").build(),
        ];
        assert_eq!(usable(&answer, Some("aws")), ["eu-west-1", "me-south-1", "us-east-1"]);
        assert_eq!(usable(&answer, Some("aws-us-gov")), ["us-gov-west-1"]);
        // Without a region of its own the caller's partition is unknown: only opt-in counts.
        assert_eq!(usable(&answer, None), ["cn-north-1", "eu-west-1", "me-south-1", "us-east-1", "us-gov-west-1"]);
    }

    #[test]
    fn partitions_of_regions() {
        for (region, partition_name) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("ap-northeast-1", "aws"),
            ("il-central-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("eusc-de-east-1", "aws-eusc"),
        ] {
            assert_eq!(partition(region), partition_name, "{region}");
        }
    }
}
