//! Fixers of Security Hub rules.

pub mod securityhub_enabled;
