//! The `AWS::::Account` records: one per account and region, assembled from the account
//! fields every collector of the account wrote.

use std::collections::BTreeMap;

use mamori_model::{ConfigItem, ACCOUNT_TYPE};
use serde_json::{Map, Value};

use super::AccountFields;
use crate::accounts::Account;

/// One record per region of `regions`; the home region's also says `homeRegion: true`.
pub(crate) fn records(
    account: &Account,
    regions: &[String],
    home: &str,
    capture_time: &str,
    mut fields: BTreeMap<String, AccountFields>,
) -> Vec<ConfigItem> {
    regions
        .iter()
        .map(|region| {
            let AccountFields { fields: mut configuration, errors } = fields.remove(region).unwrap_or_default();
            configuration.insert("homeRegion".into(), Value::Bool(region == home));
            let mut supplementary = Map::new();
            if !errors.is_empty() {
                supplementary.insert("mamoriCollectionErrors".into(), Value::Object(errors));
            }
            ConfigItem {
                resource_type: ACCOUNT_TYPE.into(),
                resource_id: account.id.clone(),
                resource_name: account.name.clone(),
                arn: None,
                account_id: account.id.clone(),
                aws_region: region.clone(),
                configuration_item_capture_time: Some(capture_time.to_owned()),
                configuration_item_status: Some("OK".into()),
                tags: account.tags.clone(),
                relationships: Vec::new(),
                configuration: Value::Object(configuration),
                supplementary_configuration: supplementary,
            }
        })
        .collect()
}
