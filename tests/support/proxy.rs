//! An HTTP/1.1 proxy on 127.0.0.1 for the registry tests, on a thread and
//! runtime of its own (so that a test blocked on a child process, such as
//! skopeo, does not stall it). A [`Handler`] sees each request and answers
//! it itself, forwards it upstream (changed or not), or drops the
//! connection; every request is recorded.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyDataStream, BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};

/// The body of a response the proxy sends.
pub type ProxyBody = BoxBody<Bytes, std::io::Error>;

/// What a handler does with a request: answer it, or close the connection
/// without an answer (`Err`).
pub type Outcome = Result<Response<ProxyBody>, Dropped>;

/// The connection was dropped on purpose.
#[derive(Debug)]
pub struct Dropped(pub &'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dropped: {}", self.0)
    }
}

impl std::error::Error for Dropped {}

/// A boxed handler future.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Decides each request's fate.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`; `upstream` forwards.
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a>;
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `PATCH`, `GET`, ...
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Whether it carried an `Authorization` header.
    pub authorized: bool,
    /// The `Range` or `Content-Range` header, if any.
    pub range: Option<String>,
    /// The `X-Amz-Target` header (an ECR API call), if any.
    pub target: Option<String>,
}

/// Where requests are forwarded.
pub struct Upstream {
    /// `http://127.0.0.1:<port>` of the upstream.
    pub base: String,
    /// The forwarding client (no redirects followed: they go back to the
    /// client as they are).
    pub http: reqwest::Client,
}

impl Upstream {
    /// Forwards a request with `body` to `url` (absolute, or a path and
    /// query on the upstream), with the request's headers but `Host`.
    pub async fn forward(
        &self,
        method: &hyper::Method,
        url: &str,
        headers: &hyper::HeaderMap,
        body: reqwest::Body,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let mut request = self.http.request(method.clone(), url).body(body);
        for (name, value) in headers {
            if name != hyper::header::HOST {
                request = request.header(name, value);
            }
        }
        request.send().await
    }

    /// Forwards a request unchanged and streams the answer back.
    pub async fn pass(&self, request: Request<Incoming>) -> Outcome {
        let (parts, body) = request.into_parts();
        let uri = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let response = self
            .forward(&parts.method, &uri, &parts.headers, body_of(body))
            .await
            .map_err(|_| Dropped("upstream failed"))?;
        Ok(stream_back(response, None))
    }
}

/// A hyper request body as a reqwest one.
pub fn body_of(body: Incoming) -> reqwest::Body {
    reqwest::Body::wrap_stream(BodyDataStream::new(body))
}

/// An upstream response turned into the proxy's, streamed; `cut_after`
/// ends the body with an error after that many bytes (the connection then
/// closes mid-body).
pub fn stream_back(response: reqwest::Response, cut_after: Option<u64>) -> Response<ProxyBody> {
    let mut builder = Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let chunks = Box::pin(response.bytes_stream());
    let stream = futures_util::stream::unfold(
        (chunks, cut_after, false),
        |(mut chunks, left, done)| async move {
            if done {
                return None;
            }
            let cut = || std::io::Error::other("cut by the test proxy");
            match (chunks.next().await?, left) {
                (Err(e), _) => Some((Err(std::io::Error::other(e)), (chunks, left, true))),
                (Ok(chunk), None) => Some((Ok(chunk), (chunks, None, false))),
                (Ok(_), Some(0)) => Some((Err(cut()), (chunks, left, true))),
                (Ok(chunk), Some(n)) if (chunk.len() as u64) < n => {
                    let n = n - chunk.len() as u64;
                    Some((Ok(chunk), (chunks, Some(n), false)))
                }
                (Ok(chunk), Some(n)) => {
                    // The bytes up to the cut; the next item is the error.
                    Some((Ok(chunk.slice(..n as usize)), (chunks, Some(0), false)))
                }
            }
        },
    )
    .map_ok(Frame::data);
    builder
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "bad upstream response"))
}

/// A small response.
pub fn plain(status: StatusCode, body: &str) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_owned()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
}

/// A running proxy, stopped when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Every request, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:<port>`) with
    /// `handler` deciding each request.
    pub fn start(upstream: &str, handler: Arc<dyn Handler>) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a proxy port");
        listener.set_nonblocking(true).expect("nonblocking");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let upstream = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("proxy client"),
        });
        let seen_by_server = seen.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(serve(listener, upstream, handler, seen_by_server, stopped));
        });
        Proxy {
            endpoint,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The requests seen so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    upstream: Arc<Upstream>,
    handler: Arc<dyn Handler>,
    seen: Arc<Mutex<Vec<Seen>>>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let (upstream, handler, seen) = (upstream.clone(), handler.clone(), seen.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let (upstream, handler, seen) = (upstream.clone(), handler.clone(), seen.clone());
                async move {
                    let headers = request.headers();
                    let record = Seen {
                        method: request.method().to_string(),
                        uri: request
                            .uri()
                            .path_and_query()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default(),
                        authorized: headers.contains_key(hyper::header::AUTHORIZATION),
                        range: headers
                            .get(hyper::header::RANGE)
                            .or_else(|| headers.get(hyper::header::CONTENT_RANGE))
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                        target: headers
                            .get("x-amz-target")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    };
                    if let Ok(mut seen) = seen.lock() {
                        seen.push(record);
                    }
                    handler.handle(request, &upstream).await
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Forwards everything unchanged (with `cut_after_bytes` of every response
/// body first, when set: a download cut mid-body, once per path).
pub struct PassThrough {
    /// Cut the first response to each path after this many body bytes.
    pub cut_first_after: Option<u64>,
    cut: Mutex<std::collections::HashSet<String>>,
}

impl PassThrough {
    /// A proxy handler that forwards everything.
    pub fn new(cut_first_after: Option<u64>) -> Arc<Self> {
        Arc::new(Self {
            cut_first_after,
            cut: Mutex::new(Default::default()),
        })
    }
}

impl Handler for PassThrough {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let cut = self.cut_first_after.filter(|_| {
                request.method() == hyper::Method::GET
                    && self
                        .cut
                        .lock()
                        .map(|mut c| c.insert(path.clone()))
                        .unwrap_or(false)
            });
            let (parts, body) = request.into_parts();
            let uri = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let response = upstream
                .forward(&parts.method, &uri, &parts.headers, body_of(body))
                .await
                .map_err(|_| Dropped("upstream failed"))?;
            let cut = cut.filter(|_| response.status().is_success());
            Ok(stream_back(response, cut))
        })
    }
}
