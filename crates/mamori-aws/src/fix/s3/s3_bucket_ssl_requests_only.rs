//! Fixes `s3-bucket-ssl-requests-only`: adds to the bucket policy the statement the rule asks
//! for (Deny `s3:*` to everyone on the bucket and its objects when `aws:SecureTransport` is
//! `false`), keeping every existing statement byte for byte.
//!
//! The policy is edited as text, not re-serialized: the new statement is inserted before the
//! closing bracket of the top-level `Statement` array (a single statement object becomes an
//! array holding it unchanged, then the new one). Everything else of the document (order,
//! whitespace, escapes, conditions the rule does not read) is kept as AWS returned it. No policy
//! at all becomes a policy of that one statement. Undo puts the original text back (or deletes
//! the policy when there was none).

use mamori_model::ConfigItem;
use mamori_rules::{ActiveRule, Evaluator, RuleSet};
use serde_json::{json, Map, Value};

use super::client;
use crate::collect::ApiError;
use crate::fix::{
    text_param, unknown_operation, ApiCall, Change, FindingRef, FixCx, FixFuture, Fixer, FixerMeta, LeftOutReason,
    NotPlanned, PlanInput, UndoInput,
};

pub struct S3BucketSslRequestsOnly;

static META: FixerMeta = FixerMeta {
    rule_id: "s3-bucket-ssl-requests-only",
    resource_types: &["AWS::S3::Bucket"],
    collector: "s3",
    read_actions: &["s3:GetBucketPolicy"],
    write_actions: &["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    reversible: true,
    settings: &[],
    summary: "adds a Deny of s3:* without TLS to the bucket policy, keeping every existing statement byte for byte (undo: the original policy)",
};

/// The largest bucket policy S3 accepts, in bytes.
const MAX_POLICY_BYTES: usize = 20 * 1024;

impl Fixer for S3BucketSslRequestsOnly {
    fn meta(&self) -> &'static FixerMeta {
        &META
    }

    fn read<'a>(&'a self, cx: &'a FixCx, finding: &'a FindingRef) -> FixFuture<'a, Result<Option<Value>, ApiError>> {
        Box::pin(async move {
            let s3 = client(cx);
            match cx.call("s3", s3.get_bucket_policy().bucket(&finding.resource_id).send()).await {
                Ok(out) => Ok(Some(json!({"Policy": out.policy()}))),
                Err(err) if err.is_not_found(&["NoSuchBucketPolicy"]) => Ok(Some(json!({"Policy": null}))),
                Err(err) if err.is_not_found(&["NoSuchBucket"]) => Ok(None),
                Err(err) => Err(err),
            }
        })
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let arn = input.finding.resource_arn.clone().unwrap_or_else(|| format!("arn:aws:s3:::{bucket}"));
        let current = input.state["Policy"].as_str();
        if let Some(text) = current {
            if passes(input.finding, &arn, text) {
                return Err(NotPlanned::new(
                    LeftOutReason::ResourceChanged,
                    format!("bucket {bucket}'s policy denies requests without TLS now"),
                ));
            }
        }
        let policy = match current {
            None => json!({"Version": "2012-10-17", "Statement": [deny_statement("DenyInsecureTransport", &arn)]})
                .to_string(),
            Some(text) => {
                let sid = free_sid(text);
                let statement = deny_statement(&sid, &arn).to_string();
                insert_statement(text, &statement).ok_or_else(|| {
                    NotPlanned::new(
                        LeftOutReason::NotFixable,
                        format!("bucket {bucket}'s policy has no top-level `Statement` list or object to add to"),
                    )
                })?
            }
        };
        if policy.len() > MAX_POLICY_BYTES {
            return Err(NotPlanned::new(
                LeftOutReason::NotFixable,
                format!("bucket {bucket}'s policy would exceed S3's {MAX_POLICY_BYTES} bytes with the statement added"),
            ));
        }
        Ok(Change {
            calls: vec![ApiCall::new("s3", "PutBucketPolicy", json!({"Bucket": bucket, "Policy": policy}))],
            after: json!({"Policy": policy}),
            reversible: true,
        })
    }

    fn undo(&self, input: &UndoInput<'_>) -> Result<Change, NotPlanned> {
        let bucket = &input.finding.resource_id;
        let call = match input.before["Policy"].as_str() {
            Some(original) => ApiCall::new("s3", "PutBucketPolicy", json!({"Bucket": bucket, "Policy": original})),
            None => ApiCall::new("s3", "DeleteBucketPolicy", json!({"Bucket": bucket})),
        };
        Ok(Change { calls: vec![call], after: input.before.clone(), reversible: false })
    }

    fn call<'a>(&'a self, cx: &'a FixCx, call: &'a ApiCall) -> FixFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            let bucket = text_param(call, "Bucket")?;
            let s3 = client(cx);
            match call.operation.as_str() {
                "PutBucketPolicy" => {
                    let policy = text_param(call, "Policy")?;
                    cx.call("s3", s3.put_bucket_policy().bucket(bucket).policy(policy).send()).await.map(|_| ())
                }
                "DeleteBucketPolicy" => {
                    cx.call("s3", s3.delete_bucket_policy().bucket(bucket).send()).await.map(|_| ())
                }
                _ => Err(unknown_operation(&META, call)),
            }
        })
    }
}

/// The statement the rule asks for.
fn deny_statement(sid: &str, arn: &str) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, format!("{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
}

/// `DenyInsecureTransport`, or with a number when the policy already has that Sid (Sids are
/// unique within a policy).
fn free_sid(policy: &str) -> String {
    let taken = |sid: &str| policy.contains(&format!("\"{sid}\""));
    let mut sid = "DenyInsecureTransport".to_owned();
    let mut n = 2;
    while taken(&sid) {
        sid = format!("DenyInsecureTransport{n}");
        n += 1;
    }
    sid
}

/// Whether the rule passes on the bucket with `policy`: the fix is planned only while it fails.
fn passes(finding: &FindingRef, arn: &str, policy: &str) -> bool {
    let Some(rule) = mamori_rules::find(META.rule_id) else { return false };
    let set = RuleSet::new(vec![ActiveRule::with_defaults(rule)]);
    let mut supplementary = Map::new();
    supplementary.insert("BucketPolicy".into(), json!({"policyText": policy}));
    let item = ConfigItem {
        resource_type: finding.resource_type.clone(),
        resource_id: finding.resource_id.clone(),
        resource_name: Some(finding.resource_id.clone()),
        arn: Some(arn.to_owned()),
        account_id: finding.account_id.clone(),
        aws_region: finding.region.clone(),
        configuration_item_capture_time: None,
        configuration_item_status: Some("OK".into()),
        tags: Default::default(),
        relationships: Vec::new(),
        configuration: json!({"name": finding.resource_id}),
        supplementary_configuration: supplementary,
    };
    let mut evaluator = Evaluator::new(&set);
    let mut pass = false;
    evaluator.evaluate(&item, &mut |f| pass = f.status == mamori_model::Status::Pass);
    pass
}

/// `policy` with `statement` (JSON text) added to its top-level `Statement`, every other byte
/// kept; `None` when the document has no such member.
fn insert_statement(policy: &str, statement: &str) -> Option<String> {
    let (start, end) = top_level_member(policy, "Statement")?;
    let value = &policy[start..end];
    if value.starts_with('{') {
        return Some(format!("{}[{value},{statement}]{}", &policy[..start], &policy[end..]));
    }
    if !value.starts_with('[') {
        return None;
    }
    let close = end - 1;
    let empty = policy[start + 1..close].trim().is_empty();
    let separator = if empty { "" } else { "," };
    Some(format!("{}{separator}{statement}{}", &policy[..close], &policy[close..]))
}

/// The byte span of the value of the top-level member `key` of a JSON object text.
fn top_level_member(text: &str, key: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_space(bytes, at);
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(bytes, at)?;
        let name: String = serde_json::from_str(&text[at..key_end]).ok()?;
        at = skip_space(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        let value_start = skip_space(bytes, at + 1);
        let value_end = value_end(bytes, value_start)?;
        if name == key {
            return Some((value_start, value_end));
        }
        at = skip_space(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The end (exclusive) of the string starting at `at` (its opening quote).
fn string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end (exclusive) of the JSON value starting at `at`.
fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => string_end(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = at;
            while i < bytes.len() && !matches!(bytes[i], b',' | b'}' | b']') && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: &str = r#"{"Sid":"X"}"#;

    #[test]
    fn statements_are_added_keeping_every_other_byte() {
        let policy =
            "{ \"Version\" : \"2012-10-17\",\n  \"Statement\": [ {\"Effect\":\"Allow\", \"Sid\": \"a]\\\"}\"} ]\n}";
        let added = insert_statement(policy, DENY).unwrap();
        assert_eq!(
            added,
            "{ \"Version\" : \"2012-10-17\",\n  \"Statement\": [ {\"Effect\":\"Allow\", \"Sid\": \"a]\\\"}\"} ,{\"Sid\":\"X\"}]\n}"
        );
        let value: Value = serde_json::from_str(&added).unwrap();
        assert_eq!(value["Statement"].as_array().unwrap().len(), 2);

        let single = r#"{"Statement": {"Effect": "Allow"}, "Version": "2012-10-17"}"#;
        assert_eq!(
            insert_statement(single, DENY).unwrap(),
            r#"{"Statement": [{"Effect": "Allow"},{"Sid":"X"}], "Version": "2012-10-17"}"#
        );
        assert_eq!(insert_statement(r#"{"Statement":[ ]}"#, DENY).unwrap(), r#"{"Statement":[ {"Sid":"X"}]}"#);
        assert_eq!(insert_statement(r#"{"Version":"1"}"#, DENY), None);
        assert_eq!(insert_statement("[]", DENY), None);
    }

    #[test]
    fn sids_do_not_collide() {
        assert_eq!(free_sid(r#"{"Statement":[]}"#), "DenyInsecureTransport");
        assert_eq!(free_sid(r#"{"Sid":"DenyInsecureTransport"}"#), "DenyInsecureTransport2");
    }
}
