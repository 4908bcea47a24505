//! Text from the inventory shown on a terminal, made inert.
//!
//! Resource ids, names, tags and the messages built from them come from accounts mamori audits,
//! where anyone allowed to name a resource chooses their bytes. Written raw to a terminal, an
//! escape sequence in a bucket name can clear the screen, retitle the window, hide the lines
//! before it or rewrite a FAIL into a PASS; a bidirectional override can show text in another
//! order than it is stored. Human-readable views pass such text through [`escape_controls`];
//! machine formats (JSON, CSV, the store) keep it exact, since their readers escape it
//! themselves.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character changes how a terminal or a text renderer shows what follows: C0 and
/// C1 control characters, DEL, and the Unicode bidirectional formatting characters.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control and bidirectional formatting character written as a visible
/// escape: ESC becomes `\u{1b}`, a right-to-left override `\u{202e}`, and tab, line feed and
/// carriage return `\t`, `\n`, `\r`. Borrowed unchanged when there is none, which is nearly
/// always.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "arn:aws:s3:::my-bucket — ünïcode 桶 \\ backslash";
        assert!(matches!(escape_controls(text), Cow::Borrowed(same) if same == text));
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(escape_controls("a\u{1b}[2Jb"), r"a\u{1b}[2Jb");
        assert_eq!(escape_controls("title\u{1b}]0;x\u{7}"), r"title\u{1b}]0;x\u{7}");
        assert_eq!(escape_controls("one\r\ntwo\tthree"), r"one\r\ntwo\tthree");
        assert_eq!(escape_controls("\u{0}\u{7f}\u{9b}"), r"\u{0}\u{7f}\u{9b}");
    }

    #[test]
    fn bidirectional_overrides_become_visible_escapes() {
        assert_eq!(escape_controls("admin\u{202E}txt.exe"), r"admin\u{202e}txt.exe");
        assert_eq!(escape_controls("\u{2066}x\u{2069}"), r"\u{2066}x\u{2069}");
    }

    #[test]
    fn escaped_text_holds_no_unsafe_character() {
        let every: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!escape_controls(&every).chars().any(is_unsafe));
    }
}
