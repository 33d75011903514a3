//! A fast, validating Amazon ECR client, and the runtime of the operation DSL
//! that declares it: the same four attributes declare operations of any
//! awsJson 1.0 or 1.1 service, in this crate or in yours.
//!
//! ```toml
//! [dependencies]
//! ecrkit = "0.1"
//! ```
//!
//! That one line is all a crate needs: the macros are re-exported here, and
//! the code they generate reaches everything it needs through this
//! crate. (Add `bytes` only if your own blob fields are `bytes::Bytes`;
//! `Vec<u8>` works without it.)
//!
//! # Calling Amazon ECR
//!
//! All 62 operations of Amazon ECR are declared in [`ecr`]. Each is a plain
//! struct; [`Client`] signs (SigV4), sends, retries and parses.
//!
//! ```no_run
//! use ecrkit::Client;
//! use ecrkit::ecr::DescribeRepositories;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Region, credentials and endpoint from the AWS environment and profile.
//! let client = Client::from_env().await?;
//! let out = DescribeRepositories::default().send(&client).await?;
//! for repository in out.repositories.unwrap_or_default() {
//!     println!("{:?}", repository.repository_uri);
//! }
//! # Ok(()) }
//! ```
//!
//! Credentials come from the AWS SDKs' default chain ([`credentials`]):
//! the environment, web identity tokens (EKS IRSA, GitHub Actions OIDC),
//! the shared config and credentials files (profiles, assume-role chains,
//! `credential_process`, SSO), the ECS and EKS Pod Identity container
//! endpoint, EC2 instance metadata; refreshed before they expire. TLS
//! trusts Mozilla's and the system's roots and `AWS_CA_BUNDLE`; proxies
//! come from `HTTPS_PROXY` / `NO_PROXY`; a `reqwest::Client` of your own
//! goes in with [`ConfigBuilder::with_http_client`]. The tests of code
//! that calls ecrkit use the mocks of `ecrkit::mock` (feature `test-util`)
//! and need no network.
//!
//! # Your first operation
//!
//! An operation is a request struct under `#[aws_operation]`, naming its
//! `X-Amz-Target`, its response type and the exceptions it models. Responses
//! and nested structures are `#[aws_shape]`s, exceptions `#[aws_error]`s.
//! Field attributes state the model's constraints.
//!
//! ```
//! use ecrkit::{Client, Config, Operation, aws_error, aws_operation, aws_shape};
//!
//! /// The response.
//! #[aws_shape]
//! #[derive(Debug)]
//! pub struct DescribeThingResponse {
//!     /// The thing's URI.
//!     pub thing_uri: Option<String>,
//! }
//!
//! /// The service failed.
//! #[aws_error]
//! #[derive(Debug)]
//! pub struct ServerException {
//!     /// The service's message.
//!     pub message: Option<String>,
//! }
//!
//! /// Describes a thing.
//! #[aws_operation(
//!     target = "AmazonEC2ContainerRegistry_V20150921.DescribeThing",
//!     output = DescribeThingResponse,
//!     errors(ServerException),
//! )]
//! #[derive(Debug, Default)]
//! pub struct DescribeThing {
//!     /// Required: not an `Option`.
//!     #[length(2, 256)]
//!     #[pattern("[a-z0-9]+(?:[._-][a-z0-9]+)*")]
//!     pub repository_name: String,
//!     /// Optional: `None` is neither sent nor validated.
//!     #[range(1, 1000)]
//!     pub max_results: Option<i32>,
//! }
//!
//! // Wire names are lowerCamelCase unless `#[rename = ".."]` says otherwise.
//! let request = DescribeThing { repository_name: "my-app".into(), max_results: Some(10) };
//! let mut body = Vec::new();
//! request.write_body(&mut body)?;
//! assert_eq!(body, br#"{"repositoryName":"my-app","maxResults":10}"#);
//!
//! // The schema the macro derived: wire names, kinds, requiredness, constraints.
//! let names: Vec<_> = DescribeThing::SCHEMA.members.iter().map(|m| m.wire_name).collect();
//! assert_eq!(names, ["repositoryName", "maxResults"]);
//!
//! // `send` validates first and reports every violation at once, without
//! // touching the network.
//! let client = Client::new(Config::builder().with_region("us-east-1").build());
//! let bad = DescribeThing { repository_name: "X".into(), max_results: Some(0) };
//! let err = client.validate(&bad).unwrap_err();
//! let paths: Vec<_> = err.violations.iter().map(|v| v.path.as_str()).collect();
//! assert_eq!(paths, ["repositoryName", "repositoryName", "maxResults"]);
//! // The same check without a client.
//! assert_eq!(bad.validate().unwrap_err(), err);
//!
//! // Every declared type is serde's too, with its wire names.
//! assert_eq!(serde_json::to_string(&request)?, r#"{"repositoryName":"my-app","maxResults":10}"#);
//! let out: DescribeThingResponse = serde_json::from_str(r#"{"thingUri":"u"}"#)?;
//! assert_eq!(out.thing_uri.as_deref(), Some("u"));
//!
//! // Sending returns the response, or an error carrying the typed
//! // `DescribeThingError` the macro generated.
//! async fn call(client: &Client) -> Result<Option<String>, ecrkit::Error<DescribeThingError>> {
//!     let out = DescribeThing { repository_name: "my-app".into(), ..Default::default() }
//!         .send(client)
//!         .await?;
//!     Ok(out.thing_uri)
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A request without members is a unit struct (`pub struct DescribeRegistry;`)
//! and sends `{}`.
//!
//! # Field attributes
//!
//! | attribute | meaning | on |
//! | --- | --- | --- |
//! | `#[range(min, max)]`, `#[range(min = a)]`, `#[range(max = b)]` | inclusive bounds | integers, floats |
//! | `#[length(min, max)]` (and the `min =` / `max =` forms) | strings: Unicode scalar values; blobs: bytes; lists and maps: entries | `String`, blobs, `Vec`, maps |
//! | `#[pattern("regex")]` | must match; not implicitly anchored, as in Smithy | strings |
//! | `#[constraints(Name)]` | the constraints of a set declared once with `#[aws_constraint(..)]` | strings, numbers, blobs, lists, maps |
//! | `#[base64]` | bytes travel as a base64 string | `bytes::Bytes`, `Vec<u8>`, lists and maps of them |
//! | `#[rename = "Key"]` | the wire name (default: lowerCamelCase of the field) | any field, enum variants |
//! | `#[each(length(..), range(..), pattern(..), constraints(..))]` | constraints on every list item or map value | `Vec`, maps |
//! | `#[timestamp_format("date-time")]` | `date-time`, `http-date` or `epoch-seconds` (the default) | `Timestamp`, lists and maps of them |
//! | `#[host_label]` | fills `{Label}` in the operation's `host_prefix = ".."` | required `String` fields of operations |
//!
//! Bounds that cannot hold, a regex that does not compile, or an attribute on
//! a field of the wrong type are compile errors that point at the token and
//! say what to write instead. Every error in an item is reported at once.
//!
//! # Shapes, enums and errors
//!
//! ```
//! use ecrkit::{aws_enum, aws_error, aws_shape};
//!
//! /// A string enum: values added to the service later are kept, not rejected.
//! #[aws_enum]
//! #[derive(Debug, Clone, PartialEq)]
//! pub enum TagMutability {
//!     /// Tags can be overwritten.
//!     #[rename = "MUTABLE"]
//!     Mutable,
//!     /// Tags cannot be overwritten.
//!     #[rename = "IMMUTABLE"]
//!     Immutable,
//!     /// A value this client does not know.
//!     Unknown(String),
//! }
//!
//! /// A nested structure, validated where it is used.
//! #[aws_shape]
//! #[derive(Debug, Clone)]
//! pub struct Tag {
//!     /// The key.
//!     #[rename = "Key"]
//!     #[length(1, 128)]
//!     pub key: String,
//!     /// The value.
//!     #[rename = "Value"]
//!     #[length(0, 256)]
//!     pub value: String,
//! }
//!
//! /// An exception with a modeled field.
//! #[aws_error]
//! #[derive(Debug)]
//! pub struct InvalidLayerPartException {
//!     /// The service's message.
//!     pub message: Option<String>,
//!     /// Where to resume.
//!     pub last_valid_byte_received: Option<i64>,
//! }
//!
//! assert_eq!(TagMutability::from("IMMUTABLE"), TagMutability::Immutable);
//! assert_eq!(TagMutability::from("NEW_IN_2030").as_str(), "NEW_IN_2030");
//! ```
//!
//! # Validation
//!
//! The client checks the model's constraints before it sends, and never
//! makes a network call for a request that fails them. AWS's own SDKs do not
//! validate (a client built from an older model could reject what the
//! service now accepts), so the check can be relaxed per client with
//! [`ValidationMode`]: `Enforce` (the default), `Warn` (log each violation
//! with `tracing::warn!` and send) or `Off`.
//!
//! ```
//! use ecrkit::ecr::CreateRepository;
//! use ecrkit::{Client, Config, ValidationMode};
//!
//! let request = CreateRepository { repository_name: "X".into(), ..Default::default() };
//!
//! let strict = Client::new(Config::builder().with_region("us-east-1").build());
//! let err = strict.validate(&request).unwrap_err();
//! assert_eq!(err.violations[0].path, "repositoryName");
//! // The message says what broke and how to step back.
//! assert!(err.to_string().contains("ValidationMode::Warn"));
//!
//! let lenient = Client::new(
//!     Config::builder()
//!         .with_region("us-east-1")
//!         .with_validation(ValidationMode::Warn)
//!         .build(),
//! );
//! assert!(lenient.validate(&request).is_ok());
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error<E>`](Error), where `E` is the operation's
//! generated error enum: one variant per exception listed in `errors(..)`,
//! with its modeled fields, plus `Unmodeled` for anything else (code,
//! message, HTTP status and request id kept).
//!
//! ```no_run
//! use ecrkit::ecr::{CreateRepository, CreateRepositoryError};
//! use ecrkit::{Client, Error};
//!
//! async fn ensure_repository(client: &Client, name: &str) -> Result<(), Error<CreateRepositoryError>> {
//!     let request = CreateRepository { repository_name: name.into(), ..Default::default() };
//!     match request.send(client).await {
//!         Ok(_) => Ok(()),
//!         Err(Error::Service {
//!             error: CreateRepositoryError::RepositoryAlreadyExistsException(_),
//!             ..
//!         }) => Ok(()),
//!         Err(e) => {
//!             eprintln!("request id {:?}", e.request_id());
//!             Err(e)
//!         }
//!     }
//! }
//! ```
//!
//! Throttling, transient errors and timeouts are retried with the AWS
//! standard retry mode (see [`retry`]); an error is returned once the
//! attempts or the retry quota run out.
//!
//! # Another service
//!
//! The service an operation belongs to is a type implementing [`Service`]:
//! its SigV4 signing name, endpoint prefix, awsJson version and target
//! prefix. Operations without `service = ..` belong to [`Ecr`]. The JSON
//! version is the service's, so one client calls awsJson 1.0 and 1.1
//! services alike. Here is DynamoDB's `ListTables`, whose members are
//! PascalCase on the wire:
//!
//! ```no_run
//! use ecrkit::{Client, Service, ServiceInfo, aws_error, aws_operation, aws_shape};
//!
//! /// Amazon DynamoDB.
//! pub struct DynamoDb;
//!
//! impl Service for DynamoDb {
//!     const INFO: ServiceInfo = ServiceInfo {
//!         signing_name: "dynamodb",
//!         endpoint_prefix: "dynamodb",
//!         json_version: "1.0",
//!         target_prefix: "DynamoDB_20120810",
//!         env_name: "DYNAMODB", // AWS_ENDPOINT_URL_DYNAMODB
//!         query_compatible: false,
//!     };
//! }
//!
//! /// The response of `ListTables`.
//! #[aws_shape]
//! #[derive(Debug)]
//! pub struct ListTablesOutput {
//!     /// The names.
//!     #[rename = "TableNames"]
//!     pub table_names: Option<Vec<String>>,
//! }
//!
//! /// The service failed.
//! #[aws_error]
//! #[derive(Debug)]
//! pub struct InternalServerError {
//!     /// The service's message.
//!     pub message: Option<String>,
//! }
//!
//! /// Lists tables.
//! #[aws_operation(
//!     service = DynamoDb,
//!     target = "DynamoDB_20120810.ListTables",
//!     output = ListTablesOutput,
//!     errors(InternalServerError),
//! )]
//! #[derive(Default)]
//! pub struct ListTables {
//!     /// The most names to return.
//!     #[rename = "Limit"]
//!     #[range(1, 100)]
//!     pub limit: Option<i32>,
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env().await?;
//! let tables = ListTables { limit: Some(10) }.send(&client).await?;
//! println!("{:?}", tables.table_names);
//! # Ok(()) }
//! ```
//!
//! The workspace's `tests/downstream` crate declares CloudWatch Logs and
//! DynamoDB operations this way and runs them against moto.
//!
//! # From another crate
//!
//! In a crate that depends on `ecrkit` under its own name, the macros work
//! without imports (`#[ecrkit::aws_shape]`). If the dependency is renamed
//! (`core2 = { package = "ecrkit", .. }`) or re-exported from a module of
//! yours, say where the runtime is with `crate = ".."`, as with serde:
//!
//! ```
//! mod runtime {
//!     pub use ecrkit::*;
//! }
//!
//! /// Declared against a re-export of the runtime.
//! #[ecrkit::aws_shape(crate = "crate::runtime")]
//! #[derive(Debug)]
//! pub struct Out {
//!     /// A value.
//!     pub value: Option<String>,
//! }
//! # fn main() {}
//! ```
//!
//! # Configuration
//!
//! [`Config::from_env`] follows the AWS conventions (`AWS_REGION`,
//! `AWS_PROFILE` and the shared files, `AWS_ENDPOINT_URL_<SERVICE>` /
//! `AWS_ENDPOINT_URL`, `AWS_MAX_ATTEMPTS`, FIPS and dual-stack flags); the
//! builder sets everything explicitly:
//!
//! ```
//! use ecrkit::{Client, Config, Credentials};
//!
//! let client = Client::new(
//!     Config::builder()
//!         .with_region("eu-west-1")
//!         .with_endpoint_url("http://127.0.0.1:5000")
//!         .with_credentials(Credentials::new("AKID", "secret", None, None, "example"))
//!         .with_max_attempts(5)
//!         .build(),
//! );
//! # let _ = client;
//! ```
//!
//! # Feature flags
//!
//! The ECR API comes by area, one feature per area module of [`ecr`]
//! (`common`, `errors` and `paginators` follow the areas on), all on by
//! default (`full`); TLS is always rustls (no OpenSSL), with Mozilla's and
//! the operating system's root certificates (`webpki-roots`,
//! `native-roots`, in the default set). A program that only pushes images
//! takes `default-features = false, features = ["push", "repositories",
//! "webpki-roots", "native-roots"]` and compiles 19 of the 62 operations
//! (rebuilding ecrkit and such a program takes 4–6 s less; see
//! BENCHMARKS.md); a crate that declares another service's operations takes
//! `default-features = false, features = ["webpki-roots", "native-roots"]`
//! and compiles none of the API. Without a root feature only a CA bundle is
//! trusted, and a request to an `https://` endpoint without one fails
//! before it is sent, saying so ([`transport::NO_ROOTS`]). The credentials
//! chain (aws-config's) is always there.
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `full` | on | every area below, `push` and the [`waiters`] |
//! | `layers`, `images`, `repositories`, `policies`, `lifecycle`, `scanning`, `replication`, `pull-through-cache`, `templates`, `image-signing`, `account-settings`, `tags` | on (`full`) | the operations of that area of [`ecr`] (the module of the same name, with `_` for `-`) and their paginators; a shape several areas use is there when any of them is; `scanning` and `lifecycle` add their waiters |
//! | `push` | on (`full`) | [`push`]: the layer and image uploader (with `layers`, `images` and `registry`), through the ECR API or the registry |
//! | `registry` | on (`full`) | [`registry`]: the OCI distribution protocol, for ECR's registry endpoint (authorized by `GetAuthorizationToken`; with `repositories`) and any other registry; [`oci`]: descriptors, manifests, digests |
//! | `pull` | on (`full`) | [`pull`]: an image into an OCI image layout, through the API or the registry (with `registry`, `images`, `layers`) |
//! | `copy` | on (`full`) | [`copy`]: an image between registries, repositories, regions and accounts (with `push` and `pull`) |
//! | `simd-base64` | on | The uploader's part encoder writes base64 with base64-simd (several GB/s) instead of the `base64` crate; every other blob uses `base64` |
//! | `webpki-roots` | on (default, not `full`) | Mozilla's root certificates, compiled in |
//! | `native-roots` | on (default, not `full`) | the operating system's root certificates, read when a client is built (`SSL_CERT_FILE` and `SSL_CERT_DIR` move them) |
//! | `test-util` | off | `mock`: canned outputs and modeled errors per operation for the tests of code that calls ecrkit, every request recorded, nothing sent |
//! | `unicode-patterns` | off | Patterns with Unicode classes (`\p{L}`) run on the full `regex` engine; without it they are a compile error (the default engine, regex-lite, runs ASCII classes only). |
//!
//! # Modules
//!
//! - [`client`], [`config`], [`credentials`], [`signing`], [`endpoint`],
//!   [`transport`], [`retry`], [`protocol`], [`error`]: the runtime.
//! - [`service`], [`operation`], [`validate`], [`schema`] and [`wire`]: what
//!   the generated code implements, calls and builds (the service
//!   descriptors, the traits, validation, the `SCHEMA` constants, awsJson's
//!   serde adapters).
//! - [`ecr`]: the Amazon ECR API; [`paginate`] and [`waiters`] over it;
//!   [`push`]: streaming layer (and image) push; `mock`: canned answers
//!   for your tests (feature `test-util`).
//! - [`registry`]: the registry protocol (ECR's registry endpoint and any
//!   OCI registry), with [`oci`] for the content model; [`pull`]: image pull
//!   into an OCI layout; [`copy`]: image copy.
//!
//! `ARCHITECTURE.md` in the repository maps the parts and how a call flows
//! through them.
//!
//! The `docs/` folder of the repository has a page per topic: declaring an
//! operation, validation, credentials and endpoints, pushing images, the
//! registry protocol with pull and copy, errors and retries.

#![deny(missing_docs)]
// docs.rs (nightly rustdoc) marks what each feature-gated item needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
// The crate docs link the modules that features gate (`push`, `waiters`);
// with those features off the links have no target. The full-feature docs
// (docs.rs, and the test command) keep every link checked.
#![cfg_attr(not(feature = "full"), allow(rustdoc::broken_intra_doc_links))]

extern crate self as ecrkit;

pub mod client;
pub mod config;
#[cfg(feature = "copy")]
pub mod copy;
pub mod credentials;
pub mod ecr;
pub mod endpoint;
mod env;
pub mod error;
#[cfg(feature = "test-util")]
pub mod mock;
#[cfg(feature = "registry")]
pub mod oci;
pub mod operation;
pub mod paginate;
mod profile;
pub mod protocol;
#[cfg(feature = "pull")]
pub mod pull;
#[cfg(feature = "push")]
pub mod push;
#[cfg(feature = "registry")]
pub mod registry;
pub mod retry;
pub mod schema;
pub mod service;
#[cfg(any(feature = "push", feature = "pull"))]
mod sha256;
pub mod signing;
pub mod transport;
pub mod types;
pub mod validate;
#[cfg(any(feature = "scanning", feature = "lifecycle"))]
pub mod waiters;
pub mod wire;

pub use client::Client;
pub use config::{Config, ConfigBuilder, RequestCompressionConfig, TimeoutConfig};
pub use credentials::Credentials;
pub use ecrkit_macros::{aws_constraint, aws_enum, aws_error, aws_operation, aws_shape};
pub use error::{Error, ErrorKind, ErrorMeta, UnmodeledError};
/// The `http` crate, whose `HeaderMap` the protocol functions take.
pub use http;
pub use operation::{ModeledError, Operation, OperationError};
/// The `reqwest` crate, whose `Client` [`ConfigBuilder::with_http_client`]
/// takes (the same version as ecrkit's).
pub use reqwest;
pub use schema::{Schema, Shape};
pub use service::{Ecr, Service, ServiceInfo};
pub use types::{Document, Timestamp, TimestampParseError};
pub use validate::{ValidationError, ValidationMode, Violation};

/// A pattern with Unicode classes (`\p{..}`), which regex-lite cannot run:
/// the full `regex` engine, behind the `unicode-patterns` feature.
#[cfg(feature = "unicode-patterns")]
#[doc(hidden)]
#[macro_export]
macro_rules! __unicode_pattern {
    ($source:literal, $engine:literal) => {
        $crate::__private::Pattern::unicode($source, $engine)
    };
}

/// Without the `unicode-patterns` feature, a pattern with Unicode classes is
/// a compile error at the pattern that says what to do.
#[cfg(not(feature = "unicode-patterns"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __unicode_pattern {
    ($source:literal, $engine:literal) => {
        ::core::compile_error!(
            "this pattern uses Unicode classes (`\\p{..}`), which the default engine (regex-lite) does not run: enable ecrkit's `unicode-patterns` feature, or write the class out, such as `[a-zA-Z]`"
        )
    };
}

/// What generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__unicode_pattern;
    pub use crate::error::{ErrorMeta, UnmodeledError};
    pub use crate::operation::{MessageSlot, ModeledError, Operation, OperationError, unmodeled};
    pub use crate::protocol::parse_modeled;
    pub use crate::schema::{
        Constraint, Kind, Member, Number, Schema, SchemaType, Shape, blob_kind,
    };
    pub use crate::service::{Ecr, Service, check_target_prefix, join_target, target_str};
    pub use crate::validate::{
        AsNumber, AsStr, HasLength, LengthConstraint, NamedConstraint, NumberConstraint, Pattern,
        StringConstraint, Validate, ValidationError, Validator, host_prefix,
    };
    pub use crate::wire::{
        MapOnly, base64_blob, base64_list, date_time, deserialize_enum, deserialize_unit,
        epoch_seconds, float, http_date, serialize_unit,
    };
    pub use crate::{Client, Error};
    pub use serde;
    pub use std::option::Option;
    pub use std::result::Result;
    pub use std::string::String;
}
