//! CloudTrail API events as `mamori watch` receives them: the typed event and its parser.
//!
//! CloudTrail hands each management event to EventBridge in the account and region where the
//! call was made; organizations forward the matching ones to a central bus that feeds an SQS
//! queue. Every message on that queue (and every line of `mamori watch --events FILE`) is one
//! EventBridge event whose `detail-type` is "AWS API Call via CloudTrail" and whose `detail`
//! is the CloudTrail record. The parser lives here, without the AWS SDK, so that replaying
//! events, the store and the reports can read them; the responders that act on them are in
//! `mamori-aws::respond`.
//!
//! Delivery is at least once and messages come from outside mamori: a message that is not
//! JSON, not an event or not of a known shape is a typed [`EventError`] naming the field at
//! fault, which the daemon records and acknowledges instead of stopping on it.

use std::io::BufRead;

use serde_json::{Map, Value};

/// The `detail-type` EventBridge gives CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// One CloudTrail API call, delivered through EventBridge.
#[derive(Clone, Debug, PartialEq)]
pub struct CloudTrailEvent {
    /// CloudTrail's `eventID`: the key duplicates are recognised by (delivery is at least once).
    pub event_id: String,
    /// The service called (`cloudtrail.amazonaws.com`).
    pub event_source: String,
    /// The API operation (`StopLogging`).
    pub event_name: String,
    /// The account the call was made in (`recipientAccountId`, else the envelope's `account`).
    pub account: String,
    /// The region the call was made in (`awsRegion`, else the envelope's `region`).
    pub region: String,
    /// Who made the call.
    pub principal: Principal,
    /// `sourceIPAddress`: an address, or the AWS service acting on the principal's behalf.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `eventTime`, as seconds since 1970.
    pub time: i64,
    /// `requestParameters` (JSON `null` when the call had none).
    pub request_parameters: Value,
    /// `errorCode` when the call failed: a failed StopLogging left logging on.
    pub error_code: Option<String>,
}

impl CloudTrailEvent {
    /// Whether the call succeeded (CloudTrail records refused calls too).
    pub fn succeeded(&self) -> bool {
        self.error_code.is_none()
    }

    /// A request parameter by its API member name, when it is a string.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.request_parameters.get(name)?.as_str()
    }
}

/// The identity behind a call (CloudTrail's `userIdentity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// `userIdentity.type`.
    pub kind: PrincipalKind,
    /// The IAM identity that holds the permissions: the user, the root of the account, or for
    /// an assumed-role session the role behind it (`arn:aws:iam::…:role/…`). This is the
    /// principal responders count offences against, quarantine, and match against the
    /// excluded principals. `None` for AWS services, which have no ARN.
    pub arn: Option<String>,
    /// The ARN as CloudTrail logged it (for a session, `arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    pub logged_arn: Option<String>,
}

/// CloudTrail's `userIdentity.type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `Root`.
    Root,
    /// `IAMUser`.
    IamUser,
    /// `AssumedRole`: a session of a role.
    AssumedRole,
    /// `FederatedUser`: a GetFederationToken session of an IAM user.
    FederatedUser,
    /// `AWSService`: a service acting with its own identity.
    AwsService,
    /// Any other type (`IdentityCenterUser`, `WebIdentityUser`, …), kept as logged.
    Other(String),
}

impl PrincipalKind {
    fn from_logged(text: &str) -> Self {
        match text {
            "Root" => Self::Root,
            "IAMUser" => Self::IamUser,
            "AssumedRole" => Self::AssumedRole,
            "FederatedUser" => Self::FederatedUser,
            "AWSService" => Self::AwsService,
            other => Self::Other(other.to_string()),
        }
    }

    /// The name CloudTrail logs.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Root => "Root",
            Self::IamUser => "IAMUser",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
            Self::AwsService => "AWSService",
            Self::Other(text) => text,
        }
    }
}

/// Why a message is not a CloudTrail event mamori can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not an EventBridge event: expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("a bare CloudTrail record, not an EventBridge event: expected it under `detail` with `detail-type` \"{CLOUDTRAIL_DETAIL_TYPE}\"")]
    BareRecord,
    #[error("not a CloudTrail API event: `detail-type` is `{0}`, expected \"{CLOUDTRAIL_DETAIL_TYPE}\"")]
    OtherDetailType(String),
    #[error("missing required field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` must be {expected}")]
    WrongType { field: &'static str, expected: &'static str },
    #[error("field `{field}` is not an ISO-8601 time: `{value}`")]
    BadTime { field: &'static str, value: String },
}

/// Parses one message: an EventBridge event carrying a CloudTrail record.
pub fn parse_event(text: &str) -> Result<CloudTrailEvent, EventError> {
    let value: Value = serde_json::from_str(text).map_err(|err| EventError::NotJson(err.to_string()))?;
    event_from_value(&value)
}

/// [`parse_event`] on an already decoded message.
pub fn event_from_value(value: &Value) -> Result<CloudTrailEvent, EventError> {
    let envelope = value.as_object().ok_or(EventError::NotAnObject(json_kind(value)))?;
    let Some(detail_type) = envelope.get("detail-type") else {
        if envelope.contains_key("eventID") && envelope.contains_key("eventSource") {
            return Err(EventError::BareRecord);
        }
        return Err(EventError::Missing("detail-type"));
    };
    let detail_type =
        detail_type.as_str().ok_or(EventError::WrongType { field: "detail-type", expected: "a string" })?;
    if detail_type != CLOUDTRAIL_DETAIL_TYPE {
        return Err(EventError::OtherDetailType(detail_type.to_string()));
    }
    let detail = match envelope.get("detail") {
        None | Some(Value::Null) => return Err(EventError::Missing("detail")),
        Some(Value::Object(detail)) => detail,
        Some(_) => return Err(EventError::WrongType { field: "detail", expected: "an object" }),
    };

    let event_id = required(detail, "eventID", "detail.eventID")?;
    let event_source = required(detail, "eventSource", "detail.eventSource")?;
    let event_name = required(detail, "eventName", "detail.eventName")?;
    let account = match optional(detail, "recipientAccountId", "detail.recipientAccountId")? {
        Some(account) => account,
        None => required(envelope, "account", "account")?,
    };
    let region = match optional(detail, "awsRegion", "detail.awsRegion")? {
        Some(region) => region,
        None => required(envelope, "region", "region")?,
    };
    let time_text = required(detail, "eventTime", "detail.eventTime")?;
    let time = crate::time::epoch_seconds(&time_text)
        .ok_or(EventError::BadTime { field: "detail.eventTime", value: time_text.clone() })?;
    let principal = match detail.get("userIdentity") {
        None | Some(Value::Null) => return Err(EventError::Missing("detail.userIdentity")),
        Some(Value::Object(identity)) => principal(identity)?,
        Some(_) => return Err(EventError::WrongType { field: "detail.userIdentity", expected: "an object" }),
    };
    Ok(CloudTrailEvent {
        event_id,
        event_source,
        event_name,
        account,
        region,
        principal,
        source_ip: optional(detail, "sourceIPAddress", "detail.sourceIPAddress")?,
        user_agent: optional(detail, "userAgent", "detail.userAgent")?,
        time,
        request_parameters: detail.get("requestParameters").cloned().unwrap_or(Value::Null),
        error_code: optional(detail, "errorCode", "detail.errorCode")?,
    })
}

fn principal(identity: &Map<String, Value>) -> Result<Principal, EventError> {
    let kind = PrincipalKind::from_logged(&required(identity, "type", "detail.userIdentity.type")?);
    let logged_arn = optional(identity, "arn", "detail.userIdentity.arn")?;
    let issuer = match identity.get("sessionContext").and_then(|context| context.get("sessionIssuer")) {
        Some(Value::Object(issuer)) => optional(issuer, "arn", "detail.userIdentity.sessionContext.sessionIssuer.arn")?,
        _ => None,
    };
    let arn = match kind {
        // The role behind the session: the issuer CloudTrail names, else the role the session
        // ARN spells (without its path, which only the issuer carries).
        PrincipalKind::AssumedRole => issuer.or_else(|| logged_arn.as_deref().and_then(role_of_session)),
        // A federation token is issued by an IAM user, who holds the permissions.
        PrincipalKind::FederatedUser => issuer.or_else(|| logged_arn.clone()),
        PrincipalKind::AwsService => None,
        _ => logged_arn.clone(),
    };
    Ok(Principal { kind, arn, logged_arn })
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` → `arn:aws:iam::ACCOUNT:role/ROLE`.
fn role_of_session(session_arn: &str) -> Option<String> {
    let mut parts = session_arn.splitn(6, ':');
    let (arn, partition, service, _region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn != "arn" || service != "sts" {
        return None;
    }
    let role = resource.strip_prefix("assumed-role/")?.split('/').next().filter(|role| !role.is_empty())?;
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

fn required(object: &Map<String, Value>, key: &str, field: &'static str) -> Result<String, EventError> {
    optional(object, key, field)?.ok_or(EventError::Missing(field))
}

fn optional(object: &Map<String, Value>, key: &str, field: &'static str) -> Result<Option<String>, EventError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(EventError::WrongType { field, expected: "a string" }),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One non-blank line of a JSON-lines event stream (`mamori watch --events`).
#[derive(Debug)]
pub struct EventLine {
    /// The line's number, from 1.
    pub number: usize,
    /// The line as read, so that a malformed message can be recorded as it came.
    pub raw: String,
    /// The event, or why the line is not one.
    pub event: Result<CloudTrailEvent, EventError>,
}

/// Reads events as JSON lines, one [`EventLine`] per non-blank line; a malformed line is an
/// [`EventLine`] holding its error, never the end of the stream. Only a read error ends it.
pub fn read_event_lines<R: BufRead>(reader: R) -> impl Iterator<Item = std::io::Result<EventLine>> {
    reader.lines().enumerate().filter_map(|(index, line)| match line {
        Err(err) => Some(Err(err)),
        Ok(raw) if raw.trim().is_empty() => None,
        Ok(raw) => Some(Ok(EventLine { number: index + 1, event: parse_event(&raw), raw })),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stop_logging() -> Value {
        json!({
            "version": "0",
            "id": "6f1c1e0a-0000-4000-8000-000000000001",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cloudtrail",
            "account": "111122223333",
            "time": "2026-12-08T02:00:01Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROAEXAMPLE:mallory",
                    "arn": "arn:aws:sts::111122223333:assumed-role/Ops/mallory",
                    "accountId": "111122223333",
                    "sessionContext": {
                        "sessionIssuer": {
                            "type": "Role",
                            "arn": "arn:aws:iam::111122223333:role/teams/Ops",
                            "userName": "Ops"
                        }
                    }
                },
                "eventTime": "2026-12-08T02:00:00Z",
                "eventSource": "cloudtrail.amazonaws.com",
                "eventName": "StopLogging",
                "awsRegion": "eu-west-1",
                "sourceIPAddress": "198.51.100.7",
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": { "name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org" },
                "responseElements": null,
                "eventID": "0d4b3f7e-1111-4222-8333-444455556666",
                "readOnly": false,
                "eventType": "AwsApiCall",
                "recipientAccountId": "111122223333"
            }
        })
    }

    #[test]
    fn an_assumed_role_session_is_the_role_behind_it() {
        let event = event_from_value(&stop_logging()).unwrap();
        assert_eq!(event.event_id, "0d4b3f7e-1111-4222-8333-444455556666");
        assert_eq!(
            (event.event_source.as_str(), event.event_name.as_str()),
            ("cloudtrail.amazonaws.com", "StopLogging")
        );
        assert_eq!((event.account.as_str(), event.region.as_str()), ("111122223333", "eu-west-1"));
        assert_eq!(event.principal.kind, PrincipalKind::AssumedRole);
        assert_eq!(event.principal.arn.as_deref(), Some("arn:aws:iam::111122223333:role/teams/Ops"));
        assert_eq!(event.principal.logged_arn.as_deref(), Some("arn:aws:sts::111122223333:assumed-role/Ops/mallory"));
        assert_eq!(event.source_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(event.user_agent.as_deref(), Some("aws-cli/2.15.0"));
        assert_eq!(crate::time::rfc3339(event.time), "2026-12-08T02:00:00Z");
        assert_eq!(event.parameter("name"), Some("arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"));
        assert!(event.succeeded());
    }

    #[test]
    fn without_a_session_issuer_the_role_comes_from_the_session_arn() {
        let mut message = stop_logging();
        message["detail"]["userIdentity"].as_object_mut().unwrap().remove("sessionContext");
        let event = event_from_value(&message).unwrap();
        assert_eq!(event.principal.arn.as_deref(), Some("arn:aws:iam::111122223333:role/Ops"));
    }

    #[test]
    fn users_root_and_services() {
        let mut message = stop_logging();
        message["detail"]["userIdentity"] =
            json!({ "type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice" });
        let user = event_from_value(&message).unwrap().principal;
        assert_eq!(
            (user.kind, user.arn.as_deref()),
            (PrincipalKind::IamUser, Some("arn:aws:iam::111122223333:user/alice"))
        );

        message["detail"]["userIdentity"] = json!({ "type": "Root", "arn": "arn:aws:iam::111122223333:root" });
        assert_eq!(
            event_from_value(&message).unwrap().principal.arn.as_deref(),
            Some("arn:aws:iam::111122223333:root")
        );

        message["detail"]["userIdentity"] = json!({ "type": "AWSService", "invokedBy": "config.amazonaws.com" });
        let service = event_from_value(&message).unwrap().principal;
        assert_eq!((service.kind, service.arn), (PrincipalKind::AwsService, None));

        message["detail"]["userIdentity"] = json!({ "type": "IdentityCenterUser" });
        assert_eq!(event_from_value(&message).unwrap().principal.kind.as_str(), "IdentityCenterUser");
    }

    #[test]
    fn account_and_region_fall_back_to_the_envelope_and_errors_are_kept() {
        let mut message = stop_logging();
        let detail = message["detail"].as_object_mut().unwrap();
        detail.remove("recipientAccountId");
        detail.remove("awsRegion");
        detail.insert("errorCode".into(), json!("AccessDenied"));
        detail.insert("requestParameters".into(), Value::Null);
        let event = event_from_value(&message).unwrap();
        assert_eq!((event.account.as_str(), event.region.as_str()), ("111122223333", "eu-west-1"));
        assert_eq!(event.error_code.as_deref(), Some("AccessDenied"));
        assert!(!event.succeeded());
        assert_eq!(event.parameter("name"), None);
    }

    #[test]
    fn malformed_messages_name_what_is_wrong() {
        let error = |text: &str| parse_event(text).unwrap_err().to_string();
        assert!(error("{not json").starts_with("not JSON: "));
        assert_eq!(error("[1]"), "not an EventBridge event: expected a JSON object, found an array");
        assert!(error(&stop_logging()["detail"].to_string()).starts_with("a bare CloudTrail record"));
        assert_eq!(error("{}"), "missing required field `detail-type`");

        let mut other = stop_logging();
        other["detail-type"] = json!("GuardDuty Finding");
        assert_eq!(event_from_value(&other).unwrap_err(), EventError::OtherDetailType("GuardDuty Finding".into()));

        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut message = stop_logging();
            edit(&mut message);
            event_from_value(&message).unwrap_err().to_string()
        };
        assert_eq!(broken(&|m| m["detail"] = json!("x")), "field `detail` must be an object");
        assert_eq!(
            broken(&|m| drop(m["detail"].as_object_mut().unwrap().remove("eventID"))),
            "missing required field `detail.eventID`"
        );
        assert_eq!(broken(&|m| m["detail"]["eventName"] = json!(7)), "field `detail.eventName` must be a string");
        assert_eq!(
            broken(&|m| m["detail"]["eventTime"] = json!("yesterday")),
            "field `detail.eventTime` is not an ISO-8601 time: `yesterday`"
        );
        assert_eq!(
            broken(&|m| drop(m["detail"].as_object_mut().unwrap().remove("userIdentity"))),
            "missing required field `detail.userIdentity`"
        );
        assert_eq!(
            broken(&|m| m["detail"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = json!(1)),
            "field `detail.userIdentity.sessionContext.sessionIssuer.arn` must be a string"
        );
    }

    #[test]
    fn json_lines_keep_going_past_a_bad_line_and_number_them() {
        let text = format!("{}\n\nnot json\n{}\n", stop_logging(), stop_logging());
        let lines: Vec<EventLine> = read_event_lines(text.as_bytes()).collect::<Result<_, _>>().unwrap();
        assert_eq!(lines.iter().map(|line| line.number).collect::<Vec<_>>(), [1, 3, 4]);
        assert!(lines[0].event.is_ok() && lines[2].event.is_ok());
        assert!(matches!(lines[1].event, Err(EventError::NotJson(_))));
        assert_eq!(lines[1].raw, "not json");
    }
}
