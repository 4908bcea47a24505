//! The least-privilege read-only policy of the audit role, and a CloudFormation template that
//! creates the role.
//!
//! The action list is not written by hand: it is the union of what every collector declares
//! it calls (a test runs a collection under exactly this policy with the emulator enforcing
//! IAM), so the policy cannot drift from the code.

use serde_json::{json, Value};

use crate::collect::{required_actions, ACCOUNT_LIST_ACTIONS};

/// The audit role's permissions policy. `discovery` adds what listing the organization's
/// accounts needs (only the management or a delegated administrator account uses it).
pub fn policy_document(discovery: bool) -> Value {
    let mut statements = vec![json!({
        "Sid": "MamoriReadOnlyAudit",
        "Effect": "Allow",
        "Action": required_actions().into_iter().collect::<Vec<_>>(),
        "Resource": "*",
    })];
    if discovery {
        statements.push(json!({
            "Sid": "MamoriAccountDiscovery",
            "Effect": "Allow",
            "Action": ACCOUNT_LIST_ACTIONS,
            "Resource": "*",
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The policy of the remediation role: the actions the fixers of `rule_ids` declare (their
/// writes, and the reads that re-check a resource right before its change), and STS
/// GetCallerIdentity (the caller recorded with each action).
pub fn remediation_policy_document(rule_ids: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "MamoriRemediation",
        "Effect": "Allow",
        "Action": crate::fix::write_actions(Some(rule_ids)).into_iter().collect::<Vec<_>>(),
        "Resource": "*",
    }]})
}

/// A CloudFormation template (JSON) creating `role_name`, trusted by `principal` (an account
/// id or an IAM ARN), with [`policy_document`] inline. With `external_id`, the trust policy
/// requires the external id given as the stack parameter `ExternalId` (never in the template).
pub fn cloudformation_template(
    principal: &str,
    role_name: &str,
    external_id: bool,
    discovery: bool,
) -> Result<Value, TemplateError> {
    let principal_arn = trusted_principal_arn(principal)?;
    if role_name.is_empty()
        || role_name.len() > 64
        || !role_name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
    {
        return Err(TemplateError::RoleName(role_name.to_owned()));
    }
    let mut trust = json!({
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": "sts:AssumeRole",
    });
    let mut parameters = serde_json::Map::new();
    if external_id {
        trust["Condition"] = json!({"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}});
        parameters.insert(
            "ExternalId".into(),
            json!({"Type": "String", "NoEcho": true, "MinLength": 2, "Description": "External id mamori presents when it assumes the role"}),
        );
    }
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "mamori audit role: read-only access for mamori collect and mamori audit",
        "Parameters": parameters,
        "Resources": {
            "MamoriAuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role_name,
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
                    "Policies": [{"PolicyName": "mamori-read-only", "PolicyDocument": policy_document(discovery)}],
                    "Tags": [{"Key": "managed-by", "Value": "mamori"}],
                }
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["MamoriAuditRole", "Arn"]}}},
    }))
}

/// Why a role template cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "`{0}` is not a principal a role can trust: expected a 12-digit account id or an IAM ARN \
         (`arn:aws:iam::111122223333:root`, `…:role/NAME`, `…:user/NAME`)"
    )]
    Principal(String),
    #[error("`{0}` is not an IAM role name: 1 to 64 letters, digits and `+=,.@_-`")]
    RoleName(String),
}

/// The ARN a trust policy names for `principal`: an account id means its root (every
/// principal of the account the account's own policies allow).
fn trusted_principal_arn(principal: &str) -> Result<String, TemplateError> {
    let is_account = |text: &str| text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
    if is_account(principal) {
        return Ok(format!("arn:aws:iam::{principal}:root"));
    }
    let refuse = || TemplateError::Principal(principal.to_owned());
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else { return Err(refuse()) };
    let known_partition = matches!(partition, "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b");
    let resource_ok = resource == "root"
        || ["role/", "user/"].iter().any(|prefix| {
            resource.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        });
    if arn == "arn" && known_partition && service == "iam" && region.is_empty() && is_account(account) && resource_ok {
        Ok(principal.to_owned())
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::COLLECTORS;

    #[test]
    fn policy_holds_every_collector_action_once() {
        let policy = policy_document(false);
        let actions: Vec<&str> =
            policy["Statement"][0]["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        for collector in COLLECTORS {
            for action in collector.actions {
                assert!(actions.contains(action), "{action} of {} missing", collector.name);
            }
        }
        let mut sorted = actions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(actions, sorted);
        assert!(actions.iter().all(|a| a.split_once(':').is_some_and(|(s, n)| !s.is_empty() && !n.contains('*'))));
        assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);
        assert_eq!(policy_document(true)["Statement"][1]["Action"][0], "organizations:ListAccounts");
    }

    #[test]
    fn template_trusts_the_principal_and_hides_the_external_id() {
        let template = cloudformation_template("111122223333", "mamori-audit", true, false).unwrap();
        let role = &template["Resources"]["MamoriAuditRole"]["Properties"];
        let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
        assert_eq!(trust["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
        assert_eq!(trust["Condition"]["StringEquals"]["sts:ExternalId"]["Ref"], "ExternalId");
        assert_eq!(template["Parameters"]["ExternalId"]["NoEcho"], true);
        let open = cloudformation_template("arn:aws:iam::111122223333:role/ci", "audit", false, true).unwrap();
        assert!(open["Parameters"].as_object().unwrap().is_empty());
        assert_eq!(
            open["Resources"]["MamoriAuditRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
                ["AWS"],
            "arn:aws:iam::111122223333:role/ci"
        );
    }

    #[test]
    fn principals_and_role_names_that_cannot_work_are_refused() {
        for principal in [
            "not-an-account",
            "12345",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::1234:root",
            "arn:aws:iam::111122223333:group/x",
            "arn:aws:iam::111122223333:role/",
        ] {
            let err = cloudformation_template(principal, "audit", false, false).unwrap_err().to_string();
            assert!(err.contains(&format!("`{principal}` is not a principal")), "{err}");
        }
        for principal in ["arn:aws:iam::111122223333:root", "arn:aws-us-gov:iam::111122223333:user/ci/bot"] {
            assert!(cloudformation_template(principal, "audit", false, false).is_ok(), "{principal}");
        }
        let err = cloudformation_template("111122223333", "bad name", false, false).unwrap_err().to_string();
        assert!(err.contains("`bad name` is not an IAM role name"), "{err}");
    }
}
