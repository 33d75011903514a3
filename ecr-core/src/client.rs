//! The client: validates, serializes once, signs and sends each attempt,
//! retries, and turns responses into outputs or typed errors.
//!
//! Everything here is the same for every operation; the generic entry point
//! [`Client::send`] is a thin shell over the non-generic [`Client::invoke`],
//! so each declared operation adds little code.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tracing::Instrument;

use crate::config::{Config, ConfigError};
use crate::credentials::{CredentialsError, ProviderContext};
use crate::endpoint;
use crate::error::{Error, ErrorMeta, TransportError};
use crate::operation::{Operation, OperationError};
use crate::protocol;
use crate::retry::{self, RetryKind, RetryQuota};
use crate::service::{Service, ServiceInfo};
use crate::signing::{self, SigningError, SigningScope};
use crate::validate::{ValidationError, ValidationMode};

/// An Amazon ECR client (and a client for any awsJson service declared with
/// the macros). Cheap to clone; clones share connections and the retry quota.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    /// The HTTP client, or why there is none (kept by [`Client::new`] and
    /// returned by every call, never a panic).
    http: Result<reqwest::Client, ConfigError>,
    /// The canned answers of a mock client (`ecrkit::mock`).
    #[cfg(feature = "test-util")]
    mocks: Option<crate::mock::Mocks>,
    /// No root certificate and no CA bundle: `https://` cannot work.
    trusts_nothing: bool,
    quota: RetryQuota,
    /// Server time minus local time, in milliseconds, learned from a
    /// clock-skew error's `Date` header.
    clock_skew_ms: AtomicI64,
}

/// A request body with its SHA-256, computed once and reused by every attempt.
#[derive(Debug, Clone)]
pub struct PreparedBody {
    /// The JSON bytes.
    pub bytes: Bytes,
    /// The hex SHA-256 of `bytes`.
    pub sha256: String,
}

impl PreparedBody {
    /// Hashes `bytes`.
    pub fn new(bytes: Bytes) -> Self {
        let sha256 = signing::sha256_hex(&bytes);
        Self { bytes, sha256 }
    }
}

/// How one request goes out beyond its body: the host prefix of Smithy's
/// endpoint trait, and the body's content encoding when it was compressed.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Prepended to the endpoint's host (`foo.` for `foo.example.com`).
    pub host_prefix: Option<String>,
    /// The body's `Content-Encoding` (`gzip`), signed with the request.
    pub content_encoding: Option<&'static str>,
}

/// Gzips a request body (flate2's default level).
fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 2 + 64),
        flate2::Compression::default(),
    );
    encoder.write_all(body)?;
    encoder.finish()
}

/// A successful response.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// The request id.
    pub request_id: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// Why [`Client::invoke`] failed.
#[derive(Debug)]
pub enum InvokeError {
    /// The service answered with an error.
    Service {
        /// Status, code, message, request id.
        meta: ErrorMeta,
        /// The error body, for the modeled fields.
        body: Bytes,
    },
    /// The request did not complete.
    Transport {
        /// What failed.
        source: TransportError,
        /// Attempts made.
        attempts: u32,
    },
    /// No credentials.
    Credentials(CredentialsError),
    /// Signing failed.
    Signing(SigningError),
    /// Misconfiguration.
    Config(String),
}

/// What one attempt sends: the same for every attempt of a call.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    service: &'a ServiceInfo,
    url: &'a reqwest::Url,
    region: &'a str,
    target: &'a str,
    body: &'a PreparedBody,
    options: &'a RequestOptions,
}

enum AttemptError {
    Service {
        meta: ErrorMeta,
        body: Bytes,
        server_date: Option<SystemTime>,
    },
    Transport(TransportError),
    Signing(SigningError),
}

/// 9999-12-31T23:59:59Z, the last second SigV4's date stamps can write.
const MAX_SIGNABLE_SECS: i64 = 253_402_300_799;

const SKEW_CODES: &[&str] = &[
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "AuthFailure",
];

impl Client {
    /// A client with this configuration, with the config's HTTP client
    /// ([`crate::ConfigBuilder::with_http_client`]) or one built from its
    /// settings ([`crate::transport::build_http_client`]).
    ///
    /// Never panics. If the HTTP client cannot be built (a CA bundle that
    /// cannot be read, no root certificates, a TLS backend that cannot
    /// start), the error is logged and every call returns it as
    /// [`Error::Config`]; [`Client::try_new`] returns it at once.
    pub fn new(config: Config) -> Self {
        let http = match &config.http_client {
            Some(client) => Ok(client.clone()),
            None => crate::transport::build_http_client(&config),
        };
        if let Err(e) = &http {
            tracing::error!(error = %e, "the client cannot send: {e}");
        }
        Self::assemble(config, http)
    }

    /// A client with this configuration, or the error that keeps its HTTP
    /// client from being built (see [`Client::new`]).
    pub fn try_new(config: Config) -> Result<Self, ConfigError> {
        let http = match &config.http_client {
            Some(client) => client.clone(),
            None => crate::transport::build_http_client(&config)?,
        };
        Ok(Self::assemble(config, Ok(http)))
    }

    fn assemble(config: Config, http: Result<reqwest::Client, ConfigError>) -> Self {
        if let Ok(client) = &http {
            // The credentials chain fetches over the same client (roots,
            // CA bundle, proxies), for the same region.
            let context = ProviderContext::new(client.clone(), config.region.clone());
            config.credentials.prepare(&context);
        }
        let quota = RetryQuota::new(config.retry.quota);
        Self {
            inner: Arc::new(Inner {
                trusts_nothing: crate::transport::trusts_nothing(&config),
                config,
                http,
                #[cfg(feature = "test-util")]
                mocks: None,
                quota,
                clock_skew_ms: AtomicI64::new(0),
            }),
        }
    }

    /// A client that answers from `mocks` and sends nothing.
    #[cfg(feature = "test-util")]
    pub(crate) fn mocked(config: Config, mocks: crate::mock::Mocks) -> Self {
        let mut client = Self::assemble(
            config,
            Err(ConfigError(
                "a mock client sends nothing over the network".into(),
            )),
        );
        if let Some(inner) = Arc::get_mut(&mut client.inner) {
            inner.mocks = Some(mocks);
        }
        client
    }

    /// A client configured from the AWS environment variables and shared
    /// files (see [`Config::from_env`]); an error if no region is set or the
    /// HTTP client cannot be built.
    pub async fn from_env() -> Result<Self, ConfigError> {
        Self::try_new(Config::from_env().try_build()?)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Validates, serializes and sends an operation.
    pub async fn send<O: Operation + 'static>(&self, op: &O) -> Result<O::Output, Error<O::Error>> {
        self.validate(op)?;
        let host_prefix = self.host_prefix_of(op)?;
        #[cfg(feature = "test-util")]
        if let Some(mocks) = &self.inner.mocks {
            return mocks.respond(Some(op));
        }
        let mut buf = Vec::with_capacity(op.body_size_hint());
        op.write_body(&mut buf).map_err(|e| Error::Request {
            message: e.to_string(),
        })?;
        let compression = &self.inner.config.request_compression;
        let content_encoding = (O::REQUEST_COMPRESSION
            && !compression.disabled
            && buf.len() >= compression.min_size_bytes as usize)
            .then_some("gzip");
        if content_encoding.is_some() {
            buf = gzip(&buf).map_err(|e| Error::Request {
                message: format!("could not compress the request: {e}"),
            })?;
        }
        let body = PreparedBody::new(Bytes::from(buf));
        let options = RequestOptions {
            host_prefix,
            content_encoding,
        };
        self.dispatch::<O>(body, &options).await
    }

    /// Validates an operation according to the configured mode.
    pub fn validate<O: Operation>(&self, op: &O) -> Result<(), ValidationError> {
        match self.inner.config.validation {
            ValidationMode::Off => Ok(()),
            ValidationMode::Enforce => op.validate(),
            ValidationMode::Warn => {
                if let Err(e) = op.validate() {
                    for v in &e.violations {
                        tracing::warn!(operation = O::NAME, path = %v.path, "{}", v.message);
                    }
                }
                Ok(())
            }
        }
    }

    /// Sends a body already built (and hashed) for operation `O`; the body
    /// is not validated again (and goes uncompressed, to the endpoint's
    /// host: an operation with a host prefix goes through
    /// [`send`](Self::send)).
    pub async fn send_prepared<O: Operation + 'static>(
        &self,
        body: PreparedBody,
    ) -> Result<O::Output, Error<O::Error>> {
        #[cfg(feature = "test-util")]
        if let Some(mocks) = &self.inner.mocks {
            return mocks.respond::<O>(None);
        }
        self.dispatch::<O>(body, &RequestOptions::default()).await
    }

    async fn dispatch<O: Operation>(
        &self,
        body: PreparedBody,
        options: &RequestOptions,
    ) -> Result<O::Output, Error<O::Error>> {
        match self
            .invoke_with(&O::Service::INFO, O::NAME, O::TARGET, body, options)
            .await
        {
            Ok(resp) => {
                protocol::parse_output::<O::Output>(&resp.body).map_err(|e| Error::Response {
                    message: e.to_string(),
                    meta: ErrorMeta {
                        status: resp.status,
                        request_id: resp.request_id,
                        ..ErrorMeta::default()
                    },
                })
            }
            Err(InvokeError::Service { meta, body }) => {
                let code = meta.code.clone().unwrap_or_default();
                let error = O::Error::from_response(&code, &body, &meta);
                Err(Error::Service { error, meta })
            }
            Err(InvokeError::Transport { source, attempts }) => {
                Err(Error::Transport { source, attempts })
            }
            Err(InvokeError::Credentials(e)) => Err(Error::Credentials(e)),
            Err(InvokeError::Signing(e)) => Err(Error::Signing(e)),
            Err(InvokeError::Config(e)) => Err(Error::Config(e)),
        }
    }

    /// The host prefix `op` is sent with (Smithy's endpoint trait), unless
    /// host prefixes are disabled.
    fn host_prefix_of<O: Operation>(&self, op: &O) -> Result<Option<String>, ValidationError> {
        match op.host_prefix() {
            _ if self.inner.config.disable_host_prefix => Ok(None),
            None => Ok(None),
            Some(Ok(prefix)) => Ok(Some(prefix)),
            // A value that is not a host label would steer the request to
            // another host: refused whatever the validation mode.
            Some(Err(e)) => Err(e),
        }
    }

    /// The URL a request of `op` goes to: its service's endpoint (see
    /// [`endpoint_for`](Self::endpoint_for)) with the operation's host
    /// prefix in front of the host, as [`send`](Self::send) sends it.
    // The error `send` returns for the same request.
    #[allow(clippy::result_large_err)]
    pub fn request_url<O: Operation>(&self, op: &O) -> Result<reqwest::Url, Error<O::Error>> {
        let prefix = self.host_prefix_of(op)?;
        self.url_with_prefix(&O::Service::INFO, prefix.as_deref())
            .map_err(Error::Config)
    }

    fn url_with_prefix(
        &self,
        service: &ServiceInfo,
        prefix: Option<&str>,
    ) -> Result<reqwest::Url, String> {
        let mut url = self.endpoint_for(service)?;
        if let Some(prefix) = prefix {
            let host = url.host_str().unwrap_or_default().to_owned();
            url.set_host(Some(&format!("{prefix}{host}")))
                .map_err(|e| format!("host prefix {prefix:?}: {e}"))?;
        }
        Ok(url)
    }

    /// The endpoint URL for a service.
    pub fn endpoint_for(&self, service: &ServiceInfo) -> Result<reqwest::Url, String> {
        let url = endpoint::resolve(&self.inner.config, service).map_err(|e| e.to_string())?;
        crate::transport::warn_if_insecure(&url);
        Ok(url)
    }

    /// Sends a prepared body to `service` with `target`, retrying as configured.
    pub async fn invoke(
        &self,
        service: &ServiceInfo,
        operation: &'static str,
        target: &str,
        body: PreparedBody,
    ) -> Result<RawResponse, InvokeError> {
        self.invoke_with(service, operation, target, body, &RequestOptions::default())
            .await
    }

    /// [`invoke`](Self::invoke) with a host prefix and a content encoding.
    pub async fn invoke_with(
        &self,
        service: &ServiceInfo,
        operation: &'static str,
        target: &str,
        body: PreparedBody,
        options: &RequestOptions,
    ) -> Result<RawResponse, InvokeError> {
        let span = tracing::info_span!("aws.operation", operation, bytes = body.bytes.len());
        let run = self
            .invoke_inner(service, target, body, options)
            .instrument(span);
        match self.inner.config.timeouts.operation {
            Some(limit) => {
                tokio::time::timeout(limit, run)
                    .await
                    .unwrap_or(Err(InvokeError::Transport {
                        source: TransportError::OperationTimeout(limit),
                        attempts: 0,
                    }))
            }
            None => run.await,
        }
    }

    async fn invoke_inner(
        &self,
        service: &ServiceInfo,
        target: &str,
        body: PreparedBody,
        options: &RequestOptions,
    ) -> Result<RawResponse, InvokeError> {
        let config = &self.inner.config;
        let http = self
            .inner
            .http
            .as_ref()
            .map_err(|e| InvokeError::Config(e.to_string()))?;
        let url = self
            .url_with_prefix(service, options.host_prefix.as_deref())
            .map_err(InvokeError::Config)?;
        if self.inner.trusts_nothing && url.scheme() == "https" {
            return Err(InvokeError::Config(crate::transport::NO_ROOTS.to_owned()));
        }
        let region = config
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_owned());
        let max_attempts = config.retry.max_attempts.max(1);
        let mut retry_cost = 0;
        let mut attempt = 1;
        loop {
            let credentials = config
                .credentials
                .provide()
                .await
                .map_err(InvokeError::Credentials)?;
            let span = tracing::debug_span!(
                "attempt",
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty
            );
            let result = self
                .attempt(
                    http,
                    &Outgoing {
                        service,
                        url: &url,
                        region: &region,
                        target,
                        body: &body,
                        options,
                    },
                    &credentials,
                )
                .instrument(span.clone())
                .await;
            let error = match result {
                Ok(resp) => {
                    span.record("status", resp.status);
                    if let Some(id) = &resp.request_id {
                        span.record("request_id", id.as_str());
                    }
                    self.inner
                        .quota
                        .release(if retry_cost == 0 { 1 } else { retry_cost });
                    return Ok(resp);
                }
                Err(AttemptError::Signing(e)) => return Err(InvokeError::Signing(e)),
                Err(e) => e,
            };
            let kind = match &error {
                AttemptError::Service {
                    meta, server_date, ..
                } => {
                    span.record("status", meta.status);
                    if let Some(id) = &meta.request_id {
                        span.record("request_id", id.as_str());
                    }
                    if meta
                        .code
                        .as_deref()
                        .is_some_and(|c| SKEW_CODES.contains(&c))
                        && self.learn_skew(*server_date)
                    {
                        RetryKind::Transient
                    } else {
                        retry::classify(meta.status, meta.code.as_deref())
                    }
                }
                AttemptError::Transport(t) if !t.is_retryable() => RetryKind::Permanent,
                AttemptError::Transport(_) | AttemptError::Signing(_) => RetryKind::Timeout,
            };
            let give_up = kind == RetryKind::Permanent || attempt >= max_attempts;
            let cost = if give_up {
                None
            } else {
                self.inner.quota.acquire(kind)
            };
            let Some(cost) = cost else {
                return Err(match error {
                    AttemptError::Service { meta, body, .. } => InvokeError::Service { meta, body },
                    AttemptError::Transport(source) => InvokeError::Transport {
                        source,
                        attempts: attempt,
                    },
                    AttemptError::Signing(e) => InvokeError::Signing(e),
                });
            };
            retry_cost = cost;
            let delay = retry::backoff(&config.retry, attempt);
            let reason = match &error {
                AttemptError::Service { meta, .. } => {
                    meta.code.clone().unwrap_or_else(|| meta.status.to_string())
                }
                AttemptError::Transport(t) => t.to_string(),
                AttemptError::Signing(e) => e.to_string(),
            };
            tracing::debug!(attempt, ?delay, %reason, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Records the offset between the server's clock and ours; true if it
    /// changed enough to be worth a retry.
    fn learn_skew(&self, server_date: Option<SystemTime>) -> bool {
        let Some(server) = server_date else {
            return false;
        };
        let now = SystemTime::now();
        let skew_ms = match server.duration_since(now) {
            Ok(ahead) => ahead.as_millis() as i64,
            Err(behind) => -(behind.duration().as_millis() as i64),
        };
        let old = self.inner.clock_skew_ms.swap(skew_ms, Ordering::Relaxed);
        (skew_ms - old).abs() > 60_000
    }

    /// The signing time: now, corrected by the learned clock skew.
    fn signing_time(&self) -> SystemTime {
        let skew = self.inner.clock_skew_ms.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if skew >= 0 {
            now + Duration::from_millis(skew as u64)
        } else {
            now - Duration::from_millis(skew.unsigned_abs())
        }
    }

    async fn attempt(
        &self,
        http: &reqwest::Client,
        request: &Outgoing<'_>,
        credentials: &crate::credentials::Credentials,
    ) -> Result<RawResponse, AttemptError> {
        let Outgoing {
            service,
            url,
            region,
            target,
            body,
            options,
        } = *request;
        let config = &self.inner.config;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        };
        let content_type = match service.json_version {
            "1.0" => "application/x-amz-json-1.0",
            _ => "application/x-amz-json-1.1",
        };
        let mut unsigned = vec![
            ("content-type", content_type),
            ("host", host.as_str()),
            ("x-amz-target", target),
        ];
        if let Some(encoding) = options.content_encoding {
            unsigned.push(("content-encoding", encoding));
        }
        if service.query_compatible {
            unsigned.push(("x-amzn-query-mode", "true"));
        }
        let scope = SigningScope {
            region,
            service: service.signing_name,
            time: self.signing_time(),
        };
        let signed = signing::sign_headers(
            "POST",
            url.as_str(),
            &unsigned,
            &body.sha256,
            credentials,
            scope,
        )
        .map_err(AttemptError::Signing)?;
        let mut request = http.post(url.clone());
        for (name, value) in &unsigned {
            if *name != "host" {
                request = request.header(*name, *value);
            }
        }
        let mut request = request.body(body.bytes.clone());
        for (name, value) in signed {
            request = request.header(name, value);
        }
        let (status, headers, bytes) =
            crate::transport::exchange(request, config.max_response_bytes, config.timeouts.attempt)
                .await
                .map_err(AttemptError::Transport)?;
        if (200..300).contains(&status) {
            return Ok(RawResponse {
                status,
                request_id: protocol::request_id(&headers),
                body: bytes,
            });
        }
        let server_date = headers
            .get("date")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::types::Timestamp::parse_http_date(v).ok())
            // A server date outside what SigV4 can sign is no clock to learn.
            .filter(|t| (0..=MAX_SIGNABLE_SECS).contains(&t.secs()))
            .map(SystemTime::from);
        let meta = protocol::parse_error_of(service, status, &headers, &bytes);
        Err(AttemptError::Service {
            meta,
            body: bytes,
            server_date,
        })
    }
}
