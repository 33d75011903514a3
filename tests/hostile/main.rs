//! Hostile and odd responses: huge bodies, deep nesting, numbers out of
//! range, unknown enum values and fields, missing members, non-UTF-8 bytes,
//! wrong content types, truncated and wrongly shaped JSON, and a service
//! clock far in the future. Each either through a loopback server on
//! 127.0.0.1 that answers with scripted raw bytes, or straight through the
//! parsing functions. The client must answer every one with a value or a
//! typed error, never a panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ecrkit::ecr::{
    BatchGetImageResponse, DescribeImages, DescribeImagesResponse, DescribeRepositories,
    DescribeRepositoriesError, DescribeRepositoriesResponse, GetLifecyclePolicyPreview,
    GetLifecyclePolicyPreviewResponse, ImageFailureCode, ImageStatus, ListImageReferrers,
    ListImageReferrersResponse, SubjectIdentifier, TagResource,
};
use ecrkit::error::TransportError;
use ecrkit::http::{HeaderMap, HeaderValue};
use ecrkit::retry::RetryConfig;
use ecrkit::signing::{SigningScope, sign_headers};
use ecrkit::{Client, Config, Credentials, Error, TimeoutConfig, ValidationMode, protocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------
// A loopback server that answers each request with scripted raw bytes.

/// What the server does with one request.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes and keeps the connection for the next request.
    Bytes(Vec<u8>),
    /// Writes these bytes and closes the connection.
    Close(Vec<u8>),
    /// A chunked response of `status` (no Content-Length) repeating `chunk`
    /// until the client goes away or `max` bytes are written.
    Endless {
        status: u16,
        chunk: Vec<u8>,
        max: usize,
    },
}

struct Server {
    endpoint: String,
    /// Requests received.
    requests: Arc<AtomicUsize>,
    /// Body bytes written by `Reply::Endless` before the client went away.
    written: Arc<AtomicUsize>,
}

/// Reads one request (head and Content-Length body); `None` at end of stream.
async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0usize);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(head);
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Serves `script[n]` to the n-th request, and the last entry after that.
async fn serve(script: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let (count, bytes) = (requests.clone(), written.clone());
    let script = Arc::new(script);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (count, bytes, script) = (count.clone(), bytes.clone(), script.clone());
            tokio::spawn(async move {
                while read_request(&mut sock).await.is_some() {
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let reply = script.get(n).or(script.last()).cloned();
                    match reply {
                        Some(Reply::Bytes(b)) => {
                            if sock.write_all(&b).await.is_err() {
                                return;
                            }
                        }
                        Some(Reply::Close(b)) => {
                            let _ = sock.write_all(&b).await;
                            let _ = sock.shutdown().await;
                            return;
                        }
                        Some(Reply::Endless { status, chunk, max }) => {
                            let head = format!(
                                "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            );
                            if sock.write_all(head.as_bytes()).await.is_err() {
                                return;
                            }
                            let framed = [
                                format!("{:x}\r\n", chunk.len()).into_bytes(),
                                chunk.clone(),
                                b"\r\n".to_vec(),
                            ]
                            .concat();
                            let mut sent = 0;
                            while sent < max {
                                if sock.write_all(&framed).await.is_err() {
                                    return;
                                }
                                sent += chunk.len();
                                bytes.store(sent, Ordering::SeqCst);
                            }
                            let _ = sock.write_all(b"0\r\n\r\n").await;
                            return;
                        }
                        None => return,
                    }
                }
            });
        }
    });
    Server {
        endpoint,
        requests,
        written,
    }
}

/// A raw HTTP/1.1 response with a Content-Length.
fn response(status: u16, content_type: &str, extra: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nx-amzn-RequestId: req-{status}\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (name, value) in extra {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

const JSON: &str = "application/x-amz-json-1.1";

fn ok(body: &[u8]) -> Reply {
    Reply::Bytes(response(200, JSON, &[], body))
}

/// A client for `endpoint`: no validation (the responses are under test),
/// `max_attempts` attempts with short backoffs, and `max_response_bytes`.
fn client(endpoint: &str, max_attempts: u32, max_response_bytes: usize) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_validation(ValidationMode::Off)
            .with_retry(RetryConfig {
                max_attempts,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryConfig::default()
            })
            .with_timeouts(TimeoutConfig {
                attempt: Some(Duration::from_secs(10)),
                operation: Some(Duration::from_secs(30)),
                ..TimeoutConfig::default()
            })
            .with_max_response_bytes(max_response_bytes)
            .build(),
    )
}

/// Sends `DescribeRepositories` to a server with this script, one attempt.
async fn describe_repositories(
    script: Vec<Reply>,
) -> Result<DescribeRepositoriesResponse, Error<DescribeRepositoriesError>> {
    let server = serve(script).await;
    DescribeRepositories::default()
        .send(&client(&server.endpoint, 1, 1 << 20))
        .await
}

/// The message of an `Error::Response`, after checking the metadata was kept.
fn response_error<E: std::fmt::Debug>(result: Result<impl std::fmt::Debug, Error<E>>) -> String {
    match result {
        Err(Error::Response { message, meta }) => {
            assert_eq!(meta.status, 200);
            assert_eq!(meta.request_id.as_deref(), Some("req-200"));
            message
        }
        other => panic!("expected Error::Response, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Huge bodies: reads are bounded by Config::max_response_bytes.

const LIMIT: usize = 64 * 1024;

fn assert_body_too_large<T: std::fmt::Debug, E: std::fmt::Debug + std::fmt::Display>(
    result: Result<T, Error<E>>,
) {
    match result {
        Err(
            ref e @ Error::Transport {
                source: TransportError::BodyTooLarge { limit },
                attempts,
            },
        ) => {
            assert_eq!(limit, LIMIT);
            assert_eq!(
                attempts, 1,
                "an oversized body is not retried: it would be again"
            );
            assert!(
                e.to_string()
                    .contains(&format!("response body larger than {LIMIT} bytes")),
                "{e}"
            );
        }
        other => panic!("expected TransportError::BodyTooLarge, got {other:?}"),
    }
}

/// A valid JSON body of exactly `len` bytes.
fn padded_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"repositories":[]"#.to_vec();
    body.resize(len - 1, b' ');
    body.push(b'}');
    body
}

mod body_limits;
mod bytes_and_shapes;
mod dates_and_signing;
mod nesting;
mod values;
