//! Absurd Date headers, signing inputs that are not requests, regions that are not host labels.

use super::*;

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
