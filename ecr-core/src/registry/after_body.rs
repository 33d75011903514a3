//! The wait for the answer to a request whose body is a blob's bytes
//! (`PATCH`, `PUT`): unbounded while the body goes out (a large blob takes
//! as long as it takes), then bounded by the attempt timeout from its last
//! byte, so a registry that swallows the answer does not hold the upload
//! for ever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{Either, select};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

/// What became of the wait.
pub(crate) enum Answer {
    /// The request completed (an answer's head, or an error).
    Done(Result<reqwest::Response, reqwest::Error>),
    /// The body was sent and nothing came back within the limit.
    TimedOut,
}

/// Executes `request`, waiting for its answer at most `limit` after its
/// body has been sent (or given up by the connection).
pub(crate) async fn execute(
    http: &reqwest::Client,
    mut request: reqwest::Request,
    limit: Duration,
) -> Answer {
    let (sent, body_done) = oneshot::channel();
    match request.body_mut().take() {
        Some(body) => {
            *request.body_mut() = Some(reqwest::Body::wrap(Watched {
                inner: body,
                sent: Some(sent),
            }));
        }
        None => drop(sent),
    }
    let response = std::pin::pin!(http.execute(request));
    // The receiver completes when the body ends or is dropped: sent, or
    // abandoned by a connection that failed (whose error comes next).
    let response = match select(response, body_done).await {
        Either::Left((done, _)) => return Answer::Done(done),
        Either::Right((_, response)) => response,
    };
    match tokio::time::timeout(limit, response).await {
        Ok(done) => Answer::Done(done),
        Err(_) => Answer::TimedOut,
    }
}

/// A body that says when its last frame has gone.
struct Watched {
    inner: reqwest::Body,
    sent: Option<oneshot::Sender<()>>,
}

impl Watched {
    fn finished(&mut self) {
        if let Some(sent) = self.sent.take() {
            let _ = sent.send(());
        }
    }
}

impl Body for Watched {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.finished();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that reads a request of `len` body bytes, then answers
    /// after `delay` (or never, for `None`).
    async fn server(len: usize, delay: Option<Duration>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 64 << 10];
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                got.extend_from_slice(&buf[..n]);
                if let Some(head) = got.windows(4).position(|w| w == b"\r\n\r\n")
                    && got.len() >= head + 4 + len
                {
                    break;
                }
            }
            let Some(delay) = delay else {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            };
            tokio::time::sleep(delay).await;
            let _ = socket
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        format!("http://{address}/upload")
    }

    /// A body that trickles out: `parts` chunks of `size` bytes, `gap` apart.
    fn slow_body(parts: usize, size: usize, gap: Duration) -> reqwest::Body {
        let stream = futures_util::stream::unfold(0, move |i| async move {
            if i == parts {
                return None;
            }
            tokio::time::sleep(gap).await;
            Some((Ok::<_, std::io::Error>(vec![7u8; size]), i + 1))
        });
        reqwest::Body::wrap_stream(stream)
    }

    /// A liveness bound far above the limits: without them the servers
    /// would keep the client an hour.
    async fn within_a_minute(wait: impl std::future::Future<Output = Answer>) -> Answer {
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("the wait for a swallowed answer was not bounded")
    }

    #[tokio::test]
    async fn a_slow_body_is_not_timed_but_a_swallowed_answer_is() {
        let http = reqwest::Client::new();
        let limit = Duration::from_secs(1);
        // The body takes 4 x 400 ms, more than the limit: not counted.
        let url = server(4 * 1000, Some(Duration::from_millis(100))).await;
        let request = http
            .patch(&url)
            .header("content-length", 4000)
            .body(slow_body(4, 1000, Duration::from_millis(400)))
            .build()
            .unwrap();
        match execute(&http, request, limit).await {
            Answer::Done(Ok(response)) => assert_eq!(response.status(), 202),
            Answer::Done(Err(e)) => panic!("the request failed: {e}"),
            Answer::TimedOut => panic!("timed out while the body was still going"),
        }
        // The answer never comes: given up `limit` after the last byte.
        let url = server(1000, None).await;
        let request = http
            .patch(&url)
            .body(slow_body(1, 1000, Duration::from_millis(10)))
            .build()
            .unwrap();
        assert!(matches!(
            within_a_minute(execute(&http, request, limit)).await,
            Answer::TimedOut
        ));
        // An empty body (the `PUT` after `PATCH`es) counts from the start.
        let url = server(0, None).await;
        let request = http.put(&url).body(Vec::new()).build().unwrap();
        assert!(matches!(
            within_a_minute(execute(&http, request, limit)).await,
            Answer::TimedOut
        ));
    }
}
