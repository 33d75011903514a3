//! The fault proxy's registry side: a [`Handler`] for [`Proxy`] (hyper, so
//! chunked and `Content-Length` request bodies, bodiless responses and
//! streamed blobs all pass) that, by the same seeded [`Schedule`] as the
//! API's proxy, forwards each distribution-protocol request or injects one
//! [`Fault`] in the registry's shapes:
//!
//! - `CutAfterBodyBytes(n)`: a request with a body is read for `n` bytes
//!   and the connection closed (the registry never sees it); a request
//!   without one is forwarded and its response body cut half-way;
//! - `ResetBeforeResponse`: forwarded (the registry did the work), then
//!   closed without the answer;
//! - `Status500`, `Status503`: the OCI error body, not forwarded;
//! - `Throttle`: 429 `TOOMANYREQUESTS`, as ECR and the distribution spec
//!   answer throttling, not forwarded;
//! - `Stall(d)`: the request read, then nothing for `d`, then closed;
//! - `SwallowAnswer(d)`: forwarded (the registry did the work), then
//!   nothing for `d`, then closed;
//! - `TruncateResponse`: forwarded, half the response body sent, closed;
//! - `Garbage`, `WrongShape`: forwarded, the answer's status and headers
//!   kept (its `Docker-Content-Digest` too) and its body replaced by bytes
//!   that are not JSON / JSON of the wrong shape;
//! - `WrongContentType`: a gateway's 200 HTML page, not forwarded;
//! - `CorruptBody`: forwarded, one byte of the body flipped (same length).
//!
//! Absolute `Location`s (the CNCF registry's own) come back as paths, so
//! the client keeps talking to the proxy. With a [`TokenRotation`] the
//! proxy is also the registry's door: it admits the current ECR token only
//! (401 for an expired one) and sends the registry its own password.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyDataStream, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};

use crate::fault_proxy::{Fault, RequestInfo, Schedule};
use crate::proxy::{
    Dropped, Handler, HandlerFuture, Outcome, ProxyBody, Upstream, body_of, plain, stream_back,
};
use crate::token_rotation::TokenRotation;

/// What the proxy did, for the tests to assert and print.
#[derive(Default)]
struct Counts {
    next: usize,
    injected: BTreeMap<&'static str, usize>,
    passed: usize,
    /// Requests admitted (past the token gate, if any), by method.
    methods: BTreeMap<String, usize>,
}

/// The registry-side fault handler.
pub struct RegistryFaults {
    schedule: Mutex<Schedule>,
    counts: Mutex<Counts>,
    gate: Option<Arc<TokenRotation>>,
}

impl RegistryFaults {
    /// A handler deciding each request by `schedule`; with `gate`, the
    /// tokens it admits.
    pub fn new(schedule: Schedule, gate: Option<Arc<TokenRotation>>) -> Arc<Self> {
        Arc::new(Self {
            schedule: Mutex::new(schedule),
            counts: Mutex::new(Counts::default()),
            gate,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Faults injected so far, by class.
    pub fn injected(&self) -> BTreeMap<&'static str, usize> {
        self.lock().injected.clone()
    }

    /// Requests passed through untouched.
    pub fn passed(&self) -> usize {
        self.lock().passed
    }

    /// Requests admitted (past the token gate, if any), by method.
    pub fn methods(&self) -> BTreeMap<String, usize> {
        self.lock().methods.clone()
    }

    /// Replaces the schedule (e.g. with one that injects nothing).
    pub fn set_schedule(&self, schedule: Schedule) {
        *self.schedule.lock().unwrap_or_else(|e| e.into_inner()) = schedule;
    }

    fn decide(&self, method: &str, path: &str, body_len: usize) -> Option<Fault> {
        let mut counts = self.lock();
        let info = RequestInfo {
            index: counts.next,
            operation: format!("{method} {}", kind_of(path)),
            body_len,
            method: method.to_owned(),
            path: path.to_owned(),
        };
        counts.next += 1;
        *counts.methods.entry(method.to_owned()).or_default() += 1;
        let fault = (self.schedule.lock().unwrap_or_else(|e| e.into_inner()))(&info);
        match fault {
            Some(f) => *counts.injected.entry(f.class()).or_default() += 1,
            None => counts.passed += 1,
        }
        fault
    }
}

/// What a registry path addresses: `blob`, `upload`, `manifest`, `tags`,
/// or `base` (`/v2/`).
pub fn kind_of(path: &str) -> &'static str {
    if path.contains("/blobs/uploads/") {
        "upload"
    } else if path.contains("/blobs/") {
        "blob"
    } else if path.contains("/manifests/") {
        "manifest"
    } else if path.ends_with("/tags/list") {
        "tags"
    } else {
        "base"
    }
}

fn oci_error(status: StatusCode, code: &str, message: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({"errors": [{"code": code, "message": message}]}).to_string();
    let mut response = plain(status, &body);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        "x-amzn-requestid",
        hyper::header::HeaderValue::from_static("fault-proxy"),
    );
    response
}

/// Reads a request body to its end.
async fn drain(body: Incoming) {
    let mut chunks = BodyDataStream::new(body);
    while let Some(Ok(_)) = chunks.next().await {}
}

/// Reads `n` bytes of a request body (or all of a shorter one).
async fn read_some(body: Incoming, n: usize) {
    let mut chunks = BodyDataStream::new(body);
    let mut got = 0;
    while got < n {
        match chunks.next().await {
            Some(Ok(chunk)) => got += chunk.len(),
            _ => return,
        }
    }
}

/// The response's `Content-Length`, where it has one.
fn length_of(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
}

/// `response` with its status and headers and `body` instead of its own.
fn with_body(response: &reqwest::Response, body: Bytes) -> Response<ProxyBody> {
    let mut out = Response::new(Full::new(body.clone()).map_err(|n| match n {}).boxed());
    *out.status_mut() = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in response.headers() {
        if name != hyper::header::CONTENT_LENGTH && name != hyper::header::TRANSFER_ENCODING {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out.headers_mut()
        .insert(hyper::header::CONTENT_LENGTH, body.len().into());
    out
}

/// The response streamed back with the first byte of its body flipped.
fn corrupted(response: reqwest::Response) -> Response<ProxyBody> {
    let mut builder = Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let mut flipped = false;
    let stream = response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        if flipped || chunk.is_empty() {
            return Ok(Frame::data(chunk));
        }
        flipped = true;
        let mut bytes = chunk.to_vec();
        bytes[0] ^= 0xff;
        Ok(Frame::data(Bytes::from(bytes)))
    });
    builder
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "bad upstream response"))
}

/// An absolute `Location` on the upstream as a path, so that the client's
/// next request comes to the proxy.
fn relocate(response: &mut Response<ProxyBody>, upstream: &Upstream) {
    let Some(location) = response
        .headers()
        .get(hyper::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    if let Some(path) = location.strip_prefix(&upstream.base)
        && let Ok(value) = path.parse()
    {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, value);
    }
}

impl RegistryFaults {
    async fn handle_request(&self, request: Request<Incoming>, upstream: &Upstream) -> Outcome {
        let (mut parts, body) = request.into_parts();
        if let Some(gate) = &self.gate {
            let sent = parts
                .headers
                .get(hyper::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            if !gate.admit(sent) {
                drain(body).await;
                let mut refused = oci_error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "authentication required: the token has expired",
                );
                refused.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    hyper::header::HeaderValue::from_static("Basic realm=\"basic-realm\""),
                );
                return Ok(refused);
            }
            parts.headers.insert(
                hyper::header::AUTHORIZATION,
                gate.upstream_header()
                    .parse()
                    .map_err(|_| Dropped("the registry's header"))?,
            );
        }
        let method = parts.method.to_string();
        let path = parts.uri.path().to_owned();
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        let chunked = parts.headers.contains_key(hyper::header::TRANSFER_ENCODING);
        let has_body = declared.is_some_and(|n| n > 0) || chunked;
        let fault = self.decide(&method, &path, declared.unwrap_or(0));
        let uri = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let forward = |body: Incoming| {
            let (method, headers) = (parts.method.clone(), parts.headers.clone());
            let uri = uri.clone();
            async move {
                upstream
                    .forward(&method, &uri, &headers, body_of(body))
                    .await
                    .map_err(|_| Dropped("upstream failed"))
            }
        };
        let mut response = match fault {
            None => stream_back(forward(body).await?, None),
            Some(Fault::CutAfterBodyBytes(n)) if has_body => {
                // Chunked bodies say no length: a mebibyte of it, then.
                read_some(body, if declared.is_some() { n } else { 1 << 20 }).await;
                return Err(Dropped("fault: cut mid-body"));
            }
            Some(Fault::CutAfterBodyBytes(_) | Fault::TruncateResponse) => {
                let answer = forward(body).await?;
                match length_of(&answer) {
                    Some(len) if len > 1 && method != "HEAD" => stream_back(answer, Some(len / 2)),
                    _ => return Err(Dropped("fault: the answer is cut")),
                }
            }
            Some(Fault::ResetBeforeResponse) => {
                drop(forward(body).await?);
                return Err(Dropped("fault: reset before the response"));
            }
            Some(Fault::Status500) => {
                drain(body).await;
                oci_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNKNOWN",
                    "injected: internal server error",
                )
            }
            Some(Fault::Status503) => {
                drain(body).await;
                oci_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "injected: service unavailable",
                )
            }
            Some(Fault::Throttle) => {
                drain(body).await;
                oci_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TOOMANYREQUESTS",
                    "Rate exceeded",
                )
            }
            Some(Fault::Stall(d)) => {
                drain(body).await;
                tokio::time::sleep(d).await;
                return Err(Dropped("fault: stalled"));
            }
            Some(Fault::SwallowAnswer(d)) => {
                drop(forward(body).await?);
                tokio::time::sleep(d).await;
                return Err(Dropped("fault: the answer swallowed"));
            }
            Some(Fault::Garbage) => {
                let answer = forward(body).await?;
                with_body(&answer, Bytes::from_static(b"\x01not json{{{\xff\xfe"))
            }
            Some(Fault::WrongShape) => {
                let answer = forward(body).await?;
                with_body(
                    &answer,
                    Bytes::from_static(br#"[{"schemaVersion":"two","layers":7}]"#),
                )
            }
            Some(Fault::WrongContentType) => {
                drain(body).await;
                let mut page = plain(StatusCode::OK, "<html><body>gateway</body></html>");
                page.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("text/html"),
                );
                page
            }
            Some(Fault::CorruptBody) => corrupted(forward(body).await?),
        };
        relocate(&mut response, upstream);
        Ok(response)
    }
}

impl Handler for RegistryFaults {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(self.handle_request(request, upstream))
    }
}
