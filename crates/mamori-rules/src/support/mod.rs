//! Helpers shared by many rules: reading items, IAM policy documents, network rules.
//!
//! A rule file holds only the decision; the parsing of AWS's document shapes lives here once,
//! so that every rule reads a policy or a security group the same way.

pub mod hash;
pub mod item;
pub mod network;
pub mod policy;
