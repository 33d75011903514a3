//! A crate outside `ecrkit` that declares its own operations with the DSL,
//! depending on `ecrkit` alone (the downstream view of the macros).
//!
//! - [`logs`]: Amazon CloudWatch Logs, an awsJson1.1 service with its own
//!   service descriptor ([`logs::CloudWatchLogs`]).
//! - [`dynamodb`]: Amazon DynamoDB, an awsJson1.0 service
//!   ([`dynamodb::DynamoDb`]): the JSON version is a property of the
//!   service, not of ECR.
//! - The items at the root declare ECR-style operations with every field
//!   attribute, for the validation tests.

#![deny(missing_docs)]

pub mod dynamodb;
pub mod logs;

use ecrkit::{aws_enum, aws_error, aws_operation, aws_shape};

/// A tag.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// The key.
    #[length(1, 128)]
    #[rename = "Key"]
    pub key: String,
    /// The value.
    #[length(0, 256)]
    #[rename = "Value"]
    pub value: String,
}

/// Tag mutability.
#[aws_enum]
#[derive(Debug, Clone, PartialEq)]
pub enum Mutability {
    /// Tags can be overwritten.
    #[rename = "MUTABLE"]
    Mutable,
    /// Tags cannot be overwritten.
    #[rename = "IMMUTABLE"]
    Immutable,
    /// Anything else.
    Unknown(String),
}

/// The server failed.
#[aws_error]
#[derive(Debug, Clone)]
pub struct ServerException {
    /// The message.
    pub message: Option<String>,
}

/// A part was out of order.
#[aws_error]
#[derive(Debug, Clone)]
pub struct InvalidLayerPartException {
    /// The message.
    pub message: Option<String>,
    /// The last byte the service holds.
    pub last_valid_byte_received: Option<i64>,
}

/// The output.
#[aws_shape]
#[derive(Debug, Clone, PartialEq)]
pub struct PutThingResponse {
    /// Echoed.
    pub repository_name: Option<String>,
    /// The time.
    pub created_at: Option<ecrkit::Timestamp>,
}

/// A request declared downstream.
#[aws_operation(
    target = "AmazonEC2ContainerRegistry_V20150921.PutThing",
    output = PutThingResponse,
    errors(ServerException, InvalidLayerPartException),
)]
#[derive(Debug, Clone)]
pub struct PutThing {
    /// The repository.
    #[length(2, 256)]
    #[pattern(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")]
    pub repository_name: String,
    /// Bytes.
    #[base64]
    #[length(max = 20971520)]
    pub blob: bytes::Bytes,
    /// An optional blob.
    #[base64]
    pub other_blob: Option<Vec<u8>>,
    /// A position.
    #[range(0, 1152921504606846976)]
    pub first_byte: i64,
    /// Tags.
    #[length(max = 50)]
    pub tags: Option<Vec<Tag>>,
    /// Digests.
    #[length(1, 100)]
    #[each(pattern("[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+"), length(max = 100))]
    pub digests: Vec<String>,
    /// Mutability.
    pub mutability: Option<Mutability>,
    /// A float.
    #[range(min = 0.5)]
    pub ratio: Option<f64>,
}

/// A unit request.
#[aws_operation(target = "AmazonEC2ContainerRegistry_V20150921.DescribeNothing", output = PutThingResponse, errors())]
pub struct DescribeNothing;
