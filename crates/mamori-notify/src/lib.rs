//! Tells each account owner what changed in a run, through Slack incoming webhooks or a generic
//! JSON webhook.
//!
//! An owner does not want the whole report every run: only the findings that changed, the new
//! failures first and the most severe first, then what was resolved. This crate turns one
//! owner's transitions ([`OwnerDigest`], plain data: it does not read the store) into messages
//! ([`render`]): Slack Block Kit within Slack's limits, split into `part i/n` posts only when
//! the limits force it, or a versioned JSON document ([`json`]). It sends them ([`Sender`],
//! [`BlockingSender`]) with retries, backoff honouring `Retry-After`, per-request timeouts and a
//! deadline, and returns an outcome per message, so that the caller keeps what was not
//! delivered and sends it with the next run: nothing lost, nothing sent twice.
//!
//! Webhook URLs are secrets. They are never in the configuration, the digests or the stored
//! messages, which name a target by reference (`slack:team-a`); [`TargetResolver`] reads the
//! URL at send time from the environment or a file, and [`WebhookUrl`] prints itself redacted.
//! Every error text coming from the HTTP client or the endpoint is scrubbed of the URL.
//!
//! A message waiting for delivery is stored as a [`Queued`] payload ([`queue`]), whose format
//! is versioned so that a later release still delivers what an earlier one queued.
//!
//! ```no_run
//! use mamori_notify::{render, BlockingSender, DeliveryPolicy, OwnerDigest, RenderOptions, TargetResolver};
//! # fn digests() -> Vec<OwnerDigest> { Vec::new() }
//! let messages: Vec<_> = digests().iter().flat_map(|d| render(d, &RenderOptions::default())).collect();
//! // store `messages` as pending here, then:
//! let sender = BlockingSender::new(DeliveryPolicy::default())?;
//! for delivery in sender.deliver_all(&messages, &TargetResolver::new()) {
//!     if delivery.outcome.is_delivered() {
//!         // mark `delivery.key` delivered
//!     }
//! }
//! # Ok::<(), mamori_notify::SetupError>(())
//! ```

mod deliver;
mod digest;
mod dry_run;
pub mod json;
mod message;
pub mod queue;
mod secret;
pub mod slack;
mod target;

pub use deliver::{
    parse_retry_after, BlockingSender, Delivery, DeliveryError, DeliveryPolicy, Failure, Outcome, Sender, SetupError,
};
pub use digest::{Change, ChangeKind, Counts, OwnerDigest, RunInfo, SeverityCounts};
pub use dry_run::dry_run;
pub use json::JsonLimits;
pub use mamori_model::Severity;
pub use message::{message_key, render, Message, RenderOptions};
pub use queue::{QueueError, Queued, Unrendered, QUEUE_FORMAT_VERSION};
pub use secret::{UrlProblem, WebhookUrl};
pub use slack::SlackLimits;
pub use target::{Target, TargetConfig, TargetError, TargetKind, TargetRef, TargetResolver, UrlProblemText, UrlSource};
