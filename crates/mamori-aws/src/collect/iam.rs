//! IAM, once per account: users, groups, roles and managed policies (`AWS::IAM::User`,
//! `AWS::IAM::Group`, `AWS::IAM::Role`, `AWS::IAM::Policy`) in AWS Config's shape, the users'
//! credentials, the SSL/TLS server certificates stored in IAM (`AWS::IAM::ServerCertificate`,
//! from ListServerCertificates, whose metadata carries the expiry), and the account's IAM settings (`accountSummary`, `virtualMfaDevices`,
//! `passwordPolicy`, `credentialReport`).
//!
//! Why it is built around GetAccountAuthorizationDetails: that one paginated call returns every
//! user, group, role and managed policy with their inline policies (documents included), attached
//! policies, group memberships, trust policies, instance profiles, permissions boundaries, tags,
//! roles' last use and the managed policies' versions, which would otherwise take five to ten
//! calls per identity. Who a managed policy is attached to (`PolicyEntities`) is read from the
//! same answer instead of one ListEntitiesForPolicy per policy. What the call lacks is a user's
//! credentials, so per user: GetLoginProfile, ListMFADevices, ListAccessKeys and one
//! GetAccessKeyLastUsed per key; when a console password was last used comes from ListUsers (one
//! call per 1,000 users).
//!
//! Calls per account with U users holding K access keys, whatever the number of groups, roles
//! and policies: 3U + K per-user calls, plus one page of GetAccountAuthorizationDetails per
//! 1,000 entities, one page of ListUsers and of ListVirtualMFADevices per 1,000, and
//! GetAccountSummary, GetAccountPasswordPolicy, GenerateCredentialReport (repeated while the
//! report is being generated) and GetCredentialReport. GetRole, GetUser and GetPolicy are only
//! asked when the batched answers lack a role's last use, a user's password last use or a
//! policy's id.
//!
//! AWS Config records only customer managed policies; mamori also records the AWS managed ones
//! attached in the account (or used as a permissions boundary), with only their default
//! version (AWS managed policies accumulate dozens of large versions nobody can use).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use aws_sdk_iam::types::{
    AccessKeyMetadata, AttachedPermissionsBoundary, AttachedPolicy, EntityType, GroupDetail, ManagedPolicyDetail,
    PolicyDetail, ReportStateType, RoleDetail, RoleLastUsed, Tag, UserDetail,
};
use aws_sdk_iam::Client;
use futures_util::future::join_all;
use mamori_model::ConfigItem;
use serde_json::{json, Map, Value};

use super::registry::{Collector, Placement};
use super::{iso, iso_or_null, ApiError, CollectFuture, Cx};
use crate::client;

const USER_TYPE: &str = "AWS::IAM::User";
const GROUP_TYPE: &str = "AWS::IAM::Group";
const ROLE_TYPE: &str = "AWS::IAM::Role";
const POLICY_TYPE: &str = "AWS::IAM::Policy";
const SERVER_CERTIFICATE_TYPE: &str = "AWS::IAM::ServerCertificate";

/// The largest page IAM's list calls allow: fewer pages, fewer calls.
const PAGE_SIZE: i32 = 1000;

/// How long to wait for IAM to generate the credential report. AWS usually takes seconds; an
/// account with thousands of users can take longer, and past this the field is recorded as
/// not read rather than holding the account's collection up.
const REPORT_WAIT: Duration = Duration::from_secs(60);
/// First pause between two polls of the report's state; it doubles up to [`REPORT_POLL_MAX`].
const REPORT_POLL_FIRST: Duration = Duration::from_millis(500);
const REPORT_POLL_MAX: Duration = Duration::from_secs(8);

pub(crate) const COLLECTOR: Collector = Collector {
    name: "iam",
    placement: Placement::Global,
    resource_types: &[USER_TYPE, GROUP_TYPE, ROLE_TYPE, POLICY_TYPE, SERVER_CERTIFICATE_TYPE],
    account_fields: &["accountSummary", "virtualMfaDevices", "passwordPolicy", "credentialReport"],
    actions: &[
        "iam:GetAccountAuthorizationDetails",
        "iam:ListUsers",
        "iam:GetUser",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:GetRole",
        "iam:GetPolicy",
        "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices",
        "iam:GetAccountPasswordPolicy",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:ListServerCertificates",
    ],
    run,
};

fn run(cx: &Cx) -> CollectFuture<'_> {
    Box::pin(collect(cx))
}

async fn collect(cx: &Cx) {
    let iam = client!(cx, aws_sdk_iam);
    tokio::join!(
        identities(cx, &iam),
        account_summary(cx, &iam),
        virtual_mfa_devices(cx, &iam),
        password_policy(cx, &iam),
        credential_report(cx, &iam),
        server_certificates(cx, &iam),
    );
}

/// SSL/TLS server certificates stored in IAM. The resource id is the certificate's name, unique
/// in an account (IAM refuses a second certificate of the same name), rather than its
/// `ServerCertificateId`, which emulators answer the same for every certificate.
async fn server_certificates(cx: &Cx, iam: &Client) {
    let listed = iam.list_server_certificates().max_items(PAGE_SIZE).into_paginator().send();
    let pages = match cx.pages("iam", listed).await {
        Ok(pages) => pages,
        Err(err) => return cx.list_failed(SERVER_CERTIFICATE_TYPE, "ListServerCertificates", &err),
    };
    for certificate in pages.iter().flat_map(|page| page.server_certificate_metadata_list()) {
        let name = certificate.server_certificate_name();
        let mut item = cx.item(SERVER_CERTIFICATE_TYPE, name);
        item.resource_name = Some(name.to_owned());
        item.arn = Some(certificate.arn().to_owned());
        item.configuration = json!({
            "serverCertificateName": name,
            "serverCertificateId": certificate.server_certificate_id(),
            "arn": certificate.arn(),
            "path": certificate.path(),
            "uploadDate": iso_or_null(certificate.upload_date()),
            "expiration": iso_or_null(certificate.expiration()),
        });
        cx.emit(item);
    }
}

/// Users, groups, roles and managed policies.
async fn identities(cx: &Cx, iam: &Client) {
    let filter = vec![
        EntityType::User,
        EntityType::Group,
        EntityType::Role,
        EntityType::LocalManagedPolicy,
        EntityType::AwsManagedPolicy,
    ];
    let details = iam.get_account_authorization_details().set_filter(Some(filter)).max_items(PAGE_SIZE);
    let (details, listed) = tokio::join!(
        cx.pages("iam", details.into_paginator().send()),
        cx.pages("iam", iam.list_users().max_items(PAGE_SIZE).into_paginator().send()),
    );
    let pages = match details {
        Ok(pages) => pages,
        Err(err) => {
            for resource_type in [USER_TYPE, GROUP_TYPE, ROLE_TYPE, POLICY_TYPE] {
                cx.list_failed(resource_type, "GetAccountAuthorizationDetails", &err);
            }
            return;
        }
    };
    // Without ListUsers, console users' password last use is asked user by user (GetUser).
    let password_last_used: Option<HashMap<String, Value>> = listed.ok().map(|pages| {
        pages
            .iter()
            .flat_map(|page| page.users())
            .map(|user| (user.user_name().to_owned(), iso_or_null(user.password_last_used())))
            .collect()
    });
    let users: Vec<&UserDetail> = pages.iter().flat_map(|page| page.user_detail_list()).collect();
    let groups: Vec<&GroupDetail> = pages.iter().flat_map(|page| page.group_detail_list()).collect();
    let roles: Vec<&RoleDetail> = pages.iter().flat_map(|page| page.role_detail_list()).collect();
    let policies: Vec<&ManagedPolicyDetail> = pages.iter().flat_map(|page| page.policies()).collect();

    let entities = policy_entities(&users, &groups, &roles);
    let recorded = policies.into_iter().filter(|policy| recorded_policy(policy, &entities));
    join_all(recorded.map(|policy| policy_item(cx, iam, policy, &entities))).await;
    for group in groups {
        if let Some(item) = group_item(cx, group) {
            cx.emit(item);
        }
    }
    join_all(roles.into_iter().map(|role| role_item(cx, iam, role))).await;
    join_all(users.into_iter().map(|user| user_item(cx, iam, user, password_last_used.as_ref()))).await;
}

/// Who each managed policy is attached to, by policy ARN.
#[derive(Default)]
struct Entities {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    roles: BTreeSet<String>,
}

impl Entities {
    fn to_json(&self) -> Value {
        json!({"users": self.users, "groups": self.groups, "roles": self.roles})
    }
}

fn policy_entities(users: &[&UserDetail], groups: &[&GroupDetail], roles: &[&RoleDetail]) -> HashMap<String, Entities> {
    let mut by_arn: HashMap<String, Entities> = HashMap::new();
    let mut add =
        |attached: &[AttachedPolicy], name: Option<&str>, pick: fn(&mut Entities) -> &mut BTreeSet<String>| {
            let Some(name) = name else { return };
            for arn in attached.iter().filter_map(AttachedPolicy::policy_arn) {
                pick(by_arn.entry(arn.to_owned()).or_default()).insert(name.to_owned());
            }
        };
    for user in users {
        add(user.attached_managed_policies(), user.user_name(), |e| &mut e.users);
    }
    for group in groups {
        add(group.attached_managed_policies(), group.group_name(), |e| &mut e.groups);
    }
    for role in roles {
        add(role.attached_managed_policies(), role.role_name(), |e| &mut e.roles);
    }
    by_arn
}

/// Customer managed policies, and the AWS managed ones in use here (attached, or a
/// permissions boundary).
fn recorded_policy(policy: &ManagedPolicyDetail, entities: &HashMap<String, Entities>) -> bool {
    let Some(arn) = policy.arn() else { return false };
    !is_aws_managed(arn)
        || policy.attachment_count().unwrap_or(0) > 0
        || policy.permissions_boundary_usage_count().unwrap_or(0) > 0
        || entities.contains_key(arn)
}

fn is_aws_managed(arn: &str) -> bool {
    arn.contains(":iam::aws:policy/")
}

async fn policy_item(cx: &Cx, iam: &Client, policy: &ManagedPolicyDetail, entities: &HashMap<String, Entities>) {
    let Some(arn) = policy.arn() else { return };
    let aws_managed = is_aws_managed(arn);
    let mut id = policy.policy_id().map(str::to_owned);
    let mut name = policy.policy_name().map(str::to_owned);
    let mut lookup_failure = None;
    if id.is_none() || name.is_none() {
        // AWS names every policy in the authorization details; an answer without its id or
        // name (moto's) is completed by GetPolicy, so the resource id stays the policy id.
        match cx.call("iam", iam.get_policy().policy_arn(arn).send()).await {
            Ok(output) => {
                let found = output.policy();
                id = id.or_else(|| found.and_then(|p| p.policy_id()).map(str::to_owned));
                name = name.or_else(|| found.and_then(|p| p.policy_name()).map(str::to_owned));
            }
            Err(err) => lookup_failure = Some(err),
        }
    }
    // The name is also the ARN's last segment (`arn:aws:iam::aws:policy/<path><name>`).
    let name = name.unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn).to_owned());
    let default_id = policy.default_version_id();
    let versions: Vec<Value> = policy
        .policy_version_list()
        .iter()
        .filter(|version| {
            !aws_managed || version.is_default_version() || (default_id.is_some() && version.version_id() == default_id)
        })
        .map(|version| {
            json!({
                "document": version.document().map(encoded),
                "versionId": version.version_id(),
                "isDefaultVersion": version.is_default_version(),
                "createDate": iso_or_null(version.create_date()),
            })
        })
        .collect();
    let mut item = cx.item(POLICY_TYPE, id.as_deref().unwrap_or(arn));
    item.resource_name = Some(name.clone());
    item.arn = Some(arn.to_owned());
    item.configuration = json!({
        "policyName": name,
        "policyId": id,
        "arn": arn,
        "path": policy.path(),
        "defaultVersionId": default_id,
        "attachmentCount": policy.attachment_count(),
        "permissionsBoundaryUsageCount": policy.permissions_boundary_usage_count(),
        "isAttachable": policy.is_attachable(),
        "description": policy.description(),
        "createDate": iso_or_null(policy.create_date()),
        "updateDate": iso_or_null(policy.update_date()),
        "policyVersionList": versions,
    });
    let attached = entities.get(arn).map_or_else(|| Entities::default().to_json(), Entities::to_json);
    item.supplementary_configuration.insert("PolicyEntities".into(), attached);
    if let Some(err) = lookup_failure {
        Cx::attribute_failed(&mut item, "policyId", "GetPolicy", &err);
    }
    cx.emit(item);
}

fn group_item(cx: &Cx, group: &GroupDetail) -> Option<ConfigItem> {
    let name = group.group_name()?;
    let mut item = cx.item(GROUP_TYPE, group.group_id().or(group.arn()).unwrap_or(name));
    item.resource_name = Some(name.to_owned());
    item.arn = group.arn().map(str::to_owned);
    item.configuration = json!({
        "path": group.path(),
        "groupName": name,
        "groupId": group.group_id(),
        "arn": group.arn(),
        "createDate": iso_or_null(group.create_date()),
        "groupPolicyList": inline_policies(group.group_policy_list()),
        "attachedManagedPolicies": attached_policies(group.attached_managed_policies()),
    });
    Some(item)
}

async fn role_item(cx: &Cx, iam: &Client, role: &RoleDetail) {
    let Some(name) = role.role_name() else { return };
    let mut item = cx.item(ROLE_TYPE, role.role_id().or(role.arn()).unwrap_or(name));
    item.resource_name = Some(name.to_owned());
    item.arn = role.arn().map(str::to_owned);
    let (tags, tag_map) = tags(role.tags());
    item.tags = tag_map;
    let instance_profiles: Vec<Value> = role
        .instance_profile_list()
        .iter()
        .map(|profile| {
            let roles: Vec<Value> = profile
                .roles()
                .iter()
                .map(|r| {
                    json!({
                        "path": r.path(),
                        "roleName": r.role_name(),
                        "roleId": r.role_id(),
                        "arn": r.arn(),
                        "createDate": iso(r.create_date()),
                    })
                })
                .collect();
            json!({
                "path": profile.path(),
                "instanceProfileName": profile.instance_profile_name(),
                "instanceProfileId": profile.instance_profile_id(),
                "arn": profile.arn(),
                "createDate": iso(profile.create_date()),
                "roles": roles,
            })
        })
        .collect();
    item.configuration = json!({
        "path": role.path(),
        "roleName": name,
        "roleId": role.role_id(),
        "arn": role.arn(),
        "createDate": iso_or_null(role.create_date()),
        "assumeRolePolicyDocument": role.assume_role_policy_document().map(encoded),
        "instanceProfileList": instance_profiles,
        "rolePolicyList": inline_policies(role.role_policy_list()),
        "attachedManagedPolicies": attached_policies(role.attached_managed_policies()),
        "permissionsBoundary": permissions_boundary(role.permissions_boundary()),
        "tags": tags,
    });
    let last_used = match role.role_last_used() {
        Some(last_used) => Ok(role_last_used(Some(last_used))),
        // IAM answers `RoleLastUsed` in every role detail; should it not, GetRole does.
        None => cx
            .call("iam", iam.get_role().role_name(name).send())
            .await
            .map(|output| role_last_used(output.role().and_then(|r| r.role_last_used()))),
    };
    match last_used {
        Ok(value) => {
            item.supplementary_configuration.insert("RoleLastUsed".into(), value);
        }
        Err(err) => Cx::attribute_failed(&mut item, "RoleLastUsed", "GetRole", &err),
    }
    cx.emit(item);
}

/// `null` for a role never used (IAM answers an empty `RoleLastUsed`), else its date and region.
fn role_last_used(last_used: Option<&RoleLastUsed>) -> Value {
    match last_used.and_then(|r| r.last_used_date().map(|date| (date, r.region()))) {
        Some((date, region)) => json!({"lastUsedDate": iso(date), "region": region}),
        None => Value::Null,
    }
}

async fn user_item(cx: &Cx, iam: &Client, user: &UserDetail, password_last_used: Option<&HashMap<String, Value>>) {
    let Some(name) = user.user_name() else { return };
    let mut item = cx.item(USER_TYPE, user.user_id().or(user.arn()).unwrap_or(name));
    item.resource_name = Some(name.to_owned());
    item.arn = user.arn().map(str::to_owned);
    let (tags, tag_map) = tags(user.tags());
    item.tags = tag_map;
    item.configuration = json!({
        "path": user.path(),
        "userName": name,
        "userId": user.user_id(),
        "arn": user.arn(),
        "createDate": iso_or_null(user.create_date()),
        "userPolicyList": inline_policies(user.user_policy_list()),
        "groupList": user.group_list(),
        "attachedManagedPolicies": attached_policies(user.attached_managed_policies()),
        "permissionsBoundary": permissions_boundary(user.permissions_boundary()),
        "tags": tags,
    });
    let (profile, mfa, keys) = tokio::join!(
        login_profile(cx, iam, name, password_last_used),
        cx.pages("iam", iam.list_mfa_devices().user_name(name).into_paginator().send()),
        access_keys(cx, iam, name),
    );
    match profile {
        Ok(profile) => {
            item.supplementary_configuration.insert("LoginProfile".into(), profile);
        }
        Err((operation, err)) => Cx::attribute_failed(&mut item, "LoginProfile", operation, &err),
    }
    match mfa {
        Ok(pages) => {
            let devices: Vec<Value> = pages
                .iter()
                .flat_map(|page| page.mfa_devices())
                .map(|device| json!({"serialNumber": device.serial_number(), "enableDate": iso(device.enable_date())}))
                .collect();
            item.supplementary_configuration.insert("MfaDevices".into(), Value::Array(devices));
        }
        Err(err) => Cx::attribute_failed(&mut item, "MfaDevices", "ListMFADevices", &err),
    }
    match keys {
        Ok((keys, last_used_failure)) => {
            item.supplementary_configuration.insert("AccessKeys".into(), Value::Array(keys));
            // The keys are known; only the last use of some is not, which they leave out.
            if let Some(err) = last_used_failure {
                Cx::attribute_failed(&mut item, "AccessKeyLastUsed", "GetAccessKeyLastUsed", &err);
            }
        }
        Err(err) => Cx::attribute_failed(&mut item, "AccessKeys", "ListAccessKeys", &err),
    }
    cx.emit(item);
}

/// The console password: `null` when the user has none, else when it was set and last used.
async fn login_profile(
    cx: &Cx,
    iam: &Client,
    user: &str,
    password_last_used: Option<&HashMap<String, Value>>,
) -> Result<Value, (&'static str, ApiError)> {
    let profile = match cx.call("iam", iam.get_login_profile().user_name(user).send()).await {
        Ok(output) => output.login_profile,
        Err(err) if err.is_not_found(&["NoSuchEntity"]) => return Ok(Value::Null),
        Err(err) => return Err(("GetLoginProfile", err)),
    };
    let Some(profile) = profile else { return Ok(Value::Null) };
    let last_used = match password_last_used.and_then(|listed| listed.get(user)) {
        Some(last_used) => last_used.clone(),
        // A user created after ListUsers answered, or ListUsers failed.
        None => match cx.call("iam", iam.get_user().user_name(user).send()).await {
            Ok(output) => iso_or_null(output.user().and_then(|u| u.password_last_used())),
            Err(err) => return Err(("GetUser", err)),
        },
    };
    Ok(json!({"createDate": iso(profile.create_date()), "passwordLastUsed": last_used}))
}

/// A user's access keys with their last use, and the failure of any GetAccessKeyLastUsed (the
/// key is then recorded without `lastUsedDate`: its last use was not read).
async fn access_keys(cx: &Cx, iam: &Client, user: &str) -> Result<(Vec<Value>, Option<ApiError>), ApiError> {
    let pages = cx.pages("iam", iam.list_access_keys().user_name(user).into_paginator().send()).await?;
    let keys: Vec<&AccessKeyMetadata> = pages.iter().flat_map(|page| page.access_key_metadata()).collect();
    let last_used = join_all(keys.iter().map(|key| async move {
        let id = key.access_key_id()?;
        Some(cx.call("iam", iam.get_access_key_last_used().access_key_id(id).send()).await)
    }))
    .await;
    let mut failure = None;
    let mut out = Vec::with_capacity(keys.len());
    for (key, last_used) in keys.into_iter().zip(last_used) {
        let mut entry = json!({
            "accessKeyId": key.access_key_id(),
            "status": key.status().map(|s| s.as_str()),
            "createDate": iso_or_null(key.create_date()),
        });
        match last_used {
            Some(Ok(output)) => {
                entry["lastUsedDate"] = iso_or_null(output.access_key_last_used().and_then(|u| u.last_used_date()));
            }
            Some(Err(err)) => failure = Some(err),
            None => {}
        }
        out.push(entry);
    }
    Ok((out, failure))
}

async fn account_summary(cx: &Cx, iam: &Client) {
    match cx.call("iam", iam.get_account_summary().send()).await {
        Ok(output) => {
            let summary: Map<String, Value> = output
                .summary_map()
                .into_iter()
                .flatten()
                .map(|(key, value)| (key.as_str().to_owned(), Value::from(*value)))
                .collect();
            cx.account_field("accountSummary", Value::Object(summary));
        }
        Err(err) => cx.account_field_failed("accountSummary", "GetAccountSummary", &err),
    }
}

async fn virtual_mfa_devices(cx: &Cx, iam: &Client) {
    let listed = iam.list_virtual_mfa_devices().max_items(PAGE_SIZE).into_paginator().send();
    match cx.pages("iam", listed).await {
        Ok(pages) => {
            let devices: Vec<Value> = pages
                .iter()
                .flat_map(|page| page.virtual_mfa_devices())
                .map(
                    |device| json!({"serialNumber": device.serial_number(), "userArn": device.user().map(|u| u.arn())}),
                )
                .collect();
            cx.account_field("virtualMfaDevices", Value::Array(devices));
        }
        Err(err) => cx.account_field_failed("virtualMfaDevices", "ListVirtualMFADevices", &err),
    }
}

async fn password_policy(cx: &Cx, iam: &Client) {
    let policy = match cx.call("iam", iam.get_account_password_policy().send()).await {
        Ok(output) => output.password_policy,
        // No policy set: IAM's defaults apply.
        Err(err) if err.is_not_found(&["NoSuchEntity"]) => None,
        Err(err) => return cx.account_field_failed("passwordPolicy", "GetAccountPasswordPolicy", &err),
    };
    let value = policy.map_or(Value::Null, |p| {
        json!({
            "minimumPasswordLength": p.minimum_password_length(),
            "requireSymbols": p.require_symbols(),
            "requireNumbers": p.require_numbers(),
            "requireUppercaseCharacters": p.require_uppercase_characters(),
            "requireLowercaseCharacters": p.require_lowercase_characters(),
            "allowUsersToChangePassword": p.allow_users_to_change_password(),
            "expirePasswords": p.expire_passwords(),
            "maxPasswordAge": p.max_password_age(),
            "passwordReusePrevention": p.password_reuse_prevention(),
            "hardExpiry": p.hard_expiry(),
        })
    });
    cx.account_field("passwordPolicy", value);
}

/// Asks IAM for a fresh credential report (it reuses one generated within four hours), polls
/// until it is ready within [`REPORT_WAIT`], and records its rows.
async fn credential_report(cx: &Cx, iam: &Client) {
    const FIELD: &str = "credentialReport";
    let deadline = tokio::time::Instant::now() + REPORT_WAIT;
    let mut pause = REPORT_POLL_FIRST;
    loop {
        match cx.call("iam", iam.generate_credential_report().send()).await {
            Ok(output) if output.state() == Some(&ReportStateType::Complete) => break,
            Ok(_) => {}
            Err(err) => return cx.account_field_failed(FIELD, "GenerateCredentialReport", &err),
        }
        if tokio::time::Instant::now() + pause > deadline {
            let err = ApiError::new(
                "ReportInProgress",
                format!("the credential report was still being generated after {} seconds", REPORT_WAIT.as_secs()),
            );
            return cx.account_field_failed(FIELD, "GenerateCredentialReport", &err);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(REPORT_POLL_MAX);
    }
    let content = match cx.call("iam", iam.get_credential_report().send()).await {
        Ok(output) => output.content,
        Err(err) => return cx.account_field_failed(FIELD, "GetCredentialReport", &err),
    };
    let Some(content) = content else {
        let err = ApiError::new("EmptyCredentialReport", "GetCredentialReport answered without content");
        return cx.account_field_failed(FIELD, "GetCredentialReport", &err);
    };
    match report_rows(content.as_ref()) {
        Ok(rows) => cx.account_field(FIELD, Value::Array(rows)),
        Err(err) => {
            let err = ApiError::new("MalformedCredentialReport", format!("the credential report is not CSV: {err}"));
            cx.account_field_failed(FIELD, "GetCredentialReport", &err);
        }
    }
}

/// The report's rows as objects keyed by its column names, values as written.
fn report_rows(csv: &[u8]) -> Result<Vec<Value>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new().from_reader(csv);
    let columns = reader.headers()?.clone();
    reader
        .records()
        .map(|record| {
            let record = record?;
            let row: Map<String, Value> =
                columns.iter().zip(record.iter()).map(|(c, v)| (c.to_owned(), Value::String(v.to_owned()))).collect();
            Ok(Value::Object(row))
        })
        .collect()
}

fn inline_policies(policies: &[PolicyDetail]) -> Value {
    policies
        .iter()
        .map(|p| json!({"policyName": p.policy_name(), "policyDocument": p.policy_document().map(encoded)}))
        .collect()
}

fn attached_policies(policies: &[AttachedPolicy]) -> Value {
    policies.iter().map(|p| json!({"policyName": p.policy_name(), "policyArn": p.policy_arn()})).collect()
}

fn permissions_boundary(boundary: Option<&AttachedPermissionsBoundary>) -> Value {
    boundary.map_or(Value::Null, |b| {
        json!({
            "permissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
            "permissionsBoundaryArn": b.permissions_boundary_arn(),
        })
    })
}

/// Tags as AWS Config writes them in the configuration, and as the item's tag map.
fn tags(tags: &[Tag]) -> (Value, BTreeMap<String, String>) {
    let list = tags.iter().map(|t| json!({"key": t.key(), "value": t.value()})).collect();
    let map = tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect();
    (list, map)
}

/// A policy document as AWS Config stores it: URL-encoded, as IAM answers it. A document that
/// arrives as plain JSON is encoded the same way (RFC 3986), so the inventory has one shape.
fn encoded(document: &str) -> String {
    if !document.trim_start().starts_with('{') {
        return document.to_owned();
    }
    let mut out = String::with_capacity(document.len() * 2);
    for byte in document.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_documents_are_url_encoded_and_encoded_ones_kept() {
        assert_eq!(encoded(r#"{"A": "s3:*"}"#), "%7B%22A%22%3A%20%22s3%3A%2A%22%7D");
        assert_eq!(encoded("%7B%22A%22%7D"), "%7B%22A%22%7D");
    }

    #[test]
    fn report_rows_are_keyed_by_column() {
        let csv =
            b"user,arn,mfa_active\n<root_account>,arn:aws:iam::1:root,true\nalice,arn:aws:iam::1:user/alice,false\n";
        let rows = report_rows(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["user"], "<root_account>");
        assert_eq!(rows[1]["mfa_active"], "false");
        assert!(report_rows(b"user,arn\nalice\n").is_err(), "a short row is malformed, not silently padded");
    }
}
