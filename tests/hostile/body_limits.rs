//! Response bodies are read within the size limit, whatever the headers say.

use super::*;

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
