//! The loopback server of the input cases (each request captured as it
//! arrived), the client pointed at it, and what compares and prints the
//! requests.

use super::*;

/// A request as it arrived.
pub(crate) struct Captured {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Captured {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) type Inbox = Arc<Mutex<Vec<Captured>>>;

/// Accepts connections, records one request each, answers `200 {}`.
pub(crate) async fn serve(listener: tokio::net::TcpListener, inbox: Inbox) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let inbox = inbox.clone();
        tokio::spawn(async move {
            if let Some(request) = read_request(&mut socket).await {
                inbox.lock().expect("inbox").push(request);
            }
            let _ = socket
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
                      x-amzn-RequestId: protocol-test\r\nContent-Length: 2\r\n\
                      Connection: close\r\n\r\n{}",
                )
                .await;
            let _ = socket.shutdown().await;
        });
    }
}

pub(crate) async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Captured> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (
        request_line.next()?.to_owned(),
        request_line.next()?.to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Captured {
        method,
        path,
        headers,
        body,
    })
}

pub(crate) fn client_for(endpoint: &str, host_prefix: bool) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_host_prefix_disabled(!host_prefix)
            .with_credentials(Credentials::new(
                "AKIDPROTOCOL",
                "protocol-test-secret",
                None,
                None,
                "test",
            ))
            .with_max_attempts(1)
            .build(),
    )
}

// ----- comparing ------------------------------------------------------------

/// JSON equality where numbers compare by value (`1` is `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 1500;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

/// One line of a reason, shortened for the per-case report.
pub(crate) fn clip_line(s: &str) -> String {
    const MAX: usize = 160;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// `scheme://host[:port]/path` → `host[:port]/path` without the trailing
/// slash: the Smithy cases' `host` is the resolved endpoint, path included
/// (`example.com/custom` for a client endpoint `https://example.com/custom`).
pub(crate) fn resolved_host(url: &url_parts::Url) -> String {
    format!("{}{}", url.authority, url.path.trim_end_matches('/'))
}

/// A URL split without a URL crate (the tests depend on none).
pub(crate) mod url_parts {
    pub struct Url {
        pub authority: String,
        pub path: String,
    }
    pub fn parse(url: &str) -> Url {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        Url {
            authority: authority.to_owned(),
            path: path.to_owned(),
        }
    }
}
