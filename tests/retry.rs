//! The standard retry mode and clock-skew correction against a loopback
//! server that fails the first attempts in a scripted way and counts them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use ecrkit::ecr::{DescribeRepositories, DescribeRepositoriesError};
use ecrkit::retry::RetryConfig;
use ecrkit::{Client, Config, Credentials, Error, TimeoutConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does on one attempt.
#[derive(Clone, Debug)]
enum Reply {
    Ok,
    Status(u16, &'static str),
    Reset,
    Stall(Duration),
    /// Rejects requests signed more than 5 minutes away from `now + skew`.
    SkewedClock(Duration),
}

struct Server {
    endpoint: String,
    attempts: Arc<AtomicUsize>,
}

async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
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
    }
}

fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {month} {y} {:02}:{:02}:{:02} GMT",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn amz_date_secs(head: &str) -> Option<i64> {
    let v = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("x-amz-date:")
            .map(|v| v.trim().to_owned())
    })?;
    // 20150830T123600Z
    let n = |a: usize, b: usize| v.get(a..b).and_then(|s| s.parse::<i64>().ok());
    let (y, mo, d, h, mi, s) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(9, 11)?,
        n(11, 13)?,
        n(13, 15)?,
    );
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400 + h * 3600 + mi * 60 + s)
}

async fn respond(sock: &mut TcpStream, status: u16, body: &str, date: Option<String>) {
    let date = date.map(|d| format!("Date: {d}\r\n")).unwrap_or_default();
    let resp = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: req-{status}\r\n{date}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
}

async fn serve(script: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            let script = script.clone();
            tokio::spawn(async move {
                while let Some(head) = read_request(&mut sock).await {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let reply = script.get(n).cloned().unwrap_or(Reply::Ok);
                    match reply {
                        Reply::Ok => respond(&mut sock, 200, r#"{"repositories":[]}"#, None).await,
                        Reply::Status(code, body) => respond(&mut sock, code, body, None).await,
                        Reply::Reset => return,
                        Reply::Stall(d) => {
                            tokio::time::sleep(d).await;
                            return;
                        }
                        Reply::SkewedClock(skew) => {
                            let server_now = SystemTime::now() + skew;
                            let server_secs = server_now
                                .duration_since(SystemTime::UNIX_EPOCH)
                                .unwrap()
                                .as_secs() as i64;
                            let signed = amz_date_secs(&head).unwrap_or(0);
                            if (signed - server_secs).abs() > 300 {
                                let body = r#"{"__type":"InvalidSignatureException","message":"Signature expired"}"#;
                                respond(&mut sock, 400, body, Some(http_date(server_now))).await;
                            } else {
                                respond(&mut sock, 200, r#"{"repositories":[]}"#, None).await;
                            }
                        }
                    }
                }
            });
        }
    });
    Server { endpoint, attempts }
}

fn client(endpoint: &str, max_attempts: u32) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_retry(RetryConfig {
                max_attempts,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryConfig::default()
            })
            .with_timeouts(TimeoutConfig {
                attempt: Some(Duration::from_millis(500)),
                ..TimeoutConfig::default()
            })
            .build(),
    )
}

async fn run(
    script: Vec<Reply>,
    max_attempts: u32,
) -> (Result<(), Error<DescribeRepositoriesError>>, usize) {
    let server = serve(script).await;
    let result = DescribeRepositories::default()
        .send(&client(&server.endpoint, max_attempts))
        .await
        .map(|_| ());
    (result, server.attempts.load(Ordering::SeqCst))
}

const THROTTLED: &str = r#"{"__type":"ThrottlingException","message":"slow down"}"#;
const SERVER_ERROR: &str = r#"{"__type":"ServerException","message":"oops"}"#;
const BAD_PARAM: &str = r#"{"__type":"InvalidParameterException","message":"no"}"#;

#[tokio::test]
async fn transient_statuses_are_retried() {
    for status in [500, 502, 503, 504] {
        let (result, attempts) = run(
            vec![Reply::Status(status, "{}"), Reply::Status(status, "{}")],
            3,
        )
        .await;
        assert!(result.is_ok(), "{status}: {result:?}");
        assert_eq!(attempts, 3, "{status}");
    }
}

#[tokio::test]
async fn throttling_is_retried() {
    let (result, attempts) = run(
        vec![Reply::Status(400, THROTTLED), Reply::Status(400, THROTTLED)],
        3,
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(attempts, 3);
}

#[tokio::test]
async fn connection_resets_and_stalls_are_retried() {
    let (result, attempts) = run(vec![Reply::Reset], 3).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(attempts, 2);
    let (result, attempts) = run(vec![Reply::Stall(Duration::from_secs(2))], 3).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn attempts_are_capped_and_the_last_error_kept() {
    let script = vec![Reply::Status(500, SERVER_ERROR); 5];
    let (result, attempts) = run(script, 3).await;
    assert_eq!(attempts, 3);
    match result {
        Err(Error::Service {
            error: DescribeRepositoriesError::ServerException(e),
            meta,
        }) => {
            assert_eq!(meta.status, 500);
            assert_eq!(meta.request_id.as_deref(), Some("req-500"));
            assert_eq!(e.message.as_deref(), Some("oops"));
        }
        other => panic!("expected ServerException, got {other:?}"),
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (result, attempts) = run(vec![Reply::Status(400, BAD_PARAM)], 3).await;
    assert_eq!(attempts, 1);
    assert!(matches!(
        result,
        Err(Error::Service {
            error: DescribeRepositoriesError::InvalidParameterException(_),
            ..
        })
    ));
}

#[tokio::test]
async fn validation_errors_never_reach_the_server() {
    let server = serve(vec![]).await;
    let bad = DescribeRepositories {
        max_results: Some(0),
        ..Default::default()
    };
    let err = bad
        .send(&client(&server.endpoint, 3))
        .await
        .expect_err("invalid");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert_eq!(server.attempts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_skewed_clock_is_corrected_from_the_date_header() {
    // The server's clock runs an hour ahead of ours.
    let script = vec![Reply::SkewedClock(Duration::from_secs(3600)); 3];
    let (result, attempts) = run(script, 3).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        attempts, 2,
        "one rejected attempt, then a corrected signature"
    );
}
