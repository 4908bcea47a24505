//! IAM fixers: the password policy, unused access keys.

use std::sync::Arc;

use aws_config::SdkConfig;
use mamori_aws::fix::iam::iam_user_unused_credentials_check::IamUserUnusedCredentialsCheck;
use mamori_aws::fix::{FixCx, Fixer, PlanInput, Settings};
use mamori_aws::limits::{Gates, Limits};
use mamori_aws::stats::Stats;
use mamori_model::remediation::{FindingRef, LeftOutReason, Plan, PlannedAction, PLAN_FORMAT_VERSION};
use mamori_rules::Params;
use serde_json::json;

use crate::common::{self, Emulator, ACCOUNT};
use crate::lifecycle::Case;

fn iam(config: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

/// A weak policy is raised to the rule's defaults, keeping the stricter length it had; rollback
/// restores the weak one exactly.
#[tokio::test]
async fn password_policy_is_raised_to_the_rules_parameters_and_restored() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    let weak = iam(&config).update_account_password_policy().minimum_password_length(20).require_numbers(true);
    weak.send().await.unwrap();
    let rule = "iam-password-policy";
    let case = Case {
        rule,
        resource: ACCOUNT,
        collectors: &["iam"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.calls[0].action(), "iam:UpdateAccountPasswordPolicy");
    let p = &action.calls[0].parameters;
    assert_eq!(p["MinimumPasswordLength"], 20, "a stricter length is kept: {p}");
    assert_eq!((&p["PasswordReusePrevention"], &p["MaxPasswordAge"]), (&json!(24), &json!(90)));
    assert_eq!((&p["RequireSymbols"], &p["RequireUppercaseCharacters"]), (&json!(true), &json!(true)));
    let now = iam(&config).get_account_password_policy().send().await.unwrap().password_policy.unwrap();
    assert_eq!((now.minimum_password_length(), now.require_symbols()), (Some(20), false), "rolled back");
}

/// Without any policy the fixer creates one, and rollback deletes it.
#[tokio::test]
async fn missing_password_policy_is_created_and_deleted_again() {
    let Some(emulator) = Emulator::start() else { return };
    let rule = "iam-password-policy";
    let case = Case {
        rule,
        resource: ACCOUNT,
        collectors: &["iam"],
        regions: &["us-east-1"],
        region: None,
        capture_time: None,
        credentials: None,
    };
    let action = case.run(&emulator, &common::section(&[rule])).await;
    assert_eq!(action.state_before, json!({"PasswordPolicy": null}));
    assert_eq!(action.expected_after["PasswordPolicy"]["MinimumPasswordLength"], 14);
    let config = emulator.config().await;
    let err = iam(&config).get_account_password_policy().send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NoSuchEntity"), "rolled back: {err:?}");
}

/// moto dates keys at their creation, so "unused for 90 days" is judged as the collector test
/// does: the inventory as if captured 200 days later, and the fixer planning with its clock
/// at that time (`plan_at`). The driver's own plan, on today's clock, leaves the fresh key out.
/// Apply, verification (the key is inactive, so the rule passes whatever the date), the second
/// apply and the rollback all go through the driver.
#[tokio::test]
async fn unused_access_keys_are_deactivated_and_reactivated() {
    let Some(emulator) = Emulator::start() else { return };
    let config = emulator.config().await;
    iam(&config).create_user().user_name("idle").send().await.unwrap();
    let key = iam(&config).create_access_key().user_name("idle").send().await.unwrap().access_key.unwrap();
    let rule = "iam-user-unused-credentials-check";
    let later =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 200 * 86_400;
    let later_text = mamori_model::time::rfc3339(later);
    let user_id = iam(&config).get_user().user_name("idle").send().await.unwrap().user.unwrap().user_id;
    let case = Case {
        rule,
        resource: &user_id,
        collectors: &["iam"],
        regions: &["us-east-1"],
        region: None,
        capture_time: Some(&later_text),
        credentials: None,
    };
    let today = case.plan(&config, &common::section(&[rule])).await;
    assert!(today.actions.is_empty(), "{today:#?}");
    assert_eq!(today.left_out[0].reason, LeftOutReason::ResourceChanged, "{today:#?}");

    let findings = case.audit(&config).await;
    let (finding_id, finding) =
        findings.iter().find(|(_, f)| &*f.rule_id == rule && *f.resource_id == *user_id).unwrap();
    let finding = FindingRef {
        finding_id: finding_id.clone(),
        rule_id: rule.into(),
        account_id: ACCOUNT.into(),
        region: finding.region.to_string(),
        resource_type: finding.resource_type.to_string(),
        resource_id: user_id.clone(),
        resource_arn: finding.resource_arn.as_deref().map(str::to_owned),
    };
    let cx =
        FixCx::new(ACCOUNT, "us-east-1", &config, Arc::new(Gates::new(Limits::default())), Arc::new(Stats::default()));
    let fixer = IamUserUnusedCredentialsCheck;
    let state = fixer.read(&cx, &finding).await.unwrap().unwrap();
    let params = Params::defaults(rule, mamori_rules::find(rule).unwrap().meta().params).unwrap();
    let settings = Settings::default();
    let input = PlanInput { finding: &finding, state: &state, params: &params, settings: &settings };
    let change = fixer.plan_at(&input, later).unwrap();
    assert_eq!(
        change.calls[0].parameters,
        json!({"UserName": "idle", "AccessKeyId": key.access_key_id, "Status": "Inactive"})
    );
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        plan_id: "plan-unused-keys".into(),
        created_at: later_text.clone(),
        run_id: 1,
        actions: vec![PlannedAction {
            finding,
            fixer: rule.into(),
            state_before: state,
            calls: change.calls,
            expected_after: change.after,
            reversible: change.reversible,
        }],
        left_out: vec![],
        failing_by_rule: [(rule.to_owned(), 1)].into(),
    };
    case.apply_and_roll_back(&emulator, &plan).await;
    let keys = iam(&config).list_access_keys().user_name("idle").send().await.unwrap();
    assert_eq!(keys.access_key_metadata()[0].status().map(|s| s.as_str()), Some("Active"), "rolled back");
}
