//! A proxy in front of moto that pages what moto answers in one piece.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A proxy in front of moto that answers `ListImages`, `DescribeImages` and
/// `DescribeRepositories` in pages of `maxResults`, with `nextToken`s, by
/// slicing moto's complete answer: moto 5.2.5 ignores both parameters. Every
/// other call passes through unchanged.
pub struct PagingProxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Requests served.
    pub calls: Arc<AtomicUsize>,
}

impl PagingProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:port`).
    pub async fn start(upstream: &str) -> PagingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(Self::serve(socket, upstream.clone()));
            }
        });
        PagingProxy { endpoint, calls }
    }

    /// Reads one HTTP/1.1 message: its head lines and body.
    async fn read_message(socket: &mut TcpStream) -> Option<(Vec<String>, Vec<u8>)> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head: Vec<String> = String::from_utf8_lossy(&buf[..end])
            .split("\r\n")
            .map(str::to_owned)
            .collect();
        let len = head
            .iter()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some((head, buf[end + 4..end + 4 + len].to_vec()))
    }

    fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
        head.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Head lines without the framing headers, which are rewritten.
    fn without_framing(head: &[String]) -> impl Iterator<Item = &String> {
        head.iter().skip(1).filter(|l| {
            let k = l.split(':').next().unwrap_or("").to_ascii_lowercase();
            !matches!(
                k.as_str(),
                "content-length" | "connection" | "transfer-encoding" | "keep-alive"
            )
        })
    }

    async fn serve(mut socket: TcpStream, upstream: String) {
        let Some((head, body)) = Self::read_message(&mut socket).await else {
            return;
        };
        let target = Self::header(&head, "x-amz-target").unwrap_or("").to_owned();
        let key = match target.rsplit('.').next() {
            Some("ListImages") => Some("imageIds"),
            Some("DescribeImages") => Some("imageDetails"),
            Some("DescribeRepositories") => Some("repositories"),
            _ => None,
        };
        let mut request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (mut offset, mut size) = (0usize, usize::MAX);
        let body = match (key, request.as_object_mut()) {
            (Some(_), Some(fields)) => {
                if let Some(token) = fields.remove("nextToken") {
                    offset = token
                        .as_str()
                        .and_then(|t| t.strip_prefix("offset-"))
                        .unwrap()
                        .parse()
                        .unwrap();
                }
                if let Some(max) = fields.remove("maxResults") {
                    size = max.as_u64().unwrap() as usize;
                }
                request.to_string().into_bytes()
            }
            _ => body,
        };
        // Forward, with the client's headers (moto reads the region from the
        // signature's scope), on a connection of its own.
        let Ok(mut up) = TcpStream::connect(&upstream).await else {
            return;
        };
        let mut out = format!("{}\r\n", head[0]);
        for line in Self::without_framing(&head) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&body);
        if up.write_all(&bytes).await.is_err() {
            return;
        }
        let Some((reply_head, reply)) = Self::read_message(&mut up).await else {
            return;
        };
        let ok = reply_head[0].split(' ').nth(1) == Some("200");
        let reply = match key {
            Some(key) if ok => {
                let mut page: serde_json::Value = serde_json::from_slice(&reply).unwrap();
                let all = page[key].as_array().cloned().unwrap_or_default();
                let end = offset.saturating_add(size).min(all.len());
                page[key] = all[offset.min(end)..end].to_vec().into();
                if end < all.len() {
                    page["nextToken"] = format!("offset-{end}").into();
                }
                page.to_string().into_bytes()
            }
            _ => reply,
        };
        let mut out = format!("{}\r\n", reply_head[0]);
        for line in Self::without_framing(&reply_head) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            reply.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply);
        let _ = socket.write_all(&bytes).await;
    }
}
