//! Amazon Detective (signing name `detective`, REST-JSON): behaviour graphs and their members,
//! per account and region.
//!
//! Operations, with the paths and shapes of the service's API model (the one
//! `aws-sdk-detective` is generated from):
//! - CreateGraph, `POST /graph` `{"Tags"}` → `{"GraphArn"}`; a second graph of the same
//!   account in a region is a 409 `ConflictException` (an account administers one graph per
//!   region).
//! - ListGraphs, `POST /graphs/list` `{"NextToken", "MaxResults"}` → `{"GraphList": [{"Arn",
//!   "CreatedTime"}], "NextToken"}`: the graphs the caller administers.
//! - CreateMembers, `POST /graph/members` `{"GraphArn", "Accounts": [{"AccountId",
//!   "EmailAddress"}], ...}` → `{"Members": [MemberDetail], "UnprocessedAccounts": [{"AccountId",
//!   "Reason"}]}`: invitations, status `INVITED`. Only the graph's administrator may invite
//!   (403 `AccessDeniedException`); an unknown graph is a 404 `ResourceNotFoundException`.
//! - AcceptInvitation, `PUT /invitation` `{"GraphArn"}` → empty: the caller's invitation
//!   becomes `ENABLED`; without an open invitation, 404 `ResourceNotFoundException`, or 409
//!   `ConflictException` once accepted.
//! - ListInvitations, `POST /invitations/list` `{"NextToken", "MaxResults"}` →
//!   `{"Invitations": [MemberDetail], "NextToken"}`: the caller's memberships in the region, in
//!   every status.
//!
//! Timestamps are RFC 3339 (`date-time` in the model). Where it differs from AWS,
//! deliberately: an accepted invitation is `ENABLED` at once (AWS passes through
//! `VERIFICATION_IN_PROGRESS`), and no invitation e-mail is sent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Map, Value};

use super::{json_body, lock, now_rfc3339, page, Answer, Caller, StandIn};
use crate::proxy::RequestInfo;

/// Page size of the list operations when `MaxResults` is not given (the model's maximum).
const DEFAULT_PAGE: usize = 200;

/// The stand-in; see the module documentation.
#[derive(Default)]
pub struct Detective {
    /// Graphs by region. Memberships cross accounts (an administrator invites, a member
    /// accepts), so the region's graphs are kept together and each operation reads the part
    /// that is the caller's.
    graphs: Mutex<BTreeMap<String, Vec<Graph>>>,
    /// Numbers the graphs' ids.
    created: AtomicU64,
}

#[derive(Clone, Debug)]
struct Graph {
    arn: String,
    administrator: String,
    created_time: String,
    members: Vec<Member>,
}

#[derive(Clone, Debug)]
struct Member {
    account_id: String,
    email: String,
    status: &'static str,
    invited_time: String,
    updated_time: String,
}

impl Member {
    fn detail(&self, graph: &Graph) -> Value {
        json!({
            "AccountId": self.account_id,
            "EmailAddress": self.email,
            "GraphArn": graph.arn,
            "MasterId": graph.administrator,
            "AdministratorId": graph.administrator,
            "Status": self.status,
            "InvitedTime": self.invited_time,
            "UpdatedTime": self.updated_time,
            "InvitationType": "INVITATION",
        })
    }
}

impl StandIn for Detective {
    fn service(&self) -> &'static str {
        "detective"
    }

    fn operations(&self) -> &'static [&'static str] {
        &["CreateGraph", "ListGraphs", "CreateMembers", "AcceptInvitation", "ListInvitations"]
    }

    fn answer(&self, request: &RequestInfo, caller: &Caller) -> Option<Answer> {
        let result = match (request.method(), request.path()) {
            ("POST", "/graph") => self.create_graph(caller),
            ("POST", "/graphs/list") => self.list_graphs(request, caller),
            ("POST", "/graph/members") => self.create_members(request, caller),
            ("PUT", "/invitation") => self.accept_invitation(request, caller),
            ("POST", "/invitations/list") => self.list_invitations(request, caller),
            _ => return None,
        };
        Some(result.unwrap_or_else(|answer| answer))
    }

    fn reset(&self) {
        lock(&self.graphs).clear();
    }
}

/// `NextToken` and `MaxResults` of a list request.
fn paging(body: &Map<String, Value>) -> Result<(Option<&str>, usize), Answer> {
    let token = body.get("NextToken").and_then(Value::as_str);
    let max = match body.get("MaxResults") {
        None | Some(Value::Null) => DEFAULT_PAGE,
        Some(value) => value
            .as_u64()
            .filter(|max| (1..=200).contains(max))
            .ok_or_else(|| Answer::validation("MaxResults must be a number from 1 to 200"))?
            as usize,
    };
    Ok((token, max))
}

fn listed(key: &str, items: Vec<Value>, next: Option<String>) -> Answer {
    let mut answer = json!({ key: items });
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Answer::json(200, &answer)
}

fn graph_arn_of(body: &Map<String, Value>) -> Result<&str, Answer> {
    body.get("GraphArn")
        .and_then(Value::as_str)
        .filter(|arn| !arn.is_empty())
        .ok_or_else(|| Answer::validation("GraphArn is required"))
}

fn not_found(arn: &str) -> Answer {
    Answer::error(404, "ResourceNotFoundException", &format!("The request refers to a nonexistent resource: {arn}"))
}

impl Detective {
    fn create_graph(&self, caller: &Caller) -> Result<Answer, Answer> {
        let mut regions = lock(&self.graphs);
        let graphs = regions.entry(caller.region.clone()).or_default();
        if graphs.iter().any(|g| g.administrator == caller.account) {
            return Err(Answer::error(
                409,
                "ConflictException",
                &format!("account {} already administers a behavior graph in {}", caller.account, caller.region),
            ));
        }
        let n = self.created.fetch_add(1, Ordering::Relaxed) + 1;
        let arn = caller.arn("detective", &format!("graph:{:016x}{:016x}", mix(n), mix(n ^ 0x5eed)));
        graphs.push(Graph {
            arn: arn.clone(),
            administrator: caller.account.clone(),
            created_time: now_rfc3339(),
            members: Vec::new(),
        });
        Ok(Answer::json(200, &json!({ "GraphArn": arn })))
    }

    fn list_graphs(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let body = json_body(request)?;
        let (token, max) = paging(&body)?;
        let owned: Vec<Value> = lock(&self.graphs)
            .get(&caller.region)
            .into_iter()
            .flatten()
            .filter(|g| g.administrator == caller.account)
            .map(|g| json!({ "Arn": g.arn, "CreatedTime": g.created_time }))
            .collect();
        let (items, next) = page(&owned, token, max)?;
        Ok(listed("GraphList", items, next))
    }

    fn create_members(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let body = json_body(request)?;
        let arn = graph_arn_of(&body)?;
        let accounts = body
            .get("Accounts")
            .and_then(Value::as_array)
            .filter(|accounts| !accounts.is_empty())
            .ok_or_else(|| Answer::validation("Accounts must list at least one account"))?;
        let mut invited = Vec::new();
        for account in accounts {
            let id = account.get("AccountId").and_then(Value::as_str).unwrap_or("");
            let email = account.get("EmailAddress").and_then(Value::as_str).unwrap_or("");
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Answer::validation(&format!("AccountId `{id}` is not a 12-digit account id")));
            }
            if !email.contains('@') {
                return Err(Answer::validation(&format!("EmailAddress `{email}` of account {id} is not an address")));
            }
            invited.push((id.to_owned(), email.to_owned()));
        }
        let mut regions = lock(&self.graphs);
        let graph = regions
            .get_mut(&caller.region)
            .and_then(|graphs| graphs.iter_mut().find(|g| g.arn == arn))
            .ok_or_else(|| not_found(arn))?;
        if graph.administrator != caller.account {
            return Err(Answer::error(
                403,
                "AccessDeniedException",
                &format!("account {} is not the administrator of {arn}", caller.account),
            ));
        }
        let (mut members, mut unprocessed) = (Vec::new(), Vec::new());
        for (id, email) in invited {
            if id == graph.administrator {
                unprocessed.push(json!({"AccountId": id, "Reason": "The administrator account cannot be a member"}));
            } else if graph.members.iter().any(|m| m.account_id == id) {
                unprocessed.push(json!({"AccountId": id, "Reason": "The account is already a member of the graph"}));
            } else {
                let now = now_rfc3339();
                let member =
                    Member { account_id: id, email, status: "INVITED", invited_time: now.clone(), updated_time: now };
                members.push(member.detail(graph));
                graph.members.push(member);
            }
        }
        Ok(Answer::json(200, &json!({ "Members": members, "UnprocessedAccounts": unprocessed })))
    }

    fn accept_invitation(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let body = json_body(request)?;
        let arn = graph_arn_of(&body)?;
        let mut regions = lock(&self.graphs);
        let member = regions
            .get_mut(&caller.region)
            .and_then(|graphs| graphs.iter_mut().find(|g| g.arn == arn))
            .and_then(|graph| graph.members.iter_mut().find(|m| m.account_id == caller.account))
            .ok_or_else(|| not_found(arn))?;
        if member.status != "INVITED" {
            return Err(Answer::error(
                409,
                "ConflictException",
                &format!("the invitation of account {} to {arn} is {}, not open", caller.account, member.status),
            ));
        }
        member.status = "ENABLED";
        member.updated_time = now_rfc3339();
        Ok(Answer::empty(200))
    }

    fn list_invitations(&self, request: &RequestInfo, caller: &Caller) -> Result<Answer, Answer> {
        let body = json_body(request)?;
        let (token, max) = paging(&body)?;
        let memberships: Vec<Value> = lock(&self.graphs)
            .get(&caller.region)
            .into_iter()
            .flatten()
            .flat_map(|graph| {
                graph.members.iter().filter(|m| m.account_id == caller.account).map(move |m| m.detail(graph))
            })
            .collect();
        let (items, next) = page(&memberships, token, max)?;
        Ok(listed("Invitations", items, next))
    }
}

/// SplitMix64's output function: graph ids that look random, the same in every run.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
