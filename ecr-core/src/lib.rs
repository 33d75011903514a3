//! A fast, validating Amazon ECR client, and the runtime of the
//! `#[aws_operation]` DSL that declares it.
//!
//! An operation is a plain struct with an attribute on it:
//!
//! ```no_run
//! use ecr_core::{aws_operation, aws_shape, Client, Config};
//!
//! /// The response of `DescribeRegistry`.
//! #[aws_shape]
//! #[derive(Debug)]
//! pub struct RegistryOutput {
//!     /// The account id.
//!     pub registry_id: Option<String>,
//! }
//!
//! /// Describes the registry of the caller's account.
//! #[aws_operation(
//!     target = "AmazonEC2ContainerRegistry_V20150921.DescribeRegistry",
//!     output = RegistryOutput,
//!     errors(),
//! )]
//! pub struct MyDescribeRegistry;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Config::from_env().with_region("us-east-1").build());
//! let out = MyDescribeRegistry.send(&client).await?;
//! println!("{:?}", out.registry_id);
//! # Ok(()) }
//! ```
//!
//! The macros derive validation against the declared constraints, awsJson
//! serialization straight into one buffer, a `SCHEMA` constant, a typed error
//! enum and `send`; everything else lives in this crate's runtime.

#![warn(missing_docs)]

extern crate self as ecr_core;

pub mod client;
pub mod config;
pub mod credentials;
pub mod ecr;
pub mod endpoint;
pub mod error;
pub mod json;
pub mod operation;
pub mod protocol;
pub mod push;
pub mod retry;
pub mod schema;
pub mod signing;
pub mod types;
pub mod validate;

pub use client::Client;
pub use config::{Config, ConfigBuilder, TimeoutConfig};
pub use credentials::Credentials;
pub use ecr_macros::{aws_enum, aws_error, aws_operation, aws_shape};
pub use error::{Error, ErrorMeta, UnmodeledError};
/// The `http` crate, whose `HeaderMap` the protocol functions take.
pub use http;
pub use operation::{Ecr, ModeledError, Operation, OperationError, Service, ServiceInfo};
pub use schema::{Schema, Shape};
pub use types::Timestamp;
pub use validate::{ValidationError, ValidationMode, Violation};

/// What generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::{ErrorMeta, UnmodeledError};
    pub use crate::json::{AsBlob, JsonWriter, ToJson};
    pub use crate::operation::{
        Ecr, MessageSlot, ModeledError, Operation, OperationError, Service, parse_modeled,
        unmodeled,
    };
    pub use crate::schema::{Constraint, Kind, Member, Number, Schema, SchemaType, Shape};
    pub use crate::types::{de_base64, de_base64_opt, de_float, de_float_opt};
    pub use crate::validate::{Pattern, Validate, Validator};
    pub use crate::{Client, Error};
    pub use serde;
    pub use std::option::Option;
    pub use std::result::Result;
    pub use std::string::String;
}
