//! Slack Block Kit rendering, within Slack's limits.
//!
//! Slack rejects a whole post (`invalid_blocks`, `msg_blocks_too_long`) when one limit is
//! crossed, so every limit is enforced here rather than hoped for: at most 50 blocks per
//! message, 3,000 characters per section text, 150 per header text, and a total of block text
//! per post well under the ~13,000 characters at which Slack has been seen to answer
//! `msg_blocks_too_long` although no documented limit was reached. Lengths are counted in
//! UTF-16 code units, which is never less than Slack's count of characters. User data (rule
//! messages, resource names, account names) is escaped (`&`, `<`, `>`) so it cannot ping a
//! channel (`<!channel>`) or forge a link, and each field is capped so that one change always
//! fits in one section.

use serde_json::{json, Value};

use crate::digest::{plural, Change, ChangeKind, OwnerDigest};
use mamori_model::Severity;

/// Slack's limits, and the budget kept per post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackLimits {
    /// Blocks per message (Slack: 50).
    pub max_blocks: usize,
    /// Characters of a section's text (Slack: 3,000).
    pub max_section_text: usize,
    /// Characters of a header's plain text (Slack: 150).
    pub max_header_text: usize,
    /// Characters of block text per post, all blocks together (below the ~13,000 observed limit).
    pub max_blocks_text: usize,
    /// Characters of the top-level `text` (notifications and clients without blocks show it;
    /// Slack truncates past 40,000, and a notification preview is short anyway).
    pub max_fallback_text: usize,
}

impl Default for SlackLimits {
    fn default() -> Self {
        SlackLimits {
            max_blocks: 50,
            max_section_text: 3000,
            max_header_text: 150,
            max_blocks_text: 12_000,
            max_fallback_text: 1000,
        }
    }
}

impl SlackLimits {
    /// The limits, raised where a value would leave no room for one change per post.
    fn effective(&self) -> SlackLimits {
        let max_section_text = self.max_section_text.max(200);
        SlackLimits {
            max_blocks: self.max_blocks.max(5),
            max_section_text,
            max_header_text: self.max_header_text.max(20),
            max_blocks_text: self.max_blocks_text.max(max_section_text * 2 + 1000),
            max_fallback_text: self.max_fallback_text.max(100),
        }
    }
}

// Caps on single fields, so that one change renders well under 3,000 characters even when a
// rule message or an ARN is huge; the whole finding is in the report and the store.
const CAP_TITLE: usize = 200;
const CAP_MESSAGE: usize = 900;
const CAP_REMEDIATION: usize = 500;
const CAP_IDENT: usize = 300;
const CAP_SCOPE: usize = 200;

/// Slack's measure of text length, conservatively: UTF-16 code units.
pub fn text_width(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

/// `text` escaped, cut to at most `max` characters (counting the escapes) with `…`, never
/// inside an escape.
fn escape_capped(text: &str, max: usize) -> String {
    let escaped = escape_mrkdwn(text);
    if text_width(&escaped) <= max {
        return escaped;
    }
    let mut out = String::new();
    let mut width = 0;
    for c in text.chars() {
        let mut piece = String::new();
        push_escaped(&mut piece, c);
        let piece_width = text_width(&piece);
        if width + piece_width + 1 > max {
            break;
        }
        out.push_str(&piece);
        width += piece_width;
    }
    out.push('…');
    out
}

/// Plain text (headers) cut to `max` characters with `…`.
fn plain_capped(text: &str, max: usize) -> String {
    if text_width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = 0;
    for c in text.chars() {
        if width + c.len_utf16() + 1 > max {
            break;
        }
        out.push(c);
        width += c.len_utf16();
    }
    out.push('…');
    out
}

/// An inline code span; a backquote inside would end it, so it becomes a quote.
fn code(text: &str, max: usize) -> String {
    format!("`{}`", escape_capped(&text.replace('`', "'"), max))
}

/// Mrkdwn cut to `max` characters without splitting an escape (`&amp;`): a last resort for
/// limits configured below what one change needs.
fn mrkdwn_capped(text: &str, max: usize) -> String {
    if text_width(text) <= max {
        return text.to_owned();
    }
    let mut cut = plain_capped(text, max);
    cut.pop(); // the ellipsis
    if let Some(amp) = cut.rfind('&') {
        if !cut[amp..].contains(';') {
            cut.truncate(amp);
        }
    }
    cut.push('…');
    cut
}

fn severity_emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":red_circle:",
        Severity::High => ":large_orange_circle:",
        Severity::Medium => ":large_yellow_circle:",
        Severity::Low => ":large_blue_circle:",
        Severity::Informational => ":white_circle:",
    }
}

fn kind_emoji(change: &Change) -> &'static str {
    match change.kind {
        ChangeKind::NewFailure => severity_emoji(change.severity),
        ChangeKind::Remediated => ":hammer_and_wrench:",
        ChangeKind::Resolved => ":white_check_mark:",
        ChangeKind::NewError => ":warning:",
        ChangeKind::ErrorCleared => ":heavy_check_mark:",
    }
}

/// The mrkdwn of one change.
pub fn change_text(change: &Change) -> String {
    let mut text = format!(
        "{} *{}* · *{}* · {}\n",
        kind_emoji(change),
        change.severity.as_str().to_ascii_uppercase(),
        escape_capped(&change.rule_title, CAP_TITLE),
        code(&change.rule_id, CAP_IDENT),
    );
    let account = match &change.account_name {
        Some(name) if !name.is_empty() => {
            format!("{} {}", escape_capped(name, CAP_IDENT), code(&change.account_id, 40))
        }
        _ => code(&change.account_id, 40),
    };
    text.push_str(&format!(
        "Account {account} · {} · {} {}\n",
        code(&change.region, 40),
        escape_capped(&change.resource_type, 100),
        code(&change.resource_id, CAP_IDENT),
    ));
    if let Some(arn) = change.resource_arn.as_deref().filter(|arn| *arn != change.resource_id) {
        text.push_str(&code(arn, CAP_IDENT));
        text.push('\n');
    }
    let message = escape_capped(&change.message, CAP_MESSAGE);
    for line in message.lines().filter(|l| !l.trim().is_empty()) {
        text.push('>');
        text.push_str(line);
        text.push('\n');
    }
    if change.kind == ChangeKind::NewFailure {
        if let Some(remediation) = change.remediation.as_deref().filter(|r| !r.trim().is_empty()) {
            let remediation = escape_capped(&remediation.replace('\n', " "), CAP_REMEDIATION);
            text.push_str(&format!("_Fix:_ {remediation}\n"));
        }
    }
    text.truncate(text.trim_end().len());
    text
}

fn section(text: String) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

fn divider() -> Value {
    json!({"type": "divider"})
}

fn group_heading(kind: ChangeKind, count: usize, continued: bool) -> String {
    let continued = if continued { ", continued" } else { "" };
    format!("*{} ({count}{continued})*", kind.heading())
}

struct Context<'a> {
    digest: &'a OwnerDigest,
    limits: SlackLimits,
    header: String,
}

impl Context<'_> {
    fn context_text(&self, part: usize, parts: usize) -> String {
        let run = &self.digest.run;
        format!(
            "Run {} · {} · started {} · {} · part {part}/{parts}",
            code(&run.id, 100),
            escape_capped(&run.scope, CAP_SCOPE),
            escape_capped(&run.started_at, 40),
            plural(self.digest.still_failing as usize, "finding still failing", "findings still failing"),
        )
    }

    fn fallback_text(&self, part: usize, parts: usize) -> String {
        let counts = self.digest.counts();
        let text = format!(
            "mamori: {}: {} (part {part}/{parts})",
            escape_capped(&self.digest.owner, CAP_IDENT),
            counts.describe()
        );
        mrkdwn_capped(&text, self.limits.max_fallback_text)
    }
}

#[derive(Default)]
struct Post {
    blocks: Vec<Value>,
    text_width: usize,
}

struct Paginator<'a> {
    limits: &'a SlackLimits,
    /// Width of the header and context text every post starts with.
    reserved_width: usize,
    posts: Vec<Post>,
    current: Post,
    /// The section being filled, not yet pushed.
    pending: Option<String>,
}

impl Paginator<'_> {
    const RESERVED_BLOCKS: usize = 2;

    fn used_blocks(&self) -> usize {
        Self::RESERVED_BLOCKS + self.current.blocks.len() + usize::from(self.pending.is_some())
    }

    fn used_width(&self) -> usize {
        self.reserved_width + self.current.text_width + self.pending.as_deref().map_or(0, text_width)
    }

    fn push_block(&mut self, block: Value, width: usize) {
        self.current.blocks.push(block);
        self.current.text_width += width;
    }

    fn flush(&mut self) {
        if let Some(text) = self.pending.take() {
            let width = text_width(&text);
            self.push_block(section(text), width);
        }
    }

    fn new_post(&mut self) {
        self.flush();
        let full = std::mem::take(&mut self.current);
        self.posts.push(full);
    }

    fn start_group(&mut self, heading: String, entry: String) {
        self.flush();
        let wants_divider = !self.current.blocks.is_empty();
        let blocks_needed = usize::from(wants_divider) + 2;
        let width_needed = text_width(&heading) + text_width(&entry);
        if self.used_blocks() + blocks_needed > self.limits.max_blocks
            || self.used_width() + width_needed > self.limits.max_blocks_text
        {
            self.new_post();
        }
        if !self.current.blocks.is_empty() {
            self.push_block(divider(), 0);
        }
        let width = text_width(&heading);
        self.push_block(section(heading), width);
        self.pending = Some(entry);
    }

    fn add_entry(&mut self, entry: String, continued_heading: impl FnOnce() -> String) {
        let pending = self.pending.take().expect("a group always starts with an entry");
        let joined_width = text_width(&pending) + 2 + text_width(&entry);
        self.pending = Some(pending);
        if joined_width <= self.limits.max_section_text
            && self.used_width() + 2 + text_width(&entry) <= self.limits.max_blocks_text
        {
            let pending = self.pending.as_mut().expect("just set");
            pending.push_str("\n\n");
            pending.push_str(&entry);
            return;
        }
        self.flush();
        if self.used_blocks() + 1 > self.limits.max_blocks
            || self.used_width() + text_width(&entry) > self.limits.max_blocks_text
        {
            self.new_post();
            let heading = continued_heading();
            let width = text_width(&heading);
            self.push_block(section(heading), width);
        }
        self.pending = Some(entry);
    }

    fn finish(mut self) -> Vec<Post> {
        self.flush();
        if !self.current.blocks.is_empty() || self.posts.is_empty() {
            self.posts.push(self.current);
        }
        self.posts
    }
}

/// The Slack posts of one digest: each `{"text", "blocks", "unfurl_links", "unfurl_media"}`,
/// in order, every one within `limits`.
pub fn render_posts(digest: &OwnerDigest, limits: &SlackLimits) -> Vec<Value> {
    let limits = limits.effective();
    let counts = digest.counts();
    // Header text is plain text, which Slack does not parse for mentions or links; angle
    // brackets are still replaced by look-alikes so that no reader of the payload can doubt it.
    let owner = digest.owner.replace('<', "‹").replace('>', "›");
    let header = plain_capped(&format!("mamori: {owner} — {}", counts.describe()), limits.max_header_text);
    let context = Context { digest, limits: limits.clone(), header };

    let changes = digest.ordered_changes();
    // Part numbers are not known before paginating: reserve room for the widest possible.
    let widest = changes.len().max(1);
    let reserved_width = text_width(&context.header) + text_width(&context.context_text(widest, widest));
    let mut paginator =
        Paginator { limits: &limits, reserved_width, posts: Vec::new(), current: Post::default(), pending: None };

    let group_count = |kind: ChangeKind| changes.iter().filter(|c| c.kind == kind).count();
    let mut group: Option<ChangeKind> = None;
    for change in &changes {
        let entry = mrkdwn_capped(&change_text(change), limits.max_section_text);
        if group != Some(change.kind) {
            group = Some(change.kind);
            paginator.start_group(group_heading(change.kind, group_count(change.kind), false), entry);
        } else {
            paginator.add_entry(entry, || group_heading(change.kind, group_count(change.kind), true));
        }
    }
    let posts = paginator.finish();

    let parts = posts.len();
    posts
        .into_iter()
        .enumerate()
        .map(|(i, post)| {
            let part = i + 1;
            let mut blocks = vec![
                json!({"type": "header", "text": {"type": "plain_text", "text": context.header, "emoji": true}}),
                json!({"type": "context", "elements": [{"type": "mrkdwn", "text": context.context_text(part, parts)}]}),
            ];
            blocks.extend(post.blocks);
            json!({
                "text": context.fallback_text(part, parts),
                "blocks": blocks,
                "unfurl_links": false,
                "unfurl_media": false,
            })
        })
        .collect()
}

/// Every limit a post breaks, empty when it is acceptable to Slack: for tests and for a
/// caller rendering its own payloads.
pub fn check_post(post: &Value, limits: &SlackLimits) -> Vec<String> {
    let mut problems = Vec::new();
    let blocks = post["blocks"].as_array().cloned().unwrap_or_default();
    if blocks.len() > limits.max_blocks {
        problems.push(format!("{} blocks (max {})", blocks.len(), limits.max_blocks));
    }
    let mut total = 0;
    for (i, block) in blocks.iter().enumerate() {
        let texts: Vec<&str> = match block["type"].as_str() {
            Some("header") | Some("section") => block["text"]["text"].as_str().into_iter().collect(),
            Some("context") => block["elements"]
                .as_array()
                .map(|els| els.iter().filter_map(|e| e["text"].as_str()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for text in texts {
            let width = text_width(text);
            total += width;
            let max = if block["type"] == "header" { limits.max_header_text } else { limits.max_section_text };
            if width > max {
                problems.push(format!("block {i} text has {width} characters (max {max})"));
            }
        }
    }
    if total > limits.max_blocks_text {
        problems.push(format!("{total} characters of block text (max {})", limits.max_blocks_text));
    }
    let fallback = post["text"].as_str().map_or(0, text_width);
    if fallback == 0 || fallback > limits.max_fallback_text {
        problems.push(format!("fallback text has {fallback} characters (1 to {})", limits.max_fallback_text));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_and_caps_without_splitting_escapes() {
        assert_eq!(escape_mrkdwn("<!channel> & <https://x|y>"), "&lt;!channel&gt; &amp; &lt;https://x|y&gt;");
        let capped = escape_capped("ab&&&&", 8);
        assert_eq!(capped, "ab&amp;…");
        assert_eq!(escape_capped("short", 10), "short");
        assert_eq!(plain_capped("abcdef", 4), "abc…");
        assert_eq!(code("a`b<", 20), "`a'b&lt;`");
    }

    #[test]
    fn width_counts_utf16_units() {
        assert_eq!(text_width("é"), 1);
        assert_eq!(text_width("😀"), 2);
        assert_eq!(plain_capped("😀😀😀", 4), "😀…");
    }
}
