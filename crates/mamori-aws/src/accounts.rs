//! Which accounts a collection covers: the organization, a CSV file, or the caller's own.
//!
//! Suspended and closed accounts cannot be entered and hold nothing to audit; they are listed
//! as skipped with the reason, never as failures. Organizations tags are kept because account
//! owners are read from them later (notifications).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use serde::Serialize;

use crate::collect::ApiError;

/// Where the account list comes from (`--accounts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountSource {
    /// `organizations`: ListAccounts from the organization's management (or delegated) account.
    Organizations,
    /// `FILE.csv`: `account_id,name,owner,email` and optional further columns.
    Csv(PathBuf),
    /// `current`: the account of the credentials in use.
    Current,
}

impl AccountSource {
    /// Parses the `--accounts` value.
    pub fn parse(value: &str) -> AccountSource {
        match value {
            "organizations" | "org" => AccountSource::Organizations,
            "current" => AccountSource::Current,
            path => AccountSource::Csv(PathBuf::from(path)),
        }
    }
}

/// An account to collect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Organizations tags of the account.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Further columns of the accounts CSV, by header name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, String>,
}

/// An account that was listed but is not collected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedAccount {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub reason: String,
}

/// The accounts of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccountList {
    pub accounts: Vec<Account>,
    pub skipped: Vec<SkippedAccount>,
}

/// Why the account list could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read accounts file `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    #[error(
        "cannot list the organization's accounts ({0}); is this the management or a delegated administrator account?"
    )]
    Organizations(ApiError),
    #[error("cannot tell which account the credentials belong to ({0})")]
    CallerIdentity(ApiError),
}

/// Reads an accounts CSV: a header naming at least `account_id`, then one account a line.
/// `name`, `owner` and `email` are understood; other columns are kept by name. A bad row is an
/// error naming its line: a silently dropped account would never be audited.
pub fn read_csv(path: &Path) -> Result<Vec<Account>, AccountsError> {
    let text = std::fs::read_to_string(path).map_err(|source| AccountsError::Read { path: path.into(), source })?;
    parse_csv(path, &text)
}

fn parse_csv(path: &Path, text: &str) -> Result<Vec<Account>, AccountsError> {
    let csv_error = |line: u64, message: String| AccountsError::Csv { path: path.into(), line, message };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(1, e.to_string()))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(id_column) = column("account_id") else {
        return Err(csv_error(1, "the header must name an `account_id` column".into()));
    };
    let mut seen = BTreeMap::new();
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_error(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let id = record.get(id_column).unwrap_or("");
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(csv_error(line, format!("account_id `{id}` is not a 12-digit AWS account id")));
        }
        if let Some(first) = seen.insert(id.to_owned(), line) {
            return Err(csv_error(line, format!("account `{id}` is listed twice (first on line {first})")));
        }
        let mut account = Account { id: id.to_owned(), ..Account::default() };
        for (index, header) in headers.iter().enumerate() {
            let value = record.get(index).unwrap_or("");
            if index == id_column || value.is_empty() {
                continue;
            }
            match header.to_ascii_lowercase().as_str() {
                "name" => account.name = Some(value.to_owned()),
                "owner" => account.owner = Some(value.to_owned()),
                "email" => account.email = Some(value.to_owned()),
                _ => {
                    account.columns.insert(header.to_owned(), value.to_owned());
                }
            }
        }
        accounts.push(account);
    }
    Ok(accounts)
}

/// Lists the organization's accounts with their tags. Accounts that are not ACTIVE are skipped
/// with their status as the reason.
pub async fn from_organizations(config: &SdkConfig) -> Result<AccountList, AccountsError> {
    let client = aws_sdk_organizations::Client::new(config);
    let mut list = AccountList::default();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AccountsError::Organizations(ApiError::from_sdk(&e)))?;
        for account in page.accounts() {
            let id = account.id().unwrap_or_default().to_owned();
            let name = account.name().map(str::to_owned);
            let state = account.state().map(|s| s.as_str().to_owned());
            let status = state.or_else(|| account.status().map(|s| s.as_str().to_owned())).unwrap_or_default();
            if status != "ACTIVE" {
                list.skipped.push(SkippedAccount { id, name, reason: format!("account is {status}") });
                continue;
            }
            let mut tags = BTreeMap::new();
            let mut tag_pages = client.list_tags_for_resource().resource_id(&id).into_paginator().send();
            while let Some(tag_page) = tag_pages.next().await {
                let tag_page = tag_page.map_err(|e| AccountsError::Organizations(ApiError::from_sdk(&e)))?;
                for tag in tag_page.tags() {
                    tags.insert(tag.key().to_owned(), tag.value().to_owned());
                }
            }
            list.accounts.push(Account {
                id,
                name,
                email: account.email().map(str::to_owned),
                tags,
                ..Account::default()
            });
        }
    }
    list.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    list.skipped.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(list)
}

/// The account of the credentials in use.
pub async fn current(config: &SdkConfig) -> Result<AccountList, AccountsError> {
    let client = aws_sdk_sts::Client::new(config);
    let identity =
        client.get_caller_identity().send().await.map_err(|e| AccountsError::CallerIdentity(ApiError::from_sdk(&e)))?;
    let id = identity.account().unwrap_or_default().to_owned();
    Ok(AccountList { accounts: vec![Account { id, ..Account::default() }], skipped: Vec::new() })
}

/// Lists the accounts of `source`.
pub async fn list(source: &AccountSource, config: &SdkConfig) -> Result<AccountList, AccountsError> {
    match source {
        AccountSource::Organizations => from_organizations(config).await,
        AccountSource::Csv(path) => Ok(AccountList { accounts: read_csv(path)?, skipped: Vec::new() }),
        AccountSource::Current => current(config).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Account>, AccountsError> {
        parse_csv(Path::new("accounts.csv"), text)
    }

    #[test]
    fn reads_known_and_extra_columns() {
        let accounts = parse(
            "account_id,name,owner,email,cost_center\n111122223333,prod,team-a,a@example.com,42\n444455556666,dev,,,\n",
        )
        .unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].owner.as_deref(), Some("team-a"));
        assert_eq!(accounts[0].columns.get("cost_center").map(String::as_str), Some("42"));
        assert_eq!(accounts[1].name.as_deref(), Some("dev"));
        assert_eq!(accounts[1].owner, None);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let err = parse("account_id,name\n111122223333,prod\n12345,bad\n").unwrap_err().to_string();
        assert!(err.contains("accounts.csv:3") && err.contains("`12345`"), "{err}");
        let err = parse("name,owner\nprod,a\n").unwrap_err().to_string();
        assert!(err.contains("accounts.csv:1") && err.contains("account_id"), "{err}");
        let err = parse("account_id\n111122223333\n111122223333\n").unwrap_err().to_string();
        assert!(err.contains("accounts.csv:3") && err.contains("twice"), "{err}");
        let err = parse("account_id,name\n111122223333,prod,extra\n").unwrap_err().to_string();
        assert!(err.contains("accounts.csv:2"), "{err}");
    }
}
