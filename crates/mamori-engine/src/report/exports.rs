//! One finding in each machine-readable format: mamori's JSON, CSV, OCSF Compliance Finding
//! (class 2003, for Amazon Security Lake) and ASFF (for AWS Security Hub).

use std::io::{self, Write};

use mamori_model::{Finding, Severity, Status, GLOBAL_REGION};
use mamori_rules::RuleMeta;
use serde_json::{json, Value};

pub const CSV_HEADER: &str = "id,ruleId,status,severity,accountId,region,resourceType,resourceId,resourceArn,message\n";

pub fn json_finding(finding: &Finding) -> Value {
    json!({
        "id": finding.id(),
        "ruleId": finding.rule_id,
        "status": finding.status,
        "severity": finding.severity,
        "accountId": finding.account_id,
        "region": finding.region,
        "resourceType": finding.resource_type,
        "resourceId": finding.resource_id,
        "resourceArn": finding.resource_arn,
        "message": finding.message,
    })
}

pub fn write_csv_row(out: &mut impl Write, finding: &Finding) -> io::Result<()> {
    let id = finding.id();
    let fields: [&str; 10] = [
        &id,
        &finding.rule_id,
        finding.status.as_str(),
        finding.severity.as_str(),
        &finding.account_id,
        &finding.region,
        &finding.resource_type,
        &finding.resource_id,
        finding.resource_arn.as_deref().unwrap_or_default(),
        &finding.message,
    ];
    let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
    writeln!(out, "{}", line.join(","))
}

/// Quote a CSV field when needed (RFC 4180), and defuse spreadsheet formulas.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn severity_id(severity: Severity) -> u8 {
    match severity {
        Severity::Informational => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn standards(meta: Option<&RuleMeta>) -> Vec<String> {
    let Some(meta) = meta else { return Vec::new() };
    meta.cis
        .iter()
        .map(|id| format!("CIS AWS Foundations Benchmark v3.0.0/{id}"))
        .chain(meta.fsbp.iter().map(|id| format!("AWS Foundational Security Best Practices/{id}")))
        .collect()
}

/// OCSF 1.1 Compliance Finding (class_uid 2003).
pub fn ocsf_finding(finding: &Finding, meta: Option<&RuleMeta>, now_millis: u128) -> Value {
    let (compliance_status_id, compliance_status) = match finding.status {
        Status::Pass => (1, "Pass"),
        Status::Fail => (3, "Fail"),
        Status::Error => (0, "Unknown"),
        Status::Muted => (3, "Fail"),
    };
    let (status_id, status) = match finding.status {
        Status::Muted => (3, "Suppressed"),
        Status::Pass => (4, "Resolved"),
        _ => (1, "New"),
    };
    let severity = finding.severity.as_str();
    let title = meta.map(|m| m.title).unwrap_or(&finding.rule_id);
    json!({
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200301,
        "type_name": "Compliance Finding: Create",
        "time": now_millis as u64,
        "severity_id": severity_id(finding.severity),
        "severity": capitalize(severity),
        "status_id": status_id,
        "status": status,
        "status_code": finding.status,
        "message": finding.message,
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "mamori", "vendor_name": "mamori", "version": env!("CARGO_PKG_VERSION")},
            "event_code": finding.rule_id,
        },
        "finding_info": {
            "uid": finding.id(),
            "title": title,
            "desc": finding.message,
            "types": ["Software and Configuration Checks"],
        },
        "compliance": {
            "control": finding.rule_id,
            "standards": standards(meta),
            "status_id": compliance_status_id,
            "status": compliance_status,
        },
        "remediation": {"desc": meta.map(|m| m.remediation).unwrap_or("")},
        "resources": [{
            "uid": finding.resource_arn.as_deref().unwrap_or(&finding.resource_id),
            "name": finding.resource_id,
            "type": finding.resource_type,
            "region": finding.region,
            "cloud_partition": "aws",
        }],
        "cloud": {
            "provider": "AWS",
            "region": finding.region,
            "account": {"uid": finding.account_id, "type": "AWS Account", "type_id": 10},
        },
    })
}

/// AWS Security Finding Format, ready for BatchImportFindings.
pub fn asff_finding(finding: &Finding, meta: Option<&RuleMeta>, now: &str) -> Value {
    let compliance = match finding.status {
        Status::Pass => "PASSED",
        Status::Fail | Status::Muted => "FAILED",
        Status::Error => "NOT_AVAILABLE",
    };
    let region = if &*finding.region == GLOBAL_REGION { "us-east-1" } else { &finding.region };
    let account = &finding.account_id;
    let requirements: Vec<String> = standards(meta);
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("mamori/{}/{}", finding.rule_id, finding.id()),
        "ProductArn": format!("arn:aws:securityhub:{region}:{account}:product/{account}/default"),
        "GeneratorId": format!("mamori/{}", finding.rule_id),
        "AwsAccountId": account,
        "Region": region,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": finding.severity.as_str().to_ascii_uppercase()},
        "Title": truncate(meta.map(|m| m.title).unwrap_or(&finding.rule_id), 256),
        "Description": truncate(&finding.message, 1024),
        "Remediation": {"Recommendation": {"Text": truncate(meta.map(|m| m.remediation).unwrap_or(""), 512)}},
        "ProductFields": {"mamori/RuleId": finding.rule_id, "mamori/Status": finding.status},
        "Resources": [{
            "Type": asff_resource_type(&finding.resource_type),
            "Id": finding.resource_arn.as_deref().unwrap_or(&finding.resource_id),
            "Partition": "aws",
            "Region": region,
        }],
        "Compliance": {"Status": compliance, "RelatedRequirements": requirements},
        "Workflow": {"Status": if finding.status == Status::Muted { "SUPPRESSED" } else { "NEW" }},
        "RecordState": "ACTIVE",
    })
}

/// Security Hub's resource type names for the types mamori evaluates; `Other` otherwise.
fn asff_resource_type(resource_type: &str) -> &'static str {
    match resource_type {
        "AWS::::Account" => "AwsAccount",
        "AWS::S3::Bucket" => "AwsS3Bucket",
        "AWS::IAM::User" => "AwsIamUser",
        "AWS::IAM::Role" => "AwsIamRole",
        "AWS::IAM::Group" => "AwsIamGroup",
        "AWS::IAM::Policy" => "AwsIamPolicy",
        "AWS::EC2::SecurityGroup" => "AwsEc2SecurityGroup",
        "AWS::EC2::Instance" => "AwsEc2Instance",
        "AWS::EC2::Volume" => "AwsEc2Volume",
        "AWS::EC2::VPC" => "AwsEc2Vpc",
        "AWS::EC2::Subnet" => "AwsEc2Subnet",
        "AWS::EC2::NetworkAcl" => "AwsEc2NetworkAcl",
        "AWS::CloudTrail::Trail" => "AwsCloudTrailTrail",
        "AWS::RDS::DBInstance" => "AwsRdsDbInstance",
        "AWS::RDS::DBSnapshot" => "AwsRdsDbSnapshot",
        "AWS::RDS::DBClusterSnapshot" => "AwsRdsDbClusterSnapshot",
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => "AwsElbv2LoadBalancer",
        "AWS::CloudFront::Distribution" => "AwsCloudFrontDistribution",
        "AWS::KMS::Key" => "AwsKmsKey",
        "AWS::Lambda::Function" => "AwsLambdaFunction",
        _ => "Other",
    }
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}
