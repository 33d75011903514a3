//! An upload's request body: the source's bytes from an offset to an end,
//! hashed on the way when the blob's digest is not known, and reported to
//! the progress callback as they go out. And what a 416 says the registry
//! committed.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;

use super::blobs::{BlobSource, ByteStream};
use super::error::RegistryError;
use super::upload_state::BlobProgressFn;
use crate::oci::BlobHasher;

/// The blob's SHA-256 as far as `len` bytes, when the digest is not known.
pub(crate) struct Hashed {
    hasher: BlobHasher,
    len: u64,
}

/// The hash an upload's bodies feed, shared with the request in flight.
pub(crate) type SharedHash = Arc<Mutex<Hashed>>;

/// A hash of nothing yet.
pub(crate) fn new_hash() -> SharedHash {
    Arc::new(Mutex::new(Hashed {
        hasher: BlobHasher::new(),
        len: 0,
    }))
}

fn poisoned() -> RegistryError {
    RegistryError::protocol("hashing", "the hash state is poisoned")
}

/// The digest of bytes `[0, len)` hashed on the way, hashing again from
/// the source what a failed request left out of step.
pub(crate) async fn digest_of_sent(
    source: &dyn BlobSource,
    len: u64,
    hash: &SharedHash,
) -> Result<String, RegistryError> {
    rehash_to(source, len, hash).await?;
    let state = hash.lock().map_err(|_| poisoned())?;
    Ok(state.hasher.clone().finish())
}

/// Makes the shared hash cover exactly `[0, to)`: when a failed request
/// hashed more (or a 416 moved the offset on), it is rebuilt from the
/// source.
async fn rehash_to(
    source: &dyn BlobSource,
    to: u64,
    hash: &SharedHash,
) -> Result<(), RegistryError> {
    let len = hash.lock().map_err(|_| poisoned())?.len;
    if len == to {
        return Ok(());
    }
    let mut hasher = BlobHasher::new();
    let mut done = 0u64;
    if to > 0 {
        let mut stream = source.open(0).await?;
        while done < to {
            let chunk = stream
                .next()
                .await
                .ok_or_else(|| RegistryError::protocol("hashing", "the source ended early"))?
                .map_err(|e| RegistryError::protocol("hashing", e.to_string()))?;
            let take = (to - done).min(chunk.len() as u64) as usize;
            hasher.update(&chunk[..take]);
            done += take as u64;
        }
    }
    let mut state = hash.lock().map_err(|_| poisoned())?;
    state.hasher = hasher;
    state.len = to;
    Ok(())
}

/// The body of bytes `[from, end)` of a blob of `total` bytes: the source
/// opened at `from`, cut at `end`, hashed on the way into `hash` when
/// given, reported to `progress`.
pub(crate) async fn body(
    source: &dyn BlobSource,
    from: u64,
    end: u64,
    total: u64,
    hash: Option<&SharedHash>,
    progress: Option<BlobProgressFn>,
) -> Result<reqwest::Body, RegistryError> {
    if let Some(hash) = hash {
        rehash_to(source, from, hash).await?;
    }
    let stream = source.open(from).await?;
    Ok(reqwest::Body::wrap_stream(Outgoing {
        inner: stream,
        at: from,
        end,
        total,
        hash: hash.cloned(),
        progress,
    }))
}

/// A request body: the source's bytes up to `end`, hashed and reported.
struct Outgoing {
    inner: ByteStream,
    at: u64,
    end: u64,
    total: u64,
    hash: Option<SharedHash>,
    progress: Option<BlobProgressFn>,
}

impl Stream for Outgoing {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        if self.at >= self.end {
            return Poll::Ready(None);
        }
        let chunk = match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {
                return Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "the blob's source ended at byte {} of {}",
                        self.at, self.end
                    ),
                ))));
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        let room = (self.end - self.at).min(chunk.len() as u64) as usize;
        let chunk = chunk.slice(..room);
        if let Some(hash) = &self.hash
            && let Ok(mut state) = hash.lock()
            && state.len == self.at
        {
            state.hasher.update(&chunk);
            state.len += chunk.len() as u64;
        }
        self.at += chunk.len() as u64;
        if let Some(progress) = &self.progress {
            progress(self.at, self.total);
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// The committed offset a 416 names: its `Range` header (`0-<last>`, so
/// `last + 1` bytes; `0-0` is the CNCF registry's way of saying nothing),
/// else the first number after "offset" in its message.
pub(crate) fn committed_offset(range: Option<&str>, message: &str) -> Option<u64> {
    if let Some(range) = range {
        let range = range.trim().trim_start_matches("bytes=");
        if let Some((start, last)) = range.split_once('-')
            && start.trim() == "0"
            && let Ok(last) = last.trim().parse::<u64>()
        {
            return if last == 0 {
                Some(0)
            } else {
                last.checked_add(1)
            };
        }
    }
    let lower = message.to_ascii_lowercase();
    let at = lower.find("offset")?;
    let digits: String = lower[at..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_416_names_the_committed_offset_by_header_or_message() {
        assert_eq!(committed_offset(Some("0-10485759"), ""), Some(10485760));
        assert_eq!(committed_offset(Some("bytes=0-4"), ""), Some(5));
        assert_eq!(committed_offset(Some("0-0"), ""), Some(0));
        assert_eq!(
            committed_offset(None, "Upload out of order: committed offset 7340032, got 0"),
            Some(7340032)
        );
        assert_eq!(committed_offset(Some("garbage"), "no number"), None);
        assert_eq!(committed_offset(Some("5-9"), "offset 3"), Some(3));
    }
}
