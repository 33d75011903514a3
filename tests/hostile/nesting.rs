//! Deeply nested JSON: an error or skipped, never a stack overflow.

use super::*;

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
