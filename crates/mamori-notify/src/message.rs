//! A rendered message: the exact JSON one webhook call posts, with the identity the caller
//! needs to send it at most once.
//!
//! One owner's digest renders to one logical message; only Slack's limits split it into parts
//! (`part 2/3`), each its own [`Message`] with its own key. The caller stores every part as
//! pending (payload and target reference, never the URL), marks each part delivered as soon as
//! its delivery succeeds, and resends the parts still pending with the next run, byte for byte:
//! a part is never rendered twice, so a resent part says the same as the first attempt.

use serde::{Deserialize, Serialize};

use crate::digest::OwnerDigest;
use crate::json::{self, JsonLimits};
use crate::slack::{self, SlackLimits};
use crate::target::{TargetKind, TargetRef};

/// One webhook call's worth of content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// `run/owner/target/part-of-parts`: stable for a given run, owner and rendering, unique
    /// among the messages of a run. The caller marks delivery per key; JSON receivers also get
    /// it in the body and the `Idempotency-Key` header to drop duplicates themselves.
    pub key: String,
    pub target: TargetRef,
    pub owner: String,
    pub run_id: String,
    /// 1-based.
    pub part: u32,
    pub parts: u32,
    /// The JSON document posted, as is.
    pub payload: serde_json::Value,
}

impl Message {
    pub(crate) fn new(digest: &OwnerDigest, part: u32, parts: u32, payload: serde_json::Value) -> Message {
        Message {
            key: message_key(&digest.run.id, &digest.owner, &digest.target, part, parts),
            target: digest.target.clone(),
            owner: digest.owner.clone(),
            run_id: digest.run.id.clone(),
            part,
            parts,
            payload,
        }
    }

    /// The request body: the payload serialized compactly. Deterministic (object keys sorted),
    /// so a stored message resends the same bytes.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&self.payload).expect("a JSON value always serializes")
    }
}

/// The idempotency key of part `part` of `parts` of `owner`'s message for run `run_id`.
pub fn message_key(run_id: &str, owner: &str, target: &TargetRef, part: u32, parts: u32) -> String {
    format!("{run_id}/{owner}/{target}/{part}-of-{parts}")
}

/// The limits applied when rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    pub slack: SlackLimits,
    pub json: JsonLimits,
}

/// The messages telling `digest.owner` about the run, in sending order; none when nothing
/// changed for them.
pub fn render(digest: &OwnerDigest, options: &RenderOptions) -> Vec<Message> {
    if !digest.has_changes() {
        return Vec::new();
    }
    let payloads = match digest.target.kind() {
        TargetKind::Slack => slack::render_posts(digest, &options.slack),
        TargetKind::Json => json::render_documents(digest, &options.json),
    };
    let parts = payloads.len() as u32;
    payloads.into_iter().enumerate().map(|(i, payload)| Message::new(digest, i as u32 + 1, parts, payload)).collect()
}
