//! One `Client` shared by 64 concurrent operations against a loopback
//! server that counts the TCP connections it accepts and how many are open
//! at once: every call gets its own answer, the connections stay bounded,
//! a second wave reuses them, and dropping the client closes them all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ecrkit::ecr::{DescribeRepositories, DescribeRepositoriesError};
use ecrkit::{Client, Config, Credentials, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

const TASKS: usize = 64;

#[derive(Default)]
struct Counters {
    /// Connections accepted in all.
    accepted: AtomicUsize,
    /// Connections open now.
    open: AtomicUsize,
    /// The most connections open at once.
    max_open: AtomicUsize,
    /// Requests answered.
    requests: AtomicUsize,
}

/// Reads one request; returns its body, `None` at end of stream.
async fn read_request(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0usize);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf[end + 4..end + 4 + len].to_vec());
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The first repository name in a DescribeRepositories body.
fn requested_name(body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    body.split(r#""repositoryNames":[""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Answers each request after a short delay (so that calls overlap) with the
/// repository it asked for, or RepositoryNotFoundException for `missing-*`.
async fn serve(counters: Arc<Counters>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let counters = counters.clone();
            counters.accepted.fetch_add(1, Ordering::SeqCst);
            let open = counters.open.fetch_add(1, Ordering::SeqCst) + 1;
            counters.max_open.fetch_max(open, Ordering::SeqCst);
            tokio::spawn(async move {
                while let Some(body) = read_request(&mut sock).await {
                    counters.requests.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    let name = requested_name(&body);
                    let (status, body) = if name.starts_with("missing-") {
                        (
                            400,
                            format!(
                                r#"{{"__type":"RepositoryNotFoundException","message":"{name} not found"}}"#
                            ),
                        )
                    } else {
                        (
                            200,
                            format!(r#"{{"repositories":[{{"repositoryName":"{name}"}}]}}"#),
                        )
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: {name}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        break;
                    }
                }
                counters.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    endpoint
}

fn client(endpoint: &str) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_max_attempts(1)
            .build(),
    )
}

/// 64 concurrent calls on clones of one client; every eighth asks for a
/// missing repository. Each must get its own answer.
async fn wave(client: &Client, wave: usize) {
    let mut tasks = JoinSet::new();
    for i in 0..TASKS {
        let client = client.clone();
        let name = if i % 8 == 7 {
            format!("missing-{wave}-{i}")
        } else {
            format!("repo-{wave}-{i}")
        };
        tasks.spawn(async move {
            let result = DescribeRepositories {
                repository_names: Some(vec![name.clone()]),
                ..Default::default()
            }
            .send(&client)
            .await;
            (name, result)
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (name, result) = joined.expect("a task panicked");
        if name.starts_with("missing-") {
            match result {
                Err(Error::Service {
                    error: DescribeRepositoriesError::RepositoryNotFoundException(e),
                    meta,
                }) => {
                    assert_eq!(e.message, Some(format!("{name} not found")));
                    assert_eq!(meta.request_id.as_deref(), Some(name.as_str()));
                }
                other => panic!("{name}: expected RepositoryNotFoundException, got {other:?}"),
            }
        } else {
            let out = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            let got = out.repositories.expect("repositories")[0]
                .repository_name
                .clone();
            assert_eq!(got.as_deref(), Some(name.as_str()), "answers crossed");
        }
        done += 1;
    }
    assert_eq!(done, TASKS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_client_serves_64_concurrent_operations_on_bounded_connections() {
    let counters = Arc::new(Counters::default());
    let endpoint = serve(counters.clone()).await;
    let client = client(&endpoint);

    wave(&client, 1).await;
    let first = counters.accepted.load(Ordering::SeqCst);
    let max_open = counters.max_open.load(Ordering::SeqCst);
    assert!(
        (1..=TASKS).contains(&first),
        "first wave opened {first} connections"
    );
    assert!(max_open <= TASKS, "{max_open} connections open at once");
    assert!(
        max_open > 1,
        "the calls ran one at a time ({max_open} connection open at most)"
    );

    // Let the last responses hand their connections back to the pool.
    tokio::time::sleep(Duration::from_millis(100)).await;
    wave(&client, 2).await;
    let total = counters.accepted.load(Ordering::SeqCst);
    let second = total - first;
    eprintln!(
        "concurrency: {TASKS} calls x 2 waves, {first} connections opened by the first wave, \
         {second} by the second, at most {} open at once",
        counters.max_open.load(Ordering::SeqCst)
    );
    assert!(
        total < 2 * first,
        "the second wave opened {second} new connections after {first}: connections are not reused"
    );
    assert!(counters.max_open.load(Ordering::SeqCst) <= TASKS);
    assert_eq!(counters.requests.load(Ordering::SeqCst), 2 * TASKS);

    // No leak: dropping the last handle on the client closes its connections.
    drop(client);
    let deadline = Instant::now() + Duration::from_secs(5);
    while counters.open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        counters.open.load(Ordering::SeqCst),
        0,
        "connections still open after the client was dropped"
    );
}
