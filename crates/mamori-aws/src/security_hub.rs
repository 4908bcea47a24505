//! Sends findings to AWS Security Hub with BatchImportFindings.
//!
//! The findings arrive as ASFF documents (the JSON that `mamori evaluate --format asff`
//! writes), so there is one definition of how a mamori finding reads in ASFF, in the engine's
//! exports, and this module only carries it. Security Hub keys a finding by its `Id` and
//! product: mamori's ids are stable across runs, so importing a later run updates the same
//! findings instead of adding copies, and a finding sent with `RecordState` `ARCHIVED` (see
//! [`archive`]) is taken off the active list once it is resolved.
//!
//! Security Hub takes at most 100 findings per call, and a finding must be imported in its own
//! region, so the findings are grouped by region and sent in batches of 100. A batch whose
//! call fails (after the SDK's retries) does not stop the others: every finding that was not
//! imported is reported with its reason, so nothing is lost silently.

use std::collections::{BTreeMap, HashMap};

use aws_config::{Region, SdkConfig};
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, Recommendation, RecordState, Remediation, Resource, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use serde_json::Value;

use crate::collect::ApiError;

/// Security Hub's limit of findings per BatchImportFindings call.
pub const BATCH_SIZE: usize = 100;

/// Why a document cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("finding {index} is not a valid ASFF document: field `{field}` {problem}")]
pub struct InvalidFinding {
    /// Position of the document in the input.
    pub index: usize,
    pub field: &'static str,
    pub problem: &'static str,
}

/// A finding Security Hub did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedFinding {
    pub id: String,
    pub region: String,
    /// Security Hub's error code, or the API error of the whole batch.
    pub code: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub imported: usize,
    pub calls: usize,
    pub rejected: Vec<RejectedFinding>,
}

impl ImportOutcome {
    pub fn is_complete(&self) -> bool {
        self.rejected.is_empty()
    }
}

/// The same document marked resolved: archived, compliance PASSED, updated `now` (RFC 3339).
pub fn archive(document: &Value, now: &str) -> Value {
    let mut archived = document.clone();
    if let Some(object) = archived.as_object_mut() {
        object.insert("RecordState".into(), Value::from("ARCHIVED"));
        object.insert("UpdatedAt".into(), Value::from(now));
        object.insert("Workflow".into(), serde_json::json!({"Status": "RESOLVED"}));
        match object.get_mut("Compliance").and_then(Value::as_object_mut) {
            Some(compliance) => {
                compliance.insert("Status".into(), Value::from("PASSED"));
            }
            None => {
                object.insert("Compliance".into(), serde_json::json!({"Status": "PASSED"}));
            }
        }
    }
    archived
}

/// Import `documents` (ASFF) into Security Hub, region by region, 100 per call. Every
/// document is checked before anything is sent, so a malformed one sends nothing.
pub async fn import_findings(config: &SdkConfig, documents: &[Value]) -> Result<ImportOutcome, InvalidFinding> {
    let mut by_region: BTreeMap<String, Vec<AwsSecurityFinding>> = BTreeMap::new();
    for (index, document) in documents.iter().enumerate() {
        let finding = to_sdk(index, document)?;
        let region = finding.region().unwrap_or_default().to_owned();
        by_region.entry(region).or_default().push(finding);
    }
    let mut outcome = ImportOutcome::default();
    for (region, findings) in by_region {
        let client = aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(config).region(Region::new(region.clone())).build(),
        );
        for batch in findings.chunks(BATCH_SIZE) {
            outcome.calls += 1;
            match client.batch_import_findings().set_findings(Some(batch.to_vec())).send().await {
                Ok(output) => {
                    let failed: HashMap<&str, (&str, &str)> = output
                        .failed_findings()
                        .iter()
                        .map(|error| {
                            (
                                error.id().unwrap_or_default(),
                                (error.error_code().unwrap_or_default(), error.error_message().unwrap_or_default()),
                            )
                        })
                        .collect();
                    for finding in batch {
                        let id = finding.id().unwrap_or_default();
                        match failed.get(id) {
                            Some((code, message)) => outcome.rejected.push(RejectedFinding {
                                id: id.to_owned(),
                                region: region.clone(),
                                code: (*code).to_owned(),
                                message: (*message).to_owned(),
                            }),
                            None => outcome.imported += 1,
                        }
                    }
                }
                Err(err) => {
                    let error = ApiError::from_sdk(&err);
                    outcome.rejected.extend(batch.iter().map(|finding| RejectedFinding {
                        id: finding.id().unwrap_or_default().to_owned(),
                        region: region.clone(),
                        code: error.code.clone(),
                        message: error.message.clone(),
                    }));
                }
            }
        }
    }
    Ok(outcome)
}

/// The SDK's typed finding from an ASFF document, for the fields mamori writes.
fn to_sdk(index: usize, document: &Value) -> Result<AwsSecurityFinding, InvalidFinding> {
    let invalid = |field, problem| InvalidFinding { index, field, problem };
    let text = |field: &'static str| -> Result<&str, InvalidFinding> {
        document.get(field).and_then(Value::as_str).filter(|text| !text.is_empty()).ok_or(invalid(field, "is missing"))
    };
    let nested = |path: &[&str]| -> Option<&str> {
        path.iter().try_fold(document, |value, key| value.get(key)).and_then(Value::as_str)
    };
    let severity = nested(&["Severity", "Label"]).ok_or(invalid("Severity.Label", "is missing"))?;
    if !SeverityLabel::values().contains(&severity) {
        return Err(invalid("Severity.Label", "is not a Security Hub severity label"));
    }
    let severity = SeverityLabel::from(severity);
    let resources = document
        .get("Resources")
        .and_then(Value::as_array)
        .filter(|resources| !resources.is_empty())
        .ok_or(invalid("Resources", "must hold at least one resource"))?;
    let mut builder = AwsSecurityFinding::builder()
        .schema_version(text("SchemaVersion")?)
        .id(text("Id")?)
        .product_arn(text("ProductArn")?)
        .generator_id(text("GeneratorId")?)
        .aws_account_id(text("AwsAccountId")?)
        .region(text("Region")?)
        .created_at(text("CreatedAt")?)
        .updated_at(text("UpdatedAt")?)
        .title(text("Title")?)
        .description(text("Description")?)
        .severity(Severity::builder().label(severity).build());
    for kind in document.get("Types").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        builder = builder.types(kind);
    }
    for resource in resources {
        let field = |key: &str| resource.get(key).and_then(Value::as_str);
        let (Some(kind), Some(id)) = (field("Type"), field("Id")) else {
            return Err(invalid("Resources", "needs `Type` and `Id` in every resource"));
        };
        builder = builder.resources(
            Resource::builder()
                .r#type(kind)
                .id(id)
                .set_partition(field("Partition").map(Into::into))
                .set_region(field("Region").map(str::to_owned))
                .build(),
        );
    }
    if let Some(text) = nested(&["Remediation", "Recommendation", "Text"]).filter(|text| !text.is_empty()) {
        builder = builder
            .remediation(Remediation::builder().recommendation(Recommendation::builder().text(text).build()).build());
    }
    if let Some(fields) = document.get("ProductFields").and_then(Value::as_object) {
        for (key, value) in fields {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            builder = builder.product_fields(key, value);
        }
    }
    if let Some(status) = nested(&["Compliance", "Status"]) {
        let mut compliance = Compliance::builder().status(ComplianceStatus::from(status));
        for requirement in document
            .pointer("/Compliance/RelatedRequirements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            compliance = compliance.related_requirements(requirement);
        }
        builder = builder.compliance(compliance.build());
    }
    if let Some(status) = nested(&["Workflow", "Status"]) {
        builder = builder.workflow(Workflow::builder().status(WorkflowStatus::from(status)).build());
    }
    if let Some(state) = document.get("RecordState").and_then(Value::as_str) {
        builder = builder.record_state(RecordState::from(state));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": "mamori/restricted-ssh/0011",
            "ProductArn": "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
            "GeneratorId": "mamori/restricted-ssh",
            "AwsAccountId": "111122223333",
            "Region": "us-east-1",
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": "2026-12-01T00:00:00Z",
            "UpdatedAt": "2026-12-01T00:00:00Z",
            "Severity": {"Label": "HIGH"},
            "Title": "SSH open",
            "Description": "port 22 open to 0.0.0.0/0",
            "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": "sg-1", "Partition": "aws", "Region": "us-east-1"}],
            "Compliance": {"Status": "FAILED", "RelatedRequirements": ["CIS AWS Foundations Benchmark v3.0.0/5.2"]},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE",
        })
    }

    #[test]
    fn carries_every_field_mamori_writes() {
        let finding = to_sdk(0, &document()).unwrap();
        assert_eq!(finding.id(), Some("mamori/restricted-ssh/0011"));
        assert_eq!(finding.severity().and_then(|s| s.label()), Some(&SeverityLabel::High));
        assert_eq!(finding.resources()[0].id(), Some("sg-1"));
        assert_eq!(finding.compliance().and_then(|c| c.status()), Some(&ComplianceStatus::Failed));
        assert_eq!(finding.record_state(), Some(&RecordState::Active));
    }

    #[test]
    fn names_the_missing_field() {
        let mut broken = document();
        broken.as_object_mut().unwrap().remove("ProductArn");
        let err = to_sdk(3, &broken).unwrap_err();
        assert_eq!(err.to_string(), "finding 3 is not a valid ASFF document: field `ProductArn` is missing");
        let mut broken = document();
        broken["Severity"]["Label"] = json!("SEVERE");
        assert_eq!(to_sdk(0, &broken).unwrap_err().field, "Severity.Label");
    }

    #[test]
    fn archiving_resolves_and_passes() {
        let archived = archive(&document(), "2026-12-02T00:00:00Z");
        assert_eq!(archived["RecordState"], "ARCHIVED");
        assert_eq!(archived["Compliance"]["Status"], "PASSED");
        assert_eq!(archived["UpdatedAt"], "2026-12-02T00:00:00Z");
        assert_eq!(archived["Id"], document()["Id"]);
    }
}
