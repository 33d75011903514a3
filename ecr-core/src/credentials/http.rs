//! The HTTP client of aws-config's credentials providers: the client's own
//! `reqwest::Client`, behind aws-smithy's [`HttpClient`] trait.
//!
//! aws-config's providers (STS for web identity and assume role, the SSO
//! portal, the ECS/EKS container endpoint, EC2 instance metadata) send their
//! requests through this adapter, so one HTTP and TLS stack is compiled
//! (aws-config's own, `default-https-client`, would add hyper's legacy
//! client and aws-lc), and the roots, the CA bundle and the proxies of the
//! client apply to credentials requests too.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// The largest response body a credentials source may send: the documents
/// are a few hundred bytes; a server that sends more is cut off instead of
/// filling memory.
const MAX_BODY: usize = 1 << 20;

/// A `reqwest::Client` as aws-smithy's `HttpClient`.
#[derive(Debug, Clone)]
pub(crate) struct ReqwestHttpClient {
    http: reqwest::Client,
    /// The deadline of one request: connect timeout plus read timeout, as
    /// each provider asks for them (IMDS asks for 1 s each, so a machine
    /// that is not on EC2 moves on quickly).
    deadline: Option<Duration>,
}

impl ReqwestHttpClient {
    /// The shared form aws-config takes.
    pub(crate) fn shared(http: reqwest::Client) -> SharedHttpClient {
        SharedHttpClient::new(Self {
            http,
            deadline: None,
        })
    }
}

impl HttpClient for ReqwestHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let deadline = match (settings.connect_timeout(), settings.read_timeout()) {
            (None, None) => None,
            (connect, read) => Some(connect.unwrap_or_default() + read.unwrap_or_default()),
        };
        SharedHttpConnector::new(Self {
            http: self.http.clone(),
            deadline,
        })
    }
}

impl HttpConnector for ReqwestHttpClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let http = self.http.clone();
        let deadline = self.deadline;
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?;
            let (parts, body) = request.into_parts();
            // The providers' bodies (STS form posts, empty GETs) are in memory.
            let body = body
                .bytes()
                .map(bytes::Bytes::copy_from_slice)
                .unwrap_or_default();
            let mut builder = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body);
            if let Some(limit) = deadline {
                builder = builder.timeout(limit);
            }
            let mut response = builder.send().await.map_err(connector_error)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut bytes = bytes::BytesMut::new();
            while let Some(chunk) = response.chunk().await.map_err(connector_error)? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(ConnectorError::other(
                        format!("credentials response larger than {MAX_BODY} bytes").into(),
                        None,
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            // A body aws-smithy reads as a stream: its TRACE log of the
            // exchange then prints `BoxBody`, not the bytes, and the body is
            // logged later only if the operation's output is not marked
            // sensitive (credentials documents and IMDS tokens are).
            let body = SdkBody::from_body_1_x(http_body_util::Full::new(bytes.freeze()));
            let mut out = http::Response::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            HttpResponse::try_from(out).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// A timeout is a timeout (aws-config retries it, and the IMDS provider
/// reads it as "not on EC2"), anything else an I/O failure.
fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else {
        ConnectorError::io(error.into())
    }
}
