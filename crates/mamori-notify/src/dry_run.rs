//! What `--dry-run` prints: every message that would be sent, with its target by reference and
//! whether that target resolves (and from where), never the URL.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::message::Message;
use crate::target::{TargetRef, TargetResolver};

/// One block per message: a header line (target, owner, part, key) and the payload, pretty
/// printed exactly as it would be posted. With a resolver, each target first gets a line
/// saying where its URL would be read from and whether it can be.
pub fn dry_run(messages: &[Message], resolver: Option<&TargetResolver>) -> String {
    let mut out = String::new();
    if messages.is_empty() {
        out.push_str("no notification to send\n");
        return out;
    }
    if let Some(resolver) = resolver {
        let targets: BTreeMap<&TargetRef, ()> = messages.iter().map(|m| (&m.target, ())).collect();
        for target in targets.keys() {
            match resolver.resolve(target) {
                Ok(resolved) => {
                    let _ = writeln!(out, "target {target}: {} from {}", resolved.url(), resolved.source());
                    for warning in resolved.warnings() {
                        let _ = writeln!(out, "warning: {warning}");
                    }
                }
                Err(error) => {
                    let _ = writeln!(out, "target {target}: cannot be resolved: {error}");
                }
            }
        }
        out.push('\n');
    }
    for message in messages {
        let _ = writeln!(
            out,
            "--- would send to {} (owner `{}`, part {}/{}, key `{}`)",
            message.target, message.owner, message.part, message.parts, message.key
        );
        let pretty = serde_json::to_string_pretty(&message.payload).expect("a JSON value always serializes");
        out.push_str(&pretty);
        out.push('\n');
    }
    out
}
