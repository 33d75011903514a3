//! The registry client's errors: what failed, the HTTP status and the OCI
//! error code where the registry answered, and the request id.

use std::path::PathBuf;

use serde::Deserialize;

/// Why a registry call failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request did not complete (connection, TLS, timeout, a body cut).
    #[error("{stage}: {source} ({url})")]
    Transport {
        /// The step that failed.
        stage: &'static str,
        /// The URL, without its query (which may hold a signature).
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// No answer came within the attempt timeout (the ECR client's
    /// `timeouts.attempt`): on every attempt of a request that can be sent
    /// again, or after the last byte of an upload's body.
    #[error("{stage}: no answer within {} ms {since} ({url})", after.as_millis())]
    Timeout {
        /// The step that failed.
        stage: &'static str,
        /// The URL, without its query.
        url: String,
        /// The timeout of each attempt.
        after: std::time::Duration,
        /// What the wait was counted from: [`SINCE_SENT`] or
        /// [`SINCE_BODY_SENT`].
        since: &'static str,
    },
    /// An ECR API call a download needs (`GetDownloadUrlForLayer`) failed,
    /// after the API client's own retries.
    #[error("{stage}: {message}")]
    Api {
        /// The operation.
        stage: &'static str,
        /// The class of the API error.
        kind: crate::ErrorKind,
        /// The HTTP status, where the service answered.
        status: Option<u16>,
        /// The service's error code, where it sent one.
        code: Option<String>,
        /// The API error, as it reads.
        message: String,
        /// The request id, where the service answered.
        request_id: Option<String>,
        /// Whether another attempt could succeed: the request did not
        /// complete, a success answer did not parse, throttling, 408, 5xx.
        retryable: bool,
    },
    /// The registry answered with an error status.
    #[error("{stage}: HTTP {status}{}{}: {message}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        request_id.as_deref().map(|r| format!(", request id {r}")).unwrap_or_default())]
    Status {
        /// The step that failed.
        stage: &'static str,
        /// The HTTP status.
        status: u16,
        /// The first OCI error code of the body (`BLOB_UNKNOWN`,
        /// `BLOB_UPLOAD_INVALID`, ...) or the ECR exception named in it.
        code: Option<String>,
        /// The registry's message (or the start of its body).
        message: String,
        /// The request id, where the registry sends one.
        request_id: Option<String>,
    },
    /// Credentials were refused or could not be obtained.
    #[error("authorization failed for {registry}: {message}")]
    Auth {
        /// The registry host.
        registry: String,
        /// What went wrong.
        message: String,
        /// The request id of the failing call, where there was one.
        request_id: Option<String>,
    },
    /// Content did not match its digest.
    #[error("{what} does not match its digest {expected}: the bytes hash to {actual}")]
    Digest {
        /// What was checked (`blob`, `manifest`).
        what: &'static str,
        /// The digest it should have.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The registry's answer broke the protocol (a missing `Location`, a
    /// body that is not what the spec says, more bytes than announced).
    #[error("{stage}: {message}")]
    Protocol {
        /// The step that failed.
        stage: &'static str,
        /// What was wrong.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A caller's value is out of bounds (names the field and the bound).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The option or argument.
        field: &'static str,
        /// The value and the bound it broke.
        message: String,
    },
}

/// [`RegistryError::Timeout`]'s `since` for a request that can be sent
/// again: the wait counts from sending it.
pub const SINCE_SENT: &str = "of sending the request";

/// [`RegistryError::Timeout`]'s `since` for a `PATCH` or `PUT` with a
/// blob's bytes: the wait counts from the body's last byte (sending a
/// large body takes as long as it takes).
pub const SINCE_BODY_SENT: &str = "after the body's last byte was sent";

impl RegistryError {
    /// The HTTP status, where the registry (or the API) answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            RegistryError::Api { status, .. } => *status,
            _ => None,
        }
    }

    /// The OCI error code, where the registry sent one (or the API's
    /// error code).
    pub fn code(&self) -> Option<&str> {
        match self {
            RegistryError::Status { code, .. } | RegistryError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The request id of the failing call, where there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            RegistryError::Status { request_id, .. }
            | RegistryError::Auth { request_id, .. }
            | RegistryError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// An API call's error, marked retryable when it is transient: the
    /// request did not complete (connection, timeout; not an oversized
    /// body), a success answer did not parse (a gateway's page, a cut or
    /// garbled body), throttling, 408 and 5xx. Not: access denied, a
    /// missing layer or repository, a request that broke the model,
    /// missing credentials.
    // Only a pull calls the API for a download.
    #[cfg_attr(not(feature = "pull"), allow(dead_code))]
    pub(crate) fn api<E: std::fmt::Display>(stage: &'static str, e: &crate::Error<E>) -> Self {
        let (status, retryable) = match e {
            crate::Error::Transport { source, .. } => (None, source.is_retryable()),
            crate::Error::Response { meta, .. } => (Some(meta.status), true),
            crate::Error::Service { meta, .. } => (
                Some(meta.status),
                matches!(meta.status, 408 | 429)
                    || (500..600).contains(&meta.status)
                    || crate::retry::classify(meta.status, meta.code.as_deref())
                        != crate::retry::RetryKind::Permanent,
            ),
            _ => (None, false),
        };
        RegistryError::Api {
            stage,
            kind: e.kind(),
            status,
            code: e.service_code().map(str::to_owned),
            message: e.to_string(),
            request_id: e.request_id().map(str::to_owned),
            retryable,
        }
    }

    /// Whether another attempt could succeed: transport failures, 408,
    /// 429 and 5xx, a throttling code whatever the status (the ECR API's
    /// `ThrottlingException` comes with 400), and the API failures a
    /// [`RegistryError::Api`] marks transient (no connection, a 200 that
    /// does not parse, throttling, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            RegistryError::Transport { source, .. } => !source.is_builder(),
            RegistryError::Timeout { .. } => true,
            RegistryError::Api { retryable, .. } => *retryable,
            RegistryError::Status { status, code, .. } => {
                matches!(*status, 408 | 429)
                    || (500..600).contains(status)
                    || crate::retry::classify(*status, code.as_deref())
                        != crate::retry::RetryKind::Permanent
            }
            RegistryError::Io { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        RegistryError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub(crate) fn protocol(stage: &'static str, message: impl Into<String>) -> Self {
        RegistryError::Protocol {
            stage,
            message: message.into(),
        }
    }

    pub(crate) fn transport(
        stage: &'static str,
        url: &reqwest::Url,
        source: reqwest::Error,
    ) -> Self {
        RegistryError::Transport {
            stage,
            url: redact(url),
            source: source.without_url(),
        }
    }
}

/// A URL without query or credentials: a presigned download URL's query is
/// its signature, an upload URL's may be the registry's state token.
pub(crate) fn redact(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.to_string()
}

/// The request id headers registries and AWS send, in the order looked up.
const REQUEST_ID_HEADERS: [&str; 4] = [
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-request-id",
    "docker-distribution-request-id",
];

/// The request id of a response, if it carries one.
pub(crate) fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|h| headers.get(*h)?.to_str().ok().map(str::to_owned))
}

/// The OCI error body: `{"errors":[{"code":..,"message":..,"detail":..}]}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// The code and message of an error body: the OCI form, else an AWS JSON
/// error (`__type`, `message`), else the start of the text.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, String) {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body)
        && let Some(first) = parsed.errors.into_iter().next()
    {
        let mut message = first.message.unwrap_or_default();
        if let Some(detail) = first.detail.filter(|d| !d.is_null()) {
            let detail = match detail {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            if !detail.is_empty() {
                message = format!("{message} ({detail})");
            }
        }
        return (first.code, message);
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        let code = map
            .get("__type")
            .or_else(|| map.get("code"))
            .and_then(|v| v.as_str())
            .map(|c| c.rsplit('#').next().unwrap_or(c).to_owned());
        let message = map
            .get("message")
            .or_else(|| map.get("Message"))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        if code.is_some() || !message.is_empty() {
            return (code, message);
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    (None, text.trim().to_owned())
}

/// Turns an error response into a [`RegistryError::Status`], reading (a
/// bounded prefix of) its body.
pub(crate) async fn status_error(
    stage: &'static str,
    response: reqwest::Response,
) -> RegistryError {
    let status = response.status().as_u16();
    let request_id = request_id(response.headers());
    let body = read_limited(response, 64 << 10).await;
    let (code, mut message) = parse_error_body(&body);
    if message.is_empty() {
        message = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_owned();
    }
    RegistryError::Status {
        stage,
        status,
        code,
        message,
        request_id,
    }
}

/// Up to `limit` bytes of a body; what cannot be read is left out.
pub(crate) async fn read_limited(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(limit - out.len())]),
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_error_bodies_give_code_and_message() {
        let (code, message) = parse_error_body(
            br#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid","detail":"committed 10"}]}"#,
        );
        assert_eq!(code.as_deref(), Some("BLOB_UPLOAD_INVALID"));
        assert_eq!(message, "blob upload invalid (committed 10)");
        let (code, message) = parse_error_body(
            br#"{"__type":"com.amazonaws#LayerPartTooSmallException","message":"too small"}"#,
        );
        assert_eq!(code.as_deref(), Some("LayerPartTooSmallException"));
        assert_eq!(message, "too small");
        assert_eq!(
            parse_error_body(b"  <html>nope</html> ").1,
            "<html>nope</html>"
        );
    }

    #[test]
    fn urls_in_errors_lose_query_and_credentials() {
        let url = reqwest::Url::parse(
            "https://u:p@bucket.s3.amazonaws.com/blob?X-Amz-Signature=secret&X-Amz-Credential=x",
        )
        .unwrap();
        let shown = redact(&url);
        assert_eq!(shown, "https://bucket.s3.amazonaws.com/blob");
    }

    #[test]
    fn errors_say_status_code_and_request_id() {
        let e = RegistryError::Status {
            stage: "PATCH blob",
            status: 416,
            code: Some("BLOB_UPLOAD_INVALID".into()),
            message: "out of order".into(),
            request_id: Some("r-1".into()),
        };
        assert_eq!(
            e.to_string(),
            "PATCH blob: HTTP 416 BLOB_UPLOAD_INVALID, request id r-1: out of order"
        );
        assert_eq!(e.request_id(), Some("r-1"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn throttling_is_worth_another_try_whatever_the_status() {
        let status = |status, code: Option<&str>| RegistryError::Status {
            stage: "GetDownloadUrlForLayer",
            status,
            code: code.map(str::to_owned),
            message: String::new(),
            request_id: None,
        };
        assert!(status(400, Some("ThrottlingException")).is_retryable());
        assert!(status(429, Some("TOOMANYREQUESTS")).is_retryable());
        assert!(status(503, None).is_retryable());
        assert!(!status(400, Some("LayersNotFoundException")).is_retryable());
        assert!(!status(404, Some("BLOB_UNKNOWN")).is_retryable());
    }

    fn meta(status: u16, code: Option<&str>) -> crate::ErrorMeta {
        crate::ErrorMeta {
            status,
            code: code.map(str::to_owned),
            message: Some("m".into()),
            request_id: Some("req-1".into()),
            extended_request_id: None,
        }
    }

    fn service(status: u16, code: &str) -> crate::Error<crate::UnmodeledError> {
        let meta = meta(status, Some(code));
        crate::Error::Service {
            error: crate::UnmodeledError::from_meta(&meta),
            meta,
        }
    }

    #[test]
    fn transient_api_failures_are_worth_another_try() {
        let transient: [crate::Error<crate::UnmodeledError>; 6] = [
            crate::Error::Transport {
                source: crate::error::TransportError::AttemptTimeout(
                    std::time::Duration::from_secs(1),
                ),
                attempts: 3,
            },
            // A 200 that does not parse: a gateway's page, a garbled body.
            crate::Error::Response {
                message: "expected value at line 1".into(),
                meta: meta(200, None),
            },
            service(400, "ThrottlingException"),
            service(429, "TooManyRequestsException"),
            service(500, "ServerException"),
            service(503, ""),
        ];
        for e in &transient {
            let mapped = RegistryError::api("GetDownloadUrlForLayer", e);
            assert!(mapped.is_retryable(), "{mapped}");
            assert_eq!(mapped.to_string(), format!("GetDownloadUrlForLayer: {e}"));
        }
        let response = RegistryError::api("GetDownloadUrlForLayer", &transient[1]);
        assert_eq!(response.status(), Some(200));
        assert_eq!(response.request_id(), Some("req-1"));
        assert!(matches!(
            response,
            RegistryError::Api {
                kind: crate::ErrorKind::Response,
                ..
            }
        ));
    }

    #[test]
    fn permanent_api_failures_stop_at_once() {
        let too_large: crate::Error<crate::UnmodeledError> = crate::Error::Transport {
            source: crate::error::TransportError::BodyTooLarge { limit: 10 },
            attempts: 1,
        };
        let invalid: crate::Error<crate::UnmodeledError> =
            crate::Error::Validation(crate::validate::ValidationError {
                shape: "GetDownloadUrlForLayerRequest",
                violations: Vec::new(),
            });
        let permanent = [
            service(400, "AccessDeniedException"),
            service(400, "LayersNotFoundException"),
            service(400, "LayerInaccessibleException"),
            service(400, "RepositoryNotFoundException"),
            service(400, "InvalidParameterException"),
            too_large,
            invalid,
            crate::Error::Config("no region".into()),
        ];
        for e in &permanent {
            let mapped = RegistryError::api("GetDownloadUrlForLayer", e);
            assert!(!mapped.is_retryable(), "{mapped}");
        }
        let denied = RegistryError::api("GetDownloadUrlForLayer", &permanent[0]);
        assert_eq!(denied.code(), Some("AccessDeniedException"));
        assert_eq!(denied.status(), Some(400));
        assert_eq!(denied.request_id(), Some("req-1"));
    }
}
