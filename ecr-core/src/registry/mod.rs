//! The registry protocol: an OCI distribution client, for ECR's registry
//! endpoint (`<account>.dkr.ecr.<region>.amazonaws.com`) and any other OCI
//! registry.
//!
//! Through this transport a layer travels as itself: no base64, no signed
//! payload hash. A blob whose digest is known (an OCI layout names every
//! blob by it) is sent as the file's bytes and the registry verifies it; a
//! blob pulled is hashed as it streams to disk. The specification is the
//! OCI distribution spec
//! (<https://github.com/opencontainers/distribution-spec/blob/main/spec.md>);
//! ECR departs from it in ways this client handles (see `upload`):
//!
//! - a chunk `PATCH` answers **201**, not 202;
//! - chunks below 5 MiB, except the last, are refused
//!   (`LayerPartTooSmallException`): [`UploadMode::Chunked`] takes at least
//!   [`MIN_CHUNK`];
//! - a retry that restarts below the committed offset gets **416**
//!   naming that offset: the upload continues forward from it, never back;
//! - the `Range` header can stop advancing after the second `PATCH`: the
//!   client tracks the offset it sent and acknowledged, not `Range`;
//! - tag listing fails for `n` over 1000: pages ask for at most 1000.
//!
//! ```no_run
//! use ecrkit::Client;
//! use ecrkit::registry::{FileBlob, PushBlob, RegistryClient, RegistryCredentials};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // ECR: the endpoint and the token from GetAuthorizationToken.
//! let client = Client::from_env().await?;
//! let ecr = RegistryClient::for_ecr(&client, None, None).await?;
//! let manifest = ecr.get_manifest("my/app", "1.0").await?;
//! println!("{} {}", manifest.digest, manifest.media_type);
//!
//! // Any registry; a blob sent as the file's bytes, the registry checking them.
//! let other = RegistryClient::new("http://127.0.0.1:5000", RegistryCredentials::Anonymous)?;
//! let digest = format!("sha256:{}", "0".repeat(64));
//! let blob = FileBlob { path: "layer.tar".into(), start: 0, len: 1024 };
//! PushBlob::new("mirror/app", Some(digest), 1024).push(&other, &blob).await?;
//! # Ok(()) }
//! ```
//!
//! The parts, one per file: [`auth`] (ECR tokens, Basic, bearer tokens),
//! `blobs` (HEAD, GET with Range resume, digest checked while streaming),
//! `upload` (POST, streaming or chunked PATCH, PUT, monolithic PUT, resume),
//! `mount` (cross-repository mount), `manifests` (media types, bytes kept
//! exactly), `tags` (pagination).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};

mod after_body;
pub mod auth;
mod blobs;
mod error;
mod manifests;
mod mount;
mod outgoing;
pub mod select;
mod tags;
mod upload;
mod upload_state;

pub use auth::{EcrToken, RegistryCredentials, fetch_ecr_token};
pub use blobs::{
    BlobSource, BlobStream, ByteStream, FileBlob, IDLE_TIMEOUT, OpenFuture, RegistryBlob, UrlBlob,
};
pub use error::{RegistryError, SINCE_BODY_SENT, SINCE_SENT};
pub use manifests::PushedManifest;
pub use mount::MountOutcome;
pub use select::{Resolved, resolve};
pub use tags::MAX_TAGS_PAGE;
pub use upload::{BlobOutcome, MIN_CHUNK, PushBlob, UploadError, UploadMode, UploadedBlob};
pub use upload_state::{BlobProgressFn, UploadState, UploadStateFn};

use crate::client::Client;
use auth::Authenticator;
use error::request_id;

/// Which wire an image push, pull or copy to or from ECR uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// The ECR API (`InitiateLayerUpload` .. `PutImage`;
    /// `BatchGetImage`, `GetDownloadUrlForLayer`): signed JSON calls, layers
    /// as base64 parts.
    Api,
    /// The registry endpoint through the OCI distribution protocol, with a
    /// token from `GetAuthorizationToken`: layers as themselves.
    Registry,
    /// The registry when it answers, the API otherwise. The registry is
    /// tried when one was given explicitly, or when the ECR client uses
    /// AWS's own endpoint (no custom endpoint: a custom one is a test
    /// server or a proxy, which rarely has a registry beside it); it is
    /// used when `GET /v2/` answers within five seconds (any status), and
    /// the API is used otherwise.
    #[default]
    Auto,
}

/// A registry client: cheap to clone (clones share connections and
/// authorization).
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: reqwest::Url,
    host: String,
    http: reqwest::Client,
    auth: Authenticator,
    is_ecr: bool,
    attempts: u32,
    /// How long a request that can be sent again waits for its answer's
    /// head before it is given up and sent again.
    attempt_timeout: Option<Duration>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("endpoint", &self.inner.base.as_str())
            .field("credentials", self.inner.auth.credentials())
            .finish_non_exhaustive()
    }
}

/// The `repository:<name>:pull` scope of a bearer token.
pub(crate) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The `repository:<name>:pull,push` scope of a bearer token.
pub(crate) fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

/// Parses a registry endpoint: `https://host[:port]`, `http://` for a
/// local registry, or a bare `host[:port]` (taken as https).
fn parse_endpoint(endpoint: &str) -> Result<reqwest::Url, RegistryError> {
    let text = if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    };
    let mut url = reqwest::Url::parse(&text)
        .map_err(|e| RegistryError::invalid("endpoint", format!("{endpoint:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(RegistryError::invalid(
            "endpoint",
            format!("{endpoint:?}: needs http:// or https:// and a host"),
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    url.set_path("/");
    Ok(url)
}

impl RegistryClient {
    /// A client for the registry at `endpoint` (`https://registry.example`,
    /// `http://127.0.0.1:5000`, or `host[:port]` for https).
    pub fn new(endpoint: &str, credentials: RegistryCredentials) -> Result<Self, RegistryError> {
        let timeouts = crate::TimeoutConfig::default();
        Self::build(
            endpoint,
            credentials,
            Duration::from_secs(10),
            timeouts.attempt,
        )
    }

    fn build(
        endpoint: &str,
        credentials: RegistryCredentials,
        connect_timeout: Duration,
        attempt_timeout: Option<Duration>,
    ) -> Result<Self, RegistryError> {
        let base = parse_endpoint(endpoint)?;
        crate::transport::warn_if_insecure(&base);
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            // Redirects are followed by hand, for blob downloads only, so
            // that credentials never follow one to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RegistryError::invalid("endpoint", format!("HTTP client: {e}")))?;
        let host = base
            .host_str()
            .map(|h| match base.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
            .unwrap_or_default();
        let is_ecr = matches!(credentials, RegistryCredentials::Ecr { .. });
        Ok(Self {
            inner: Arc::new(Inner {
                auth: Authenticator::new(host.clone(), credentials),
                base,
                host,
                http,
                is_ecr,
                attempts: 3,
                attempt_timeout,
            }),
        })
    }

    /// A client for an ECR registry, authorized by `GetAuthorizationToken`
    /// through `client`. The endpoint is `endpoint` when given, else the
    /// `proxyEndpoint` the token comes with
    /// (`https://<account>.dkr.ecr.<region>.amazonaws.com`).
    pub async fn for_ecr(
        client: &Client,
        registry_id: Option<&str>,
        endpoint: Option<&str>,
    ) -> Result<Self, RegistryError> {
        let token = fetch_ecr_token(client, registry_id).await?;
        let endpoint = match endpoint {
            Some(e) => e.to_owned(),
            None => token.proxy_endpoint.clone().ok_or_else(|| {
                RegistryError::invalid(
                    "endpoint",
                    "GetAuthorizationToken returned no proxyEndpoint; pass the registry endpoint",
                )
            })?,
        };
        let credentials = RegistryCredentials::Ecr {
            client: client.clone(),
            registry_id: registry_id.map(str::to_owned),
        };
        let timeouts = &client.config().timeouts;
        let registry = Self::build(&endpoint, credentials, timeouts.connect, timeouts.attempt)?;
        registry.inner.auth.seed_ecr(&token).await;
        Ok(registry)
    }

    /// The endpoint, with a `/` path.
    pub fn endpoint(&self) -> &reqwest::Url {
        &self.inner.base
    }

    /// `host[:port]` of the endpoint.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// Whether this client is authorized by ECR tokens (and so applies
    /// ECR's rules: chunk sizes, tag pages).
    pub fn is_ecr(&self) -> bool {
        self.inner.is_ecr
    }

    /// Whether the registry answers `GET /v2/` within `timeout` (any
    /// status counts: a 401 is a registry asking for credentials).
    pub async fn ping(&self, timeout: Duration) -> Result<(), RegistryError> {
        let url = self.url("v2/")?;
        self.inner
            .http
            .get(url.clone())
            .timeout(timeout)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| RegistryError::transport("GET /v2/", &url, e))
    }

    /// `endpoint/<path>`.
    pub(crate) fn url(&self, path: &str) -> Result<reqwest::Url, RegistryError> {
        self.inner
            .base
            .join(path)
            .map_err(|e| RegistryError::invalid("path", format!("{path:?}: {e}")))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Sends a request that can be built again (no one-shot body): with the
    /// authorization header, answering one 401 challenge, and retrying
    /// transport failures, 429 and 5xx, and answers that do not start
    /// within the attempt timeout (a stalled server), up to three attempts.
    /// Other statuses are the caller's to read. (The timeout bounds the
    /// wait for the answer's head; a blob's body has its idle timeout.)
    pub(crate) async fn send<F>(
        &self,
        stage: &'static str,
        scopes: &[String],
        build: F,
    ) -> Result<reqwest::Response, RegistryError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let http = &self.inner.http;
        let mut header = self.inner.auth.header(http, scopes).await?;
        let mut challenged = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = with_auth(build(http), header.as_ref())
                .build()
                .map_err(|e| RegistryError::invalid("request", format!("{stage}: {e}")))?;
            let url = request.url().clone();
            let result = match self.inner.attempt_timeout {
                Some(limit) => match tokio::time::timeout(limit, http.execute(request)).await {
                    Ok(result) => result,
                    Err(_) if attempt < self.inner.attempts => {
                        tracing::debug!(
                            stage,
                            attempt,
                            "no answer within the attempt timeout; retrying"
                        );
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    Err(_) => {
                        return Err(RegistryError::Timeout {
                            stage,
                            url: error::redact(&url),
                            after: limit,
                            since: SINCE_SENT,
                        });
                    }
                },
                None => http.execute(request).await,
            };
            let retry = match result {
                Ok(response) if response.status() == 401 => {
                    if challenged {
                        return Err(self.refused(response).await);
                    }
                    challenged = true;
                    attempt -= 1;
                    header = Some(
                        self.answer_challenge(&response, scopes, header.as_ref())
                            .await?,
                    );
                    continue;
                }
                Ok(response)
                    if is_transient(response.status()) && attempt < self.inner.attempts =>
                {
                    tracing::debug!(
                        stage,
                        status = response.status().as_u16(),
                        attempt,
                        "retrying"
                    );
                    true
                }
                Ok(response) => return Ok(response),
                Err(e) if attempt < self.inner.attempts && !e.is_builder() => {
                    tracing::debug!(stage, error = %e, attempt, "retrying");
                    true
                }
                Err(e) => return Err(RegistryError::transport(stage, &url, e)),
            };
            if retry {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }

    /// Sends a request with a one-shot body once: the authorization header
    /// known now goes with it; a 401 refreshes it for the next request and
    /// comes back as an error (the caller resends, reopening its body). The
    /// answer is waited for at most the attempt timeout after the body's
    /// last byte ([`RegistryError::Timeout`], retryable: the caller asks
    /// where the upload stands).
    pub(crate) async fn send_once(
        &self,
        stage: &'static str,
        scopes: &[String],
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RegistryError> {
        let http = &self.inner.http;
        let header = self.inner.auth.header(http, scopes).await?;
        let request = with_auth(request, header.as_ref())
            .build()
            .map_err(|e| RegistryError::invalid("request", format!("{stage}: {e}")))?;
        let url = request.url().clone();
        let response = match self.inner.attempt_timeout {
            Some(limit) => match after_body::execute(http, request, limit).await {
                after_body::Answer::Done(done) => done,
                after_body::Answer::TimedOut => {
                    return Err(RegistryError::Timeout {
                        stage,
                        url: error::redact(&url),
                        after: limit,
                        since: SINCE_BODY_SENT,
                    });
                }
            },
            None => http.execute(request).await,
        }
        .map_err(|e| RegistryError::transport(stage, &url, e))?;
        if response.status() == 401 {
            self.answer_challenge(&response, scopes, header.as_ref())
                .await?;
            return Err(error::status_error(stage, response).await);
        }
        Ok(response)
    }

    async fn answer_challenge(
        &self,
        response: &reqwest::Response,
        scopes: &[String],
        sent: Option<&HeaderValue>,
    ) -> Result<HeaderValue, RegistryError> {
        let www = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.inner
            .auth
            .challenge(
                &self.inner.http,
                www.as_deref(),
                scopes,
                sent,
                request_id(response.headers()),
            )
            .await
    }

    async fn refused(&self, response: reqwest::Response) -> RegistryError {
        let id = request_id(response.headers());
        let body = error::read_limited(response, 64 << 10).await;
        let (code, message) = error::parse_error_body(&body);
        RegistryError::Auth {
            registry: self.inner.host.clone(),
            message: format!(
                "the registry refused the credentials (HTTP 401{}): {message}",
                code.map(|c| format!(" {c}")).unwrap_or_default()
            ),
            request_id: id,
        }
    }
}

fn with_auth(
    request: reqwest::RequestBuilder,
    header: Option<&HeaderValue>,
) -> reqwest::RequestBuilder {
    match header {
        Some(h) => request.header(AUTHORIZATION, h.clone()),
        None => request,
    }
}

fn is_transient(status: reqwest::StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The pause before retry `attempt` (1-based): 200 ms, 400 ms, 800 ms, ... capped at 5 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.saturating_sub(1).min(5)))
        .min(Duration::from_secs(5))
}

/// Checks a repository name, naming the field.
pub(crate) fn check_repository(field: &'static str, name: &str) -> Result<(), RegistryError> {
    if crate::oci::is_valid_repository(name) {
        Ok(())
    } else {
        Err(RegistryError::invalid(
            field,
            format!(
                "{name:?} is not a repository name (lowercase letters and digits, separated by `.`, `_`, `__`, `-` or `/`, at most 255 characters)"
            ),
        ))
    }
}

/// Checks a digest, naming the field.
pub(crate) fn check_digest(field: &'static str, digest: &str) -> Result<(), RegistryError> {
    if crate::oci::parse_digest(digest).is_some() {
        Ok(())
    } else {
        Err(RegistryError::invalid(
            field,
            format!("{digest:?} is not a sha256 digest (`sha256:` and 64 lowercase hex digits)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_or_without_a_scheme() {
        assert_eq!(
            parse_endpoint("123456789012.dkr.ecr.us-east-1.amazonaws.com")
                .unwrap()
                .as_str(),
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            parse_endpoint("http://127.0.0.1:5000/v2/?x=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/"
        );
        let err = parse_endpoint("ftp://x").unwrap_err();
        assert!(err.to_string().starts_with("invalid endpoint:"), "{err}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(30), Duration::from_secs(5));
    }
}
