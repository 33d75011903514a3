//! One blob into the layout: streamed from its source to a partial file,
//! hashed on the way (off the async threads, with the write), resumed with
//! `Range` from what the file holds after an interruption, and renamed to
//! its digest's name once the digest matches. Bytes that do not match
//! (changed on the way down) are thrown away, partial file and all, and
//! the blob fetched whole again while attempts remain; nothing is ever
//! put under the digest's name unverified.
//!
//! Memory per blob in flight is bounded by the channel between the network
//! and the writer (4 batches of about 1 MiB) and the writer's 1 MiB buffer.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;

use super::PullError;
use super::layout::Layout;
use super::writer::{BlobWriter, Written};
use crate::registry::{BlobSource, RegistryError, backoff};
use crate::sha256::Sha256Stream;

/// Bytes sent to the writer at a time.
const BATCH: usize = 1 << 20;

/// Called as bytes arrive: (bytes of the blob on disk, its size).
pub(crate) type BytesFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// What fetching a blob did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// The layout had it, verified.
    Present,
    /// Downloaded: this many bytes came over the network.
    Downloaded(u64),
}

fn layout_err(path: &Path, e: std::io::Error) -> PullError {
    PullError::Layout {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// The SHA-256 of a file's first `len` bytes (the whole file if `None`),
/// and how many bytes it has.
fn hash_file(path: &Path, len: Option<u64>) -> std::io::Result<(Sha256Stream, u64)> {
    let file = std::fs::File::open(path)?;
    let mut reader: Box<dyn Read> = match len {
        Some(len) => Box::new(file.take(len)),
        None => Box::new(file),
    };
    let mut hasher = Sha256Stream::default();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((hasher, total));
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

/// Fetches `digest` (`size` bytes) from `source` into the layout, with up to
/// `attempts` requests, its bytes hashed and written by `writer`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn fetch_blob(
    writer: &BlobWriter,
    layout: &Layout,
    digest: &str,
    size: u64,
    source: &dyn BlobSource,
    attempts: u32,
    progress: Option<&BytesFn>,
) -> Result<Fetched, PullError> {
    let target = layout
        .blob_path(digest)
        .map_err(|e| layout_err(layout.root(), e))?;
    let partial = layout
        .partial_path(digest)
        .map_err(|e| layout_err(layout.root(), e))?;

    // A file under the digest's name was verified when written; it is
    // checked again (cheap next to a download) in case it was changed since.
    let existing = {
        let path = target.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<Option<(Sha256Stream, u64)>> {
            match hash_file(&path, None) {
                Ok(found) => Ok(Some(found)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| layout_err(&target, std::io::Error::other(e)))?
        .map_err(|e| layout_err(&target, e))?
    };
    if let Some((hasher, len)) = existing {
        if len == size && digest_of(hasher) == digest {
            return Ok(Fetched::Present);
        }
        tracing::warn!(path = %target.display(), "a blob in the layout does not match its name; fetching it again");
        let _ = std::fs::remove_file(&target);
    }

    // Continue a partial download: hash what it holds (up to `size`).
    let (mut hasher, mut have) = {
        let path = partial.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<(Sha256Stream, u64)> {
            match std::fs::metadata(&path) {
                Ok(meta) if meta.len() <= size => hash_file(&path, Some(meta.len())),
                Ok(_) => {
                    std::fs::remove_file(&path)?;
                    Ok((Sha256Stream::default(), 0))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok((Sha256Stream::default(), 0))
                }
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| layout_err(&partial, std::io::Error::other(e)))?
        .map_err(|e| layout_err(&partial, e))?
    };
    if have > 0 {
        tracing::debug!(digest, have, size, "resuming a partial download");
    }
    let mut resumed_from = have;
    let mut fetched = 0u64;
    let mut failures = 0u32;
    loop {
        let round_start = have;
        while have < size {
            match stream_into(writer, &partial, hasher, have, size, source, progress).await {
                Ok((h, n)) => {
                    hasher = h;
                    have = n;
                }
                Err(Interrupted {
                    hasher: h,
                    have: n,
                    error,
                }) => {
                    hasher = h;
                    let advanced = n > have;
                    have = n;
                    failures += 1;
                    if failures >= attempts.max(1) || !error.is_retryable() {
                        return Err(PullError::Blob {
                            digest: digest.to_owned(),
                            bytes_on_disk: have,
                            source: Box::new(error),
                        });
                    }
                    tracing::debug!(digest, have, %error, "download interrupted; resuming");
                    if !advanced {
                        tokio::time::sleep(backoff(failures)).await;
                    }
                }
            }
        }
        fetched += size - round_start;
        let actual = digest_of(std::mem::take(&mut hasher));
        if actual == digest {
            break;
        }
        // Bytes changed on the way, or a partial file from an earlier run
        // whose bytes changed on disk (that hashes wrong only once complete):
        // none of them can be trusted, so the file goes and the blob is
        // fetched whole again, while attempts remain.
        match std::fs::remove_file(&partial) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(layout_err(&partial, e));
            }
            _ => {}
        }
        let from_disk = std::mem::take(&mut resumed_from) > 0;
        if from_disk {
            tracing::warn!(
                "{digest}: the partial download in {} did not hash to the digest once complete \
                 (its bytes changed on disk); fetching the blob again from byte 0",
                partial.display()
            );
        } else {
            failures += 1;
            if failures >= attempts.max(1) {
                return Err(PullError::Blob {
                    digest: digest.to_owned(),
                    bytes_on_disk: 0,
                    source: Box::new(RegistryError::Digest {
                        what: "blob",
                        expected: digest.to_owned(),
                        actual,
                    }),
                });
            }
            tracing::warn!(digest, %actual, "the downloaded bytes do not match the digest; fetching the blob again");
        }
        have = 0;
    }
    if size == 0 {
        std::fs::write(&partial, b"").map_err(|e| layout_err(&partial, e))?;
    }
    std::fs::rename(&partial, &target).map_err(|e| layout_err(&target, e))?;
    Ok(Fetched::Downloaded(fetched))
}

/// `sha256:<hex>` of what `hasher` took in.
fn digest_of(hasher: Sha256Stream) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// A request that stopped: the hash and length of what reached the file.
struct Interrupted {
    hasher: Sha256Stream,
    have: u64,
    error: RegistryError,
}

/// One request: the source from `have`, written to the partial file's end
/// and hashed by the pull's writer thread.
#[allow(clippy::too_many_arguments)]
async fn stream_into(
    writer: &BlobWriter,
    partial: &Path,
    hasher: Sha256Stream,
    have: u64,
    size: u64,
    source: &dyn BlobSource,
    progress: Option<&BytesFn>,
) -> Result<(Sha256Stream, u64), Interrupted> {
    let gone = |hasher| Interrupted {
        hasher,
        have: 0,
        error: RegistryError::Io {
            path: partial.to_owned(),
            source: std::io::Error::other("the pull's writer stopped"),
        },
    };
    // A failed open comes back from `close`, with the hash as it was.
    let Some(file) = writer.open(partial, hasher, have, size).await else {
        return Err(gone(Sha256Stream::default()));
    };
    // Chunks go to the writer in batches of about 1 MiB: a message (and a
    // wake-up of the writer thread) per socket read cost more than the
    // hashing.
    let mut error = None;
    match source.open(have).await {
        Err(e) => error = Some(e),
        Ok(mut stream) => {
            let mut at = have;
            let mut batch = Vec::new();
            let mut batched = 0usize;
            loop {
                let Some(chunk) = stream.next().await else {
                    if !batch.is_empty() {
                        let _ = file.write(std::mem::take(&mut batch)).await;
                    }
                    break;
                };
                match chunk {
                    Ok(chunk) => {
                        at += chunk.len() as u64;
                        if at > size {
                            error = Some(RegistryError::protocol(
                                "GET blob",
                                format!("more bytes than the {size} the descriptor names"),
                            ));
                            break;
                        }
                        batched += chunk.len();
                        batch.push(chunk);
                        if batched >= BATCH || at == size {
                            batched = 0;
                            if !file.write(std::mem::take(&mut batch)).await {
                                break;
                            }
                            if let Some(progress) = progress {
                                progress(at, size);
                            }
                        }
                    }
                    Err(e) => {
                        // What arrived before the cut is kept.
                        if !batch.is_empty() {
                            let _ = file.write(std::mem::take(&mut batch)).await;
                        }
                        error = Some(RegistryError::Io {
                            path: PathBuf::from("(network)"),
                            source: e,
                        });
                        break;
                    }
                }
            }
            if error.is_none() && at < size {
                error = Some(RegistryError::Io {
                    path: PathBuf::from("(network)"),
                    source: std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("the response ended at byte {at} of {size}"),
                    ),
                });
            }
        }
    }
    let Some(Written {
        hasher,
        have: have_now,
        error: write_error,
    }) = file.close().await
    else {
        return Err(gone(Sha256Stream::default()));
    };
    if let Some(e) = write_error {
        // The disk, not the network: not worth another request.
        return Err(Interrupted {
            hasher,
            have: have_now,
            error: RegistryError::Invalid {
                field: "layout",
                message: format!("writing {}: {e}", partial.display()),
            },
        });
    }
    match error {
        Some(error) => Err(Interrupted {
            hasher,
            have: have_now,
            error,
        }),
        None => Ok((hasher, have_now)),
    }
}
