//! KMS keys (`AWS::KMS::Key`) with their rotation status.

use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{iso_or_null, CollectFuture, Cx};
use crate::client;

pub(crate) const COLLECTOR: Collector = Collector {
    name: "kms",
    placement: Placement::Regional,
    resource_types: &["AWS::KMS::Key"],
    account_fields: &[],
    actions: &["kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let kms = client!(cx, aws_sdk_kms);
    let pages = match cx.pages("kms", kms.list_keys().into_paginator().send()).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed("AWS::KMS::Key", "ListKeys", &err),
    };
    for key in pages.iter().flat_map(|page| page.keys()) {
        let Some(key_id) = key.key_id() else { continue };
        // Without DescribeKey nothing about the key is known: the list is incomplete.
        let metadata = match cx.call("kms", kms.describe_key().key_id(key_id).send()).await {
            Ok(output) => output.key_metadata,
            Err(err) => return cx.list_failed("AWS::KMS::Key", "DescribeKey", &err),
        };
        let Some(m) = metadata else { continue };
        let mut item = cx.item("AWS::KMS::Key", m.key_id());
        // AWS Config still writes the deprecated customerMasterKeySpec, and older items
        // carry only that; the rule reads either.
        #[allow(deprecated, reason = "AWS Config still writes customerMasterKeySpec")]
        let customer_master_key_spec = m.customer_master_key_spec().map(|v| v.as_str());
        item.arn = m.arn().map(str::to_owned);
        item.configuration = json!({
            "keyId": m.key_id(),
            "arn": m.arn(),
            "awsaccountId": m.aws_account_id(),
            "creationDate": iso_or_null(m.creation_date()),
            "enabled": m.enabled(),
            "description": m.description(),
            "keyUsage": m.key_usage().map(|v| v.as_str()),
            "keyState": m.key_state().map(|v| v.as_str()),
            "origin": m.origin().map(|v| v.as_str()),
            "keyManager": m.key_manager().map(|v| v.as_str()),
            "customerMasterKeySpec": customer_master_key_spec,
            "keySpec": m.key_spec().map(|v| v.as_str()),
            "encryptionAlgorithms": m.encryption_algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            "multiRegion": m.multi_region(),
            "deletionDate": iso_or_null(m.deletion_date()),
        });
        // AWS answers rotation status only for enabled symmetric customer keys; for the
        // others it is meaningless and the rule does not read it.
        let rotates = m.key_manager().is_some_and(|v| v.as_str() == "CUSTOMER")
            && m.key_state().is_some_and(|v| v.as_str() == "Enabled")
            && m.key_spec().is_some_and(|v| v.as_str() == "SYMMETRIC_DEFAULT");
        if rotates {
            match cx.call("kms", kms.get_key_rotation_status().key_id(key_id).send()).await {
                Ok(status) => {
                    item.supplementary_configuration
                        .insert("KeyRotationStatus".into(), Value::Bool(status.key_rotation_enabled()));
                }
                Err(err) => Cx::attribute_failed(&mut item, "KeyRotationStatus", "GetKeyRotationStatus", &err),
            }
        }
        cx.emit(item);
    }
}
