//! Live collection: every account, every region, every collector, written as configuration
//! items in the shape `docs/INVENTORY.md` fixes.
//!
//! The run is a tree of tasks: accounts (entered through [`crate::session`]), then one task
//! for the account's global services and one per region, each running its collectors
//! concurrently. Every AWS call goes through [`Cx::call`], which takes the gates of
//! [`crate::limits`], counts the call and turns a failure into an [`ApiError`]. What a
//! collector could not read is written down, never left out: a failed list becomes a
//! `Mamori::Collection::Error` record, a failed attribute an entry under
//! `supplementaryConfiguration.mamoriCollectionErrors`, so the rules report ERROR instead of
//! judging missing data.

mod account;
mod cloudfront;
mod cloudtrail;
mod config;
mod detection;
mod ec2;
mod elb;
mod iam;
mod kms;
mod lambda;
mod organizations;
mod rds;
mod registry;
mod run;
pub(crate) mod s3;
mod secrets;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use mamori_model::{ConfigItem, COLLECTION_ERROR_TYPE};
use serde_json::{json, Map, Value};

use crate::limits::Gates;
use crate::stats::{AttemptCounter, Stats};

pub use registry::{required_actions, Collector, Placement, ACCOUNT_LIST_ACTIONS, COLLECTORS};
pub use run::{
    collect, recollect, AccountOutcome, AccountStatus, CollectError, CollectOptions, DirectorySink, Event, ItemSink,
    Observer, RunSummary,
};

/// The future a collector returns.
pub type CollectFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// An AWS call that failed after its retries, as AWS named the failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// AWS's error code (`AccessDenied`, `Throttling`), or `Timeout` / `DispatchFailure` when
    /// no answer came.
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { code: code.into(), message: message.into() }
    }

    /// Reads code and message from an SDK error of any operation.
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                match inner.code() {
                    Some(code) => ApiError::new(code, inner.message().unwrap_or_default()),
                    // An error answer the SDK could not read: keep what it saw, so the cause
                    // is not lost behind an empty message.
                    None => {
                        let raw = service.raw();
                        let body = raw.body().bytes().map(String::from_utf8_lossy).unwrap_or_default();
                        let body: String = body.chars().filter(|c| !c.is_control()).take(300).collect();
                        ApiError::new("UnknownError", format!("HTTP {}: {body}", raw.status().as_u16()))
                    }
                }
            }
            SdkError::TimeoutError(_) => ApiError::new("Timeout", "no answer before the call's deadline"),
            SdkError::DispatchFailure(_) => ApiError::new("DispatchFailure", DisplayErrorContext(err).to_string()),
            SdkError::ResponseError(_) => ApiError::new("ResponseError", DisplayErrorContext(err).to_string()),
            _ => ApiError::new("ClientError", DisplayErrorContext(err).to_string()),
        }
    }

    /// Whether the resource asked for does not exist (as opposed to a failure): several
    /// `Get*` calls answer "not configured" this way.
    pub fn is_not_found(&self, codes: &[&str]) -> bool {
        codes.contains(&self.code.as_str())
    }
}

/// Account-wide fields of one region's `AWS::::Account` record, and the ones that failed.
#[derive(Debug, Default)]
pub(crate) struct AccountFields {
    pub fields: Map<String, Value>,
    pub errors: Map<String, Value>,
}

/// What one account-region task shares with its collectors.
pub struct Cx {
    account_id: String,
    /// The SDK region calls go to.
    region: String,
    /// `awsRegion` of the items: the region, or `global` for global services.
    label: String,
    /// The region whose `AWS::::Account` record carries this task's account fields.
    record_region: String,
    capture_time: String,
    sdk: SdkConfig,
    gates: Arc<Gates>,
    stats: Arc<Stats>,
    items: Mutex<Vec<ConfigItem>>,
    account_fields: Arc<Mutex<BTreeMap<String, AccountFields>>>,
}

impl Cx {
    /// The account being read.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The region the SDK sends calls to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The SDK configuration: the account's session, this task's region, retries, timeouts.
    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The interceptor every client of a collector registers, so retries are counted.
    pub fn attempt_counter(&self) -> AttemptCounter {
        AttemptCounter::new(Arc::clone(&self.stats))
    }

    /// Sends one call through the gates and counts it.
    pub async fn call<T, E>(
        &self,
        service: &'static str,
        call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let _permit = self.gates.enter(&self.account_id, service).await;
        let result = call.await.map_err(|e| ApiError::from_sdk(&e));
        self.stats.call(service, result.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
        result
    }

    /// Reads every page of a paginated list; any page failing fails the whole list (a list
    /// cut short must not look complete).
    pub async fn pages<T, E>(
        &self,
        service: &'static str,
        mut pages: aws_smithy_async::future::pagination_stream::PaginationStream<Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<Vec<T>, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut all = Vec::new();
        loop {
            let next = {
                let _permit = self.gates.enter(&self.account_id, service).await;
                pages.next().await
            };
            match next {
                None => return Ok(all),
                Some(Ok(page)) => {
                    self.stats.call(service, Ok(()));
                    all.push(page);
                }
                Some(Err(err)) => {
                    let err = ApiError::from_sdk(&err);
                    self.stats.call(service, Err(&err.code));
                    return Err(err);
                }
            }
        }
    }

    /// A new item of this account and task, captured at the run's start, status `OK`.
    pub fn item(&self, resource_type: &str, resource_id: impl Into<String>) -> ConfigItem {
        ConfigItem {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.into(),
            resource_name: None,
            arn: None,
            account_id: self.account_id.clone(),
            aws_region: self.label.clone(),
            configuration_item_capture_time: Some(self.capture_time.clone()),
            configuration_item_status: Some("OK".into()),
            tags: BTreeMap::new(),
            relationships: Vec::new(),
            configuration: Value::Object(Map::new()),
            supplementary_configuration: Map::new(),
        }
    }

    /// Hands an item to the run's output.
    pub fn emit(&self, item: ConfigItem) {
        self.items.lock().expect("items lock").push(item);
    }

    /// Records that the list of `resource_type` could not be read: every rule reading that
    /// type reports ERROR for this account and region.
    pub fn list_failed(&self, resource_type: &str, operation: &str, err: &ApiError) {
        let mut record = self.item(COLLECTION_ERROR_TYPE, format!("{resource_type}/{operation}"));
        record.configuration = json!({
            "resourceType": resource_type,
            "operation": operation,
            "errorCode": err.code,
            "message": err.message,
        });
        self.emit(record);
    }

    /// Records that one attribute of `item` could not be read.
    pub fn attribute_failed(item: &mut ConfigItem, key: &str, operation: &str, err: &ApiError) {
        let errors = item
            .supplementary_configuration
            .entry("mamoriCollectionErrors")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(errors) = errors {
            errors.insert(key.to_owned(), Value::String(format!("{}: {operation}: {}", err.code, err.message)));
        }
    }

    /// Sets a field of the account record (global fields land on the home region's record).
    pub fn account_field(&self, key: &str, value: Value) {
        let mut records = self.account_fields.lock().expect("account lock");
        records.entry(self.record_region.clone()).or_default().fields.insert(key.to_owned(), value);
    }

    /// Records that an account field could not be read.
    pub fn account_field_failed(&self, key: &str, operation: &str, err: &ApiError) {
        let mut records = self.account_fields.lock().expect("account lock");
        records
            .entry(self.record_region.clone())
            .or_default()
            .errors
            .insert(key.to_owned(), Value::String(format!("{}: {operation}: {}", err.code, err.message)));
    }

    fn take_items(&self) -> Vec<ConfigItem> {
        std::mem::take(&mut *self.items.lock().expect("items lock"))
    }
}

/// Builds a service client from the task's configuration with the attempt counter installed:
/// `client!(cx, aws_sdk_iam)`.
#[macro_export]
#[doc(hidden)]
macro_rules! client {
    ($cx:expr, $sdk:ident) => {
        $sdk::Client::from_conf($sdk::config::Builder::from($cx.sdk()).interceptor($cx.attempt_counter()).build())
    };
}

/// Converts an AWS timestamp to the ISO form AWS Config writes.
pub fn iso(time: &aws_smithy_types::DateTime) -> String {
    time.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default()
}

/// Optional AWS timestamp to JSON (`null` when absent).
pub fn iso_or_null(time: Option<&aws_smithy_types::DateTime>) -> Value {
    time.map_or(Value::Null, |t| Value::String(iso(t)))
}
