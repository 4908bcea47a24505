//! The payload of a notification waiting in a queue (the findings history's table of pending
//! notifications): the format a later mamori, possibly a newer release, must read back.
//!
//! A message is queued before its first delivery attempt and stays queued until delivered, so
//! a queued payload can outlive the release that wrote it. The format is therefore versioned
//! here, beside the types it holds, rather than left to whoever writes the queue: every
//! payload carries `version`; a payload without one was written by mamori 0.1.0, whose shape
//! is version 1; a payload from a newer format is refused with a clear error and kept, never
//! guessed at.
//!
//! ```json
//! {"version":1,"message":{"key":"…","target":"slack:team-a",…}}
//! {"version":1,"unrendered":{"owner":"team-a","run":{…},"changes":[…],"still_failing":3}}
//! ```

use serde::{Deserialize, Serialize};

use crate::digest::{Change, OwnerDigest, RunInfo};
use crate::message::Message;
use crate::target::TargetRef;

/// The version this release writes and the newest it reads.
pub const QUEUE_FORMAT_VERSION: u32 = 1;

/// What waits in the queue: a rendered message part, or, when the owner's target was not
/// configured at the time, the owner's changes, rendered once the target is configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queued {
    Message(Message),
    Unrendered(Unrendered),
}

/// An owner's digest without its target: the kind of the target is what was missing. The
/// queue row keeps the target's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unrendered {
    pub owner: String,
    pub run: RunInfo,
    pub changes: Vec<Change>,
    pub still_failing: u64,
}

impl Unrendered {
    /// The digest to render once the target is known.
    pub fn into_digest(self, target: TargetRef) -> OwnerDigest {
        OwnerDigest {
            owner: self.owner,
            target,
            run: self.run,
            changes: self.changes,
            still_failing: self.still_failing,
        }
    }
}

/// Why a queued payload cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(
        "queued notification format version {found} is newer than this mamori reads (up to {QUEUE_FORMAT_VERSION})"
    )]
    NewerVersion { found: u32 },
    #[error("queued notification format version `{0}` is not a number")]
    BadVersion(String),
    #[error("not a queued notification")]
    Malformed(#[source] serde_json::Error),
}

#[derive(Serialize)]
struct Envelope<'a> {
    version: u32,
    #[serde(flatten)]
    body: &'a Queued,
}

impl Queued {
    /// The payload as stored, with the current format version.
    pub fn encode(&self) -> String {
        serde_json::to_string(&Envelope { version: QUEUE_FORMAT_VERSION, body: self })
            .expect("queued notifications serialize: their maps have string keys")
    }

    /// Read a stored payload of this or an earlier format version.
    pub fn decode(payload: &str) -> Result<Queued, QueueError> {
        let mut value: serde_json::Value = serde_json::from_str(payload).map_err(QueueError::Malformed)?;
        // A payload without a version was written by mamori 0.1.0: version 1.
        let version = match value.as_object_mut().and_then(|object| object.remove("version")) {
            None => 1,
            Some(version) => version
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| QueueError::BadVersion(version.to_string()))?,
        };
        if version > QUEUE_FORMAT_VERSION {
            return Err(QueueError::NewerVersion { found: version });
        }
        serde_json::from_value(value).map_err(QueueError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::ChangeKind;
    use crate::{render, RenderOptions, TargetKind};
    use mamori_model::Severity;

    fn unrendered() -> Unrendered {
        Unrendered {
            owner: "team-a".into(),
            run: RunInfo { id: "7".into(), started_at: "2026-12-01T00:00:00Z".into(), scope: "org".into() },
            changes: vec![Change {
                kind: ChangeKind::NewFailure,
                finding_id: "f1".into(),
                rule_id: "restricted-ssh".into(),
                rule_title: "SSH closed".into(),
                severity: Severity::High,
                account_id: "111111111111".into(),
                account_name: None,
                region: "us-east-1".into(),
                resource_type: "AWS::EC2::SecurityGroup".into(),
                resource_id: "sg-1".into(),
                resource_arn: None,
                message: "open".into(),
                remediation: None,
            }],
            still_failing: 2,
        }
    }

    #[test]
    fn payloads_round_trip_with_their_version() {
        let target = TargetRef::new(TargetKind::Json, "team-a").unwrap();
        let message = render(&unrendered().into_digest(target), &RenderOptions::default()).remove(0);
        for queued in [Queued::Message(message), Queued::Unrendered(unrendered())] {
            let text = queued.encode();
            assert!(text.starts_with("{\"version\":1,"), "{text}");
            assert_eq!(Queued::decode(&text).unwrap(), queued);
        }
    }

    #[test]
    fn payloads_without_a_version_are_the_first_format() {
        let text = serde_json::to_string(&Queued::Unrendered(unrendered())).unwrap();
        assert!(!text.contains("version"));
        assert_eq!(Queued::decode(&text).unwrap(), Queued::Unrendered(unrendered()));
    }

    #[test]
    fn newer_and_malformed_payloads_are_refused_by_name() {
        let newer = Queued::decode("{\"version\":9,\"message\":{}}").unwrap_err();
        assert!(newer.to_string().contains("version 9 is newer"), "{newer}");
        let malformed = Queued::decode("{\"other\":1}").unwrap_err();
        assert!(matches!(malformed, QueueError::Malformed(_)), "{malformed}");
    }
}
