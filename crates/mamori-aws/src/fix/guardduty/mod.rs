//! Fixers of GuardDuty rules.

pub mod guardduty_enabled_centralized;
