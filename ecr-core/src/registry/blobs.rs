//! Blobs: `HEAD` (is it there?), `GET` from an offset (`Range`), following a
//! redirect to storage without the registry's credentials, and the sources a
//! blob's bytes are read from again when an upload resumes.

use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, LOCATION, RANGE};

use super::error::{RegistryError, status_error};
use super::{RegistryClient, check_digest, check_repository, pull_scope};

/// A blob's bytes as they arrive: chunks, or the I/O error that cut them.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A boxed future of the sources' `open`.
pub type OpenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ByteStream, RegistryError>> + Send + 'a>>;

/// Where a blob's bytes can be read from, again and from any offset: an
/// upload that stopped resumes by opening its source at the offset the
/// registry holds.
pub trait BlobSource: Send + Sync {
    /// The bytes from `offset` to the end of the blob.
    fn open(&self, offset: u64) -> OpenFuture<'_>;
}

/// Bytes read from a file at a time.
const FILE_CHUNK: usize = 1 << 20;

/// A blob in a file, or in a range of one (a tar member): read in 1 MiB
/// chunks on the blocking pool, the next one read while the last is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBlob {
    /// The file.
    pub path: PathBuf,
    /// Where the blob starts in it.
    pub start: u64,
    /// The blob's size.
    pub len: u64,
}

impl BlobSource for FileBlob {
    fn open(&self, offset: u64) -> OpenFuture<'_> {
        Box::pin(async move {
            let path = self.path.clone();
            let at = self.start.saturating_add(offset.min(self.len));
            let remaining = self.len.saturating_sub(offset);
            let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
                let mut file = std::fs::File::open(&path)?;
                file.seek(SeekFrom::Start(at))?;
                Ok(file)
            })
            .await
            .map_err(|e| RegistryError::Io {
                path: self.path.clone(),
                source: std::io::Error::other(e),
            })?
            .map_err(|source| RegistryError::Io {
                path: self.path.clone(),
                source,
            })?;
            let stream: ByteStream = Box::pin(FileStream::new(file, remaining));
            Ok(stream)
        })
    }
}

type ReadResult = (std::fs::File, std::io::Result<Bytes>);

/// Reads a file in chunks on the blocking pool, one chunk ahead.
struct FileStream {
    pending: Option<tokio::task::JoinHandle<ReadResult>>,
    remaining: u64,
}

impl FileStream {
    fn new(file: std::fs::File, remaining: u64) -> Self {
        let mut stream = Self {
            pending: None,
            remaining,
        };
        stream.spawn(file);
        stream
    }

    fn spawn(&mut self, mut file: std::fs::File) {
        if self.remaining == 0 {
            return;
        }
        let want = (self.remaining.min(FILE_CHUNK as u64)) as usize;
        self.pending = Some(tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; want];
            let mut filled = 0;
            let result = loop {
                if filled == want {
                    break Ok(());
                }
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            buf.truncate(filled);
            (file, result.map(|()| Bytes::from(buf)))
        }));
    }
}

impl Stream for FileStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(pending) = self.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let (file, result) = match Pin::new(pending).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(done)) => done,
            Poll::Ready(Err(e)) => {
                self.pending = None;
                return Poll::Ready(Some(Err(std::io::Error::other(e))));
            }
        };
        self.pending = None;
        match result {
            Ok(chunk) if chunk.is_empty() => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes before the blob", self.remaining),
            )))),
            Ok(chunk) => {
                self.remaining -= chunk.len() as u64;
                self.spawn(file);
                Poll::Ready(Some(Ok(chunk)))
            }
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }
}

/// A blob in a registry repository, read with `GET` (and `Range` from an
/// offset).
#[derive(Debug, Clone)]
pub struct RegistryBlob {
    /// The registry.
    pub client: RegistryClient,
    /// The repository.
    pub repository: String,
    /// The blob's digest.
    pub digest: String,
}

impl BlobSource for RegistryBlob {
    fn open(&self, offset: u64) -> OpenFuture<'_> {
        Box::pin(async move {
            let blob = self
                .client
                .get_blob(&self.repository, &self.digest, offset)
                .await?;
            Ok(blob.into_stream_from(offset))
        })
    }
}

/// A blob at a URL that needs no credentials (a pre-signed download URL, as
/// `GetDownloadUrlForLayer` returns).
#[derive(Debug, Clone)]
pub struct UrlBlob {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// The URL.
    pub url: reqwest::Url,
}

impl BlobSource for UrlBlob {
    fn open(&self, offset: u64) -> OpenFuture<'_> {
        Box::pin(async move {
            let blob = get_url(&self.http, &self.url, offset, "GET download URL").await?;
            Ok(blob.into_stream_from(offset))
        })
    }
}

/// A blob's response: the bytes from `start`.
#[derive(Debug)]
pub struct BlobStream {
    /// The first byte's offset in the blob (0 when the server ignored `Range`).
    pub start: u64,
    /// The blob's whole size, where the response says it.
    pub total: Option<u64>,
    response: reqwest::Response,
    url: reqwest::Url,
}

impl BlobStream {
    fn new(response: reqwest::Response, requested: u64) -> Result<Self, RegistryError> {
        let url = response.url().clone();
        let length = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if response.status() == StatusCode::PARTIAL_CONTENT {
            let range = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .ok_or_else(|| {
                    RegistryError::protocol("GET blob", "a 206 without a valid Content-Range")
                })?;
            if range.0 != requested {
                return Err(RegistryError::protocol(
                    "GET blob",
                    format!(
                        "asked for bytes from {requested}, got them from {}",
                        range.0
                    ),
                ));
            }
            return Ok(Self {
                start: range.0,
                total: range.1,
                response,
                url,
            });
        }
        Ok(Self {
            start: 0,
            total: length,
            response,
            url,
        })
    }

    /// The next chunk, `None` at the end; an error when nothing arrives for
    /// [`IDLE_TIMEOUT`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, RegistryError> {
        match tokio::time::timeout(IDLE_TIMEOUT, self.response.chunk()).await {
            Ok(read) => read.map_err(|e| RegistryError::transport("reading a blob", &self.url, e)),
            Err(_) => Err(RegistryError::Io {
                path: PathBuf::from(super::error::redact(&self.url)),
                source: stalled(),
            }),
        }
    }

    /// The bytes as a stream starting at `offset`: when the server ignored
    /// `Range` and sent the blob from its start, the bytes before `offset`
    /// are dropped.
    pub fn into_stream_from(self, offset: u64) -> ByteStream {
        let skip = offset.saturating_sub(self.start);
        let url = super::error::redact(&self.url);
        Box::pin(futures_util::stream::unfold(
            (self.response, skip, url),
            |(mut response, mut skip, url)| async move {
                loop {
                    let read = match tokio::time::timeout(IDLE_TIMEOUT, response.chunk()).await {
                        Ok(read) => read,
                        Err(_) => return Some((Err(stalled()), (response, 0, url))),
                    };
                    match read {
                        Ok(Some(mut chunk)) => {
                            if skip > 0 {
                                let drop = skip.min(chunk.len() as u64) as usize;
                                skip -= drop as u64;
                                let _ = chunk.split_to(drop);
                                if chunk.is_empty() {
                                    continue;
                                }
                            }
                            return Some((Ok(chunk), (response, skip, url)));
                        }
                        Ok(None) => return None,
                        Err(e) => {
                            let err = std::io::Error::other(format!("reading {url}: {e}"));
                            return Some((Err(err), (response, 0, url)));
                        }
                    }
                }
            },
        ))
    }
}

/// How long a blob download waits for its next bytes before it counts as
/// stalled (and, in a pull, continues with a new request from the bytes it
/// has).
pub const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn stalled() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no bytes for {} s", IDLE_TIMEOUT.as_secs()),
    )
}

/// `bytes <first>-<last>/<total|*>` → (first, total).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    if last < first {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((first, total))
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// `GET url` from `offset`, no credentials, following redirects (up to 5).
async fn get_url(
    http: &reqwest::Client,
    url: &reqwest::Url,
    offset: u64,
    stage: &'static str,
) -> Result<BlobStream, RegistryError> {
    let mut url = url.clone();
    for _ in 0..5 {
        let mut request = http.get(url.clone());
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| RegistryError::transport(stage, &url, e))?;
        let status = response.status();
        if is_redirect(status) {
            url = redirect_target(&response, stage)?;
            continue;
        }
        if status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT {
            return BlobStream::new(response, offset);
        }
        return Err(status_error(stage, response).await);
    }
    Err(RegistryError::protocol(stage, "more than 5 redirects"))
}

fn redirect_target(
    response: &reqwest::Response,
    stage: &'static str,
) -> Result<reqwest::Url, RegistryError> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| RegistryError::protocol(stage, "a redirect without Location"))?;
    response
        .url()
        .join(location)
        .map_err(|e| RegistryError::protocol(stage, format!("bad redirect {location:?}: {e}")))
}

impl RegistryClient {
    /// Whether the repository has the blob (`HEAD`; a redirect to storage
    /// counts as present).
    pub async fn blob_exists(&self, repository: &str, digest: &str) -> Result<bool, RegistryError> {
        check_repository("repository", repository)?;
        check_digest("digest", digest)?;
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let response = self
            .send("HEAD blob", &[pull_scope(repository)], |http| {
                http.head(url.clone())
            })
            .await?;
        match response.status() {
            s if s.is_success() || is_redirect(s) => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error("HEAD blob", response).await),
        }
    }

    /// `GET` of a blob from `offset` (with `Range` when not 0). A redirect
    /// to another host (ECR sends blobs from S3) is followed without the
    /// registry's credentials; to the same host, with them. Check
    /// [`BlobStream::start`]: a server may ignore `Range`.
    pub async fn get_blob(
        &self,
        repository: &str,
        digest: &str,
        offset: u64,
    ) -> Result<BlobStream, RegistryError> {
        check_repository("repository", repository)?;
        check_digest("digest", digest)?;
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let response = self
            .send("GET blob", &[pull_scope(repository)], |http| {
                let request = http.get(url.clone());
                if offset > 0 {
                    request.header(RANGE, format!("bytes={offset}-"))
                } else {
                    request
                }
            })
            .await?;
        let status = response.status();
        if status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT {
            return BlobStream::new(response, offset);
        }
        if !is_redirect(status) {
            return Err(status_error("GET blob", response).await);
        }
        let target = redirect_target(&response, "GET blob")?;
        if target.origin() == self.endpoint().origin() {
            let response = self
                .send("GET blob", &[pull_scope(repository)], |http| {
                    let request = http.get(target.clone());
                    if offset > 0 {
                        request.header(RANGE, format!("bytes={offset}-"))
                    } else {
                        request
                    }
                })
                .await?;
            let status = response.status();
            if status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT {
                return BlobStream::new(response, offset);
            }
            return Err(status_error("GET blob", response).await);
        }
        get_url(self.http(), &target, offset, "GET blob from storage").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[test]
    fn content_ranges_parse() {
        assert_eq!(parse_content_range("bytes 10-19/20"), Some((10, Some(20))));
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, None)));
        assert_eq!(parse_content_range("bytes 5-4/9"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[tokio::test]
    async fn a_file_blob_reads_its_range_from_any_offset() {
        let dir = std::env::temp_dir().join(format!("ecrkit-fileblob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data");
        let data: Vec<u8> = (0..(3 * FILE_CHUNK + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &data).unwrap();
        let blob = FileBlob {
            path: path.clone(),
            start: 5,
            len: (data.len() - 10) as u64,
        };
        for offset in [0u64, 1, FILE_CHUNK as u64 + 3, blob.len] {
            let mut stream = blob.open(offset).await.unwrap();
            let mut got = Vec::new();
            while let Some(chunk) = stream.next().await {
                got.extend_from_slice(&chunk.unwrap());
            }
            assert_eq!(
                got,
                &data[5 + offset as usize..data.len() - 5],
                "offset {offset}"
            );
        }
        // A file shorter than the blob says so, rather than ending early.
        let short = FileBlob {
            path,
            start: 0,
            len: data.len() as u64 + 1,
        };
        let mut stream = short.open(0).await.unwrap();
        let mut last = None;
        while let Some(chunk) = stream.next().await {
            last = Some(chunk);
        }
        let err = last.unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
