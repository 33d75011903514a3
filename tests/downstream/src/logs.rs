//! Amazon CloudWatch Logs (awsJson1.1), declared downstream with the DSL.
//!
//! Members, wire names, requiredness and constraints follow botocore's
//! `logs/2014-03-28/service-2.json`; only a subset of the members of each
//! operation is declared (every required one, and the optional ones a
//! caller commonly sets).

use std::collections::HashMap;

use ecrkit::{Service, ServiceInfo, aws_enum, aws_error, aws_operation, aws_shape};

/// The CloudWatch Logs service descriptor: operations name it with
/// `#[aws_operation(service = CloudWatchLogs, ..)]`.
#[derive(Debug, Clone, Copy)]
pub struct CloudWatchLogs;

impl Service for CloudWatchLogs {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "logs",
        endpoint_prefix: "logs",
        json_version: "1.1",
        target_prefix: "Logs_20140328",
        env_name: "CLOUDWATCH_LOGS",
        query_compatible: false,
    };
}

// --- Errors -----------------------------------------------------------------

/// A parameter is not valid.
#[aws_error]
#[derive(Debug, Clone)]
pub struct InvalidParameterException {
    /// The service's message.
    pub message: Option<String>,
}

/// The resource already exists.
#[aws_error]
#[derive(Debug, Clone)]
pub struct ResourceAlreadyExistsException {
    /// The service's message.
    pub message: Option<String>,
}

/// The resource does not exist.
#[aws_error]
#[derive(Debug, Clone)]
pub struct ResourceNotFoundException {
    /// The service's message.
    pub message: Option<String>,
}

/// A service limit was reached.
#[aws_error]
#[derive(Debug, Clone)]
pub struct LimitExceededException {
    /// The service's message.
    pub message: Option<String>,
}

/// Another operation on the resource is in progress.
#[aws_error]
#[derive(Debug, Clone)]
pub struct OperationAbortedException {
    /// The service's message.
    pub message: Option<String>,
}

/// The service is unavailable (a fault: retried by the client).
#[aws_error]
#[derive(Debug, Clone)]
pub struct ServiceUnavailableException {
    /// The service's message.
    pub message: Option<String>,
}

/// The sequence token is not valid (ignored by the service since 2023).
#[aws_error]
#[derive(Debug, Clone)]
pub struct InvalidSequenceTokenException {
    /// The service's message.
    pub message: Option<String>,
    /// The token the service expected.
    #[length(min = 1)]
    pub expected_sequence_token: Option<String>,
}

/// The batch was already accepted.
#[aws_error]
#[derive(Debug, Clone)]
pub struct DataAlreadyAcceptedException {
    /// The service's message.
    pub message: Option<String>,
    /// The token the service expected.
    #[length(min = 1)]
    pub expected_sequence_token: Option<String>,
}

/// The credentials or the client are not recognized.
#[aws_error]
#[derive(Debug, Clone)]
pub struct UnrecognizedClientException {
    /// The service's message.
    pub message: Option<String>,
}

// --- Shared shapes ------------------------------------------------------------

/// The storage class of a log group.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum LogGroupClass {
    /// Full-featured ingestion and storage.
    #[rename = "STANDARD"]
    Standard,
    /// Lower-cost storage for logs read rarely.
    #[rename = "INFREQUENT_ACCESS"]
    InfrequentAccess,
    /// Logs delivered to other destinations.
    #[rename = "DELIVERY"]
    Delivery,
    /// Essentials tier.
    #[rename = "ESSENTIALS"]
    Essentials,
    /// A class this client does not know.
    Unknown(String),
}

/// A log group, as `DescribeLogGroups` returns it.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroup {
    /// The name.
    pub log_group_name: Option<String>,
    /// Creation time, in milliseconds since the epoch.
    pub creation_time: Option<i64>,
    /// Retention, in days.
    pub retention_in_days: Option<i32>,
    /// The number of metric filters.
    pub metric_filter_count: Option<i32>,
    /// The ARN (ending in `:*`).
    pub arn: Option<String>,
    /// Bytes stored.
    pub stored_bytes: Option<i64>,
    /// The KMS key that encrypts the group.
    pub kms_key_id: Option<String>,
    /// The storage class.
    pub log_group_class: Option<LogGroupClass>,
    /// The ARN without the trailing `:*`.
    pub log_group_arn: Option<String>,
}

// --- CreateLogGroup -------------------------------------------------------------

/// The empty response of operations that return nothing.
#[aws_shape]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Empty;

/// Creates a log group.
#[aws_operation(
    service = CloudWatchLogs,
    target = "Logs_20140328.CreateLogGroup",
    output = Empty,
    errors(
        InvalidParameterException,
        ResourceAlreadyExistsException,
        LimitExceededException,
        OperationAbortedException,
        ServiceUnavailableException,
    ),
)]
#[derive(Debug, Clone, Default)]
pub struct CreateLogGroup {
    /// The name of the group.
    #[length(1, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]+")]
    pub log_group_name: String,
    /// The KMS key that encrypts the group.
    #[length(max = 256)]
    pub kms_key_id: Option<String>,
    /// Tags. The model's key and value patterns use Unicode general
    /// categories (`\p{L}`), which the runtime's regex build does not
    /// include, so only the lengths are checked here.
    #[length(1, 50)]
    #[each(length(max = 256))]
    pub tags: Option<HashMap<String, String>>,
    /// The storage class.
    pub log_group_class: Option<LogGroupClass>,
    /// Whether the group is protected from deletion.
    pub deletion_protection_enabled: Option<bool>,
}

// --- CreateLogStream ------------------------------------------------------------

/// Creates a log stream in a log group.
#[aws_operation(
    service = CloudWatchLogs,
    target = "Logs_20140328.CreateLogStream",
    output = Empty,
    errors(
        InvalidParameterException,
        ResourceAlreadyExistsException,
        ResourceNotFoundException,
        ServiceUnavailableException,
    ),
)]
#[derive(Debug, Clone, Default)]
pub struct CreateLogStream {
    /// The group.
    #[length(1, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]+")]
    pub log_group_name: String,
    /// The name of the stream.
    #[length(1, 512)]
    #[pattern("[^:*]*")]
    pub log_stream_name: String,
}

// --- PutLogEvents ---------------------------------------------------------------

/// One event to put.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct InputLogEvent {
    /// Milliseconds since the epoch.
    #[range(min = 0)]
    pub timestamp: i64,
    /// The raw message.
    #[length(min = 1)]
    pub message: String,
}

/// Which events of a batch the service rejected.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedLogEventsInfo {
    /// The first event that is too new.
    pub too_new_log_event_start_index: Option<i32>,
    /// The last event that is too old.
    pub too_old_log_event_end_index: Option<i32>,
    /// The last event that is past the retention.
    pub expired_log_event_end_index: Option<i32>,
}

/// The response of `PutLogEvents`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct PutLogEventsResponse {
    /// The next sequence token (no longer required by the service).
    pub next_sequence_token: Option<String>,
    /// Rejected events, if any.
    pub rejected_log_events_info: Option<RejectedLogEventsInfo>,
}

/// Uploads a batch of events to a log stream.
#[aws_operation(
    service = CloudWatchLogs,
    target = "Logs_20140328.PutLogEvents",
    output = PutLogEventsResponse,
    errors(
        InvalidParameterException,
        InvalidSequenceTokenException,
        DataAlreadyAcceptedException,
        ResourceNotFoundException,
        ServiceUnavailableException,
        UnrecognizedClientException,
    ),
)]
#[derive(Debug, Clone, Default)]
pub struct PutLogEvents {
    /// The group.
    #[length(1, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]+")]
    pub log_group_name: String,
    /// The stream.
    #[length(1, 512)]
    #[pattern("[^:*]*")]
    pub log_stream_name: String,
    /// The events, in chronological order.
    #[length(1, 10000)]
    pub log_events: Vec<InputLogEvent>,
    /// The sequence token (ignored by the service since 2023).
    #[length(min = 1)]
    pub sequence_token: Option<String>,
}

// --- GetLogEvents ---------------------------------------------------------------

/// One event read back.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct OutputLogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// The message.
    pub message: Option<String>,
    /// When the service ingested it, in milliseconds since the epoch.
    pub ingestion_time: Option<i64>,
}

/// The response of `GetLogEvents`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct GetLogEventsResponse {
    /// The events.
    pub events: Option<Vec<OutputLogEvent>>,
    /// The token for the next page, forwards.
    pub next_forward_token: Option<String>,
    /// The token for the next page, backwards.
    pub next_backward_token: Option<String>,
}

/// Reads events from a log stream.
#[aws_operation(
    service = CloudWatchLogs,
    target = "Logs_20140328.GetLogEvents",
    output = GetLogEventsResponse,
    errors(
        InvalidParameterException,
        ResourceNotFoundException,
        ServiceUnavailableException,
    ),
)]
#[derive(Debug, Clone, Default)]
pub struct GetLogEvents {
    /// The group, by name (or use `log_group_identifier`).
    #[length(1, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]+")]
    pub log_group_name: Option<String>,
    /// The group, by name or ARN.
    #[length(1, 2048)]
    #[pattern(r"[\w#+=/:,.@-]*")]
    pub log_group_identifier: Option<String>,
    /// The stream.
    #[length(1, 512)]
    #[pattern("[^:*]*")]
    pub log_stream_name: String,
    /// Start of the time range, in milliseconds since the epoch.
    #[range(min = 0)]
    pub start_time: Option<i64>,
    /// End of the time range, in milliseconds since the epoch.
    #[range(min = 0)]
    pub end_time: Option<i64>,
    /// A page token.
    #[length(min = 1)]
    pub next_token: Option<String>,
    /// The most events to return.
    #[range(1, 10000)]
    pub limit: Option<i32>,
    /// Read from the oldest event first.
    pub start_from_head: Option<bool>,
}

// --- DescribeLogGroups ----------------------------------------------------------

/// The response of `DescribeLogGroups`.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeLogGroupsResponse {
    /// The groups.
    pub log_groups: Option<Vec<LogGroup>>,
    /// The token for the next page.
    pub next_token: Option<String>,
}

/// Lists log groups.
#[aws_operation(
    service = CloudWatchLogs,
    target = "Logs_20140328.DescribeLogGroups",
    output = DescribeLogGroupsResponse,
    errors(InvalidParameterException, ServiceUnavailableException),
)]
#[derive(Debug, Clone, Default)]
pub struct DescribeLogGroups {
    /// Only groups whose name starts with this.
    #[length(1, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]+")]
    pub log_group_name_prefix: Option<String>,
    /// Only groups whose name contains this.
    #[length(0, 512)]
    #[pattern(r"[\.\-_/#A-Za-z0-9]*")]
    pub log_group_name_pattern: Option<String>,
    /// A page token.
    #[length(min = 1)]
    pub next_token: Option<String>,
    /// The most groups to return.
    #[range(1, 50)]
    pub limit: Option<i32>,
    /// Only groups of this class.
    pub log_group_class: Option<LogGroupClass>,
}
