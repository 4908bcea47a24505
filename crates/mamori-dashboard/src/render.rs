//! Assembling the file: page skeleton, styles, data and script, with nothing fetched.

use sha2::{Digest, Sha256};

use crate::DashboardData;

const STYLE: &str = include_str!("dashboard.css");
const BODY: &str = include_str!("dashboard.html");
const SCRIPT: &str = include_str!("dashboard.js");

/// The dashboard as one HTML document.
pub fn render(data: &DashboardData) -> String {
    // Plain structs with string keys: serializing them cannot fail.
    let json = serde_json::to_string(data).expect("dashboard data is plain structs with string keys");
    let json = escape_for_script(&json);
    let title = escape_html(&format!("{} · mamori security dashboard", data.organization));
    // Only this exact script may run: a string that escaped the data element still could not.
    let policy = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        base64(&Sha256::digest(SCRIPT.as_bytes()))
    );

    let mut html = String::with_capacity(STYLE.len() + BODY.len() + SCRIPT.len() + json.len() + 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(&format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">\n"));
    html.push_str("<meta name=\"generator\" content=\"mamori\">\n");
    html.push_str(&format!("<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"));
    html.push_str(BODY);
    html.push_str("<script type=\"application/json\" id=\"dashboard-data\">");
    html.push_str(&json);
    html.push_str("</script>\n<script>");
    html.push_str(SCRIPT);
    html.push_str("</script>\n</body>\n</html>\n");
    html
}

/// JSON that cannot end its `<script>` element or open a comment in it: `<`, `>` and `&` as
/// JSON escapes (which `JSON.parse` reads back), and the two line separators JavaScript once
/// treated as line ends.
fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for character in json.chars() {
        match character {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let value =
            chunk.iter().enumerate().fold(0u32, |value, (index, byte)| value | u32::from(*byte) << (16 - 8 * index));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[(value >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mamori_model::{Finding, Severity, Status};

    use super::*;
    use crate::DashboardBuilder;

    const HOSTILE: &str = "</script><script>alert(1)</script><!-- \u{2028} & <img src=x>";

    fn hostile_data() -> DashboardData {
        let mut builder = DashboardBuilder::new("Acme </title><script>alert(2)</script>", "run-1");
        builder.add(&Finding {
            rule_id: Arc::from("s3-bucket-versioning-enabled"),
            status: Status::Fail,
            severity: Severity::High,
            account_id: Arc::from("123456789012"),
            region: Arc::from("us-east-1"),
            resource_type: Arc::from("AWS::S3::Bucket"),
            resource_id: Arc::from("logs"),
            resource_arn: Some(Arc::from("arn:aws:s3:::logs")),
            message: HOSTILE.to_owned(),
        });
        builder.finish()
    }

    #[test]
    fn data_cannot_leave_its_element_and_reads_back() {
        let data = hostile_data();
        let html = render(&data);
        // The data element and the script are the only two script elements.
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert_eq!(html.matches("<script").count(), 2);
        assert!(!html.contains("alert(2)</script>"));
        assert!(html.contains("<title>Acme &lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt; · mamori"));
        let start = html.find("id=\"dashboard-data\">").unwrap() + "id=\"dashboard-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let embedded = &html[start..end];
        assert!(!embedded.contains('<') && !embedded.contains('>') && !embedded.contains('\u{2028}'));
        let parsed: serde_json::Value = serde_json::from_str(embedded).unwrap();
        assert_eq!(parsed["findings"][0]["message"], HOSTILE);
        assert_eq!(parsed["run"]["scoreText"], "0.0%");
    }

    #[test]
    fn nothing_is_fetched() {
        let html = render(&hostile_data());
        // Outside the data, the document names no address and loads nothing.
        let start = html.find("id=\"dashboard-data\">").unwrap();
        let end = start + html[start..].find("</script>").unwrap();
        let page = format!("{}{}", &html[..start], &html[end..]).to_ascii_lowercase();
        for forbidden in
            ["http:", "https:", "//cdn", "<link", " src=", "src =", "@import", "url(", "<img", "<iframe", "fetch("]
        {
            assert!(!page.contains(forbidden), "the page contains `{forbidden}`");
        }
        assert!(html.contains("default-src 'none'"));
    }

    #[test]
    fn policy_hash_matches_the_script() {
        let html = render(&hostile_data());
        let expected = base64(&Sha256::digest(SCRIPT.as_bytes()));
        assert!(html.contains(&format!("script-src 'sha256-{expected}'")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
