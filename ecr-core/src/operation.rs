//! The traits the macros implement for a declared operation and its
//! errors.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ErrorMeta, UnmodeledError};
// Declared here before `crate::service` held them.
use crate::schema::Shape;
pub use crate::service::{Ecr, Service, ServiceInfo, check_target_prefix, join_target, target_str};
use crate::validate::{Validate, ValidationError, Validator};

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
        let e: Option<crate::ecr::RepositoryNotFoundException> =
            crate::protocol::parse_modeled(body, &meta);
        assert_eq!(e.and_then(|e| e.message).as_deref(), Some("nope"));
        // Only `Message`: the runtime's message fills the field.
        let body = br#"{"__type": "RepositoryNotFoundException", "Message": "upper"}"#;
        let meta = crate::ErrorMeta {
            message: Some("upper".into()),
            ..Default::default()
        };
        let e: Option<crate::ecr::RepositoryNotFoundException> =
            crate::protocol::parse_modeled(body, &meta);
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
