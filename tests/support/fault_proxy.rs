//! A fault-injection HTTP/1.1 proxy on 127.0.0.1 for tests: it sits between
//! the client and an upstream (moto or a sink) and, per request, by a
//! seeded schedule, passes the request through or injects one fault, in
//! the ECR API's shapes (awsJson). The registry's side, the same faults and
//! schedules in the distribution protocol's shapes, is
//! [`crate::registry_faults`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecrkit::retry::RetryConfig;
use ecrkit::{Client, Config, Credentials, TimeoutConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One way a request can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Close the client's connection after this many body bytes (the
    /// upstream never sees the request).
    CutAfterBodyBytes(usize),
    /// Forward the request, then close without sending the response (the
    /// upstream did the work; the client does not know).
    ResetBeforeResponse,
    /// Answer 500 without forwarding.
    Status500,
    /// Answer 503 without forwarding.
    Status503,
    /// Answer a ThrottlingException without forwarding.
    Throttle,
    /// Read the request, then say nothing for this long and close.
    Stall(Duration),
    /// Forward the request, then hold the answer back this long and close
    /// (the upstream did the work; the client hears nothing).
    SwallowAnswer(Duration),
    /// Forward, then send the response head and half its body, and close.
    TruncateResponse,
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Answer 200 with an HTML page.
    WrongContentType,
    /// Answer 200 with JSON of the wrong shape.
    WrongShape,
    /// Forward, then flip a byte of the response body (same length): a
    /// blob changed on the way down (registry downloads only).
    CorruptBody,
}

impl Fault {
    /// The class name, for counting.
    pub fn class(&self) -> &'static str {
        match self {
            Fault::CutAfterBodyBytes(_) => "cut_mid_body",
            Fault::ResetBeforeResponse => "reset_before_response",
            Fault::Status500 => "http_500",
            Fault::Status503 => "http_503",
            Fault::Throttle => "throttling",
            Fault::Stall(_) => "stall",
            Fault::SwallowAnswer(_) => "swallowed_answer",
            Fault::TruncateResponse => "truncated_response",
            Fault::Garbage => "garbage_body",
            Fault::WrongContentType => "wrong_content_type",
            Fault::WrongShape => "wrong_shape",
            Fault::CorruptBody => "corrupt_body",
        }
    }
}

/// Decides the fate of each request: `None` passes it through.
pub type Schedule = Box<dyn FnMut(&RequestInfo) -> Option<Fault> + Send>;

/// A seeded schedule: about `percent` of the requests get a fault, the
/// classes `classes` lists for the request in turn, so each is injected
/// about as often as the others.
pub fn seeded_schedule(
    seed: u64,
    percent: u64,
    classes: impl Fn(&RequestInfo) -> Vec<Fault> + Send + 'static,
) -> Schedule {
    let mut state = seed;
    let mut turn = 0usize;
    Box::new(move |req: &RequestInfo| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if (state >> 33) % 100 >= percent {
            return None;
        }
        let classes = classes(req);
        turn += 1;
        classes.get(turn % classes.len().max(1)).copied()
    })
}

/// A client for an endpoint behind the proxy: fast retries, up to
/// `max_attempts`, each attempt cut at `attempt_timeout` (so a stall ends).
pub fn client_through(endpoint: &str, max_attempts: u32, attempt_timeout: Duration) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_retry(RetryConfig {
                max_attempts,
                initial_backoff: Duration::from_millis(2),
                max_backoff: Duration::from_millis(20),
                quota: 100_000,
            })
            .with_timeouts(TimeoutConfig {
                attempt: Some(attempt_timeout),
                ..TimeoutConfig::default()
            })
            .build(),
    )
}

/// What the schedule sees of a request.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The running request number (0-based).
    pub index: usize,
    /// The operation, from `X-Amz-Target` (`UploadLayerPart`).
    pub operation: String,
    /// The body length (its `Content-Length`; 0 for a chunked body).
    pub body_len: usize,
    /// `GET`, `PATCH`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
}

/// A running proxy.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

struct State {
    schedule: Schedule,
    next: usize,
    injected: BTreeMap<&'static str, usize>,
    passed: usize,
    /// Client connections open now, and the most open at once.
    open: usize,
    peak_open: usize,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:port`).
    pub async fn start(upstream: String, schedule: Schedule) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            schedule,
            next: 0,
            injected: BTreeMap::new(),
            passed: 0,
            open: 0,
            peak_open: 0,
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (state, upstream) = (shared.clone(), upstream.clone());
                tokio::spawn(async move {
                    {
                        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                        st.open += 1;
                        st.peak_open = st.peak_open.max(st.open);
                    }
                    let _ = serve(sock, upstream, state.clone()).await;
                    state.lock().unwrap_or_else(|e| e.into_inner()).open -= 1;
                });
            }
        });
        FaultProxy { endpoint, state }
    }

    /// Faults injected so far, by class.
    pub fn injected(&self) -> BTreeMap<&'static str, usize> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .injected
            .clone()
    }

    /// Requests passed through untouched.
    pub fn passed(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).passed
    }

    /// The most client connections that were open at once.
    pub fn peak_open_connections(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .peak_open
    }

    /// Replaces the schedule (e.g. with one that injects nothing).
    pub fn set_schedule(&self, schedule: Schedule) {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .schedule = schedule;
    }
}

/// Reads one request head; `None` at a clean end of the connection.
async fn read_head(sock: &mut TcpStream, carry: &mut Vec<u8>) -> Option<(Vec<u8>, usize, String)> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(end) = carry.windows(4).position(|w| w == b"\r\n\r\n") {
            let head: Vec<u8> = carry.drain(..end + 4).collect();
            let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let len = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let op = text
                .lines()
                .find_map(|l| l.strip_prefix("x-amz-target:"))
                .map(|v| v.trim().rsplit('.').next().unwrap_or("").to_owned())
                .unwrap_or_default();
            return Some((head, len, op));
        }
        let n = sock.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        carry.extend_from_slice(&buf[..n]);
    }
}

async fn read_exact_into(sock: &mut TcpStream, carry: &mut Vec<u8>, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256 * 1024];
    while carry.len() < len {
        let n = sock.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        carry.extend_from_slice(&buf[..n]);
    }
    Some(carry.drain(..len).collect())
}

/// Sends one request upstream and returns the raw response (head + body).
async fn forward(upstream: &str, head: &[u8], body: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut up = TcpStream::connect(upstream).await.ok()?;
    // One request per upstream connection keeps the proxy simple.
    let head = String::from_utf8_lossy(head).replace("\r\nConnection: keep-alive", "");
    up.write_all(head.as_bytes()).await.ok()?;
    up.write_all(body).await.ok()?;
    let mut carry = Vec::new();
    let (resp_head, len, _) = read_head(&mut up, &mut carry).await?;
    let resp_body = read_exact_into(&mut up, &mut carry, len).await?;
    Some((resp_head, resp_body))
}

async fn reply(sock: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nx-amzn-RequestId: proxy\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
}

async fn serve(mut sock: TcpStream, upstream: String, state: Arc<Mutex<State>>) -> Option<()> {
    let mut carry = Vec::new();
    loop {
        let (head, len, operation) = read_head(&mut sock, &mut carry).await?;
        let request_line = String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        let mut words = request_line.split(' ');
        let method = words.next().unwrap_or("").to_owned();
        let path = words
            .next()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("")
            .to_owned();
        let fault = {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            let info = RequestInfo {
                index: s.next,
                operation,
                body_len: len,
                method,
                path,
            };
            s.next += 1;
            let fault = (s.schedule)(&info);
            match fault {
                Some(f) => *s.injected.entry(f.class()).or_default() += 1,
                None => s.passed += 1,
            }
            fault
        };
        if let Some(Fault::CutAfterBodyBytes(n)) = fault {
            let n = n.min(len.saturating_sub(1));
            let _ = read_exact_into(&mut sock, &mut carry, n).await;
            return None;
        }
        let body = read_exact_into(&mut sock, &mut carry, len).await?;
        match fault {
            None => {
                let (resp_head, resp_body) = forward(&upstream, &head, &body).await?;
                sock.write_all(&resp_head).await.ok()?;
                sock.write_all(&resp_body).await.ok()?;
            }
            Some(Fault::ResetBeforeResponse) => {
                forward(&upstream, &head, &body).await?;
                return None;
            }
            Some(Fault::TruncateResponse) => {
                let (resp_head, resp_body) = forward(&upstream, &head, &body).await?;
                sock.write_all(&resp_head).await.ok()?;
                sock.write_all(&resp_body[..resp_body.len() / 2])
                    .await
                    .ok()?;
                return None;
            }
            Some(Fault::Status500) => {
                reply(
                    &mut sock,
                    "500 Internal Server Error",
                    "application/x-amz-json-1.1",
                    r#"{"__type":"ServerException","message":"injected"}"#,
                )
                .await
            }
            Some(Fault::Status503) => {
                reply(
                    &mut sock,
                    "503 Service Unavailable",
                    "text/plain",
                    "slow down",
                )
                .await
            }
            Some(Fault::Throttle) => {
                reply(
                    &mut sock,
                    "400 Bad Request",
                    "application/x-amz-json-1.1",
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                )
                .await
            }
            Some(Fault::Stall(d)) => {
                tokio::time::sleep(d).await;
                return None;
            }
            Some(Fault::SwallowAnswer(d)) => {
                forward(&upstream, &head, &body).await?;
                tokio::time::sleep(d).await;
                return None;
            }
            Some(Fault::Garbage) => {
                reply(
                    &mut sock,
                    "200 OK",
                    "application/x-amz-json-1.1",
                    "\u{1}not json{{{",
                )
                .await
            }
            Some(Fault::WrongContentType) => {
                reply(
                    &mut sock,
                    "200 OK",
                    "text/html",
                    "<html><body>gateway</body></html>",
                )
                .await
            }
            Some(Fault::WrongShape) => {
                reply(
                    &mut sock,
                    "200 OK",
                    "application/x-amz-json-1.1",
                    r#"[{"lastByteReceived":"many"}]"#,
                )
                .await
            }
            // A registry fault: the API's schedules do not list it.
            Some(Fault::CutAfterBodyBytes(_) | Fault::CorruptBody) => return None,
        }
    }
}
