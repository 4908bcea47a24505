//! Who owns each account and where its notifications go.
//!
//! Findings are routed to the team that owns the account, so every account needs an owner
//! and a notification target. They come, field by field and first found wins, from:
//! 1. `mamori.toml`: `[owners.account.<id>] owner = "…", target = "…"`;
//! 2. the accounts CSV the inventory was collected with (its `owner` column, and the column
//!    named by `target_column`), which the collector copies into the account's record;
//! 3. the account's Organizations tags named by `owner_tag` and `target_tag`;
//! 4. `[owners] default_target` (and `default_owner`) for the rest.
//!
//! A target is a *name* (a key of the notification configuration), never a URL: URLs of
//! webhooks are secrets and stay in the configuration or the environment.
//! This works from the inventory's `AWS::::Account` records, so it needs no AWS access.

use std::collections::BTreeMap;

use mamori_model::ConfigItem;
use serde::Deserialize;

/// The key of `supplementaryConfiguration` where the collector keeps what the accounts
/// source said about the account (`owner`, `email`, further CSV `columns`).
pub const ACCOUNT_DETAILS_KEY: &str = "mamoriAccountDetails";

/// `[owners]` of `mamori.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnersSection {
    /// Organizations tag naming the owner.
    #[serde(default = "default_owner_tag")]
    pub owner_tag: String,
    /// Organizations tag naming the notification target.
    #[serde(default = "default_target_tag")]
    pub target_tag: String,
    /// Column of the accounts CSV naming the notification target.
    #[serde(default = "default_target_column")]
    pub target_column: String,
    /// Target of accounts that name none.
    pub default_target: Option<String>,
    /// Owner of accounts that name none.
    pub default_owner: Option<String>,
    /// Per account id.
    #[serde(default)]
    pub account: BTreeMap<String, AccountOwner>,
}

impl Default for OwnersSection {
    fn default() -> Self {
        OwnersSection {
            owner_tag: default_owner_tag(),
            target_tag: default_target_tag(),
            target_column: default_target_column(),
            default_target: None,
            default_owner: None,
            account: BTreeMap::new(),
        }
    }
}

fn default_owner_tag() -> String {
    "owner".into()
}
fn default_target_tag() -> String {
    "notify".into()
}
fn default_target_column() -> String {
    "notify".into()
}

/// `[owners.account.<id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountOwner {
    pub owner: Option<String>,
    pub target: Option<String>,
}

/// What the inventory says about an account (from its `AWS::::Account` records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDetails {
    pub name: Option<String>,
    pub owner: Option<String>,
    pub email: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub columns: BTreeMap<String, String>,
}

impl AccountDetails {
    /// Read an `AWS::::Account` record.
    pub fn from_item(item: &ConfigItem) -> AccountDetails {
        let details = item.supplementary_configuration.get(ACCOUNT_DETAILS_KEY);
        let text = |key: &str| {
            details.and_then(|d| d.get(key)).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        let columns = details
            .and_then(|d| d.get("columns"))
            .and_then(|c| c.as_object())
            .map(|columns| columns.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect())
            .unwrap_or_default();
        AccountDetails {
            name: item.resource_name.clone(),
            owner: text("owner"),
            email: text("email"),
            tags: item.tags.clone(),
            columns,
        }
    }

    /// Fill what `self` lacks from another record of the same account.
    pub fn absorb(&mut self, other: AccountDetails) {
        if self.name.is_none() {
            self.name = other.name;
        }
        if self.owner.is_none() {
            self.owner = other.owner;
        }
        if self.email.is_none() {
            self.email = other.email;
        }
        for (key, value) in other.tags {
            self.tags.entry(key).or_insert(value);
        }
        for (key, value) in other.columns {
            self.columns.entry(key).or_insert(value);
        }
    }
}

/// Where an owner or target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Config,
    Csv,
    Tag,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Config => "mamori.toml",
            Source::Csv => "accounts csv",
            Source::Tag => "organizations tag",
            Source::Default => "default",
        }
    }
}

/// An account with its owner and target resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAccount {
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<(String, Source)>,
    pub target: Option<(String, Source)>,
    pub tags: BTreeMap<String, String>,
}

/// Resolve the owner and target of every account: those the inventory knows and those the
/// configuration names.
pub fn resolve(section: &OwnersSection, accounts: &BTreeMap<String, AccountDetails>) -> Vec<ResolvedAccount> {
    let empty = AccountDetails::default();
    let mut ids: Vec<&String> = accounts.keys().collect();
    ids.extend(section.account.keys().filter(|id| !accounts.contains_key(*id)));
    ids.sort();
    ids.into_iter()
        .map(|id| {
            let details = accounts.get(id).unwrap_or(&empty);
            let configured = section.account.get(id);
            let first = |candidates: [(Option<&String>, Source); 4]| {
                candidates.into_iter().find_map(|(value, source)| {
                    value.filter(|v| !v.trim().is_empty()).map(|v| (v.trim().to_owned(), source))
                })
            };
            let owner = first([
                (configured.and_then(|c| c.owner.as_ref()), Source::Config),
                (details.owner.as_ref(), Source::Csv),
                (details.tags.get(&section.owner_tag), Source::Tag),
                (section.default_owner.as_ref(), Source::Default),
            ]);
            let target = first([
                (configured.and_then(|c| c.target.as_ref()), Source::Config),
                (details.columns.get(&section.target_column), Source::Csv),
                (details.tags.get(&section.target_tag), Source::Tag),
                (section.default_target.as_ref(), Source::Default),
            ]);
            ResolvedAccount { id: id.clone(), name: details.name.clone(), owner, target, tags: details.tags.clone() }
        })
        .collect()
}

/// Check the section: account ids are 12 digits and targets are names, not URLs (a webhook
/// URL is a secret and belongs in the notification configuration or the environment).
pub fn validate(section: &OwnersSection) -> Result<(), String> {
    for (id, owner) in &section.account {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("[owners.account.{id}]: `{id}` is not a 12-digit AWS account id"));
        }
        if let Some(target) = &owner.target {
            check_target(target).map_err(|m| format!("[owners.account.{id}] target: {m}"))?;
        }
    }
    if let Some(target) = &section.default_target {
        check_target(target).map_err(|m| format!("[owners] default_target: {m}"))?;
    }
    Ok(())
}

fn check_target(target: &str) -> Result<(), String> {
    if target.contains("://") {
        Err("a target is the name of a notification destination, not a URL (keep URLs out of mamori.toml's owners)"
            .into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(owner: Option<&str>, columns: &[(&str, &str)], tags: &[(&str, &str)]) -> AccountDetails {
        AccountDetails {
            name: Some("acct".into()),
            owner: owner.map(str::to_owned),
            email: None,
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            columns: columns.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn config_then_csv_then_tags_then_default() {
        let section: OwnersSection = toml::from_str(
            r#"
            owner_tag = "team"
            target_tag = "alerts"
            default_target = "security"
            [account.111111111111]
            owner = "payments"
            target = "payments-slack"
            [account.444444444444]
            owner = "config-only"
            "#,
        )
        .unwrap();
        let accounts: BTreeMap<String, AccountDetails> = [
            ("111111111111", details(Some("csv-owner"), &[("notify", "csv-target")], &[("team", "tag-owner")])),
            ("222222222222", details(Some("csv-owner"), &[("notify", "csv-target")], &[("team", "tag-owner")])),
            ("333333333333", details(None, &[], &[("team", "tag-owner"), ("alerts", "tag-target")])),
            ("555555555555", details(None, &[], &[("owner", "ignored: not the configured tag")])),
        ]
        .into_iter()
        .map(|(id, d)| (id.to_owned(), d))
        .collect();
        let resolved = resolve(&section, &accounts);
        type Row<'a> = (&'a str, Option<(&'a str, Source)>, Option<(&'a str, Source)>);
        let view: Vec<Row> = resolved
            .iter()
            .map(|a| {
                (
                    a.id.as_str(),
                    a.owner.as_ref().map(|(o, s)| (o.as_str(), *s)),
                    a.target.as_ref().map(|(t, s)| (t.as_str(), *s)),
                )
            })
            .collect();
        assert_eq!(
            view,
            vec![
                ("111111111111", Some(("payments", Source::Config)), Some(("payments-slack", Source::Config))),
                ("222222222222", Some(("csv-owner", Source::Csv)), Some(("csv-target", Source::Csv))),
                ("333333333333", Some(("tag-owner", Source::Tag)), Some(("tag-target", Source::Tag))),
                ("444444444444", Some(("config-only", Source::Config)), Some(("security", Source::Default))),
                ("555555555555", None, Some(("security", Source::Default))),
            ]
        );
    }

    #[test]
    fn urls_and_bad_ids_are_refused() {
        let section: OwnersSection =
            toml::from_str("[account.111111111111]\ntarget = \"https://hooks.example/x\"\n").unwrap();
        assert!(validate(&section).unwrap_err().contains("not a URL"));
        let section: OwnersSection = toml::from_str("[account.12345]\nowner = \"x\"\n").unwrap();
        assert!(validate(&section).unwrap_err().contains("`12345` is not a 12-digit"));
    }
}
