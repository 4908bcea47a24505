//! `[notify]` of `mamori.toml`: what kind of webhook each notification target is and where
//! its URL is read from.
//!
//! Owners name their target by name (`payments-slack`, see [`crate::owners`]); this section
//! says what that name is. It is plain data here, so that the engine does not link the HTTP
//! stack: the CLI turns it into `mamori-notify` targets. The URL itself is a secret and never
//! appears in this file, only the environment variable or the file holding it.
//!
//! ```toml
//! [notify.targets.payments-slack]
//! kind = "slack"                        # Slack incoming webhook (Block Kit)
//! url_env = "PAYMENTS_SLACK_WEBHOOK"    # or url_file = "/run/secrets/payments-slack"
//!
//! [notify.targets.secops]
//! kind = "json"                         # any HTTPS endpoint taking mamori's JSON document
//! ```
//! With neither `url_env` nor `url_file`, the URL is read from `MAMORI_WEBHOOK_<NAME>`
//! (upper-cased, `-` as `_`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use mamori_model::TargetKind;
use serde::Deserialize;

/// `[notify]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// Per target name.
    #[serde(default)]
    pub targets: BTreeMap<String, NotifyTarget>,
    /// Per-request timeout of a webhook call, in seconds (default 15).
    pub timeout_secs: Option<f64>,
    /// Time allowed for all deliveries of a run, in seconds (default 300).
    pub deadline_secs: Option<f64>,
}

/// `[notify.targets.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyTarget {
    /// `slack` or `json`.
    pub kind: TargetKind,
    /// The environment variable holding the URL.
    pub url_env: Option<String>,
    /// A file holding the URL (relative paths are relative to the directory of `mamori.toml`).
    pub url_file: Option<PathBuf>,
}
