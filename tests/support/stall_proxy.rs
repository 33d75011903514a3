//! A proxy handler that stalls blob downloads partway, for the tests that
//! kill a pull in the middle of a blob: while the stall is on, the body of
//! each `GET` of a blob (`/blobs/sha256:...`) stops after a set number of
//! bytes and hangs (never ends) until the stall is lifted, then the
//! connection closes. Everything is forwarded; the bytes served of each
//! blob are counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyDataStream, BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request};

use crate::proxy::{Handler, HandlerFuture, Upstream};

/// Stalls blob downloads after `stall_at` bytes while on.
pub struct StallingDownloads {
    stall_at: u64,
    stalled: AtomicBool,
    lifted: tokio::sync::Notify,
    served: Mutex<HashMap<String, u64>>,
}

impl StallingDownloads {
    /// A handler stalling each blob after `stall_at` bytes, stalled from
    /// the start.
    pub fn new(stall_at: u64) -> Arc<Self> {
        Arc::new(Self {
            stall_at,
            stalled: AtomicBool::new(true),
            lifted: tokio::sync::Notify::new(),
            served: Mutex::new(HashMap::new()),
        })
    }

    /// Turns the stall on for the downloads that start from now on.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Ends the stall: hung bodies close, new ones pass whole.
    pub fn lift(&self) {
        self.stalled.store(false, Ordering::SeqCst);
        self.lifted.notify_waiters();
    }

    /// Bytes of the blob `digest` sent to clients so far.
    pub fn served(&self, digest: &str) -> u64 {
        self.served
            .lock()
            .unwrap()
            .get(digest)
            .copied()
            .unwrap_or(0)
    }
}

/// The state of one blob body: the bytes left before the stall (`None`:
/// no stall).
struct Body {
    chunks: BodyDataStream<crate::proxy::ProxyBody>,
    left: Option<u64>,
    handler: Arc<StallingDownloads>,
    digest: String,
}

impl Body {
    async fn next(mut self) -> Option<(Result<bytes::Bytes, std::io::Error>, Body)> {
        if self.left == Some(0) {
            let handler = self.handler.clone();
            loop {
                let lifted = handler.lifted.notified();
                if !handler.stalled.load(Ordering::SeqCst) {
                    return Some((Err(std::io::Error::other("stalled, then closed")), self));
                }
                lifted.await;
            }
        }
        let mut chunk = match self.chunks.next().await? {
            Ok(chunk) => chunk,
            Err(e) => return Some((Err(e), self)),
        };
        if let Some(left) = self.left {
            let take = left.min(chunk.len() as u64);
            chunk.truncate(take as usize);
            self.left = Some(left - take);
        }
        *self
            .handler
            .served
            .lock()
            .unwrap()
            .entry(self.digest.clone())
            .or_default() += chunk.len() as u64;
        Some((Ok(chunk), self))
    }
}

/// Forwards with the stall applied; `handler` is the `Arc` the proxy holds.
pub struct StallProxyHandler(pub Arc<StallingDownloads>);

impl Handler for StallProxyHandler {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let digest = match request.uri().path().split_once("/blobs/") {
                Some((_, d)) if request.method() == Method::GET && d.starts_with("sha256:") => {
                    d.to_owned()
                }
                _ => return upstream.pass(request).await,
            };
            let response = upstream.pass(request).await?;
            if !response.status().is_success() {
                return Ok(response);
            }
            let handler = self.0.clone();
            let left = handler
                .stalled
                .load(Ordering::SeqCst)
                .then_some(handler.stall_at);
            let (parts, body) = response.into_parts();
            let state = Body {
                chunks: BodyDataStream::new(body),
                left,
                handler,
                digest,
            };
            let stream = futures_util::stream::unfold(Some(state), |state| async move {
                let (item, next) = state?.next().await?;
                let next = match &item {
                    Err(_) => None,
                    Ok(_) => Some(next),
                };
                Some((item, next))
            })
            .map_ok(Frame::data);
            Ok(hyper::Response::from_parts(
                parts,
                BodyExt::boxed(StreamBody::new(stream)),
            ))
        })
    }
}
