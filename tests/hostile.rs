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

#[tokio::test]
async fn a_body_over_the_limit_with_content_length_is_refused() {
    let server = serve(vec![
        ok(&padded_body(LIMIT + 1)),
        ok(&padded_body(LIMIT + 1)),
    ])
    .await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 3, LIMIT))
        .await;
    assert_body_too_large(result);
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    let server = serve(vec![ok(&padded_body(LIMIT))]).await;
    let out = DescribeRepositories::default()
        .send(&client(&server.endpoint, 1, LIMIT))
        .await
        .expect("a body of exactly the limit is accepted");
    assert_eq!(out.repositories, Some(vec![]));
}

#[tokio::test]
async fn a_chunked_body_without_content_length_is_cut_at_the_limit() {
    let server = serve(vec![Reply::Endless {
        status: 200,
        chunk: vec![b' '; 8192],
        max: 256 << 20,
    }])
    .await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 1, LIMIT))
        .await;
    assert_body_too_large(result);
    // The client stopped reading: the server could not push the whole
    // 256 MiB (what it did write sits in socket buffers).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let written = server.written.load(Ordering::SeqCst);
    assert!(written < 64 << 20, "the server wrote {written} bytes");
}

#[tokio::test]
async fn a_huge_error_body_is_bounded_too() {
    let server = serve(vec![Reply::Endless {
        status: 500,
        chunk: vec![b'x'; 8192],
        max: 64 << 20,
    }])
    .await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 1, LIMIT))
        .await;
    assert_body_too_large(result);
}

#[tokio::test]
async fn a_lying_content_length_is_refused_before_reading() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 1000000000000000\r\n\r\n{}";
    let server = serve(vec![Reply::Close(head.to_vec())]).await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 1, LIMIT))
        .await;
    assert_body_too_large(result);
}

// ---------------------------------------------------------------------------
// Deeply nested JSON: the reader's nesting limit (127 levels) gives an error.

fn nested(depth: usize, open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn deep_nesting_in_a_typed_member_is_an_error() {
    let body = format!(r#"{{"repositories":{}}}"#, nested(100_000, "[", "]"));
    let err = protocol::parse_output::<DescribeRepositoriesResponse>(body.as_bytes())
        .expect_err("a list of lists is not a list of repositories");
    assert_eq!(
        err.to_string(),
        "repositories[0]: invalid type: sequence, expected struct Repository at line 1 column 17"
    );
    // A map of counts whose first value is a deep tower of maps: refused at
    // the first level, where a number was due.
    let body = format!(
        r#"{{"imageDetails":[{{"imageScanFindingsSummary":{{"findingSeverityCounts":{}}}}}]}}"#,
        nested(100_000, r#"{"a":"#, "}")
    );
    let err = protocol::parse_output::<DescribeImagesResponse>(body.as_bytes())
        .expect_err("deep nesting");
    assert_eq!(
        err.to_string(),
        "imageDetails[0].imageScanFindingsSummary.findingSeverityCounts.a: invalid type: map, expected i32 at line 1 column 75"
    );
    // Where the type does allow nesting (any value), the limit stops it.
    let err = protocol::from_json::<serde_json::Value>(body.as_bytes()).expect_err("deep nesting");
    assert_eq!(err.message(), "recursion limit exceeded", "{err}");
}

#[test]
fn deep_nesting_in_an_unknown_member_is_skipped_or_refused_without_overflow() {
    let body = format!(
        r#"{{"unknown":{},"nextToken":"t"}}"#,
        nested(100_000, "[", "]")
    );
    match protocol::parse_output::<DescribeRepositoriesResponse>(body.as_bytes()) {
        // Skipped: the members after it are still read.
        Ok(out) => assert_eq!(out.next_token.as_deref(), Some("t")),
        Err(e) => assert_eq!(e.message(), "recursion limit exceeded", "{e}"),
    }
}

#[test]
fn deep_nesting_in_an_error_body_keeps_the_header_code() {
    let body = format!(
        r#"{{"__type":{},"message":"m"}}"#,
        nested(100_000, r#"{"a":"#, "}")
    );
    let meta = protocol::parse_error(400, &HeaderMap::new(), body.as_bytes());
    assert_eq!(meta.status, 400);
    assert_eq!(meta.code, None);
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static("ServerException"),
    );
    let meta = protocol::parse_error(500, &headers, body.as_bytes());
    assert_eq!(meta.code.as_deref(), Some("ServerException"));
}

#[tokio::test]
async fn deep_nesting_through_the_client_is_a_typed_error() {
    let body = format!(r#"{{"repositories":{}}}"#, nested(50_000, "[", "]"));
    let message = response_error(describe_repositories(vec![ok(body.as_bytes())]).await);
    assert!(
        message.contains("repositories[0]: invalid type: sequence, expected struct Repository"),
        "{message}"
    );

    let body = format!(r#"{{"__type":{}}}"#, nested(50_000, "[", "]"));
    let result = describe_repositories(vec![Reply::Bytes(response(
        400,
        JSON,
        &[],
        body.as_bytes(),
    ))])
    .await;
    match result {
        Err(Error::Service {
            error: DescribeRepositoriesError::Unmodeled(e),
            meta,
        }) => {
            assert_eq!(meta.status, 400);
            assert_eq!(e.code, "");
        }
        other => panic!("expected an unmodeled service error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Numbers out of range for the member's type.

fn preview_summary(value: &str) -> Result<GetLifecyclePolicyPreviewResponse, String> {
    let body = format!(r#"{{"summary":{{"expiringImageTotalCount":{value}}}}}"#);
    protocol::parse_output(body.as_bytes()).map_err(|e| e.to_string())
}

#[test]
fn an_i32_member_out_of_range_is_an_error() {
    let err = preview_summary("1e20").expect_err("1e20 is not an i32");
    assert_eq!(
        err,
        "summary.expiringImageTotalCount: invalid type: floating point `1e+20`, expected i32 at line 1 column 42"
    );
    for value in ["1099511627776", "-1099511627776", "2147483648"] {
        let err = preview_summary(value).expect_err(value);
        assert_eq!(
            err,
            format!(
                "summary.expiringImageTotalCount: invalid value: integer `{value}`, expected i32 at line 1 column {}",
                38 + value.len()
            ),
        );
    }
    let err = preview_summary("1.5").expect_err("1.5 is not an integer");
    assert!(err.contains("expected i32"), "{err}");
    // The extremes that fit are read.
    let out = preview_summary("2147483647").expect("i32::MAX");
    assert_eq!(
        out.summary.and_then(|s| s.expiring_image_total_count),
        Some(i32::MAX)
    );
}

#[test]
fn an_i64_member_out_of_range_is_an_error() {
    let parse = |v: &str| {
        let body = format!(r#"{{"imageDetails":[{{"imageSizeInBytes":{v}}}]}}"#);
        protocol::parse_output::<DescribeImagesResponse>(body.as_bytes()).map_err(|e| e.to_string())
    };
    let err = parse("9223372036854775808").expect_err("2^63");
    assert!(
        err.contains(
            "imageSizeInBytes: invalid value: integer `9223372036854775808`, expected i64"
        ),
        "{err}"
    );
    let err = parse("-9223372036854775809").expect_err("-2^63 - 1");
    assert!(err.contains("expected i64"), "{err}");
    let err = parse("18446744073709551616").expect_err("2^64");
    assert!(err.contains("expected i64"), "{err}");
    let out = parse("9223372036854775807").expect("i64::MAX");
    assert_eq!(
        out.image_details.unwrap()[0].image_size_in_bytes,
        Some(i64::MAX)
    );
}

#[test]
fn timestamps_and_floats_out_of_range_are_errors() {
    for value in ["1e300", "18446744073709551615", "-1e16"] {
        let body = format!(r#"{{"imageDetails":[{{"imagePushedAt":{value}}}]}}"#);
        let err = protocol::parse_output::<DescribeImagesResponse>(body.as_bytes())
            .expect_err(value)
            .to_string();
        assert!(
            err.starts_with("imageDetails[0].imagePushedAt: invalid value:")
                && err.contains("expected a timestamp in range"),
            "{value}: {err}"
        );
    }
    // A number beyond f64 as well.
    let body = br#"{"imageDetails":[{"imagePushedAt":1e400}]}"#;
    let err = protocol::parse_output::<DescribeImagesResponse>(body).expect_err("1e400");
    assert_eq!(
        err.to_string(),
        "imageDetails[0].imagePushedAt: number out of range at line 1 column 39"
    );
    // And in a float member (a finding's CVSS score).
    let body = br#"{"imageScanFindings":{"enhancedFindings":[{"score":1e400}]}}"#;
    let err = protocol::parse_output::<ecrkit::ecr::DescribeImageScanFindingsResponse>(body)
        .expect_err("1e400");
    assert_eq!(
        err.to_string(),
        "imageScanFindings.enhancedFindings[0].score: number out of range at line 1 column 56"
    );
}

#[tokio::test]
async fn an_out_of_range_number_through_the_client_is_a_response_error() {
    let server = serve(vec![ok(br#"{"summary":{"expiringImageTotalCount":1e20}}"#)]).await;
    let result = GetLifecyclePolicyPreview {
        repository_name: "repo-a".into(),
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await;
    let message = response_error(result);
    assert!(
        message.contains(
            "summary.expiringImageTotalCount: invalid type: floating point `1e+20`, expected i32"
        ),
        "{message}"
    );
}

// ---------------------------------------------------------------------------
// Unknown enum values are kept; unknown fields are ignored.

#[test]
fn unknown_enum_values_are_kept() {
    let body = br#"{"imageDetails":[{"imageStatus":"FROZEN"},{"imageStatus":""},{"imageStatus":"ACTIVE"}]}"#;
    let out: DescribeImagesResponse = protocol::parse_output(body).expect("parses");
    let statuses: Vec<_> = out
        .image_details
        .unwrap()
        .into_iter()
        .map(|d| d.image_status)
        .collect();
    assert_eq!(
        statuses,
        vec![
            Some(ImageStatus::Unknown("FROZEN".into())),
            Some(ImageStatus::Unknown(String::new())),
            Some(ImageStatus::Active),
        ]
    );
    let body = br#"{"failures":[{"failureCode":"QuantumDecoherence","failureReason":"r"}]}"#;
    let out: BatchGetImageResponse = protocol::parse_output(body).expect("parses");
    let failure = &out.failures.unwrap()[0];
    assert_eq!(
        failure.failure_code,
        Some(ImageFailureCode::Unknown("QuantumDecoherence".into()))
    );
    assert_eq!(failure.failure_reason.as_deref(), Some("r"));
}

#[test]
fn an_enum_value_of_the_wrong_type_is_an_error() {
    let err = protocol::parse_output::<DescribeImagesResponse>(
        br#"{"imageDetails":[{"imageStatus":7}]}"#,
    )
    .expect_err("a number is not an enum value");
    assert_eq!(
        err.to_string(),
        "imageDetails[0].imageStatus: invalid type: integer `7`, expected a string at line 1 column 33"
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let body = br#"{
        "futureMember": {"deep": [1, 2, {"x": null}], "s": "\u00e9"},
        "repositories": [{"repositoryName": "repo-a", "newThing": [true, false], "createdAt": 1.5}],
        "nextToken": "t",
        "another": 12345678901234567890123
    }"#;
    let out: DescribeRepositoriesResponse = protocol::parse_output(body).expect("parses");
    let repo = &out.repositories.unwrap()[0];
    assert_eq!(repo.repository_name.as_deref(), Some("repo-a"));
    assert_eq!(repo.created_at.map(|t| t.as_secs_f64()), Some(1.5));
    assert_eq!(out.next_token.as_deref(), Some("t"));
}

#[test]
fn a_duplicate_member_is_an_error_that_names_it() {
    // JavaScript's JSON.parse keeps the last; serde refuses the body, and
    // a body that says two things of one member is not trusted either way.
    let body = br#"{"nextToken":"first","nextToken":"last"}"#;
    let err = protocol::parse_output::<DescribeRepositoriesResponse>(body)
        .expect_err("a member given twice");
    assert_eq!(
        err.to_string(),
        "duplicate field `nextToken` at line 1 column 32"
    );
}

#[tokio::test]
async fn unknown_values_through_the_client() {
    let server = serve(vec![ok(
        br#"{"imageDetails":[{"imageStatus":"FROZEN","brandNew":{"a":[1]}}],"nextToken":null}"#,
    )])
    .await;
    let out = DescribeImages {
        repository_name: "repo-a".into(),
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await
    .expect("unknown values and fields are not errors");
    let details = out.image_details.expect("details");
    assert_eq!(
        details[0].image_status,
        Some(ImageStatus::Unknown("FROZEN".into()))
    );
    assert_eq!(out.next_token, None, "null is skipped");
}

// ---------------------------------------------------------------------------
// Missing required output members.

#[test]
fn a_missing_required_output_member_is_a_clear_error_or_a_default() {
    // ImageReferrer's digest, mediaType and size are required by the model.
    let body =
        br#"{"referrers":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":12}]}"#;
    match protocol::parse_output::<ListImageReferrersResponse>(body) {
        Err(e) => assert!(
            e.to_string()
                .starts_with("referrers[0]: missing field `digest`"),
            "the error names the member: {e}"
        ),
        Ok(out) => {
            // Default, as botocore and smithy-rs's error correction do.
            let r = &out.referrers.expect("referrers")[0];
            assert_eq!(r.digest, "");
            assert_eq!(r.size, 12);
        }
    }
}

#[tokio::test]
async fn a_missing_required_member_through_the_client_keeps_the_request_id() {
    let server = serve(vec![ok(br#"{"referrers":[{"digest":"sha256:00"}]}"#)]).await;
    let result = ListImageReferrers {
        repository_name: "repo-a".into(),
        subject_id: SubjectIdentifier {
            image_digest: "sha256:00".into(),
        },
        ..Default::default()
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await;
    match result {
        Err(Error::Response { message, meta }) => {
            assert!(
                message.starts_with("referrers[0]: missing field `mediaType`"),
                "{message}"
            );
            assert_eq!(meta.request_id.as_deref(), Some("req-200"));
        }
        Ok(out) => assert_eq!(out.referrers.expect("referrers")[0].media_type, ""),
        Err(other) => panic!("expected a response error or a default, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Non-UTF-8 bytes in the body and in headers.

#[test]
fn non_utf8_bodies_are_errors() {
    let cases: [&[u8]; 4] = [
        b"{\"nextToken\":\"a\xffb\"}",
        b"{\"nextToken\":\"\xc3\"}",
        b"\xef\xbb\xbf{}",
        b"{\"nextToken\":\"\\ud800\"}",
    ];
    for body in cases {
        let result = protocol::parse_output::<DescribeRepositoriesResponse>(body);
        assert!(result.is_err(), "{body:?} parsed as {result:?}");
    }
    // In an error body: no code from the body, the status is kept.
    let meta = protocol::parse_error(400, &HeaderMap::new(), b"{\"__type\":\"A\xffB\"}");
    assert_eq!((meta.status, meta.code), (400, None));
}

#[test]
fn non_utf8_headers_are_skipped() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_bytes(b"Bad\xffCode").unwrap(),
    );
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_bytes(b"req-\xfe").unwrap(),
    );
    let meta = protocol::parse_error(
        400,
        &headers,
        br#"{"__type":"RepositoryNotFoundException","message":"m"}"#,
    );
    assert_eq!(meta.code.as_deref(), Some("RepositoryNotFoundException"));
    assert_eq!(meta.request_id, None);
    assert_eq!(meta.message.as_deref(), Some("m"));
}

#[tokio::test]
async fn non_utf8_bytes_through_the_client() {
    let error = response(
        400,
        JSON,
        &[
            ("x-amzn-ErrorType", b"Bad\xffCode"),
            ("x-amz-id-2", b"\xfe\xfd"),
        ],
        br#"{"__type":"RepositoryNotFoundException","message":"gone"}"#,
    );
    match describe_repositories(vec![Reply::Bytes(error)]).await {
        Err(Error::Service {
            error: DescribeRepositoriesError::RepositoryNotFoundException(e),
            meta,
        }) => {
            assert_eq!(e.message.as_deref(), Some("gone"));
            assert_eq!(meta.request_id.as_deref(), Some("req-400"));
            assert_eq!(meta.extended_request_id, None);
        }
        other => panic!("expected RepositoryNotFoundException, got {other:?}"),
    }
    let body = b"{\"repositories\":[{\"repositoryName\":\"\xff\xfe\"}]}";
    let message = response_error(describe_repositories(vec![ok(body)]).await);
    assert!(!message.is_empty());
}

// ---------------------------------------------------------------------------
// Wrong Content-Type, truncated JSON, a body of the wrong shape, garbage.

#[tokio::test]
async fn the_content_type_is_not_trusted_either_way() {
    // JSON under another content type still parses (awsJson does not check).
    let reply = Reply::Bytes(response(200, "text/html", &[], br#"{"nextToken":"t"}"#));
    let out = describe_repositories(vec![reply]).await.expect("parses");
    assert_eq!(out.next_token.as_deref(), Some("t"));
    // HTML under a 200 is a response error.
    let reply = Reply::Bytes(response(200, "text/html", &[], b"<html>oops</html>"));
    let message = response_error(describe_repositories(vec![reply]).await);
    assert_eq!(message, "expected value at line 1 column 1");
    // HTML from a proxy under a 502 is an unmodeled error with the status.
    let reply = Reply::Bytes(response(502, "text/html", &[], b"<html>Bad Gateway</html>"));
    match describe_repositories(vec![reply]).await {
        Err(Error::Service {
            error: DescribeRepositoriesError::Unmodeled(e),
            meta,
        }) => {
            assert_eq!((e.status, meta.status), (502, 502));
            assert_eq!(e.code, "");
        }
        other => panic!("expected an unmodeled 502, got {other:?}"),
    }
}

#[tokio::test]
async fn truncated_json_is_a_response_error() {
    let body = br#"{"repositories":[{"repositoryName":"rep"#;
    let message = response_error(describe_repositories(vec![ok(body)]).await);
    assert_eq!(
        message,
        "repositories[0].repositoryName: EOF while parsing a string at line 1 column 39"
    );
    // Truncated on the wire: fewer bytes than Content-Length, then close.
    let mut raw = response(200, JSON, &[], br#"{"repositories":[]}"#);
    raw.truncate(raw.len() - 5);
    let server = serve(vec![Reply::Close(raw)]).await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 2, 1 << 20))
        .await;
    match result {
        Err(Error::Transport { source, attempts }) => {
            assert!(matches!(source, TransportError::Http(_)), "{source:?}");
            assert_eq!(attempts, 2, "a cut connection is retried");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_200_with_a_body_of_the_wrong_shape_is_a_response_error() {
    for body in [&b"[]"[..], b"[1,2]", b"\"x\"", b"42", b"true", b"null"] {
        let message = response_error(describe_repositories(vec![ok(body)]).await);
        assert!(
            message.starts_with("invalid type: ")
                && message.contains(", expected struct DescribeRepositoriesResponse"),
            "{}: {message}",
            String::from_utf8_lossy(body)
        );
    }
    // A member of the wrong shape.
    let message =
        response_error(describe_repositories(vec![ok(br#"{"repositories":{"a":1}}"#)]).await);
    assert!(
        message.starts_with("repositories: invalid type: map, expected a sequence"),
        "{message}"
    );
}

/// A regression test: serde's derived `Deserialize` also accepted a JSON
/// array (members by position), so `[null, "b"]` read as a
/// `DescribeRepositoriesResponse` with `nextToken: "b"`. awsJson
/// structures are objects; an array is the wrong shape and must be an error.
#[tokio::test]
async fn an_array_is_never_read_as_a_structure() {
    let mut accepted = Vec::new();
    for body in [
        &br#"[null, null]"#[..],
        br#"[null, "next-page"]"#,
        br#"{"repositories":[[null,null,"repo-a",null,null,null,null,null,null]]}"#,
    ] {
        if let Ok(out) = protocol::parse_output::<DescribeRepositoriesResponse>(body) {
            accepted.push(format!("{} -> {out:?}", String::from_utf8_lossy(body)));
        }
    }
    let through_client = describe_repositories(vec![ok(br#"[null, "next-page"]"#)]).await;
    if let Ok(out) = &through_client {
        accepted.push(format!("through the client -> {out:?}"));
    }
    assert!(
        accepted.is_empty(),
        "arrays read as structures:\n{}",
        accepted.join("\n")
    );
}

#[tokio::test]
async fn an_output_without_members_ignores_any_body() {
    let server = serve(vec![ok(b"[1, {\"a\": null}]")]).await;
    TagResource {
        resource_arn: "arn:aws:ecr:us-east-1:123456789012:repository/repo-a".into(),
        tags: vec![],
    }
    .send(&client(&server.endpoint, 1, 1 << 20))
    .await
    .expect("a member-less output reads any JSON");
}

#[tokio::test]
async fn an_error_body_of_the_wrong_shape_is_unmodeled() {
    for body in [
        &b"[1,2]"[..],
        b"{\"__type\":42,\"message\":[]}",
        b"",
        b"\x00\x01",
    ] {
        let reply = Reply::Bytes(response(400, JSON, &[], body));
        match describe_repositories(vec![reply]).await {
            Err(Error::Service {
                error: DescribeRepositoriesError::Unmodeled(e),
                meta,
            }) => {
                assert_eq!((e.status, e.code.as_str()), (400, ""));
                assert_eq!(meta.request_id.as_deref(), Some("req-400"));
                assert_eq!(e.message, None);
            }
            other => panic!("{body:?}: expected an unmodeled 400, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_transport_error() {
    let server = serve(vec![Reply::Close(b"\x00\x01garbage\r\n\r\n".to_vec())]).await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, 2, 1 << 20))
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Transport {
                source: TransportError::Http(_),
                attempts: 2
            })
        ),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------
// A service clock far away: the Date header of a clock-skew error.

fn skew_error(date: &str) -> Reply {
    Reply::Bytes(response(
        400,
        JSON,
        &[("Date", date.as_bytes())],
        br#"{"__type":"InvalidSignatureException","message":"Signature expired"}"#,
    ))
}

/// Runs the operation in its own task, so that a panic is reported as such.
async fn send_in_task(script: Vec<Reply>) -> Result<(), String> {
    let server = serve(script).await;
    let client = client(&server.endpoint, 3, 1 << 20);
    let task = tokio::spawn(async move { DescribeRepositories::default().send(&client).await });
    match task.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(join) => panic!("the client panicked on a hostile Date header: {join}"),
    }
}

/// Bug: a clock-skew error whose `Date` is after year 9999 makes the client
/// learn a skew of millennia and sign the retry with that time; aws-sigv4's
/// date formatting (`time::OffsetDateTime::from(SystemTime)`) panics.
#[tokio::test]
async fn a_far_future_date_header_does_not_panic() {
    let result = send_in_task(vec![
        skew_error("Sat, 01 Jan 10000 00:00:00 GMT"),
        ok(b"{}"),
    ])
    .await;
    // Either the absurd date is ignored (no retry for skew, the error is
    // returned) or it is used and the retry answered: never a panic.
    if let Err(e) = result {
        assert!(e.contains("InvalidSignatureException"), "{e}");
    }
}

/// Bug: `httpdate_parse` (client.rs) multiplies unchecked; a year of 17
/// digits overflows i64 (a panic in debug builds).
#[tokio::test]
async fn an_absurd_date_header_does_not_panic() {
    for date in [
        "Sun, 06 Nov 99999999999999999 08:49:37 GMT",
        "Sun, 9223372036854775807 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 9223372036854775807:00:00 GMT",
    ] {
        let result = send_in_task(vec![skew_error(date), ok(b"{}")]).await;
        if let Err(e) = result {
            assert!(e.contains("InvalidSignatureException"), "{date}: {e}");
        }
    }
}

#[tokio::test]
async fn a_date_header_before_the_epoch_is_ignored() {
    let result = send_in_task(vec![skew_error("Mon, 01 Jan 1900 00:00:00 GMT")]).await;
    let e = result.expect_err("no skew learned, the error is returned");
    assert!(e.contains("InvalidSignatureException"), "{e}");
}

// ---------------------------------------------------------------------------
// Regressions found by fuzzing `sign_headers` (fuzz/fuzz_targets/sign_headers.rs).

fn sign(uri: &str, headers: &[(&str, &str)], time: SystemTime) -> std::thread::Result<bool> {
    let credentials = Credentials::new("AKIDTEST", "secret", None, None, "test");
    let (uri, headers) = (uri.to_owned(), headers.to_vec());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        sign_headers(
            "POST",
            &uri,
            &headers,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            &credentials,
            SigningScope {
                region: "us-east-1",
                service: "ecr",
                time,
            },
        )
        .is_ok()
    }))
}

/// Bug: `sign_headers` passes the URI through unchecked. Without an
/// authority and without a `host` header, aws-sigv4 `expect`s one
/// (`insert_host_header`); with an authority but no scheme (`am`,
/// `h.example:443`), aws-smithy-http's `QueryWriter::build_uri` panics with
/// "adding query should not invalidate URI". Found by the sign_headers fuzz
/// target (input: uri `am`, no host header).
#[test]
fn sign_headers_with_a_relative_uri_is_an_error_not_a_panic() {
    let now = SystemTime::now();
    assert_eq!(
        sign("https://h.example/", &[], now).ok(),
        Some(true),
        "an absolute URI is signed"
    );
    assert_eq!(
        sign("/", &[("host", "h.example")], now).ok(),
        Some(true),
        "a path and a host header are signed"
    );
    let mut panics = Vec::new();
    for (uri, headers) in [
        ("/", &[("x-amz-target", "T")][..]),
        ("am", &[][..]),
        ("am", &[("host", "h.example")][..]),
        ("h.example:443", &[][..]),
    ] {
        match sign(uri, headers, now) {
            Ok(false) => {}
            Ok(true) => panics.push(format!("{uri:?} with {headers:?}: signed, expected Err")),
            Err(_) => panics.push(format!("{uri:?} with {headers:?}: panicked")),
        }
    }
    assert!(
        panics.is_empty(),
        "must be Err, not a panic:\n{}",
        panics.join("\n")
    );
}

/// Bug: a signing time after year 9999 panics in `time` (through aws-sigv4's
/// date formatting); `sign_headers` must return Err.
#[test]
fn sign_headers_with_a_time_after_year_9999_is_an_error_not_a_panic() {
    let year_10000 = UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    assert_eq!(
        sign("https://h.example/", &[], year_10000).ok(),
        Some(false),
        "must be Err, not a panic"
    );
    let year_9999 = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
    assert_eq!(sign("https://h.example/", &[], year_9999).ok(), Some(true));
}

/// Bug: `sign_headers` puts the region, service and access key id into the
/// `authorization` value unchecked; one with a control character (a region
/// read with its trailing newline) is signed into a header that cannot be
/// sent. The client then fails in reqwest's request builder, which it
/// reports as a transport error and retries. It must be a signing or
/// configuration error, before any attempt. Found by the sign_headers fuzz
/// target (region `"\0/\0\0\0\0\u{11}\0"`).
#[tokio::test]
async fn a_region_with_a_newline_is_a_clear_error_before_sending() {
    let mut problems = Vec::new();
    let credentials = Credentials::new("AKIDTEST", "secret", None, None, "test");
    let signed = sign_headers(
        "POST",
        "https://h.example/",
        &[],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        &credentials,
        SigningScope {
            region: "us-east-1\n",
            service: "ecr",
            time: SystemTime::now(),
        },
    );
    for (name, value) in signed.iter().flatten() {
        if HeaderValue::from_str(value).is_err() {
            problems.push(format!(
                "sign_headers returned an unsendable {name}: {value:?}"
            ));
        }
    }

    let server = serve(vec![ok(b"{}")]).await;
    let client = Client::new(
        Config::builder()
            .with_region("us-east-1\n")
            .with_endpoint_url(&server.endpoint)
            .with_credentials(credentials)
            .with_retry(RetryConfig {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryConfig::default()
            })
            .build(),
    );
    let result = DescribeRepositories::default().send(&client).await;
    if !matches!(result, Err(Error::Signing(_) | Error::Config(_))) {
        problems.push(format!(
            "the client returned {result:?}, expected a signing or configuration error"
        ));
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Blobs behind a `Box` read and write like plain ones.

/// A shape whose blobs are boxed.
#[ecrkit::aws_shape]
#[derive(Debug, Clone, PartialEq)]
struct BoxedBlobs {
    #[base64]
    required: Box<bytes::Bytes>,
    // Legal, if wasteful: the test is that it compiles and reads.
    #[allow(clippy::box_collection)]
    #[base64]
    optional: Option<Box<Vec<u8>>>,
}

#[test]
fn boxed_blobs_read_and_write() {
    use ecrkit::protocol::from_json;
    let v: BoxedBlobs = from_json(br#"{"required":"aGk=","optional":null}"#).expect("reads");
    assert_eq!(&v.required[..], b"hi");
    assert_eq!(v.optional, None);
    let v = BoxedBlobs {
        optional: Some(Box::new(b"yo".to_vec())),
        ..v
    };
    let body = serde_json::to_vec(&v).expect("writes");
    assert_eq!(body, br#"{"required":"aGk=","optional":"eW8="}"#);
    assert_eq!(from_json::<BoxedBlobs>(&body).expect("reads back"), v);
}
