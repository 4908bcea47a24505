//! Creating the planned organization through the AWS SDK.
//!
//! The organization itself (accounts, SCPs, the closed account) is created in order from the
//! management account; then every active account is seeded as its own task, members through
//! `OrganizationAccountAccessRole`, a bounded number at a time ([`Limits`]). Within an account
//! the order matters: IAM first (roles the other services reference), then the buckets (log
//! targets), then each region, then the trail (it needs the home region's key).
//!
//! Every call goes through [`Planter::call`], which counts it and turns a failure into
//! [`Error::Api`] naming the operation, account and region. The seeding stops at the first
//! failure: a half-seeded organization would make every expectation suspect.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::DisplayErrorContext;

use crate::plan::{
    self, AccountPlan, AnalyzerPlan, Database, DetectivePlan, Detector, Function, Instance, LoadBalancer, OpenGroup,
    PasswordPolicy, Plan, Recorder, RegionPlan, TrailPlan, GLOBAL,
};
use crate::{Error, Expectation, Seeded, SeededAccount, SeededScp, Spec};

/// How much of the seeding runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Accounts seeded concurrently. moto serves requests one at a time under Python's GIL, so
    /// a few in flight keep it busy and more only queue.
    pub accounts_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { accounts_in_flight: 4 }
    }
}

/// Region used for global services (IAM, Organizations, CloudFront, STS).
const GLOBAL_REGION: &str = "us-east-1";
/// The role Organizations creates in every account it creates, trusting the management account.
const ACCESS_ROLE: &str = "OrganizationAccountAccessRole";

/// The actions `mamori-organizations-scp-protects-security-services` requires SCPs on the root
/// to deny (its default `requiredDeniedActions`).
const PROTECTED_ACTIONS: [&str; 12] = [
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:DisassociateFromAdministratorAccount",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "securityhub:DisableSecurityHub",
    "securityhub:DisassociateFromMasterAccount",
    "securityhub:DisassociateFromAdministratorAccount",
];

/// Seeds `spec` from the management credentials in `config`, whose endpoint must be a loopback
/// address, with the default [`Limits`]. Runs on the caller's Tokio runtime (accounts are
/// seeded as spawned tasks). The emulator must hold no organization yet.
pub async fn seed(config: &SdkConfig, spec: &Spec) -> Result<Seeded, Error> {
    seed_with(config, spec, Limits::default()).await
}

/// Seeds `spec` with explicit limits.
pub async fn seed_with(config: &SdkConfig, spec: &Spec, limits: Limits) -> Result<Seeded, Error> {
    check_endpoint(config)?;
    let plan = Arc::new(plan::plan(spec)?);
    let calls = Arc::new(AtomicU64::new(0));
    let base = config.to_builder().region(Region::new(GLOBAL_REGION)).build();
    let mut management = Planter::new(plan.clone(), 0, String::new(), base.clone(), calls.clone());
    let organization = management.organization().await?;
    management.account_id = organization.management_id.clone();
    management.management_id = organization.management_id.clone();

    // Seed every active account, a bounded number at a time.
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limits.accounts_in_flight.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut planters = vec![management];
    for (index, id) in &organization.members {
        if plan.accounts[*index].closed {
            continue;
        }
        let mut planter = Planter::new(plan.clone(), *index, id.clone(), base.clone(), calls.clone());
        planter.management_id = organization.management_id.clone();
        planters.push(planter);
    }
    for mut planter in planters {
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await.map_err(|err| Error::Task(err.to_string()))?;
            planter.enter().await?;
            planter.account().await?;
            Ok::<Planter, Error>(planter)
        });
    }
    let mut seeded = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let planter = joined.map_err(|err| Error::Task(err.to_string()))??;
        seeded.insert(planter.index, planter);
    }
    join_detective_graphs(&plan, &seeded).await?;

    // What Organizations lists now: names, e-mails and statuses (the closed account's included).
    let orgs = aws_sdk_organizations::Client::new(&base);
    calls.fetch_add(1, Ordering::Relaxed);
    let pages = orgs
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|err| api_error(&organization.management_id, GLOBAL_REGION, "organizations:ListAccounts", &err))?;
    let listed: Vec<&aws_sdk_organizations::types::Account> = pages.iter().flat_map(|page| page.accounts()).collect();
    let mut accounts = Vec::new();
    for account in &plan.accounts {
        let id = if account.is_management() {
            organization.management_id.clone()
        } else {
            organization
                .members
                .iter()
                .find(|(index, _)| *index == account.index)
                .map(|(_, id)| id.clone())
                .ok_or_else(|| Error::Unrecorded {
                    account: account.name.clone(),
                    scope: GLOBAL.into(),
                    label: "account".into(),
                })?
        };
        let found = listed.iter().find(|listed| listed.id() == Some(id.as_str())).copied();
        #[allow(deprecated, reason = "`Status` is what older emulators fill; `State` replaces it")]
        let status = found
            .and_then(|a| {
                a.state().map(|s| s.as_str().to_owned()).or_else(|| a.status().map(|s| s.as_str().to_owned()))
            })
            .unwrap_or_else(|| "UNKNOWN".to_owned());
        let expectations = match seeded.get(&account.index) {
            Some(planter) => planter.expectations(account)?,
            None => BTreeMap::new(),
        };
        accounts.push(SeededAccount {
            index: account.index,
            id: id.clone(),
            name: found.and_then(|a| a.name()).unwrap_or(&account.name).to_owned(),
            email: found.and_then(|a| a.email()).unwrap_or(&account.email).to_owned(),
            tags: account.tags.clone(),
            status,
            management: account.is_management(),
            expectations,
        });
    }
    Ok(Seeded {
        spec: spec.clone(),
        organization_id: organization.id,
        root_id: organization.root_id,
        management_account_id: organization.management_id,
        home_region: spec.home_region().to_owned(),
        scps: organization.scps,
        accounts,
        api_calls: calls.load(Ordering::Relaxed),
    })
}

/// Invites the members the plan puts in the management account's Detective graph of a region,
/// and accepts the invitations of those planned as members (the others stay invited). Runs
/// once every account is seeded: the graphs exist then.
async fn join_detective_graphs(plan: &Plan, planters: &BTreeMap<usize, Planter>) -> Result<(), Error> {
    let Some(management) = planters.get(&0) else { return Ok(()) };
    for (r, region) in plan.spec.regions.iter().enumerate() {
        let planned = |planter: &&Planter| planter.me().regions.get(r).map(|p| p.detective);
        let invited: Vec<&Planter> = planters
            .values()
            .filter(|planter| !planter.me().is_management())
            .filter(|planter| planned(planter).is_some_and(DetectivePlan::needs_management_graph))
            .collect();
        if invited.is_empty() {
            continue;
        }
        let graph = management.graphs.get(region).ok_or_else(|| Error::Unrecorded {
            account: management.me().name.clone(),
            scope: region.clone(),
            label: "detective graph".into(),
        })?;
        let detective = aws_sdk_detective::Client::new(&management.in_region(region));
        // CreateMembers takes at most 50 accounts a call.
        for chunk in invited.chunks(50) {
            let accounts = chunk
                .iter()
                .map(|planter| {
                    let account = aws_sdk_detective::types::Account::builder()
                        .account_id(&planter.account_id)
                        .email_address(&planter.me().email)
                        .build();
                    built("detective Account", account)
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let request = detective.create_members().graph_arn(graph).set_accounts(Some(accounts)).send();
            let created = management.call(region, "detective:CreateMembers", request).await?;
            if let Some(refused) = created.unprocessed_accounts().first() {
                return Err(Error::Api {
                    account: management.account_id.clone(),
                    region: region.clone(),
                    operation: "detective:CreateMembers",
                    message: format!(
                        "account {} not invited: {}",
                        refused.account_id().unwrap_or("?"),
                        refused.reason().unwrap_or("no reason given")
                    ),
                });
            }
        }
        for member in invited.iter().copied().filter(|planter| planned(planter) == Some(DetectivePlan::Member)) {
            let detective = aws_sdk_detective::Client::new(&member.in_region(region));
            let request = detective.accept_invitation().graph_arn(graph).send();
            member.call(region, "detective:AcceptInvitation", request).await?;
        }
    }
    Ok(())
}

/// Refuses anything but an emulator on a loopback address.
fn check_endpoint(config: &SdkConfig) -> Result<(), Error> {
    let url = config.endpoint_url().ok_or(Error::NoEndpoint)?;
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    let Some(rest) = rest else { return Err(Error::NotLoopback(url.to_owned())) };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let loopback = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(Error::NotLoopback(url.to_owned()))
    }
}

fn api_error(account: &str, region: &str, operation: &'static str, err: &(dyn std::error::Error + 'static)) -> Error {
    Error::Api {
        account: account.to_owned(),
        region: region.to_owned(),
        operation,
        message: DisplayErrorContext(err).to_string(),
    }
}

/// A request builder's error (a required field left out).
fn built<T, E: std::fmt::Display>(what: &'static str, result: Result<T, E>) -> Result<T, Error> {
    result.map_err(|err| Error::Request { what, message: err.to_string() })
}

/// What creating the organization produced.
struct Organization {
    id: String,
    root_id: String,
    management_id: String,
    /// `(plan index, account id)` of every member, the closed one included.
    members: Vec<(usize, String)>,
    scps: Vec<SeededScp>,
}

/// Seeds one account and remembers the id of every planned resource it created.
struct Planter {
    plan: Arc<Plan>,
    index: usize,
    account_id: String,
    /// The management account, which mamori's audit role trusts.
    management_id: String,
    /// The account's credentials (the management account's until [`Planter::enter`]).
    config: SdkConfig,
    calls: Arc<AtomicU64>,
    /// `(scope, label)` → resource id and ARN.
    ids: BTreeMap<(String, String), (String, String)>,
    /// ARNs the account's resources refer to each other by.
    data_keys: BTreeMap<String, String>,
    /// The ARN of the Detective graph the account administers, by region.
    graphs: BTreeMap<String, String>,
}

impl Planter {
    fn new(plan: Arc<Plan>, index: usize, account_id: String, config: SdkConfig, calls: Arc<AtomicU64>) -> Planter {
        Planter {
            plan,
            index,
            management_id: account_id.clone(),
            account_id,
            config,
            calls,
            ids: BTreeMap::new(),
            data_keys: BTreeMap::new(),
            graphs: BTreeMap::new(),
        }
    }

    fn me(&self) -> &AccountPlan {
        &self.plan.accounts[self.index]
    }

    fn home(&self) -> String {
        self.plan.spec.home_region().to_owned()
    }

    fn in_region(&self, region: &str) -> SdkConfig {
        self.config.to_builder().region(Region::new(region.to_owned())).build()
    }

    /// Runs one API call: counted, and a failure named by operation, account and region.
    async fn call<T, E>(
        &self,
        region: &str,
        operation: &'static str,
        request: impl Future<Output = Result<T, E>>,
    ) -> Result<T, Error>
    where
        E: std::error::Error + 'static,
    {
        self.calls.fetch_add(1, Ordering::Relaxed);
        request.await.map_err(|err| api_error(&self.account_id, region, operation, &err))
    }

    fn missing(&self, region: &str, operation: &'static str, field: &'static str) -> Error {
        Error::Missing { account: self.account_id.clone(), region: region.to_owned(), operation, field }
    }

    fn record(&mut self, scope: &str, label: impl Into<String>, id: impl Into<String>, arn: impl Into<String>) {
        self.ids.insert((scope.to_owned(), label.into()), (id.into(), arn.into()));
    }

    /// The ARN of an EC2 resource (`vpc`, `subnet`, `security-group`, ...).
    fn ec2_arn(&self, region: &str, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{region}:{}:{kind}/{id}", self.account_id)
    }

    /// The planned expectations with the ids this planter recorded, by scope.
    fn expectations(&self, account: &AccountPlan) -> Result<BTreeMap<String, Vec<Expectation>>, Error> {
        let mut out: BTreeMap<String, Vec<Expectation>> = BTreeMap::new();
        for planned in self.plan.expectations(account) {
            let (resource_id, resource_arn) = if planned.label == "account" {
                (self.account_id.clone(), None)
            } else {
                let found = self.ids.get(&(planned.scope.clone(), planned.label.clone())).cloned();
                let (id, arn) = found.ok_or_else(|| Error::Unrecorded {
                    account: account.name.clone(),
                    scope: planned.scope.clone(),
                    label: planned.label.clone(),
                })?;
                (id, Some(arn))
            };
            out.entry(planned.scope).or_default().push(Expectation {
                rule_id: planned.rule_id.to_owned(),
                resource_type: planned.resource_type.to_owned(),
                resource_id,
                resource_arn,
                resource_name: planned.name,
                label: planned.label,
                expected: planned.expected,
                why: planned.why,
            });
        }
        Ok(out)
    }

    // ----- the organization -----

    async fn organization(&mut self) -> Result<Organization, Error> {
        use aws_sdk_organizations::types::{CreateAccountState, OrganizationFeatureSet, PolicyType, Tag};
        let g = GLOBAL_REGION;
        let orgs = aws_sdk_organizations::Client::new(&self.config);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let created = match orgs.create_organization().feature_set(OrganizationFeatureSet::All).send().await {
            Ok(created) => created,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_already_in_organization_exception()) => {
                let existing =
                    self.call(g, "organizations:DescribeOrganization", orgs.describe_organization().send()).await?;
                let id = existing.organization().and_then(|o| o.id()).unwrap_or("?").to_owned();
                return Err(Error::AlreadyInOrganization(id));
            }
            Err(err) => return Err(api_error("management", g, "organizations:CreateOrganization", &err)),
        };
        let organization =
            created.organization().ok_or_else(|| self.missing(g, "CreateOrganization", "Organization"))?;
        let id = organization.id().ok_or_else(|| self.missing(g, "CreateOrganization", "Id"))?.to_owned();
        let management_id = organization
            .master_account_id()
            .ok_or_else(|| self.missing(g, "CreateOrganization", "MasterAccountId"))?
            .to_owned();
        self.account_id = management_id.clone();

        let roots = self.call(g, "organizations:ListRoots", orgs.list_roots().send()).await?;
        let root_id = roots
            .roots()
            .first()
            .and_then(|root| root.id())
            .ok_or_else(|| self.missing(g, "ListRoots", "Roots[0].Id"))?
            .to_owned();
        self.calls.fetch_add(1, Ordering::Relaxed);
        let enabled =
            orgs.enable_policy_type().root_id(&root_id).policy_type(PolicyType::ServiceControlPolicy).send().await;
        match enabled {
            Ok(_) => {}
            // Organizations created with all features may already have SCPs enabled.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_policy_type_already_enabled_exception()) => {}
            Err(err) => return Err(api_error(&management_id, g, "organizations:EnablePolicyType", &err)),
        }

        let tags = |account: &AccountPlan| -> Result<Vec<Tag>, Error> {
            account
                .tags
                .iter()
                .map(|(k, v)| built("organizations Tag", Tag::builder().key(k).value(v).build()))
                .collect()
        };
        let management_tags = tags(&self.plan.accounts[0])?;
        self.call(
            g,
            "organizations:TagResource",
            orgs.tag_resource().resource_id(&management_id).set_tags(Some(management_tags)).send(),
        )
        .await?;

        // Members, one after the other: Organizations creates accounts asynchronously and
        // limits how many requests may be in progress.
        let mut members = Vec::new();
        for account in self.plan.accounts.iter().skip(1) {
            let request = orgs
                .create_account()
                .account_name(&account.name)
                .email(&account.email)
                .set_tags(Some(tags(account)?))
                .send();
            let created = self.call(g, "organizations:CreateAccount", request).await?;
            let mut status = created
                .create_account_status()
                .cloned()
                .ok_or_else(|| self.missing(g, "CreateAccount", "CreateAccountStatus"))?;
            while status.state() == Some(&CreateAccountState::InProgress) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let request_id = status.id().unwrap_or_default().to_owned();
                let described = self
                    .call(
                        g,
                        "organizations:DescribeCreateAccountStatus",
                        orgs.describe_create_account_status().create_account_request_id(request_id).send(),
                    )
                    .await?;
                status = described
                    .create_account_status()
                    .cloned()
                    .ok_or_else(|| self.missing(g, "DescribeCreateAccountStatus", "CreateAccountStatus"))?;
            }
            if status.state() != Some(&CreateAccountState::Succeeded) {
                let reason = status.failure_reason().map_or("no reason given".to_owned(), |r| r.as_str().to_owned());
                return Err(Error::AccountCreation { name: account.name.clone(), reason });
            }
            let id = status.account_id().ok_or_else(|| self.missing(g, "CreateAccount", "AccountId"))?.to_owned();
            members.push((account.index, id));
        }

        let scps = self.scps(&orgs, &root_id, &members).await?;
        for (index, id) in &members {
            if self.plan.accounts[*index].closed {
                self.call(g, "organizations:CloseAccount", orgs.close_account().account_id(id).send()).await?;
            }
        }
        Ok(Organization { id, root_id, management_id, members, scps })
    }

    /// The protective SCP (on the root, or only on the first member when the plan says so) and a
    /// weaker one on the root.
    async fn scps(
        &self,
        orgs: &aws_sdk_organizations::Client,
        root_id: &str,
        members: &[(usize, String)],
    ) -> Result<Vec<SeededScp>, Error> {
        use aws_sdk_organizations::types::PolicyType;
        let g = GLOBAL_REGION;
        let protective = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "ProtectSecurityServices", "Effect": "Deny", "Action": PROTECTED_ACTIONS, "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}}]});
        let weak = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "StayInOrganization", "Effect": "Deny",
            "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging"], "Resource": "*"}]});
        let protective_target = match (self.plan.protective_scp_on_root, members.first()) {
            (false, Some((_, first))) => first.clone(),
            _ => root_id.to_owned(),
        };
        let mut scps = Vec::new();
        for (name, description, content, target) in [
            (
                "protect-security-services",
                "Deny stopping or deleting CloudTrail, GuardDuty, Config and Security Hub",
                protective,
                protective_target,
            ),
            (
                "deny-leave-organization",
                "Deny leaving the organization and stopping CloudTrail",
                weak,
                root_id.to_owned(),
            ),
        ] {
            let request = orgs
                .create_policy()
                .name(name)
                .description(description)
                .content(content.to_string())
                .r#type(PolicyType::ServiceControlPolicy)
                .send();
            let created = self.call(g, "organizations:CreatePolicy", request).await?;
            let id = created
                .policy()
                .and_then(|p| p.policy_summary())
                .and_then(|s| s.id())
                .ok_or_else(|| self.missing(g, "CreatePolicy", "Policy.PolicySummary.Id"))?
                .to_owned();
            self.call(g, "organizations:AttachPolicy", orgs.attach_policy().policy_id(&id).target_id(&target).send())
                .await?;
            scps.push(SeededScp { id, name: name.to_owned(), targets: vec![target] });
        }
        Ok(scps)
    }

    // ----- one account -----

    /// Switches to the account's own credentials (members: through the access role).
    async fn enter(&mut self) -> Result<(), Error> {
        if self.me().is_management() {
            return Ok(());
        }
        let sts = aws_sdk_sts::Client::new(&self.config);
        let arn = format!("arn:aws:iam::{}:role/{ACCESS_ROLE}", self.account_id);
        let assumed = self
            .call(
                GLOBAL_REGION,
                "sts:AssumeRole",
                sts.assume_role().role_arn(arn).role_session_name("mamori-demo-seed").send(),
            )
            .await?;
        let credentials =
            assumed.credentials().ok_or_else(|| self.missing(GLOBAL_REGION, "AssumeRole", "Credentials"))?;
        let credentials = Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            None,
            "mamori-demo",
        );
        self.config =
            self.config.to_builder().credentials_provider(SharedCredentialsProvider::new(credentials)).build();
        Ok(())
    }

    async fn account(&mut self) -> Result<(), Error> {
        self.iam().await?;
        self.buckets().await?;
        let regions = self.me().regions.clone();
        for region in &regions {
            self.region(region).await?;
        }
        self.trail().await?;
        self.distributions().await?;
        Ok(())
    }

    // ----- IAM -----

    async fn iam(&mut self) -> Result<(), Error> {
        let g = GLOBAL_REGION;
        let iam = aws_sdk_iam::Client::new(&self.config);
        let plan = self.me().global.clone();
        let account = self.account_id.clone();
        let management = self.management_id.clone();

        match plan.password_policy {
            PasswordPolicy::Strong => {
                let request = iam
                    .update_account_password_policy()
                    .minimum_password_length(14)
                    .require_symbols(true)
                    .require_numbers(true)
                    .require_uppercase_characters(true)
                    .require_lowercase_characters(true)
                    .allow_users_to_change_password(true)
                    .max_password_age(90)
                    .password_reuse_prevention(24)
                    .send();
                self.call(g, "iam:UpdateAccountPasswordPolicy", request).await?;
            }
            PasswordPolicy::Weak => {
                let request = iam.update_account_password_policy().minimum_password_length(8).send();
                self.call(g, "iam:UpdateAccountPasswordPolicy", request).await?;
            }
            PasswordPolicy::Absent => {}
        }

        // Roles.
        let trust = |principal: serde_json::Value| {
            serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})
            .to_string()
        };
        let mut roles = vec![
            ("mamori-audit", trust(serde_json::json!({"AWS": format!("arn:aws:iam::{management}:root")}))),
            ("lambda-exec", trust(serde_json::json!({"Service": "lambda.amazonaws.com"}))),
            ("app-instance", trust(serde_json::json!({"Service": "ec2.amazonaws.com"}))),
        ];
        if plan.support_role {
            roles.push(("aws-support", trust(serde_json::json!({"AWS": format!("arn:aws:iam::{account}:root")}))));
        }
        if plan.trail == TrailPlan::Full {
            roles.push(("cloudtrail-logs", trust(serde_json::json!({"Service": "cloudtrail.amazonaws.com"}))));
        }
        for (name, document) in roles {
            let request = iam.create_role().role_name(name).assume_role_policy_document(document).send();
            let created = self.call(g, "iam:CreateRole", request).await?;
            let role = created.role().ok_or_else(|| self.missing(g, "CreateRole", "Role"))?;
            self.record(GLOBAL, format!("role/{name}"), role.role_id(), role.arn());
        }
        let attachments = [
            ("mamori-audit", "arn:aws:iam::aws:policy/SecurityAudit", true),
            ("aws-support", "arn:aws:iam::aws:policy/AWSSupportAccess", plan.support_role),
        ];
        for (role, policy, wanted) in attachments {
            if wanted {
                // AWS managed policies exist in moto only with MOTO_IAM_LOAD_MANAGED_POLICIES=true.
                let request = iam.attach_role_policy().role_name(role).policy_arn(policy).send();
                self.call(g, "iam:AttachRolePolicy", request).await?;
            }
        }
        if plan.app_role_inline {
            let document = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": format!("arn:aws:ssm:*:{account}:parameter/app/*")}]});
            let request = iam
                .put_role_policy()
                .role_name("app-instance")
                .policy_name("read-parameters")
                .policy_document(document.to_string())
                .send();
            self.call(g, "iam:PutRolePolicy", request).await?;
        }
        self.call(
            g,
            "iam:CreateInstanceProfile",
            iam.create_instance_profile().instance_profile_name("app-instance").send(),
        )
        .await?;
        let request =
            iam.add_role_to_instance_profile().instance_profile_name("app-instance").role_name("app-instance").send();
        self.call(g, "iam:AddRoleToInstanceProfile", request).await?;
        let recorders = self.me().regions.iter().any(|r| r.recorder != Recorder::Absent);
        if recorders {
            let request = iam.create_service_linked_role().aws_service_name("config.amazonaws.com").send();
            self.call(g, "iam:CreateServiceLinkedRole", request).await?;
        }

        // Customer-managed policies.
        let policies = [
            ("s3-readonly", true, serde_json::json!(["s3:GetObject", "s3:ListBucket"])),
            ("admin-everything", plan.admin_policy, serde_json::json!("*")),
            ("ec2-operator", plan.ec2_policy, serde_json::json!("ec2:*")),
        ];
        let mut policy_arns = BTreeMap::new();
        for (name, wanted, action) in policies {
            if !wanted {
                continue;
            }
            let document = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]});
            let request = iam.create_policy().policy_name(name).policy_document(document.to_string()).send();
            let created = self.call(g, "iam:CreatePolicy", request).await?;
            let policy = created.policy().ok_or_else(|| self.missing(g, "CreatePolicy", "Policy"))?;
            let id = policy.policy_id().ok_or_else(|| self.missing(g, "CreatePolicy", "Policy.PolicyId"))?;
            let arn = policy.arn().ok_or_else(|| self.missing(g, "CreatePolicy", "Policy.Arn"))?;
            policy_arns.insert(name, arn.to_owned());
            self.record(GLOBAL, format!("policy/{name}"), id, arn);
        }

        // Groups.
        let mut groups = vec!["engineers"];
        if plan.ops_group {
            groups.push("ops");
        }
        if plan.backup_agent.is_some() {
            groups.push("office-network");
        }
        for name in groups {
            let created = self.call(g, "iam:CreateGroup", iam.create_group().group_name(name).send()).await?;
            let group = created.group().ok_or_else(|| self.missing(g, "CreateGroup", "Group"))?;
            self.record(GLOBAL, format!("group/{name}"), group.group_id(), group.arn());
        }
        let request = iam
            .attach_group_policy()
            .group_name("engineers")
            .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .send();
        self.call(g, "iam:AttachGroupPolicy", request).await?;
        if plan.ops_group {
            let document = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["ec2:RebootInstances", "ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"}]});
            let request = iam
                .put_group_policy()
                .group_name("ops")
                .policy_name("ops-runbook")
                .policy_document(document.to_string())
                .send();
            self.call(g, "iam:PutGroupPolicy", request).await?;
        }
        if let Some(range) = plan.backup_agent {
            // The Allow carries no source-IP condition: only the Deny can confine the key.
            let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "WriteBackups", "Effect": "Allow", "Action": ["s3:PutObject", "s3:ListBucket"], "Resource": "*"},
                {"Sid": "DenyOutsideOffice", "Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": [range.cidr()]}}}]});
            let request = iam
                .put_group_policy()
                .group_name("office-network")
                .policy_name("office-network-only")
                .policy_document(document.to_string())
                .send();
            self.call(g, "iam:PutGroupPolicy", request).await?;
        }

        // Users.
        let mut users = vec!["alice", "ci-deploy", "etl-runner", "auditor"];
        if plan.bob {
            users.push("bob");
        }
        if plan.backup_agent.is_some() {
            users.push("backup-agent");
        }
        for name in users {
            let created = self.call(g, "iam:CreateUser", iam.create_user().user_name(name).send()).await?;
            let user = created.user().ok_or_else(|| self.missing(g, "CreateUser", "User"))?;
            self.record(GLOBAL, format!("user/{name}"), user.user_id(), user.arn());
        }
        for person in ["alice", "bob"].into_iter().filter(|name| *name == "alice" || plan.bob) {
            // A fixed password is fine: it exists only inside the emulator and is never shown.
            let request = iam.create_login_profile().user_name(person).password("Demo-Passw0rd-not-secret").send();
            self.call(g, "iam:CreateLoginProfile", request).await?;
            let request = iam.add_user_to_group().group_name("engineers").user_name(person).send();
            self.call(g, "iam:AddUserToGroup", request).await?;
        }
        let request = iam.add_user_to_group().group_name("engineers").user_name("auditor").send();
        self.call(g, "iam:AddUserToGroup", request).await?;
        let device = self
            .call(
                g,
                "iam:CreateVirtualMFADevice",
                iam.create_virtual_mfa_device().virtual_mfa_device_name("alice").send(),
            )
            .await?;
        let serial = device
            .virtual_mfa_device()
            .map(|d| d.serial_number().to_owned())
            .ok_or_else(|| self.missing(g, "CreateVirtualMFADevice", "VirtualMFADevice"))?;
        let request = iam
            .enable_mfa_device()
            .user_name("alice")
            .serial_number(serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send();
        self.call(g, "iam:EnableMFADevice", request).await?;
        if plan.backup_agent.is_some() {
            let request = iam.add_user_to_group().group_name("office-network").user_name("backup-agent").send();
            self.call(g, "iam:AddUserToGroup", request).await?;
        }
        let backup_agent = plan.backup_agent.map(|_| "backup-agent");
        for machine in ["ci-deploy", "etl-runner"].into_iter().chain(backup_agent) {
            // The secret in the answer is dropped unread.
            self.call(g, "iam:CreateAccessKey", iam.create_access_key().user_name(machine).send()).await?;
        }
        let deploy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "Deploy", "Effect": "Allow",
            "Action": ["s3:PutObject", "lambda:UpdateFunctionCode", "ecs:UpdateService"], "Resource": "*"}]});
        let request = iam
            .put_user_policy()
            .user_name("ci-deploy")
            .policy_name("deploy")
            .policy_document(deploy.to_string())
            .send();
        self.call(g, "iam:PutUserPolicy", request).await?;
        if plan.ci_deploy_admin {
            let arn = policy_arns.get("admin-everything").cloned().unwrap_or_default();
            let request = iam.attach_user_policy().user_name("ci-deploy").policy_arn(arn).send();
            self.call(g, "iam:AttachUserPolicy", request).await?;
        }
        let etl = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "ReadFromOffice", "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}]});
        let request = iam
            .put_user_policy()
            .user_name("etl-runner")
            .policy_name("read-from-office")
            .policy_document(etl.to_string())
            .send();
        self.call(g, "iam:PutUserPolicy", request).await?;
        Ok(())
    }
}

impl Planter {
    // ----- S3 -----

    fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        // Path-style addressing: `<bucket>.127.0.0.1` does not resolve.
        let config = aws_sdk_s3::config::Builder::from(&self.in_region(region)).force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(config)
    }

    async fn create_bucket(&self, s3: &aws_sdk_s3::Client, region: &str, name: &str) -> Result<(), Error> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        let mut request = s3.create_bucket().bucket(name);
        // us-east-1 is the default location and must not be named.
        if region != "us-east-1" {
            let location = CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build();
            request = request.create_bucket_configuration(location);
        }
        self.call(region, "s3:CreateBucket", request.send()).await?;
        Ok(())
    }

    /// Tags a bucket as planned; an untagged bucket gets no PutBucketTagging at all, so that
    /// GetBucketTagging answers NoSuchTagSet as for any bucket never tagged.
    async fn tag_bucket(
        &self,
        s3: &aws_sdk_s3::Client,
        region: &str,
        bucket: &str,
        tagging: plan::Tagging,
    ) -> Result<(), Error> {
        use aws_sdk_s3::types::{Tag, Tagging};
        let tags = self.me().resource_tags(tagging);
        if tags.is_empty() {
            return Ok(());
        }
        let mut set = Vec::new();
        for (key, value) in tags {
            set.push(built("Tag", Tag::builder().key(key).value(value).build())?);
        }
        let tagging = built("Tagging", Tagging::builder().set_tag_set(Some(set)).build())?;
        self.call(region, "s3:PutBucketTagging", s3.put_bucket_tagging().bucket(bucket).tagging(tagging).send())
            .await?;
        Ok(())
    }

    async fn buckets(&mut self) -> Result<(), Error> {
        use aws_sdk_s3::types::{
            BucketCannedAcl, BucketLoggingStatus, BucketVersioningStatus, LoggingEnabled,
            PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
            ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
        };
        let home = self.home();
        let h = home.as_str();
        let s3 = self.s3(h);
        let (logs, data, public) = (self.me().bucket("logs"), self.me().bucket("data"), self.me().bucket("public"));
        let plan = self.me().global.clone();
        // `{"AWS": "*"}` rather than `"*"`: the same to IAM, and moto's check of the logging
        // target's policy fails on a principal that is a plain string.
        let tls_only = |bucket: &str| {
            serde_json::json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        };
        let versioning = |bucket: &str| {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
                )
                .send()
        };
        let encryption = |bucket: &str| -> Result<_, Error> {
            let default = built(
                "ServerSideEncryptionByDefault",
                ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build(),
            )?;
            let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).build();
            let configuration = built(
                "ServerSideEncryptionConfiguration",
                ServerSideEncryptionConfiguration::builder().rules(rule).build(),
            )?;
            Ok(s3.put_bucket_encryption().bucket(bucket).server_side_encryption_configuration(configuration).send())
        };
        let block = |bucket: &str| {
            let all = PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build();
            s3.put_public_access_block().bucket(bucket).public_access_block_configuration(all).send()
        };

        // `logs`: the target of access logs, trails, flow logs and Config; well protected. The
        // services write through its policy, as AWS recommends, not through ACL grants.
        self.create_bucket(&s3, h, &logs).await?;
        self.call(h, "s3:PutBucketVersioning", versioning(&logs)).await?;
        self.call(h, "s3:PutBucketEncryption", encryption(&logs)?).await?;
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
            tls_only(&logs),
            {"Sid": "ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{logs}/*")},
            {"Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{logs}")},
            {"Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{logs}/AWSLogs/*")}]});
        self.call(h, "s3:PutBucketPolicy", s3.put_bucket_policy().bucket(&logs).policy(policy.to_string()).send())
            .await?;
        self.call(h, "s3:PutPublicAccessBlock", block(&logs)).await?;
        self.tag_bucket(&s3, h, &logs, plan.bucket_tags.logs).await?;
        self.record(h, "bucket/logs", &logs, format!("arn:aws:s3:::{logs}"));

        // `data`: each protection as planned.
        let d = plan.data_bucket;
        self.create_bucket(&s3, h, &data).await?;
        if d.versioning {
            self.call(h, "s3:PutBucketVersioning", versioning(&data)).await?;
        }
        if d.encryption {
            self.call(h, "s3:PutBucketEncryption", encryption(&data)?).await?;
        }
        if d.logging {
            let target = built(
                "LoggingEnabled",
                LoggingEnabled::builder().target_bucket(&logs).target_prefix(format!("s3/{data}/")).build(),
            )?;
            let status = BucketLoggingStatus::builder().logging_enabled(target).build();
            let request = s3.put_bucket_logging().bucket(&data).bucket_logging_status(status).send();
            self.call(h, "s3:PutBucketLogging", request).await?;
        }
        if d.tls_only {
            let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [tls_only(&data)]});
            self.call(h, "s3:PutBucketPolicy", s3.put_bucket_policy().bucket(&data).policy(policy.to_string()).send())
                .await?;
        }
        if d.block {
            self.call(h, "s3:PutPublicAccessBlock", block(&data)).await?;
        }
        self.tag_bucket(&s3, h, &data, plan.bucket_tags.data).await?;
        self.record(h, "bucket/data", &data, format!("arn:aws:s3:::{data}"));

        // `public`: readable (or writable) by anyone.
        if let Some(p) = plan.public_bucket {
            self.create_bucket(&s3, h, &public).await?;
            if p.write {
                // Explicit grants rather than the canned `public-read-write`: moto 5.2.5 stores
                // that as one grant of READ and WRITE and lists only READ.
                let acl = self.call(h, "s3:GetBucketAcl", s3.get_bucket_acl().bucket(&public).send()).await?;
                let owner =
                    acl.owner().and_then(|o| o.id()).ok_or_else(|| self.missing(h, "GetBucketAcl", "Owner.ID"))?;
                let everyone = "uri=http://acs.amazonaws.com/groups/global/AllUsers";
                let request = s3
                    .put_bucket_acl()
                    .bucket(&public)
                    .grant_full_control(format!("id={owner}"))
                    .grant_read(everyone)
                    .grant_write(everyone)
                    .send();
                self.call(h, "s3:PutBucketAcl", request).await?;
            } else {
                let request = s3.put_bucket_acl().bucket(&public).acl(BucketCannedAcl::PublicRead).send();
                self.call(h, "s3:PutBucketAcl", request).await?;
                let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead",
                    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{public}/*")}]});
                let request = s3.put_bucket_policy().bucket(&public).policy(policy.to_string()).send();
                self.call(h, "s3:PutBucketPolicy", request).await?;
            }
            self.tag_bucket(&s3, h, &public, plan.bucket_tags.public).await?;
            self.record(h, "bucket/public", &public, format!("arn:aws:s3:::{public}"));
        }
        Ok(())
    }

    // ----- one region -----

    async fn region(&mut self, r: &RegionPlan) -> Result<(), Error> {
        let region = r.region.as_str();
        let config = self.in_region(region);
        let ec2 = aws_sdk_ec2::Client::new(&config);

        let kms = aws_sdk_kms::Client::new(&config);
        let data_key = self.key(&kms, region, "data", r.key_rotation).await?;
        self.data_keys.insert(region.to_owned(), data_key.clone());
        if r.legacy_key {
            self.key(&kms, region, "legacy", false).await?;
        }

        let network = self.network(&ec2, r).await?;
        if let Some(instance) = r.instance {
            self.instance(&ec2, region, &network, instance, &data_key).await?;
        }
        // After the instance: with encryption by default its root volume would be encrypted
        // whatever the plan says (in AWS; moto ignores the default).
        if r.ebs_default_encryption {
            self.call(region, "ec2:EnableEbsEncryptionByDefault", ec2.enable_ebs_encryption_by_default().send())
                .await?;
        }
        self.recorder(&config, region, r.recorder).await?;
        match r.guardduty {
            Detector::Absent => {}
            detector => {
                let guardduty = aws_sdk_guardduty::Client::new(&config);
                let request = guardduty.create_detector().enable(detector == Detector::Enabled).send();
                self.call(region, "guardduty:CreateDetector", request).await?;
            }
        }
        if r.security_hub {
            let hub = aws_sdk_securityhub::Client::new(&config);
            let request = hub.enable_security_hub().enable_default_standards(false).send();
            self.call(region, "securityhub:EnableSecurityHub", request).await?;
        }
        self.access_analyzer(&config, region, r.access_analyzer).await?;
        if r.detective == DetectivePlan::Owned {
            let detective = aws_sdk_detective::Client::new(&config);
            let created = self.call(region, "detective:CreateGraph", detective.create_graph().send()).await?;
            let arn = created.graph_arn().ok_or_else(|| self.missing(region, "CreateGraph", "GraphArn"))?;
            self.graphs.insert(region.to_owned(), arn.to_owned());
        }
        if let Some(database) = r.database {
            self.database(&config, region, database, &data_key).await?;
        }
        if let Some(load_balancer) = r.load_balancer {
            self.load_balancer(&config, region, &network, load_balancer).await?;
        }
        for function in &r.functions {
            self.function(&config, region, *function).await?;
        }
        Ok(())
    }

    /// The planned IAM Access Analyzer analyzer, if any.
    async fn access_analyzer(&self, config: &SdkConfig, region: &str, plan: AnalyzerPlan) -> Result<(), Error> {
        use aws_sdk_accessanalyzer::types::Type;
        let (name, kind) = match plan {
            AnalyzerPlan::External => ("external-access", Type::Account),
            AnalyzerPlan::UnusedOnly => ("unused-access", Type::AccountUnusedAccess),
            AnalyzerPlan::Absent => return Ok(()),
        };
        let analyzer = aws_sdk_accessanalyzer::Client::new(config);
        let request = analyzer.create_analyzer().analyzer_name(name).r#type(kind).send();
        self.call(region, "access-analyzer:CreateAnalyzer", request).await?;
        Ok(())
    }

    /// A customer-managed key with an alias; returns its ARN.
    async fn key(
        &mut self,
        kms: &aws_sdk_kms::Client,
        region: &str,
        name: &str,
        rotation: bool,
    ) -> Result<String, Error> {
        let request = kms.create_key().description(format!("mamori demo {name} key")).send();
        let created = self.call(region, "kms:CreateKey", request).await?;
        let metadata = created.key_metadata().ok_or_else(|| self.missing(region, "CreateKey", "KeyMetadata"))?;
        let id = metadata.key_id().to_owned();
        let arn = metadata.arn().ok_or_else(|| self.missing(region, "CreateKey", "KeyMetadata.Arn"))?.to_owned();
        if rotation {
            self.call(region, "kms:EnableKeyRotation", kms.enable_key_rotation().key_id(&id).send()).await?;
        }
        let request = kms.create_alias().alias_name(format!("alias/demo-{name}")).target_key_id(&id).send();
        self.call(region, "kms:CreateAlias", request).await?;
        self.record(region, format!("key/{name}"), id, &arn);
        Ok(arn)
    }

    async fn network(&mut self, ec2: &aws_sdk_ec2::Client, r: &RegionPlan) -> Result<Network, Error> {
        use aws_sdk_ec2::types::{
            AttributeBooleanValue, Filter, FlowLogsResourceType, IpPermission, IpRange, Ipv6Range, LogDestinationType,
            PortRange, ResourceType, RuleAction, Tag, TagSpecification, TrafficType, UserIdGroupPair,
        };
        let region = r.region.as_str();
        let named = |kind: ResourceType, name: &str| {
            TagSpecification::builder().resource_type(kind).tags(Tag::builder().key("Name").value(name).build()).build()
        };
        let zones =
            self.call(region, "ec2:DescribeAvailabilityZones", ec2.describe_availability_zones().send()).await?;
        let zones: Vec<String> =
            zones.availability_zones().iter().filter_map(|zone| zone.zone_name()).map(str::to_owned).collect();
        let (Some(zone_a), Some(zone_b)) = (zones.first(), zones.get(1).or(zones.first())) else {
            return Err(self.missing(region, "DescribeAvailabilityZones", "AvailabilityZones"));
        };

        let request =
            ec2.create_vpc().cidr_block("10.0.0.0/16").tag_specifications(named(ResourceType::Vpc, "app")).send();
        let created = self.call(region, "ec2:CreateVpc", request).await?;
        let vpc = created
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| self.missing(region, "CreateVpc", "Vpc.VpcId"))?
            .to_owned();
        self.record(region, "vpc/app", &vpc, self.ec2_arn(region, "vpc", &vpc));
        let mut subnets = Vec::new();
        for (name, cidr, zone) in [("app-private", "10.0.1.0/24", zone_a), ("app-public", "10.0.2.0/24", zone_b)] {
            let request = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .availability_zone(zone)
                .tag_specifications(named(ResourceType::Subnet, name))
                .send();
            let created = self.call(region, "ec2:CreateSubnet", request).await?;
            let id = created
                .subnet()
                .and_then(|s| s.subnet_id())
                .ok_or_else(|| self.missing(region, "CreateSubnet", "Subnet.SubnetId"))?
                .to_owned();
            self.record(region, format!("subnet/{name}"), &id, self.ec2_arn(region, "subnet", &id));
            subnets.push(id);
        }
        let (private, public) = (subnets[0].clone(), subnets[1].clone());
        let request = ec2
            .modify_subnet_attribute()
            .subnet_id(&public)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
            .send();
        self.call(region, "ec2:ModifySubnetAttribute", request).await?;

        // The VPC's default security group, created with the VPC.
        let request = ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(&vpc).build())
            .filters(Filter::builder().name("group-name").values("default").build())
            .send();
        let described = self.call(region, "ec2:DescribeSecurityGroups", request).await?;
        let default = described
            .security_groups()
            .first()
            .and_then(|g| g.group_id())
            .ok_or_else(|| self.missing(region, "DescribeSecurityGroups", "SecurityGroups[0].GroupId"))?
            .to_owned();
        self.record(region, "security-group/default", &default, self.ec2_arn(region, "security-group", &default));
        if r.default_sg_closed {
            let everything =
                IpPermission::builder().ip_protocol("-1").ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build());
            let request =
                ec2.revoke_security_group_egress().group_id(&default).ip_permissions(everything.build()).send();
            self.call(region, "ec2:RevokeSecurityGroupEgress", request).await?;
        }

        let tcp = |from: i32, to: i32| IpPermission::builder().ip_protocol("tcp").from_port(from).to_port(to);
        let v4 = |cidr: &str| IpRange::builder().cidr_ip(cidr).build();
        let mut groups: Vec<(&str, &str)> =
            vec![("internal", "SSH from the corporate network, PostgreSQL from itself")];
        for open in &r.open_groups {
            groups.push(match open {
                OpenGroup::Ssh => (open.name(), "SSH from anywhere"),
                OpenGroup::RdpV6 => (open.name(), "RDP from anywhere over IPv6"),
                OpenGroup::Web => (open.name(), "HTTP and HTTPS from anywhere"),
                OpenGroup::SshExempt => (open.name(), "SSH from anywhere, approved in SEC-123"),
            });
        }
        let mut app_group = None;
        for (name, description) in groups {
            let request = ec2.create_security_group().group_name(name).description(description).vpc_id(&vpc).send();
            let created = self.call(region, "ec2:CreateSecurityGroup", request).await?;
            let id =
                created.group_id().ok_or_else(|| self.missing(region, "CreateSecurityGroup", "GroupId"))?.to_owned();
            let permissions = match name {
                "internal" => vec![
                    tcp(22, 22).ip_ranges(v4("10.0.0.0/8")).build(),
                    tcp(5432, 5432).user_id_group_pairs(UserIdGroupPair::builder().group_id(&id).build()).build(),
                ],
                "ssh-open" | "ssh-exempt" => vec![tcp(22, 22).ip_ranges(v4("0.0.0.0/0")).build()],
                "rdp-open-v6" => {
                    vec![tcp(3389, 3389).ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build()).build()]
                }
                _ => vec![
                    tcp(80, 80).ip_ranges(v4("0.0.0.0/0")).build(),
                    tcp(443, 443).ip_ranges(v4("0.0.0.0/0")).build(),
                ],
            };
            let request =
                ec2.authorize_security_group_ingress().group_id(&id).set_ip_permissions(Some(permissions)).send();
            self.call(region, "ec2:AuthorizeSecurityGroupIngress", request).await?;
            if name == OpenGroup::SshExempt.name() {
                let exemption = Tag::builder().key("security-exemption").value("SEC-123").build();
                let request = ec2.create_tags().resources(&id).tags(exemption).send();
                self.call(region, "ec2:CreateTags", request).await?;
            }
            if name == "internal" {
                app_group = Some(id.clone());
            }
            self.record(region, format!("security-group/{name}"), &id, self.ec2_arn(region, "security-group", &id));
        }

        let mut acls = vec![("web", 443)];
        if r.ssh_nacl {
            acls.push(("ssh-open", 22));
        }
        for (name, port) in acls {
            let request =
                ec2.create_network_acl().vpc_id(&vpc).tag_specifications(named(ResourceType::NetworkAcl, name)).send();
            let created = self.call(region, "ec2:CreateNetworkAcl", request).await?;
            let id = created
                .network_acl()
                .and_then(|a| a.network_acl_id())
                .ok_or_else(|| self.missing(region, "CreateNetworkAcl", "NetworkAcl.NetworkAclId"))?
                .to_owned();
            let request = ec2
                .create_network_acl_entry()
                .network_acl_id(&id)
                .rule_number(100)
                .protocol("6")
                .rule_action(RuleAction::Allow)
                .egress(false)
                .cidr_block("0.0.0.0/0")
                .port_range(PortRange::builder().from(port).to(port).build())
                .send();
            self.call(region, "ec2:CreateNetworkAclEntry", request).await?;
            self.record(region, format!("network-acl/{name}"), &id, self.ec2_arn(region, "network-acl", &id));
        }

        if r.flow_log {
            let logs = self.me().bucket("logs");
            let request = ec2
                .create_flow_logs()
                .resource_ids(&vpc)
                .resource_type(FlowLogsResourceType::Vpc)
                .traffic_type(TrafficType::All)
                .log_destination_type(LogDestinationType::S3)
                .log_destination(format!("arn:aws:s3:::{logs}"))
                .send();
            let created = self.call(region, "ec2:CreateFlowLogs", request).await?;
            if let Some(failed) = created.unsuccessful().first() {
                let message = failed.error().and_then(|e| e.message()).unwrap_or("no reason given").to_owned();
                return Err(Error::Api {
                    account: self.account_id.clone(),
                    region: region.to_owned(),
                    operation: "ec2:CreateFlowLogs",
                    message,
                });
            }
        }
        Ok(Network { vpc, private, public, app_group: app_group.unwrap_or_default() })
    }

    async fn instance(
        &mut self,
        ec2: &aws_sdk_ec2::Client,
        region: &str,
        network: &Network,
        plan: Instance,
        data_key: &str,
    ) -> Result<(), Error> {
        use aws_sdk_ec2::types::{
            ArchitectureValues, BlockDeviceMapping, EbsBlockDevice, HttpTokensState, IamInstanceProfileSpecification,
            InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceType, ResourceType, Tag,
            TagSpecification,
        };
        // With moto's default AMIs turned off there is no image to launch: register one.
        let request = ec2
            .register_image()
            .name("mamori-demo-linux")
            .root_device_name("/dev/xvda")
            .architecture(ArchitectureValues::X8664)
            .virtualization_type("hvm")
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(EbsBlockDevice::builder().volume_size(8).build())
                    .build(),
            )
            .send();
        let image = self.call(region, "ec2:RegisterImage", request).await?;
        let image = image.image_id().ok_or_else(|| self.missing(region, "RegisterImage", "ImageId"))?.to_owned();
        let tokens = if plan.imdsv2 { HttpTokensState::Required } else { HttpTokensState::Optional };
        let mut tags = vec![Tag::builder().key("Name").value("app-1").build()];
        let planned = self.me().resource_tags(plan.tags);
        tags.extend(planned.into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()));
        let root = EbsBlockDevice::builder()
            .volume_size(8)
            .encrypted(plan.encrypted)
            .set_kms_key_id(plan.encrypted.then(|| data_key.to_owned()))
            .build();
        let request = ec2
            .run_instances()
            .image_id(image)
            .min_count(1)
            .max_count(1)
            .instance_type(InstanceType::T3Micro)
            .subnet_id(if plan.public { &network.public } else { &network.private })
            .security_group_ids(&network.app_group)
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(tokens)
                    .http_endpoint(InstanceMetadataEndpointState::Enabled)
                    .build(),
            )
            .block_device_mappings(BlockDeviceMapping::builder().device_name("/dev/xvda").ebs(root).build())
            .set_iam_instance_profile(
                plan.profile.then(|| IamInstanceProfileSpecification::builder().name("app-instance").build()),
            )
            .tag_specifications(
                TagSpecification::builder().resource_type(ResourceType::Instance).set_tags(Some(tags)).build(),
            )
            .send();
        let launched = self.call(region, "ec2:RunInstances", request).await?;
        let id = launched
            .instances()
            .first()
            .and_then(|i| i.instance_id())
            .ok_or_else(|| self.missing(region, "RunInstances", "Instances[0].InstanceId"))?
            .to_owned();
        let described =
            self.call(region, "ec2:DescribeInstances", ec2.describe_instances().instance_ids(&id).send()).await?;
        let volume = described
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .flat_map(|i| i.block_device_mappings())
            .find_map(|mapping| mapping.ebs().and_then(|ebs| ebs.volume_id()))
            .ok_or_else(|| self.missing(region, "DescribeInstances", "BlockDeviceMappings[0].Ebs.VolumeId"))?
            .to_owned();
        self.record(region, "instance/app-1", &id, self.ec2_arn(region, "instance", &id));
        self.record(region, "volume/app-1-root", &volume, self.ec2_arn(region, "volume", &volume));
        Ok(())
    }

    async fn recorder(&mut self, config: &SdkConfig, region: &str, plan: Recorder) -> Result<(), Error> {
        use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
        let global = match plan {
            Recorder::Absent => return Ok(()),
            Recorder::Recording { global } => global,
            Recorder::Stopped => true,
        };
        let client = aws_sdk_config::Client::new(config);
        let role = format!(
            "arn:aws:iam::{}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
            self.account_id
        );
        let recorder = ConfigurationRecorder::builder()
            .name("default")
            .role_arn(role)
            .recording_group(
                RecordingGroup::builder().all_supported(true).include_global_resource_types(global).build(),
            )
            .build();
        let request = client.put_configuration_recorder().configuration_recorder(recorder).send();
        self.call(region, "config:PutConfigurationRecorder", request).await?;
        if plan == Recorder::Stopped {
            return Ok(());
        }
        let channel = DeliveryChannel::builder()
            .name("default")
            .s3_bucket_name(self.me().bucket("logs"))
            .s3_key_prefix("config")
            .build();
        self.call(region, "config:PutDeliveryChannel", client.put_delivery_channel().delivery_channel(channel).send())
            .await?;
        let request = client.start_configuration_recorder().configuration_recorder_name("default").send();
        self.call(region, "config:StartConfigurationRecorder", request).await?;
        Ok(())
    }

    async fn database(
        &mut self,
        config: &SdkConfig,
        region: &str,
        plan: Database,
        data_key: &str,
    ) -> Result<(), Error> {
        let rds = aws_sdk_rds::Client::new(config);
        let request = rds
            .create_db_instance()
            .db_instance_identifier("orders")
            .engine("postgres")
            .db_instance_class("db.t3.micro")
            .allocated_storage(20)
            .master_username("orders_admin")
            // Exists only inside the emulator and is never shown.
            .master_user_password("Demo-Passw0rd-not-secret")
            .storage_encrypted(plan.encrypted)
            .set_kms_key_id(plan.encrypted.then(|| data_key.to_owned()))
            .backup_retention_period(if plan.backups { 7 } else { 0 })
            .publicly_accessible(plan.public)
            .multi_az(plan.multi_az)
            .deletion_protection(plan.deletion_protection)
            .set_tags(Some(
                self.me()
                    .resource_tags(plan.tags)
                    .into_iter()
                    .map(|(key, value)| aws_sdk_rds::types::Tag::builder().key(key).value(value).build())
                    .collect(),
            ))
            .send();
        let created = self.call(region, "rds:CreateDBInstance", request).await?;
        let instance = created.db_instance().ok_or_else(|| self.missing(region, "CreateDBInstance", "DBInstance"))?;
        // moto 5.2.5 gives every DB instance the same DbiResourceId; the ARN tells them apart.
        let id = instance.dbi_resource_id().ok_or_else(|| self.missing(region, "CreateDBInstance", "DbiResourceId"))?;
        let arn =
            instance.db_instance_arn().ok_or_else(|| self.missing(region, "CreateDBInstance", "DBInstanceArn"))?;
        self.record(region, "db-instance/orders", id, arn);
        if let Some(public) = plan.snapshot {
            let request = rds
                .create_db_snapshot()
                .db_snapshot_identifier("orders-manual")
                .db_instance_identifier("orders")
                .send();
            let created = self.call(region, "rds:CreateDBSnapshot", request).await?;
            let arn = created
                .db_snapshot()
                .and_then(|s| s.db_snapshot_arn())
                .ok_or_else(|| self.missing(region, "CreateDBSnapshot", "DBSnapshot.DBSnapshotArn"))?
                .to_owned();
            if public {
                let request = rds
                    .modify_db_snapshot_attribute()
                    .db_snapshot_identifier("orders-manual")
                    .attribute_name("restore")
                    .values_to_add("all")
                    .send();
                self.call(region, "rds:ModifyDBSnapshotAttribute", request).await?;
            }
            self.record(region, "db-snapshot/orders-manual", "orders-manual", arn);
        }
        Ok(())
    }

    async fn load_balancer(
        &mut self,
        config: &SdkConfig,
        region: &str,
        network: &Network,
        plan: LoadBalancer,
    ) -> Result<(), Error> {
        use aws_sdk_elasticloadbalancingv2::types::{
            Action, ActionTypeEnum, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum,
            RedirectActionConfig, RedirectActionStatusCodeEnum,
        };
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
        let request = elb
            .create_load_balancer()
            .name("web")
            .subnets(&network.private)
            .subnets(&network.public)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .send();
        let created = self.call(region, "elasticloadbalancing:CreateLoadBalancer", request).await?;
        let arn = created
            .load_balancers()
            .first()
            .and_then(|lb| lb.load_balancer_arn())
            .ok_or_else(|| self.missing(region, "CreateLoadBalancer", "LoadBalancers[0].LoadBalancerArn"))?
            .to_owned();
        // Set explicitly either way: moto's attributes otherwise lack `access_logs.s3.enabled`.
        let attribute = |key: &str, value: String| LoadBalancerAttribute::builder().key(key).value(value).build();
        let mut attributes = vec![attribute("access_logs.s3.enabled", plan.access_logs.to_string())];
        if plan.access_logs {
            attributes.push(attribute("access_logs.s3.bucket", self.me().bucket("logs")));
            attributes.push(attribute("access_logs.s3.prefix", "alb".to_owned()));
        }
        let request =
            elb.modify_load_balancer_attributes().load_balancer_arn(&arn).set_attributes(Some(attributes)).send();
        self.call(region, "elasticloadbalancing:ModifyLoadBalancerAttributes", request).await?;
        let action = if plan.redirect {
            let redirect = RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build();
            Action::builder().r#type(ActionTypeEnum::Redirect).redirect_config(redirect)
        } else {
            let request =
                elb.create_target_group().name("web").protocol(ProtocolEnum::Http).port(80).vpc_id(&network.vpc).send();
            let group = self.call(region, "elasticloadbalancing:CreateTargetGroup", request).await?;
            let group = group
                .target_groups()
                .first()
                .and_then(|g| g.target_group_arn())
                .ok_or_else(|| self.missing(region, "CreateTargetGroup", "TargetGroups[0].TargetGroupArn"))?
                .to_owned();
            Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(group)
        };
        let action = action.build();
        let request = elb
            .create_listener()
            .load_balancer_arn(&arn)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(action)
            .send();
        self.call(region, "elasticloadbalancing:CreateListener", request).await?;
        self.record(region, "load-balancer/web", &arn, &arn);
        Ok(())
    }

    async fn function(&mut self, config: &SdkConfig, region: &str, plan: Function) -> Result<(), Error> {
        use aws_sdk_lambda::primitives::Blob;
        use aws_sdk_lambda::types::{FunctionCode, Runtime};
        let lambda = aws_sdk_lambda::Client::new(config);
        let name = plan.name();
        let package = crate::zip::single_file("app.py", b"def handler(event, context):\n    return {\"ok\": True}\n");
        let request = lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(format!("arn:aws:iam::{}:role/lambda-exec", self.account_id))
            .handler("app.handler")
            .code(FunctionCode::builder().zip_file(Blob::new(package)).build())
            .send();
        let created = self.call(region, "lambda:CreateFunction", request).await?;
        let arn =
            created.function_arn().ok_or_else(|| self.missing(region, "CreateFunction", "FunctionArn"))?.to_owned();
        let permission = lambda.add_permission().function_name(name).action("lambda:InvokeFunction");
        let permission = match plan {
            Function::Public => permission.statement_id("public-invoke").principal("*"),
            Function::S3Pinned => permission
                .statement_id("s3-invoke")
                .principal("s3.amazonaws.com")
                .source_account(&self.account_id)
                .source_arn(format!("arn:aws:s3:::{}", self.me().bucket("data"))),
        };
        self.call(region, "lambda:AddPermission", permission.send()).await?;
        self.record(region, format!("function/{name}"), name, arn);
        Ok(())
    }

    // ----- CloudTrail and CloudFront -----

    async fn trail(&mut self) -> Result<(), Error> {
        use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
        let plan = self.me().global.trail;
        let Some(name) = plan.name() else { return Ok(()) };
        let home = self.home();
        let h = home.as_str();
        let trail = aws_sdk_cloudtrail::Client::new(&self.in_region(h));
        let account = self.account_id.clone();
        let key = self.data_keys.get(h).cloned();
        let request = trail.create_trail().name(name);
        let request = match plan {
            TrailPlan::Full => request
                .s3_bucket_name(self.me().bucket("logs"))
                .is_multi_region_trail(true)
                .enable_log_file_validation(true)
                .set_kms_key_id(key)
                // The log group is referenced, not created: CloudWatch Logs is not among the SDK
                // clients mamori uses, and moto does not check it exists.
                .cloud_watch_logs_log_group_arn(format!("arn:aws:logs:{h}:{account}:log-group:aws-cloudtrail-logs:*"))
                .cloud_watch_logs_role_arn(format!("arn:aws:iam::{account}:role/cloudtrail-logs")),
            TrailPlan::Regional => request
                .s3_bucket_name(self.me().bucket("logs"))
                .is_multi_region_trail(false)
                .enable_log_file_validation(true)
                .set_kms_key_id(key),
            TrailPlan::Neglected | TrailPlan::Absent => request
                .s3_bucket_name(self.me().bucket("public"))
                .is_multi_region_trail(true)
                .enable_log_file_validation(false),
        };
        let created = self.call(h, "cloudtrail:CreateTrail", request.send()).await?;
        let arn = created.trail_arn().ok_or_else(|| self.missing(h, "CreateTrail", "TrailARN"))?.to_owned();
        if plan == TrailPlan::Full {
            let all_buckets = DataResource::builder().r#type("AWS::S3::Object").values("arn:aws:s3").build();
            let selector = EventSelector::builder()
                .read_write_type(ReadWriteType::All)
                .include_management_events(true)
                .data_resources(all_buckets)
                .build();
            let request = trail.put_event_selectors().trail_name(name).event_selectors(selector).send();
            self.call(h, "cloudtrail:PutEventSelectors", request).await?;
        }
        if matches!(plan, TrailPlan::Full | TrailPlan::Regional) {
            self.call(h, "cloudtrail:StartLogging", trail.start_logging().name(name).send()).await?;
        }
        // AWS Config names a trail by its name; the ARN is kept beside it.
        self.record(h, format!("trail/{name}"), name, arn);
        Ok(())
    }

    async fn distributions(&mut self) -> Result<(), Error> {
        use aws_sdk_cloudfront::types::{
            CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, LoggingConfig, Origin, OriginProtocolPolicy,
            Origins, ViewerProtocolPolicy,
        };
        let plans = self.me().global.distributions.clone();
        if plans.is_empty() {
            return Ok(());
        }
        let g = GLOBAL_REGION;
        let cloudfront = aws_sdk_cloudfront::Client::new(&self.in_region(g));
        let logs = self.me().bucket("logs");
        for (n, plan) in plans.iter().enumerate() {
            let origin_config = built(
                "CustomOriginConfig",
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .build(),
            )?;
            let origin = built(
                "Origin",
                Origin::builder().id("app").domain_name("app.example.com").custom_origin_config(origin_config).build(),
            )?;
            let origins = built("Origins", Origins::builder().quantity(1).items(origin).build())?;
            let viewer =
                if plan.https { ViewerProtocolPolicy::RedirectToHttps } else { ViewerProtocolPolicy::AllowAll };
            let behavior = built(
                "DefaultCacheBehavior",
                DefaultCacheBehavior::builder()
                    .target_origin_id("app")
                    .viewer_protocol_policy(viewer)
                    // AWS's managed "CachingOptimized" policy.
                    .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
                    .build(),
            )?;
            let logging = LoggingConfig::builder()
                .enabled(plan.logging)
                .include_cookies(false)
                .bucket(if plan.logging { format!("{logs}.s3.amazonaws.com") } else { String::new() })
                .prefix(if plan.logging { "cloudfront/" } else { "" })
                .build();
            let config = built(
                "DistributionConfig",
                DistributionConfig::builder()
                    .caller_reference(format!("{}-{}", self.me().bucket_prefix, n + 1))
                    .comment(format!("mamori demo distribution {}", n + 1))
                    .enabled(true)
                    .origins(origins)
                    .default_cache_behavior(behavior)
                    .logging(logging)
                    .build(),
            )?;
            let created = self
                .call(
                    g,
                    "cloudfront:CreateDistribution",
                    cloudfront.create_distribution().distribution_config(config).send(),
                )
                .await?;
            let distribution =
                created.distribution().ok_or_else(|| self.missing(g, "CreateDistribution", "Distribution"))?;
            self.record(GLOBAL, format!("distribution/{}", n + 1), distribution.id(), distribution.arn());
        }
        Ok(())
    }
}

/// The `app` VPC of one region.
struct Network {
    vpc: String,
    private: String,
    public: String,
    /// The `internal` security group, which instances use.
    app_group: String,
}
