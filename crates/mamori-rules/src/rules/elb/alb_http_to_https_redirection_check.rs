//! `alb-http-to-https-redirection-check`: every HTTP listener of an Application Load Balancer
//! redirects to HTTPS.
//!
//! As the AWS Config managed rule: an ALB is NON_COMPLIANT when one of its HTTP listeners has
//! no default action redirecting to HTTPS (a `forward` or `fixed-response`, or a redirect that
//! keeps HTTP). Listeners come from the load balancer's supplementary `Listeners` and from
//! `AWS::ElasticLoadBalancingV2::Listener` items of the same account and region (matched on
//! `loadBalancerArn`), combined; an ALB with neither is ERROR. Listener rules other than the
//! default action are not read. Network and gateway load balancers get no finding.

use mamori_model::{ConfigItem, Severity, Status};
use serde_json::Value;

use super::shared::{field, field_str, load_balancer_name, LISTENER_TYPE, LOAD_BALANCER_TYPE};
use crate::support::item::{as_list, supplementary};
use crate::{Cx, Notes, Rule, RuleMeta, Scope, Stride, Subject};

pub struct AlbHttpToHttpsRedirectionCheck;

static META: RuleMeta = RuleMeta {
    id: "alb-http-to-https-redirection-check",
    service: "elb",
    title: "Application Load Balancers redirect every HTTP listener to HTTPS",
    severity: Severity::Medium,
    resource_types: &[LOAD_BALANCER_TYPE, LISTENER_TYPE],
    params: &[],
    rationale: "An HTTP listener that serves requests instead of redirecting them carries cookies, credentials and form data in cleartext, open to interception and tampering on the path.",
    remediation: "Make the HTTP listener's default action a redirect: `aws elbv2 modify-listener --listener-arn ARN --default-actions 'Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}'` (EC2 console > Load Balancers > Listeners > HTTP:80 > Edit).",
    stride: Stride::InformationDisclosure,
    cis: &[],
    fsbp: &["ELB.1"],
    notes: "Only listeners' default actions are read, not their other rules. Listeners are taken from the load balancer item and from Listener items alike; with neither the ALB is ERROR.",
};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Listener {
    port: String,
    protocol: String,
    /// What the default action does, for messages (`redirect to HTTPS`, `forward`, ...).
    action: String,
    redirects_to_https: bool,
}

impl Listener {
    fn read(value: &Value) -> Listener {
        let port = match field(value, "port") {
            Some(Value::Number(number)) => number.to_string(),
            Some(Value::String(text)) => text.clone(),
            _ => "?".to_owned(),
        };
        let protocol = field_str(value, "protocol").unwrap_or("").to_ascii_uppercase();
        let actions = as_list(field(value, "defaultActions"));
        // A redirect without a protocol keeps the request's own (`#{protocol}`): HTTP stays HTTP.
        fn redirect_protocol(action: &Value) -> &str {
            field(action, "redirectConfig").and_then(|config| field_str(config, "protocol")).unwrap_or("#{protocol}")
        }
        let is_redirect =
            |action: &&Value| field_str(action, "type").is_some_and(|kind| kind.eq_ignore_ascii_case("redirect"));
        let https = actions
            .iter()
            .find(|action| is_redirect(action) && redirect_protocol(action).eq_ignore_ascii_case("HTTPS"));
        let action = match (https, actions.iter().find(|action| is_redirect(action))) {
            (Some(_), _) => "redirect to HTTPS".to_owned(),
            (None, Some(redirect)) => format!("redirect to {}", redirect_protocol(redirect)),
            (None, None) => {
                let kinds: Vec<&str> = actions.iter().filter_map(|action| field_str(action, "type")).collect();
                if kinds.is_empty() {
                    "no default action".to_owned()
                } else {
                    kinds.join("+")
                }
            }
        };
        Listener { port, protocol, action, redirects_to_https: https.is_some() }
    }
}

/// An Application Load Balancer, with the listeners its own item carries (`None`: not collected).
struct Alb {
    subject: Subject,
    arn: String,
    name: String,
    listeners: Option<Vec<Listener>>,
}

/// A listener read from its own `AWS::ElasticLoadBalancingV2::Listener` item.
struct ListenerItem {
    load_balancer_arn: String,
    listener: Listener,
}

impl Rule for AlbHttpToHttpsRedirectionCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn evaluate(&self, item: &ConfigItem, cx: &mut Cx<'_>) {
        if item.resource_type == LISTENER_TYPE {
            // A listener that names no load balancer cannot vouch for (or against) any.
            let Some(load_balancer_arn) = field_str(&item.configuration, "loadBalancerArn") else { return };
            let note = ListenerItem {
                load_balancer_arn: load_balancer_arn.to_owned(),
                listener: Listener::read(&item.configuration),
            };
            return cx.note(Scope::region_of(item), note);
        }
        let name = load_balancer_name(item).to_owned();
        match field_str(&item.configuration, "type") {
            Some(kind) if kind.eq_ignore_ascii_case("application") => {}
            Some(_) => return,
            None => {
                return cx.error(item, format!("load balancer {name} has no `configuration.type` in the inventory"))
            }
        }
        let listeners = match supplementary(item, "Listeners") {
            Ok(Some(listeners)) => Some(as_list(Some(listeners)).into_iter().map(Listener::read).collect()),
            // Present as null: the load balancer has no listeners.
            Ok(None) if item.supplementary("Listeners").is_some() => Some(Vec::new()),
            Ok(None) => None,
            Err(reason) => return cx.error(item, reason),
        };
        let arn = field_str(&item.configuration, "loadBalancerArn")
            .or(item.arn.as_deref())
            .unwrap_or(&item.resource_id)
            .to_owned();
        cx.note(Scope::region_of(item), Alb { subject: cx.subject_of(item), arn, name, listeners });
    }

    fn conclude(&self, _scope: &Scope, mut notes: Notes, cx: &mut Cx<'_>) {
        let items = notes.of::<ListenerItem>();
        for alb in notes.of::<Alb>() {
            let from_items: Vec<Listener> = items
                .iter()
                .filter(|listener| listener.load_balancer_arn == alb.arn)
                .map(|listener| listener.listener.clone())
                .collect();
            let name = &alb.name;
            if alb.listeners.is_none() && from_items.is_empty() {
                cx.verdict(
                    alb.subject,
                    Status::Error,
                    format!("ALB {name} has no listeners in the inventory (neither on the load balancer nor as Listener items)"),
                );
                continue;
            }
            let mut listeners: Vec<Listener> = alb.listeners.unwrap_or_default();
            listeners.extend(from_items);
            listeners.sort();
            listeners.dedup();
            let http: Vec<&Listener> = listeners.iter().filter(|listener| listener.protocol == "HTTP").collect();
            let open: Vec<String> = http
                .iter()
                .filter(|listener| !listener.redirects_to_https)
                .map(|listener| format!("HTTP:{} ({})", listener.port, listener.action))
                .collect();
            let (status, message) = if !open.is_empty() {
                (
                    Status::Fail,
                    format!("ALB {name} has HTTP listeners that do not redirect to HTTPS: {}", open.join(", ")),
                )
            } else if http.is_empty() {
                (Status::Pass, ["ALB ", name, " has no HTTP listener"].concat())
            } else {
                let ports: Vec<String> = http.iter().map(|listener| format!("HTTP:{}", listener.port)).collect();
                (Status::Pass, format!("ALB {name} redirects {} to HTTPS", ports.join(", ")))
            };
            cx.verdict(alb.subject, status, message);
        }
    }
}
