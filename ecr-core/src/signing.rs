//! AWS Signature Version 4, through the maintained `aws-sigv4` crate.
//!
//! The payload hash is the body's real SHA-256, computed once per request by
//! the caller and reused for every attempt; ECR does not accept
//! `UNSIGNED-PAYLOAD`. Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;

/// A signing failure (a malformed URI or header).
#[derive(Debug, thiserror::Error)]
#[error("could not sign the request: {0}")]
pub struct SigningError(String);

/// Where and when a request is signed.
#[derive(Debug, Clone, Copy)]
pub struct SigningScope<'a> {
    /// The region, such as `us-east-1`.
    pub region: &'a str,
    /// The signing name of the service, such as `ecr`.
    pub service: &'a str,
    /// The signing time.
    pub time: SystemTime,
}

/// The hex SHA-256 of a body.
pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Signs a request and returns the headers to add (`authorization`,
/// `x-amz-date`, and `x-amz-security-token` with a session token).
///
/// `headers` are the headers that travel with the request (including `host`);
/// `payload_sha256` is the hex SHA-256 of the body.
pub fn sign_headers(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    payload_sha256: &str,
    credentials: &Credentials,
    scope: SigningScope<'_>,
) -> Result<Vec<(&'static str, String)>, SigningError> {
    // aws-sigv4 panics on a URI without scheme or authority, and on a time
    // the `time` crate cannot represent (after year 9999).
    let parsed: http::Uri = uri
        .parse()
        .map_err(|e| SigningError(format!("invalid URI {uri:?}: {e}")))?;
    let has_host = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"));
    match (parsed.scheme().is_some(), parsed.authority().is_some()) {
        (true, true) => {}
        (false, false) if has_host => {}
        _ => {
            return Err(SigningError(format!(
                "the URI to sign must be absolute (scheme and host), or a path with a host header; got {uri:?}"
            )));
        }
    }
    const LAST_SIGNABLE_SECOND: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    match scope.time.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= LAST_SIGNABLE_SECOND => {}
        _ => {
            return Err(SigningError(
                "the signing time is outside 1970-01-01..=9999-12-31".to_owned(),
            ));
        }
    }
    let identity: Identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SigningError(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        method,
        uri,
        headers.iter().copied(),
        SignableBody::Precomputed(payload_sha256.to_owned()),
    )
    .map_err(|e| SigningError(e.to_string()))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| SigningError(e.to_string()))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    let signed: Vec<(&'static str, String)> = headers
        .into_iter()
        .map(|h| (h.name(), h.value().to_owned()))
        .collect();
    // The region, service and access key id go into `authorization` as they
    // are: one with a control character would make a header that cannot be
    // sent (and a failure the client would retry).
    for (name, value) in &signed {
        if http::HeaderValue::from_str(value).is_err() {
            return Err(SigningError(format!(
                "the {name} header would hold characters a header cannot carry: \
                 check the region, the service name and the access key id for control characters"
            )));
        }
    }
    Ok(signed)
}
