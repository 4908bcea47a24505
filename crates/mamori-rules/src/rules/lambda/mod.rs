//! Rules about AWS Lambda functions.

mod lambda_function_public_access_prohibited;
mod lambda_function_settings_check;
mod lambda_inside_vpc;
mod mamori_lambda_function_no_secrets_in_environment;

use crate::Rule;

pub const RULES: &[&dyn Rule] = &[
    &lambda_function_public_access_prohibited::LambdaFunctionPublicAccessProhibited,
    &lambda_function_settings_check::LambdaFunctionSettingsCheck,
    &lambda_inside_vpc::LambdaInsideVpc,
    &mamori_lambda_function_no_secrets_in_environment::MamoriLambdaFunctionNoSecretsInEnvironment,
];
