//! A proxy in front of the CNCF registry that behaves as ECR's registry
//! endpoint does where ECR departs from the distribution spec
//! (docs/registry-pull-and-copy.md, "ECR's departures from the spec"):
//!
//! - a chunk `PATCH` answers **201**, not 202;
//! - a chunk below 5 MiB followed by another chunk (it was not the last) is
//!   refused with 400 `LayerPartTooSmallException`;
//! - a `PATCH` that does not start at the committed offset gets **416**
//!   `BLOB_UPLOAD_INVALID` naming the committed offset (in `Range` and in
//!   the message);
//! - the `Range` header stops advancing after the second `PATCH`;
//! - a tag page of more than 1000 is refused (and tags are paginated, with
//!   `Link`, which the CNCF registry 2.8 does not do).
//!
//! Upload URLs are ECR's: stable per upload (`/v2/<name>/blobs/uploads/<id>`);
//! the proxy keeps the registry's own, which changes with every chunk, and
//! the committed offset. Faults (a `PATCH` cut after some bytes, or its
//! answer lost) are injected by patch number; a stall holds the chunks of
//! uploads under way without passing a byte on (a client killed then
//! leaves nothing half-written: as ECR's parts, a chunk commits whole or
//! not at all), and forgetting the uploads plays an upload ECR no longer
//! knows.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyDataStream;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};

use crate::proxy::{
    Dropped, Handler, HandlerFuture, Outcome, ProxyBody, Upstream, body_of, plain, stream_back,
};

/// ECR's smallest chunk but the last.
pub const MIN_PART: u64 = 5 << 20;

/// A fault on one `PATCH` (counted from 1 across the proxy's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchFault {
    /// Forward only this many bytes of the body (the registry commits
    /// them), then close the client's connection without an answer.
    CutAfter(u64),
    /// Forward the whole chunk, then close without an answer.
    LoseResponse,
}

/// What the proxy did, for the tests to assert.
#[derive(Debug, Clone, Default)]
pub struct EcrStats {
    /// `PATCH`es answered 201.
    pub patches_201: usize,
    /// Committed offsets named by the 416s sent.
    pub sent_416: Vec<u64>,
    /// Chunks refused as too small.
    pub too_small: usize,
    /// `PATCH` answers whose `Range` was stale (not the committed offset).
    pub stale_ranges: usize,
    /// Tag pages refused for asking more than 1000.
    pub tag_pages_refused: usize,
    /// The largest `n` of a tag page that was served.
    pub largest_tag_page: u32,
    /// Faults injected.
    pub faults: usize,
    /// `PATCH`es held by a stall (never passed on).
    pub stalled: usize,
}

#[derive(Debug)]
struct Upload {
    /// The registry's upload URL (its `_state` changes with each chunk).
    registry_location: String,
    committed: u64,
    last_chunk: Option<u64>,
    patches: u32,
    /// The `Range` sent after the second `PATCH`: repeated from then on.
    frozen_range: Option<String>,
}

/// The ECR departures, as a proxy handler.
#[derive(Default)]
pub struct EcrRules {
    uploads: Mutex<HashMap<String, Upload>>,
    faults: Mutex<HashMap<usize, PatchFault>>,
    patch_count: Mutex<usize>,
    stats: Mutex<EcrStats>,
    /// Chunks of an upload with this many `PATCH`es committed are held.
    stall_after: Mutex<Option<u32>>,
    stall_lifted: tokio::sync::Notify,
}

impl EcrRules {
    /// Rules with no fault scheduled.
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self::default())
    }

    /// Schedules `fault` on the `nth` `PATCH` (from 1) from now on.
    pub fn fault_on_patch(&self, nth: usize, fault: PatchFault) {
        let base = *self.patch_count.lock().unwrap();
        self.faults.lock().unwrap().insert(base + nth, fault);
    }

    /// From now on, holds every `PATCH` of an upload that has `patches`
    /// committed already: its bytes are not read or passed on, and once
    /// [`EcrRules::lift_stall`] is called it is dropped unanswered.
    pub fn stall_after(&self, patches: u32) {
        *self.stall_after.lock().unwrap() = Some(patches);
    }

    /// Ends a stall: held `PATCH`es are dropped unanswered, new ones pass.
    pub fn lift_stall(&self) {
        *self.stall_after.lock().unwrap() = None;
        self.stall_lifted.notify_waiters();
    }

    /// Forgets every upload under way: their `PATCH`es and `PUT`s get 404
    /// `BLOB_UPLOAD_UNKNOWN`, as from ECR for an upload it no longer knows.
    pub fn forget_uploads(&self) {
        self.uploads.lock().unwrap().clear();
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> EcrStats {
        self.stats.lock().unwrap().clone()
    }

    fn stat(&self, f: impl FnOnce(&mut EcrStats)) {
        f(&mut self.stats.lock().unwrap());
    }
}

/// `(name, upload id)` of an upload path (`/v2/<name>/blobs/uploads/<id>`).
fn upload_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v2/")?;
    let at = rest.find("/blobs/uploads/")?;
    Some((&rest[..at], &rest[at + "/blobs/uploads/".len()..]))
}

fn oci_error(status: StatusCode, code: &str, message: &str) -> hyper::Response<ProxyBody> {
    let body = serde_json::json!({"errors": [{"code": code, "message": message}]}).to_string();
    let mut response = plain(status, &body);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        "application/json".parse().unwrap(),
    );
    response
}

/// The proxy's own URL for the registry's: its path only.
fn local(location: &str) -> String {
    match location.find("/v2/") {
        Some(at) => location[at..].to_owned(),
        None => location.to_owned(),
    }
}

fn header<'a>(request: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `0-<last>` → `last + 1`.
fn range_end(range: &str) -> Option<u64> {
    let (_, last) = range.split_once('-')?;
    last.trim().parse::<u64>().ok().map(|l| l + 1)
}

impl EcrRules {
    async fn start(&self, request: Request<Incoming>, upstream: &Upstream) -> Outcome {
        let response = upstream.pass(request).await?;
        let status = response.status();
        let location = response
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut response = response;
        if let Some(location) = location {
            if status == StatusCode::ACCEPTED {
                let path = location.split('?').next().unwrap_or(&location).to_owned();
                let id = upload_path(&local(&path))
                    .map(|(_, id)| id.to_owned())
                    .unwrap_or_default();
                self.uploads.lock().unwrap().insert(
                    id,
                    Upload {
                        registry_location: location.clone(),
                        committed: 0,
                        last_chunk: None,
                        patches: 0,
                        frozen_range: None,
                    },
                );
                let stable = local(&path);
                response
                    .headers_mut()
                    .insert(hyper::header::LOCATION, stable.parse().unwrap());
            } else {
                response
                    .headers_mut()
                    .insert(hyper::header::LOCATION, local(&location).parse().unwrap());
            }
        }
        Ok(response)
    }

    async fn patch(&self, id: String, request: Request<Incoming>, upstream: &Upstream) -> Outcome {
        let nth = {
            let mut count = self.patch_count.lock().unwrap();
            *count += 1;
            *count
        };
        let fault = self.faults.lock().unwrap().remove(&nth);
        let (location, committed, last_chunk, patches) = {
            let uploads = self.uploads.lock().unwrap();
            let Some(upload) = uploads.get(&id) else {
                return Ok(oci_error(
                    StatusCode::NOT_FOUND,
                    "BLOB_UPLOAD_UNKNOWN",
                    "upload unknown",
                ));
            };
            (
                upload.registry_location.clone(),
                upload.committed,
                upload.last_chunk,
                upload.patches,
            )
        };
        if self
            .stall_after
            .lock()
            .unwrap()
            .is_some_and(|n| patches >= n)
        {
            self.stat(|s| s.stalled += 1);
            loop {
                let lifted = self.stall_lifted.notified();
                if self.stall_after.lock().unwrap().is_none() {
                    return Err(Dropped("stalled: dropped unanswered"));
                }
                lifted.await;
            }
        }
        let start = header(&request, "content-range")
            .and_then(|r| r.split_once('-'))
            .and_then(|(s, _)| s.trim().parse::<u64>().ok())
            .unwrap_or(committed);
        if start != committed {
            // Read the chunk first, as ECR does (clients see its 416; a
            // server that answered before reading would have the client's
            // write fail instead).
            drain(request.into_body()).await;
            self.stat(|s| s.sent_416.push(committed));
            let mut response = oci_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "BLOB_UPLOAD_INVALID",
                &format!(
                    "the upload's committed offset is {committed}; this chunk starts at {start}"
                ),
            );
            if committed > 0 {
                response.headers_mut().insert(
                    hyper::header::RANGE,
                    format!("0-{}", committed - 1).parse().unwrap(),
                );
            }
            return Ok(response);
        }
        if last_chunk.is_some_and(|n| n < MIN_PART) {
            drain(request.into_body()).await;
            self.stat(|s| s.too_small += 1);
            return Ok(oci_error(
                StatusCode::BAD_REQUEST,
                "LayerPartTooSmallException",
                "Layer part size must be at least 5242880 bytes, except the last part",
            ));
        }
        let (parts, body) = request.into_parts();
        let mut headers = parts.headers.clone();
        headers.remove("content-range");
        let body = match fault {
            Some(PatchFault::CutAfter(n)) => {
                headers.insert(hyper::header::CONTENT_LENGTH, n.into());
                headers.remove(hyper::header::TRANSFER_ENCODING);
                reqwest::Body::wrap_stream(take_bytes(body, n))
            }
            _ => body_of(body),
        };
        let response = upstream
            .forward(&Method::PATCH, &location, &headers, body)
            .await
            .map_err(|_| Dropped("the registry failed"))?;
        if !response.status().is_success() {
            return Ok(stream_back(response, None));
        }
        let new_location = response
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let now = response
            .headers()
            .get(hyper::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(range_end)
            .unwrap_or(committed);
        let range = {
            let mut uploads = self.uploads.lock().unwrap();
            let upload = uploads.get_mut(&id).ok_or(Dropped("upload vanished"))?;
            if let Some(l) = new_location {
                upload.registry_location = l;
            }
            // A cut request is not a chunk the client chose: the size rule
            // applies to chunks sent whole.
            upload.last_chunk = match fault {
                Some(PatchFault::CutAfter(_)) => None,
                _ => Some(now - committed),
            };
            upload.committed = now;
            upload.patches += 1;
            let truth = format!("0-{}", now.saturating_sub(1));
            if upload.patches == 2 {
                upload.frozen_range = Some(truth.clone());
            }
            match &upload.frozen_range {
                Some(frozen) if upload.patches > 2 => frozen.clone(),
                _ => truth,
            }
        };
        if fault.is_some() {
            self.stat(|s| s.faults += 1);
            return Err(Dropped("fault: the answer is lost"));
        }
        if range_end(&range) != Some(now) {
            self.stat(|s| s.stale_ranges += 1);
        }
        self.stat(|s| s.patches_201 += 1);
        let mut answer = plain(StatusCode::CREATED, "");
        let h = answer.headers_mut();
        h.insert(
            hyper::header::LOCATION,
            format!("/v2/{}/blobs/uploads/{id}", name_of(&parts.uri))
                .parse()
                .unwrap(),
        );
        h.insert(hyper::header::RANGE, range.parse().unwrap());
        h.insert("docker-upload-uuid", id.parse().unwrap());
        Ok(answer)
    }

    async fn put(&self, id: String, request: Request<Incoming>, upstream: &Upstream) -> Outcome {
        let (location, last_chunk) = {
            let uploads = self.uploads.lock().unwrap();
            let Some(upload) = uploads.get(&id) else {
                return Ok(oci_error(
                    StatusCode::NOT_FOUND,
                    "BLOB_UPLOAD_UNKNOWN",
                    "upload unknown",
                ));
            };
            (upload.registry_location.clone(), upload.last_chunk)
        };
        let with_body = header(&request, "content-length").is_some_and(|l| l != "0")
            || request
                .headers()
                .contains_key(hyper::header::TRANSFER_ENCODING);
        if with_body && last_chunk.is_some_and(|n| n < MIN_PART) {
            drain(request.into_body()).await;
            self.stat(|s| s.too_small += 1);
            return Ok(oci_error(
                StatusCode::BAD_REQUEST,
                "LayerPartTooSmallException",
                "Layer part size must be at least 5242880 bytes, except the last part",
            ));
        }
        let query = request.uri().query().unwrap_or("").to_owned();
        let target = if location.contains('?') {
            format!("{location}&{query}")
        } else {
            format!("{location}?{query}")
        };
        let (parts, body) = request.into_parts();
        let response = upstream
            .forward(&Method::PUT, &target, &parts.headers, body_of(body))
            .await
            .map_err(|_| Dropped("the registry failed"))?;
        if response.status().is_success() {
            self.uploads.lock().unwrap().remove(&id);
        }
        let mut response = stream_back(response, None);
        relocate(&mut response);
        Ok(response)
    }
}

fn name_of(uri: &hyper::Uri) -> String {
    upload_path(uri.path())
        .map(|(n, _)| n.to_owned())
        .unwrap_or_default()
}

fn relocate(response: &mut hyper::Response<ProxyBody>) {
    if let Some(location) = response
        .headers()
        .get(hyper::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(local)
    {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, location.parse().unwrap());
    }
}

/// Reads a request body to its end, keeping nothing.
async fn drain(body: Incoming) {
    let mut chunks = BodyDataStream::new(body);
    while let Some(Ok(_)) = chunks.next().await {}
}

/// The first `n` bytes of a body.
fn take_bytes(
    body: Incoming,
    n: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, hyper::Error>> + Send + 'static {
    BodyDataStream::new(body).scan(n, |left, chunk| {
        let out = match chunk {
            Ok(_) if *left == 0 => None,
            Ok(chunk) => {
                let take = (*left).min(chunk.len() as u64) as usize;
                *left -= take as u64;
                Some(Ok(chunk.slice(..take)))
            }
            Err(e) => Some(Err(e)),
        };
        futures_util::future::ready(out)
    })
}

impl EcrRules {
    /// ECR paginates tags (the CNCF registry 2.8 does not): `n` a page,
    /// in order, after `last`, with `Link` to the next page.
    async fn tags_page(
        &self,
        request: Request<Incoming>,
        upstream: &Upstream,
        n: Option<u32>,
    ) -> Outcome {
        let path = request.uri().path().to_owned();
        let last = request
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("last="))
            .map(str::to_owned);
        let (parts, _) = request.into_parts();
        let response = upstream
            .forward(
                &Method::GET,
                &path,
                &parts.headers,
                reqwest::Body::from(Vec::new()),
            )
            .await
            .map_err(|_| Dropped("the registry failed"))?;
        if !response.status().is_success() {
            return Ok(stream_back(response, None));
        }
        let all: serde_json::Value = response.json().await.map_err(|_| Dropped("tag list"))?;
        let mut tags: Vec<String> = all["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        tags.sort();
        let after: Vec<String> = tags
            .into_iter()
            .filter(|t| last.as_ref().is_none_or(|l| t > l))
            .collect();
        let n = n.unwrap_or(1000) as usize;
        let page: Vec<String> = after.iter().take(n).cloned().collect();
        let body = serde_json::json!({"name": all["name"], "tags": page}).to_string();
        let mut answer = plain(StatusCode::OK, &body);
        if after.len() > n
            && let Some(last) = page.last()
        {
            answer.headers_mut().insert(
                hyper::header::LINK,
                format!("<{path}?n={n}&last={last}>; rel=\"next\"")
                    .parse()
                    .unwrap(),
            );
        }
        Ok(answer)
    }
}

impl Handler for EcrRules {
    fn handle<'a>(
        &'a self,
        request: Request<Incoming>,
        upstream: &'a Upstream,
    ) -> HandlerFuture<'a> {
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            if path.ends_with("/tags/list") && request.method() == Method::GET {
                let n = request
                    .uri()
                    .query()
                    .unwrap_or("")
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("n="))
                    .and_then(|v| v.parse::<u32>().ok());
                if n.is_some_and(|n| n > 1000) {
                    self.stat(|s| s.tag_pages_refused += 1);
                    return Ok(oci_error(
                        StatusCode::BAD_REQUEST,
                        "InvalidParameterException",
                        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
                    ));
                }
                self.stat(|s| s.largest_tag_page = s.largest_tag_page.max(n.unwrap_or(0)));
                return self.tags_page(request, upstream, n).await;
            }
            if let Some((_, id)) = upload_path(&path) {
                let id = id.to_owned();
                return match (request.method().clone(), id.is_empty()) {
                    (Method::POST, true) => self.start(request, upstream).await,
                    (Method::PATCH, false) => self.patch(id, request, upstream).await,
                    (Method::PUT, false) => self.put(id, request, upstream).await,
                    _ => {
                        let location = self
                            .uploads
                            .lock()
                            .unwrap()
                            .get(&id)
                            .map(|u| u.registry_location.clone());
                        match location {
                            Some(location) => {
                                let (parts, body) = request.into_parts();
                                let response = upstream
                                    .forward(
                                        &parts.method,
                                        &location,
                                        &parts.headers,
                                        body_of(body),
                                    )
                                    .await
                                    .map_err(|_| Dropped("the registry failed"))?;
                                let mut response = stream_back(response, None);
                                relocate(&mut response);
                                Ok(response)
                            }
                            None => Ok(oci_error(
                                StatusCode::NOT_FOUND,
                                "BLOB_UPLOAD_UNKNOWN",
                                "upload unknown",
                            )),
                        }
                    }
                };
            }
            let mut response = upstream.pass(request).await?;
            relocate(&mut response);
            Ok(response)
        })
    }
}
