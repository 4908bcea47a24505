//! Rules about Elastic Load Balancing: Application, Network and Gateway Load Balancers
//! (HTTPS redirection, access logs, invalid headers, desync mitigation, deletion protection,
//! zones) and Classic Load Balancers (access logs, listeners, certificates, draining, cross-zone
//! balancing, desync mitigation, zones).

mod alb_desync_mode_check;
mod alb_http_drop_invalid_header_enabled;
mod alb_http_to_https_redirection_check;
mod clb_desync_mode_check;
mod clb_multiple_az;
mod elb_acm_certificate_required;
mod elb_connection_draining_enabled;
mod elb_cross_zone_load_balancing_enabled;
mod elb_deletion_protection_enabled;
mod elb_logging_enabled;
mod elb_tls_https_listeners_only;
mod elbv2_multiple_az;
mod shared;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &alb_http_to_https_redirection_check::AlbHttpToHttpsRedirectionCheck,
    &elb_logging_enabled::ElbLoggingEnabled,
    &alb_http_drop_invalid_header_enabled::AlbHttpDropInvalidHeaderEnabled,
    &elb_deletion_protection_enabled::ElbDeletionProtectionEnabled,
    &alb_desync_mode_check::AlbDesyncModeCheck,
    &elbv2_multiple_az::Elbv2MultipleAz,
    &elb_connection_draining_enabled::ElbConnectionDrainingEnabled,
    &elb_cross_zone_load_balancing_enabled::ElbCrossZoneLoadBalancingEnabled,
    &clb_multiple_az::ClbMultipleAz,
    &clb_desync_mode_check::ClbDesyncModeCheck,
    &elb_tls_https_listeners_only::ElbTlsHttpsListenersOnly,
    &elb_acm_certificate_required::ElbAcmCertificateRequired,
];
