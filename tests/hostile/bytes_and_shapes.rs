//! Bytes that are not UTF-8, content types, truncated and wrongly shaped bodies, garbage instead of HTTP.

use super::*;

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
