//! The detection services of a region, as account fields: GuardDuty (`guardDuty`), Security Hub
//! (`securityHub`), Detective (`detective`) and IAM Access Analyzer (`accessAnalyzer`).
//!
//! Each field is read on its own: one service refusing the audit role leaves the others
//! judged. The conversions from AWS's answers to the fields are plain functions so they can be
//! checked on answers the emulator cannot give (it has no Detective or Access Analyzer).

use aws_sdk_accessanalyzer::operation::list_analyzers::ListAnalyzersOutput;
use aws_sdk_detective::operation::list_graphs::ListGraphsOutput;
use aws_sdk_detective::operation::list_invitations::ListInvitationsOutput;
use aws_sdk_detective::types::MemberStatus;
use aws_sdk_guardduty::operation::get_administrator_account::GetAdministratorAccountOutput;
use aws_sdk_guardduty::operation::get_detector::GetDetectorOutput;
use aws_sdk_securityhub::operation::describe_hub::DescribeHubOutput;
use futures_util::future::{join, join4, join_all};
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{ApiError, CollectFuture, Cx};
use crate::client;

const GUARD_DUTY: &str = "guardDuty";
const SECURITY_HUB: &str = "securityHub";
const DETECTIVE: &str = "detective";
const ACCESS_ANALYZER: &str = "accessAnalyzer";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "detection",
    placement: Placement::Regional,
    resource_types: &[],
    account_fields: &[GUARD_DUTY, SECURITY_HUB, DETECTIVE, ACCESS_ANALYZER],
    actions: &[
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:GetAdministratorAccount",
        "securityhub:DescribeHub",
        "detective:ListGraphs",
        "detective:ListInvitations",
        "access-analyzer:ListAnalyzers",
    ],
    run,
};

/// DescribeHub's answers for an account that has not enabled Security Hub in the region.
const HUB_NOT_ENABLED: &[&str] = &["InvalidAccessException", "ResourceNotFoundException"];

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let (guard_duty, security_hub, detective, access_analyzer) =
        join4(read_guard_duty(cx), read_security_hub(cx), read_detective(cx), read_access_analyzer(cx)).await;
    for (key, result) in [
        (GUARD_DUTY, guard_duty),
        (SECURITY_HUB, security_hub),
        (DETECTIVE, detective),
        (ACCESS_ANALYZER, access_analyzer),
    ] {
        match result {
            Ok(value) => cx.account_field(key, value),
            Err((operation, err)) => cx.account_field_failed(key, operation, &err),
        }
    }
}

/// A field's value, or the operation that failed and why.
type Field = Result<Value, (&'static str, ApiError)>;

async fn read_guard_duty(cx: &Cx) -> Field {
    let guardduty = client!(cx, aws_sdk_guardduty);
    let pages = cx
        .pages("guardduty", guardduty.list_detectors().into_paginator().send())
        .await
        .map_err(|err| ("ListDetectors", err))?;
    let ids: Vec<&str> = pages.iter().flat_map(|page| page.detector_ids()).map(String::as_str).collect();
    let answers = join_all(ids.iter().map(|id| {
        join(
            cx.call("guardduty", guardduty.get_detector().detector_id(*id).send()),
            cx.call("guardduty", guardduty.get_administrator_account().detector_id(*id).send()),
        )
    }))
    .await;
    let mut detectors = Vec::new();
    for (id, (detector, administrator)) in ids.iter().zip(answers) {
        // Without GetDetector the detector's status is unknown, and a detector of unknown
        // status must not read as a disabled one.
        let detector = detector.map_err(|err| ("GetDetector", err))?;
        detectors.push(detector_entry(id, &detector, administrator.as_ref()));
    }
    Ok(json!({ "detectors": detectors }))
}

/// One detector: its status, and the account administering it when the membership is active.
/// `administratorAccountId` is left out when it could not be read (unknown, not none).
fn detector_entry(
    id: &str,
    detector: &GetDetectorOutput,
    administrator: Result<&GetAdministratorAccountOutput, &ApiError>,
) -> Value {
    let mut entry = Map::new();
    entry.insert("detectorId".into(), json!(id));
    entry.insert("status".into(), json!(detector.status().map(|status| status.as_str())));
    if let Ok(answer) = administrator {
        let administrator = answer.administrator();
        // An invitation not accepted, or a removed membership, means nobody administers the
        // detector; its status is kept so the difference stays visible.
        let active = administrator
            .and_then(|a| a.relationship_status())
            .is_some_and(|status| status.eq_ignore_ascii_case("Enabled"));
        let account = administrator.and_then(|a| a.account_id()).filter(|_| active);
        entry.insert("administratorAccountId".into(), json!(account));
        if let Some(status) = administrator.and_then(|a| a.relationship_status()) {
            entry.insert("administratorRelationshipStatus".into(), json!(status));
        }
    }
    Value::Object(entry)
}

async fn read_security_hub(cx: &Cx) -> Field {
    let securityhub = client!(cx, aws_sdk_securityhub);
    let answer = cx.call("securityhub", securityhub.describe_hub().send()).await;
    security_hub_field(answer.as_ref()).map_err(|err| ("DescribeHub", err))
}

/// `{"enabled": true, "hubArn": …}`, `{"enabled": false}` when the account is not subscribed,
/// or the failure.
fn security_hub_field(answer: Result<&DescribeHubOutput, &ApiError>) -> Result<Value, ApiError> {
    match answer {
        Ok(hub) => Ok(json!({
            "enabled": true,
            "hubArn": hub.hub_arn(),
            "subscribedAt": hub.subscribed_at(),
            "autoEnableControls": hub.auto_enable_controls(),
            "controlFindingGenerator": hub.control_finding_generator().map(|g| g.as_str()),
        })),
        Err(err) if err.is_not_found(HUB_NOT_ENABLED) => Ok(json!({ "enabled": false })),
        Err(err) => Err(err.clone()),
    }
}

async fn read_detective(cx: &Cx) -> Field {
    let detective = client!(cx, aws_sdk_detective);
    let graphs = cx
        .pages("detective", detective.list_graphs().into_paginator().send())
        .await
        .map_err(|err| ("ListGraphs", err))?;
    let invitations = cx
        .pages("detective", detective.list_invitations().into_paginator().send())
        .await
        .map_err(|err| ("ListInvitations", err))?;
    Ok(detective_field(&graphs, &invitations))
}

/// The graphs the account administers (ListGraphs), and those it feeds as a member
/// (ListInvitations with status ENABLED: an open invitation, or a membership disabled for
/// volume, sends no data to the graph).
fn detective_field(graphs: &[ListGraphsOutput], invitations: &[ListInvitationsOutput]) -> Value {
    let owned: Vec<&str> = graphs.iter().flat_map(|page| page.graph_list()).filter_map(|graph| graph.arn()).collect();
    let member_of: Vec<&str> = invitations
        .iter()
        .flat_map(|page| page.invitations())
        .filter(|membership| membership.status() == Some(&MemberStatus::Enabled))
        .filter_map(|membership| membership.graph_arn())
        .collect();
    json!({ "graphs": owned, "memberOf": member_of })
}

async fn read_access_analyzer(cx: &Cx) -> Field {
    let analyzer = client!(cx, aws_sdk_accessanalyzer);
    let pages = cx
        .pages("accessanalyzer", analyzer.list_analyzers().into_paginator().send())
        .await
        .map_err(|err| ("ListAnalyzers", err))?;
    Ok(access_analyzer_field(&pages))
}

/// Every analyzer of the region, of every type (the rule picks the external-access ones).
fn access_analyzer_field(pages: &[ListAnalyzersOutput]) -> Value {
    let analyzers: Vec<Value> = pages
        .iter()
        .flat_map(|page| page.analyzers())
        .map(|analyzer| {
            json!({
                "name": analyzer.name(),
                "type": analyzer.r#type().as_str(),
                "status": analyzer.status().as_str(),
                "arn": analyzer.arn(),
            })
        })
        .collect();
    json!({ "analyzers": analyzers })
}

/// The emulator has neither Detective nor Access Analyzer (both answer 500), so the
/// conversion of their answers is checked here on answers built with the SDK's own types.
/// `aws-smithy-mocks` would also need the `test-util` feature of the smithy runtime, which
/// rebuilds every SDK crate of the workspace; these functions are what it would exercise.
#[cfg(test)]
mod tests {
    use aws_sdk_accessanalyzer::types::{AnalyzerStatus, AnalyzerSummary, Type};
    use aws_sdk_detective::types::{Graph, MemberDetail};
    use aws_sdk_guardduty::types::{Administrator, DetectorStatus};
    use aws_smithy_types::DateTime;
    use mamori_model::{ConfigItem, Status, ACCOUNT_TYPE};
    use mamori_rules::{ActiveRule, Evaluator, RuleSet};

    use super::*;

    /// The findings of `rule` on an account record carrying `field` = `value`.
    fn judged(rule: &str, field: &str, value: Value) -> Vec<(Status, String)> {
        let item = ConfigItem {
            resource_type: ACCOUNT_TYPE.into(),
            resource_id: "111122223333".into(),
            resource_name: None,
            arn: None,
            account_id: "111122223333".into(),
            aws_region: "us-east-1".into(),
            configuration_item_capture_time: Some("2024-05-01T10:00:00.000Z".into()),
            configuration_item_status: Some("OK".into()),
            tags: Default::default(),
            relationships: Vec::new(),
            configuration: json!({ "homeRegion": true, field: value }),
            supplementary_configuration: Map::new(),
        };
        let set = RuleSet::new(mamori_rules::catalog().iter().map(|r| ActiveRule::with_defaults(*r)).collect());
        let mut evaluator = Evaluator::new(&set);
        let mut findings = Vec::new();
        evaluator.evaluate(&item, &mut |f| findings.push(f));
        evaluator.finish(&mut |f| findings.push(f));
        findings.into_iter().filter(|f| &*f.rule_id == rule).map(|f| (f.status, f.message)).collect()
    }

    fn analyzer(name: &str, kind: Type, status: AnalyzerStatus) -> AnalyzerSummary {
        AnalyzerSummary::builder()
            .arn(format!("arn:aws:access-analyzer:us-east-1:111122223333:analyzer/{name}"))
            .name(name)
            .r#type(kind)
            .created_at(DateTime::from_secs(1_700_000_000))
            .status(status)
            .build()
            .unwrap()
    }

    #[test]
    fn access_analyzer_lists_every_analyzer_of_every_page() {
        let pages = [
            ListAnalyzersOutput::builder()
                .analyzers(analyzer("external", Type::Account, AnalyzerStatus::Active))
                .next_token("page-2")
                .build()
                .unwrap(),
            ListAnalyzersOutput::builder()
                .analyzers(analyzer("unused", Type::AccountUnusedAccess, AnalyzerStatus::Creating))
                .build()
                .unwrap(),
        ];
        assert_eq!(
            access_analyzer_field(&pages),
            json!({"analyzers": [
                {"name": "external", "type": "ACCOUNT", "status": "ACTIVE",
                 "arn": "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/external"},
                {"name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "CREATING",
                 "arn": "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/unused"},
            ]})
        );
        let found = judged("iam-external-access-analyzer-enabled", ACCESS_ANALYZER, access_analyzer_field(&pages));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Status::Pass, "{found:?}");
        assert!(found[0].1.contains("active account analyzer external"), "{found:?}");
    }

    #[test]
    fn access_analyzer_without_analyzers_is_an_empty_list() {
        let pages = [ListAnalyzersOutput::builder().set_analyzers(Some(Vec::new())).build().unwrap()];
        assert_eq!(access_analyzer_field(&pages), json!({"analyzers": []}));
        let found = judged("iam-external-access-analyzer-enabled", ACCESS_ANALYZER, access_analyzer_field(&pages));
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![Status::Fail], "{found:?}");
    }

    #[test]
    fn detective_keeps_owned_graphs_and_enabled_memberships_only() {
        let owned = "arn:aws:detective:us-east-1:111122223333:graph:aaaa";
        let joined = "arn:aws:detective:us-east-1:777788889999:graph:bbbb";
        let invited = "arn:aws:detective:us-east-1:444455556666:graph:cccc";
        let graphs = [ListGraphsOutput::builder().graph_list(Graph::builder().arn(owned).build()).build()];
        let member = |arn: &str, status: MemberStatus| MemberDetail::builder().graph_arn(arn).status(status).build();
        let invitations = [ListInvitationsOutput::builder()
            .invitations(member(joined, MemberStatus::Enabled))
            .invitations(member(invited, MemberStatus::Invited))
            .invitations(member(invited, MemberStatus::AcceptedButDisabled))
            .build()];
        assert_eq!(detective_field(&graphs, &invitations), json!({"graphs": [owned], "memberOf": [joined]}));

        let only_invited =
            [ListInvitationsOutput::builder().invitations(member(invited, MemberStatus::Invited)).build()];
        let member_only = detective_field(&[ListGraphsOutput::builder().build()], &invitations);
        let found = judged("mamori-detective-enabled", DETECTIVE, member_only);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, Status::Pass, "{found:?}");
        assert!(found[0].1.contains(&format!("member of Detective behaviour graph {joined}")), "{found:?}");
        let invited_only = detective_field(&[ListGraphsOutput::builder().build()], &only_invited);
        let found = judged("mamori-detective-enabled", DETECTIVE, invited_only);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![Status::Fail], "{found:?}");
    }

    #[test]
    fn detective_in_no_graph_has_both_lists_empty() {
        let graphs = [ListGraphsOutput::builder().build()];
        let invitations = [ListInvitationsOutput::builder().build()];
        assert_eq!(detective_field(&graphs, &invitations), json!({"graphs": [], "memberOf": []}));
    }

    #[test]
    fn security_hub_not_subscribed_is_disabled_and_other_failures_stay_failures() {
        let not_subscribed = ApiError::new("InvalidAccessException", "Account is not subscribed to AWS Security Hub");
        assert_eq!(security_hub_field(Err(&not_subscribed)).unwrap(), json!({"enabled": false}));
        let denied = ApiError::new("AccessDeniedException", "not allowed");
        assert_eq!(security_hub_field(Err(&denied)).unwrap_err(), denied);
        let hub =
            DescribeHubOutput::builder().hub_arn("arn:aws:securityhub:us-east-1:111122223333:hub/default").build();
        let value = security_hub_field(Ok(&hub)).unwrap();
        assert_eq!(value["enabled"], json!(true));
        assert_eq!(value["hubArn"], json!("arn:aws:securityhub:us-east-1:111122223333:hub/default"));
    }

    #[test]
    fn guard_duty_administrator_counts_only_when_the_membership_is_enabled() {
        let detector = GetDetectorOutput::builder().status(DetectorStatus::Enabled).build();
        let administered = |status: &str| {
            GetAdministratorAccountOutput::builder()
                .administrator(Administrator::builder().account_id("777788889999").relationship_status(status).build())
                .build()
        };
        assert_eq!(
            detector_entry("d1", &detector, Ok(&administered("Enabled"))),
            json!({"detectorId": "d1", "status": "ENABLED", "administratorAccountId": "777788889999",
                   "administratorRelationshipStatus": "Enabled"})
        );
        assert_eq!(
            detector_entry("d1", &detector, Ok(&administered("Invited")))["administratorAccountId"],
            Value::Null
        );
        let alone = GetAdministratorAccountOutput::builder().build();
        assert_eq!(
            detector_entry("d1", &detector, Ok(&alone)),
            json!({"detectorId": "d1", "status": "ENABLED", "administratorAccountId": null})
        );
        let denied = ApiError::new("AccessDeniedException", "not allowed");
        assert_eq!(detector_entry("d1", &detector, Err(&denied)), json!({"detectorId": "d1", "status": "ENABLED"}));
    }
}
