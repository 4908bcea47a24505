//! The account's organization (`organization` on the account record) and, in the management
//! account, the service control policies (`AWS::Organizations::Policy`).
//!
//! Every account can describe its organization; only the management account (or a delegated
//! administrator) can list its policies, and the policies are the organization's, not the
//! account's. So policies are read only where `masterAccountId` is the account being read:
//! in a member account ListPolicies would be denied, and that denial would turn into a
//! collection error for something that is not there to collect. A policy is recorded in
//! DescribePolicy's shape (`PolicySummary`, `Content`) with the roots, OUs and accounts it
//! is attached to under `supplementaryConfiguration.Targets`.

use aws_sdk_organizations::types::{PolicySummary, PolicyType};
use aws_sdk_organizations::Client;
use futures_util::future::join_all;
use serde_json::{json, Value};

use super::registry::{Collector, Placement};
use super::{CollectFuture, Cx};
use crate::client;

const POLICY: &str = "AWS::Organizations::Policy";

pub(crate) const COLLECTOR: Collector = Collector {
    name: "organizations",
    placement: Placement::Global,
    resource_types: &[POLICY],
    account_fields: &["organization"],
    actions: &[
        "organizations:DescribeOrganization",
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:ListTargetsForPolicy",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let organizations = client!(cx, aws_sdk_organizations);
    let organization = match cx.call("organizations", organizations.describe_organization().send()).await {
        Ok(output) => output.organization,
        Err(err) if err.is_not_found(&["AWSOrganizationsNotInUseException"]) => None,
        Err(err) => {
            cx.account_field_failed("organization", "DescribeOrganization", &err);
            // Whether this is the management account, hence whether it has policies to
            // read, is unknown: the policies are not known to be complete.
            return cx.list_failed(POLICY, "DescribeOrganization", &err);
        }
    };
    let Some(organization) = organization else {
        return cx.account_field("organization", Value::Null);
    };
    cx.account_field(
        "organization",
        json!({
            "id": organization.id(),
            "masterAccountId": organization.master_account_id(),
            "featureSet": organization.feature_set().map(|f| f.as_str()),
        }),
    );
    if organization.master_account_id() != Some(cx.account_id()) {
        return;
    }
    let listed = organizations.list_policies().filter(PolicyType::ServiceControlPolicy).into_paginator().send();
    let pages = match cx.pages("organizations", listed).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(POLICY, "ListPolicies", &err),
    };
    let summaries: Vec<&PolicySummary> = pages.iter().flat_map(|page| page.policies()).collect();
    join_all(summaries.into_iter().map(|summary| policy(cx, &organizations, summary))).await;
}

async fn policy(cx: &Cx, organizations: &Client, summary: &PolicySummary) {
    let Some(id) = summary.id() else { return };
    let mut item = cx.item(POLICY, id);
    item.arn = summary.arn().map(str::to_owned);
    item.resource_name = summary.name().map(str::to_owned);
    let (described, targets) = tokio::join!(
        cx.call("organizations", organizations.describe_policy().policy_id(id).send()),
        cx.pages("organizations", organizations.list_targets_for_policy().policy_id(id).into_paginator().send()),
    );
    let mut configuration = json!({
        "PolicySummary": {
            "Id": id,
            "Arn": summary.arn(),
            "Name": summary.name(),
            "Description": summary.description(),
            "Type": summary.r#type().map(|t| t.as_str()),
            "AwsManaged": summary.aws_managed(),
        },
    });
    match described {
        Ok(output) => {
            if let Some(content) = output.policy().and_then(|policy| policy.content()) {
                configuration["Content"] = json!(content);
            }
        }
        Err(err) => Cx::attribute_failed(&mut item, "Content", "DescribePolicy", &err),
    }
    item.configuration = configuration;
    match targets {
        Ok(pages) => {
            let targets: Vec<Value> = pages
                .iter()
                .flat_map(|page| page.targets())
                .map(|target| {
                    json!({
                        "targetId": target.target_id(),
                        "arn": target.arn(),
                        "name": target.name(),
                        "type": target.r#type().map(|t| t.as_str()),
                    })
                })
                .collect();
            item.supplementary_configuration.insert("Targets".into(), Value::Array(targets));
        }
        Err(err) => Cx::attribute_failed(&mut item, "Targets", "ListTargetsForPolicy", &err),
    }
    cx.emit(item);
}
