//! Rules about AWS Lambda functions.

mod lambda_function_public_access_prohibited;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[&lambda_function_public_access_prohibited::LambdaFunctionPublicAccessProhibited];
