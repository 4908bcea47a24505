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
            if let Some(details) = source_details(account) {
                supplementary.insert("mamoriAccountDetails".into(), details);
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

/// What the accounts source (the CSV) said about the account, so that evaluating the
/// inventory later can tell owners and notification targets (mamori-engine's `owners`).
fn source_details(account: &Account) -> Option<Value> {
    let mut details = Map::new();
    if let Some(owner) = &account.owner {
        details.insert("owner".into(), Value::String(owner.clone()));
    }
    if let Some(email) = &account.email {
        details.insert("email".into(), Value::String(email.clone()));
    }
    if !account.columns.is_empty() {
        let columns = account.columns.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        details.insert("columns".into(), Value::Object(columns));
    }
    (!details.is_empty()).then_some(Value::Object(details))
}
