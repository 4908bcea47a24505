//! Rules about Elastic Load Balancing: Application Load Balancers (HTTPS redirection, access
//! logs) and Classic Load Balancers (access logs).

mod alb_http_to_https_redirection_check;
mod elb_logging_enabled;
mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] =
    &[&alb_http_to_https_redirection_check::AlbHttpToHttpsRedirectionCheck, &elb_logging_enabled::ElbLoggingEnabled];
