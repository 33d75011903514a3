//! The traits the macros implement, and the service descriptors.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorMeta, UnmodeledError};
use crate::schema::Shape;
use crate::validate::{Validate, ValidationError, Validator};

/// What a service needs to be called: how it is signed, where it lives and
/// which awsJson version it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The SigV4 signing name (`ecr`).
    pub signing_name: &'static str,
    /// The endpoint prefix (`api.ecr`).
    pub endpoint_prefix: &'static str,
    /// `1.0` or `1.1`: the content type is `application/x-amz-json-<v>`.
    pub json_version: &'static str,
    /// The `X-Amz-Target` prefix (`AmazonEC2ContainerRegistry_V20150921`);
    /// each operation's `target` must start with it and a dot, which the
    /// program's build checks.
    pub target_prefix: &'static str,
    /// The service part of `AWS_ENDPOINT_URL_<SERVICE>` (`ECR`).
    pub env_name: &'static str,
    /// The service declares `awsQueryCompatible` (it moved from the awsQuery
    /// protocol): requests carry `x-amzn-query-mode: true`, and an error's
    /// code is the one its `x-amzn-query-error` header names, as the
    /// service's awsQuery clients knew it.
    pub query_compatible: bool,
}

/// A service descriptor type, named by `#[aws_operation(service = S)]`.
pub trait Service {
    /// Its description.
    const INFO: ServiceInfo;
}

/// Amazon Elastic Container Registry, the default service of the macros.
#[derive(Debug, Clone, Copy)]
pub struct Ecr;

impl Service for Ecr {
    const INFO: ServiceInfo = ServiceInfo {
        signing_name: "ecr",
        endpoint_prefix: "api.ecr",
        json_version: "1.1",
        target_prefix: "AmazonEC2ContainerRegistry_V20150921",
        env_name: "ECR",
        query_compatible: false,
    };
}

/// The check `#[aws_operation(service = S)]` expands to, evaluated when the
/// program compiles: the operation's `target` must be the service's
/// `target_prefix`, a dot, and the operation's name. A `const fn`, so a
/// mismatch (an ECR target on a DynamoDB operation, say) fails the build at
/// the declaration instead of sending a request the service rejects.
#[doc(hidden)]
pub const fn check_target_prefix(target_prefix: &str, target: &str) {
    let (prefix, target) = (target_prefix.as_bytes(), target.as_bytes());
    let mut matches = target.len() > prefix.len() + 1 && target[prefix.len()] == b'.';
    let mut i = 0;
    while matches && i < prefix.len() {
        matches = prefix[i] == target[i];
        i += 1;
    }
    if !matches {
        panic!(
            "`target` must start with the service's `target_prefix` and a dot: compare it with the `ServiceInfo` of the type named by `service = ..`"
        );
    }
}

/// The bytes of `prefix.name`: the `X-Amz-Target` of an operation that
/// names its service and no `target`, joined when the program compiles.
#[doc(hidden)]
pub const fn join_target<const N: usize>(prefix: &str, name: &str) -> [u8; N] {
    let (prefix, name) = (prefix.as_bytes(), name.as_bytes());
    let mut out = [0u8; N];
    let mut i = 0;
    while i < prefix.len() {
        out[i] = prefix[i];
        i += 1;
    }
    out[i] = b'.';
    let mut j = 0;
    while j < name.len() {
        out[i + 1 + j] = name[j];
        j += 1;
    }
    out
}

/// The joined target as text (both parts are text, so it always is).
#[doc(hidden)]
pub const fn target_str(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("a target is text"),
    }
}

/// A request declared with `#[aws_operation]`.
pub trait Operation: Shape + Validate + Serialize + Send + Sync {
    /// The response.
    type Output: DeserializeOwned + Send;
    /// The operation's error enum (generated as `<Name>Error`).
    type Error: OperationError;
    /// The service the operation belongs to.
    type Service: Service;
    /// The operation name (`UploadLayerPart`).
    const NAME: &'static str;
    /// The `X-Amz-Target` header.
    const TARGET: &'static str;
    /// Smithy's `@requestCompression` (gzip): the client compresses a body
    /// of at least its configured minimum size.
    const REQUEST_COMPRESSION: bool = false;

    /// The host prefix of Smithy's endpoint trait, its labels filled from
    /// the request (`None` when the operation has none); an error when a
    /// label's value is not a host label.
    fn host_prefix(&self) -> Option<Result<String, ValidationError>> {
        None
    }

    /// The JSON body of the request (serde_json), appended to `buf`.
    ///
    /// Fails only if a member's own `Serialize` impl does (the generated
    /// ones do not).
    fn write_body(&self, buf: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(buf, self)
    }

    /// Checks the request against the model's constraints and returns every
    /// violation at once; the same check [`Client::send`](crate::Client::send)
    /// runs under `ValidationMode::Enforce`.
    fn validate(&self) -> Result<(), ValidationError> {
        Validator::check(Self::NAME, self)
    }

    /// A lower bound of the body size, to size the buffer once.
    fn body_size_hint(&self) -> usize {
        256
    }
}

/// The per-operation error enum: one variant per modeled exception, plus
/// `Unmodeled`.
pub trait OperationError: Sized + std::fmt::Debug + std::fmt::Display + Send {
    /// Builds the error from its code and the response body.
    fn from_response(code: &str, body: &[u8], meta: &ErrorMeta) -> Self;
    /// The error code.
    fn code(&self) -> &str;
}

/// An exception declared with `#[aws_error]`.
pub trait ModeledError: DeserializeOwned {
    /// The error code the service sends for it.
    const CODE: &'static str;
    /// Sets the `message` field from the message the runtime found (under
    /// `message`, `Message` or `errorMessage`) when the body's key differed.
    fn fill_message(&mut self, _message: Option<&str>) {}
}

/// A `message` field of a modeled error.
pub trait MessageSlot {
    /// Fills the field if it is empty.
    fn fill(&mut self, message: Option<&str>);
}

impl MessageSlot for Option<String> {
    fn fill(&mut self, message: Option<&str>) {
        if self.is_none() {
            *self = message.map(str::to_owned);
        }
    }
}

impl MessageSlot for String {
    fn fill(&mut self, message: Option<&str>) {
        if let Some(m) = message.filter(|_| self.is_empty()) {
            m.clone_into(self);
        }
    }
}

/// Parses the body of a modeled error; `None` if it does not parse, and the
/// caller falls back to the unmodeled variant (the code and request id are
/// kept either way).
pub fn parse_modeled<T: ModeledError>(body: &[u8], meta: &ErrorMeta) -> Option<T> {
    let mut error: T = crate::protocol::parse_output(body).ok()?;
    error.fill_message(meta.message.as_deref());
    Some(error)
}

/// The unmodeled variant's payload.
pub fn unmodeled(meta: &ErrorMeta) -> UnmodeledError {
    UnmodeledError::from_meta(meta)
}

// The tests parse ECR's modeled errors.
#[cfg(all(test, feature = "repositories"))]
mod tests {
    #[test]
    fn parses_modeled_error_with_type_field() {
        // moto sends both `message` and `Message`.
        let body =
            br#"{"__type": "RepositoryNotFoundException", "message": "nope", "Message": "nope"}"#;
        let meta = crate::ErrorMeta::default();
        let e: Option<crate::ecr::RepositoryNotFoundException> = super::parse_modeled(body, &meta);
        assert_eq!(e.and_then(|e| e.message).as_deref(), Some("nope"));
        // Only `Message`: the runtime's message fills the field.
        let body = br#"{"__type": "RepositoryNotFoundException", "Message": "upper"}"#;
        let meta = crate::ErrorMeta {
            message: Some("upper".into()),
            ..Default::default()
        };
        let e: Option<crate::ecr::RepositoryNotFoundException> = super::parse_modeled(body, &meta);
        assert_eq!(e.and_then(|e| e.message).as_deref(), Some("upper"));
    }
}

#[cfg(test)]
mod target_prefix_tests {
    use super::check_target_prefix;

    // The check is a `const fn`; here it runs at run time, where its
    // failure is a panic instead of a compile error.
    const _: () = check_target_prefix("DynamoDB_20120810", "DynamoDB_20120810.GetItem");

    #[test]
    fn a_target_with_the_prefix_a_dot_and_a_name_passes() {
        check_target_prefix("P", "P.Op");
        check_target_prefix(
            "AmazonEC2ContainerRegistry_V20150921",
            "AmazonEC2ContainerRegistry_V20150921.UploadLayerPart",
        );
    }

    #[test]
    #[should_panic(expected = "target_prefix")]
    fn another_prefix_fails() {
        check_target_prefix(
            "DynamoDB_20120810",
            "AmazonEC2ContainerRegistry_V20150921.GetItem",
        );
    }

    #[test]
    #[should_panic(expected = "target_prefix")]
    fn a_longer_prefix_sharing_the_start_fails() {
        check_target_prefix("Logs_20140328", "Logs_20140328X.PutLogEvents");
    }

    #[test]
    #[should_panic(expected = "target_prefix")]
    fn the_prefix_without_a_name_fails() {
        check_target_prefix("P", "P.");
    }

    #[test]
    #[should_panic(expected = "target_prefix")]
    fn the_prefix_alone_fails() {
        check_target_prefix("P", "P");
    }
}
