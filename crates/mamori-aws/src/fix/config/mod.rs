//! Fixers of AWS Config rules.

pub mod mamori_config_recorder_enabled;
