//! Rules about IAM Access Analyzer: whether analyzers watch every account and region.

mod iam_external_access_analyzer_enabled;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&iam_external_access_analyzer_enabled::IamExternalAccessAnalyzerEnabled];
