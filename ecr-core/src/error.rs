//! The error every operation returns, and what it keeps for the caller.

use std::fmt;

use crate::credentials::CredentialsError;
use crate::signing::SigningError;
use crate::validate::ValidationError;

/// What the service said about a failed call, beyond the error itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorMeta {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`InvalidLayerPartException`), namespace stripped.
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// `x-amzn-RequestId`: quote it to AWS support.
    pub request_id: Option<String>,
    /// `x-amz-id-2`, where the service sends one.
    pub extended_request_id: Option<String>,
}

impl fmt::Display for ErrorMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        Ok(())
    }
}

/// A service error that the operation does not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmodeledError {
    /// The error code, namespace stripped; empty if the service sent none.
    pub code: String,
    /// The service's message.
    pub message: Option<String>,
    /// The HTTP status.
    pub status: u16,
    /// The request id.
    pub request_id: Option<String>,
}

impl UnmodeledError {
    /// Builds it from the response metadata.
    pub fn from_meta(meta: &ErrorMeta) -> Self {
        Self {
            code: meta.code.clone().unwrap_or_default(),
            message: meta.message.clone(),
            status: meta.status,
            request_id: meta.request_id.clone(),
        }
    }
}

impl fmt::Display for UnmodeledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = if self.code.is_empty() {
            "unknown error"
        } else {
            &self.code
        };
        write!(f, "{code}")?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnmodeledError {}

/// A transport failure: the request may or may not have reached the service.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Connecting, sending or receiving failed.
    #[error("HTTP transport error: {0}")]
    Http(#[source] reqwest::Error),
    /// An attempt ran past its timeout.
    #[error("attempt timed out after {0:?}")]
    AttemptTimeout(std::time::Duration),
    /// The whole operation ran past its timeout.
    #[error("operation timed out after {0:?}")]
    OperationTimeout(std::time::Duration),
    /// The response body exceeded the client's limit.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
}

impl TransportError {
    /// Whether another attempt could succeed. An oversized body would be as
    /// large again, and a request reqwest cannot build (a malformed URL or
    /// header) would fail the same way; everything else (connections, timeouts)
    /// is worth another try.
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Http(e) => !e.is_builder(),
            TransportError::BodyTooLarge { .. } => false,
            TransportError::AttemptTimeout(_) | TransportError::OperationTimeout(_) => true,
        }
    }
}

/// The error of a call of operation `O`, with `E` its modeled errors.
#[derive(Debug, thiserror::Error)]
pub enum Error<E> {
    /// The request broke the model's constraints; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The service answered with an error.
    #[error("{error} ({meta})")]
    Service {
        /// The typed error.
        error: E,
        /// Status, code, message and request id.
        meta: ErrorMeta,
    },
    /// The request did not complete.
    #[error("{source} (after {attempts} attempt(s))")]
    Transport {
        /// What failed.
        #[source]
        source: TransportError,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The service answered success with a body that does not parse.
    #[error("could not parse the response: {message} ({meta})")]
    Response {
        /// What was wrong.
        message: String,
        /// Status and request id.
        meta: ErrorMeta,
    },
    /// The request could not be serialized (a member's own `Serialize`
    /// failed; nothing was sent).
    #[error("could not serialize the request: {message}")]
    Request {
        /// What failed.
        message: String,
    },
    /// No credentials.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// A paginator stopped: the service repeated a page token.
    #[error("{message}")]
    Pagination {
        /// What happened.
        message: String,
    },
    /// The client is misconfigured (no region, a bad endpoint).
    #[error("client configuration: {0}")]
    Config(String),
}

impl<E> Error<E> {
    /// The request id, where the service answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service { meta, .. } | Error::Response { meta, .. } => {
                meta.request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The service's error code, if the service answered with an error.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            Error::Service { meta, .. } => meta.code.as_deref(),
            _ => None,
        }
    }

    /// The typed service error, if this is one.
    pub fn service_error(&self) -> Option<&E> {
        match self {
            Error::Service { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The validation error, if the request was rejected before sending.
    pub fn validation_error(&self) -> Option<&ValidationError> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }

    /// Maps the typed service error.
    pub fn map_service<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        match self {
            Error::Validation(v) => Error::Validation(v),
            Error::Service { error, meta } => Error::Service {
                error: f(error),
                meta,
            },
            Error::Transport { source, attempts } => Error::Transport { source, attempts },
            Error::Response { message, meta } => Error::Response { message, meta },
            Error::Request { message } => Error::Request { message },
            Error::Credentials(c) => Error::Credentials(c),
            Error::Signing(s) => Error::Signing(s),
            Error::Config(c) => Error::Config(c),
            Error::Pagination { message } => Error::Pagination { message },
        }
    }
}
