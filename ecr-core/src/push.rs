//! Streaming layer upload: the calls of a push, with the digest computed on
//! the way, parts of the size the service asks for, progress reporting, and
//! resume from what the service acknowledged.
//!
//! Memory stays bounded by about three part bodies whatever the layer size:
//! the part being sent, the next part being read and encoded while it is
//! sent, and that part's raw bytes.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::client::{Client, PreparedBody};
use crate::ecr::{
    BatchCheckLayerAvailability, CompleteLayerUpload, CompleteLayerUploadError,
    InitiateLayerUpload, LayerAvailability, UploadLayerPart, UploadLayerPartError,
};
use crate::error::Error;
use crate::json::JsonWriter;

/// The largest part the API accepts (the model's blob maximum).
pub const MAX_PART_SIZE: usize = 20_971_520;

/// Progress of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes the service has acknowledged.
    pub bytes_sent: u64,
    /// The layer size, when known up front.
    pub bytes_total: Option<u64>,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What was pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedLayer {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The layer size in bytes.
    pub size: u64,
    /// Whether the layer was already in the repository (no part was sent).
    pub already_present: bool,
    /// Parts sent (retries and resends included).
    pub parts_sent: u32,
}

/// A push that stopped. It says how far it got and carries what a caller
/// needs to resume: the upload id and the last byte the service holds.
#[derive(Debug, thiserror::Error)]
#[error(
    "layer push failed during {stage} (upload {upload_id:?}, {bytes_acknowledged} bytes acknowledged): {message}"
)]
pub struct PushError {
    /// The step that failed.
    pub stage: &'static str,
    /// The upload to resume, once one was started.
    pub upload_id: Option<String>,
    /// Bytes the service acknowledged (resume from this offset).
    pub bytes_acknowledged: u64,
    /// What went wrong.
    pub message: String,
    /// The request id of the failing call, where the service answered.
    pub request_id: Option<String>,
}

/// Options of a layer push.
#[derive(Clone, Default)]
pub struct LayerPush {
    /// The repository.
    pub repository_name: String,
    /// The registry (account id); the caller's own when `None`.
    pub registry_id: Option<String>,
    /// The digest, when known up front: lets the push skip a layer that is
    /// already there.
    pub known_digest: Option<String>,
    /// The size, when known up front (for progress).
    pub known_size: Option<u64>,
    /// Called after every acknowledged part.
    pub progress: Option<ProgressFn>,
    /// Caps the part size below what the service asks for.
    pub max_part_size: Option<usize>,
    /// Resends of one part after a failure, beyond the client's own retries.
    pub part_resends: u32,
}

impl std::fmt::Debug for LayerPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerPush")
            .field("repository_name", &self.repository_name)
            .field("registry_id", &self.registry_id)
            .field("known_digest", &self.known_digest)
            .field("known_size", &self.known_size)
            .finish_non_exhaustive()
    }
}

/// One part read from the source: its raw bytes (kept to resend a tail)
/// and its request body, built and hashed once.
struct Part {
    first: u64,
    raw: Bytes,
}

fn fail<E: std::fmt::Display>(
    stage: &'static str,
    upload: Option<&str>,
    acked: u64,
    err: &Error<E>,
) -> PushError {
    PushError {
        stage,
        upload_id: upload.map(str::to_owned),
        bytes_acknowledged: acked,
        message: err.to_string(),
        request_id: err.request_id().map(str::to_owned),
    }
}

/// Builds the `UploadLayerPart` body in one pass: JSON head, base64 straight
/// from the part's bytes, JSON tail; then hashes it once.
pub fn part_body(
    buf: Vec<u8>,
    repository_name: &str,
    registry_id: Option<&str>,
    upload_id: &str,
    first: u64,
    raw: &[u8],
) -> PreparedBody {
    let mut buf = buf;
    buf.clear();
    buf.reserve(raw.len().div_ceil(3) * 4 + 256 + repository_name.len());
    {
        let mut w = JsonWriter::new(&mut buf);
        w.begin_object();
        w.key("layerPartBlob");
        w.base64(raw);
        w.member("partFirstByte", &(first as i64));
        w.member(
            "partLastByte",
            &((first + raw.len() as u64).saturating_sub(1) as i64),
        );
        w.member("registryId", &registry_id);
        w.member("repositoryName", repository_name);
        w.member("uploadId", upload_id);
        w.end_object();
    }
    PreparedBody::new(Bytes::from(buf))
}

async fn read_part<R: AsyncRead + Unpin>(reader: &mut R, size: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(size);
    let mut limited = reader.take(size as u64);
    limited.read_to_end(&mut buf).await?;
    Ok(buf)
}

impl LayerPush {
    /// Options for `repository_name`.
    pub fn new(repository_name: impl Into<String>) -> Self {
        Self {
            repository_name: repository_name.into(),
            part_resends: 3,
            ..Self::default()
        }
    }

    /// Pushes a layer read from `reader`.
    pub async fn push<R: AsyncRead + Unpin + Send>(
        &self,
        client: &Client,
        mut reader: R,
    ) -> Result<PushedLayer, PushError> {
        if let Some(digest) = &self.known_digest
            && self.is_present(client, digest).await?
        {
            return Ok(PushedLayer {
                digest: digest.clone(),
                size: self.known_size.unwrap_or(0),
                already_present: true,
                parts_sent: 0,
            });
        }
        let initiated = InitiateLayerUpload {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository_name.clone(),
        }
        .send(client)
        .await
        .map_err(|e| fail("InitiateLayerUpload", None, 0, &e))?;
        let upload_id = initiated.upload_id.ok_or_else(|| PushError {
            stage: "InitiateLayerUpload",
            upload_id: None,
            bytes_acknowledged: 0,
            message: "the response has no uploadId".into(),
            request_id: None,
        })?;
        let service_part = initiated
            .part_size
            .and_then(|s| usize::try_from(s).ok())
            .filter(|s| *s > 0);
        let part_size = service_part
            .unwrap_or(10 << 20)
            .min(MAX_PART_SIZE)
            .min(self.max_part_size.unwrap_or(MAX_PART_SIZE))
            .max(1);

        let mut hasher = Sha256::new();
        let mut acked: u64 = 0;
        let mut parts_sent = 0u32;
        let first_raw = read_part(&mut reader, part_size)
            .await
            .map_err(|e| self.io_fail(&upload_id, acked, &e))?;
        hasher.update(&first_raw);
        let mut current = Some(Part {
            first: 0,
            raw: Bytes::from(first_raw),
        });
        while let Some(part) = current.take() {
            if part.raw.is_empty() {
                break;
            }
            let next_first = part.first + part.raw.len() as u64;
            // Send this part while the next one is read from the source.
            let (sent, next) = tokio::join!(
                self.send_part(client, &upload_id, &part, &mut acked, &mut parts_sent),
                read_part(&mut reader, part_size)
            );
            sent?;
            let next = next.map_err(|e| self.io_fail(&upload_id, acked, &e))?;
            hasher.update(&next);
            current = Some(Part {
                first: next_first,
                raw: Bytes::from(next),
            });
        }
        let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
        let completed = CompleteLayerUpload {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository_name.clone(),
            upload_id: upload_id.clone(),
            layer_digests: vec![digest.clone()],
        }
        .send(client)
        .await;
        match completed {
            Ok(_) => {}
            Err(Error::Service {
                error: CompleteLayerUploadError::LayerAlreadyExistsException(_),
                ..
            }) => {}
            Err(e) => return Err(fail("CompleteLayerUpload", Some(&upload_id), acked, &e)),
        }
        Ok(PushedLayer {
            digest,
            size: acked,
            already_present: false,
            parts_sent,
        })
    }

    fn io_fail(&self, upload_id: &str, acked: u64, e: &std::io::Error) -> PushError {
        PushError {
            stage: "reading the layer",
            upload_id: Some(upload_id.to_owned()),
            bytes_acknowledged: acked,
            message: e.to_string(),
            request_id: None,
        }
    }

    async fn is_present(&self, client: &Client, digest: &str) -> Result<bool, PushError> {
        let out = BatchCheckLayerAvailability {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository_name.clone(),
            layer_digests: vec![digest.to_owned()],
        }
        .send(client)
        .await
        .map_err(|e| fail("BatchCheckLayerAvailability", None, 0, &e))?;
        Ok(out.layers.unwrap_or_default().iter().any(|l| {
            l.layer_digest.as_deref() == Some(digest)
                && l.layer_availability == Some(LayerAvailability::Available)
        }))
    }

    /// Sends one part; after a failure, resumes from the byte after what the
    /// service acknowledged, resending only the tail it lacks.
    async fn send_part(
        &self,
        client: &Client,
        upload_id: &str,
        part: &Part,
        acked: &mut u64,
        parts_sent: &mut u32,
    ) -> Result<(), PushError> {
        let end = part.first + part.raw.len() as u64;
        let mut resends = 0;
        let mut body_buf = Vec::new();
        while *acked < end {
            let from = (*acked).max(part.first);
            let offset = (from - part.first) as usize;
            let body = part_body(
                std::mem::take(&mut body_buf),
                &self.repository_name,
                self.registry_id.as_deref(),
                upload_id,
                from,
                &part.raw[offset..],
            );
            *parts_sent += 1;
            let result = client.send_prepared::<UploadLayerPart>(body).await;
            let failure = match result {
                Ok(out) => {
                    let last = out
                        .last_byte_received
                        .and_then(|b| u64::try_from(b).ok())
                        .unwrap_or(end - 1);
                    *acked = (last + 1).min(end).max(*acked);
                    if *acked < end {
                        // The service kept less than it was sent: send the rest.
                        continue;
                    }
                    None
                }
                Err(Error::Service {
                    error: UploadLayerPartError::InvalidLayerPartException(e),
                    meta,
                }) => {
                    match e
                        .last_valid_byte_received
                        .and_then(|b| u64::try_from(b).ok())
                    {
                        Some(last) if last + 1 >= part.first && last < end => {
                            // A resend of bytes the service already holds, or a
                            // gap: continue from the byte after its last one.
                            *acked = last + 1;
                            Some(format!(
                                "InvalidLayerPartException, resuming at byte {}",
                                last + 1
                            ))
                        }
                        Some(last) if last + 1 >= end => {
                            *acked = end;
                            None
                        }
                        _ => {
                            return Err(PushError {
                                stage: "UploadLayerPart",
                                upload_id: Some(upload_id.to_owned()),
                                bytes_acknowledged: *acked,
                                message: format!("InvalidLayerPartException: {:?}", e.message),
                                request_id: meta.request_id,
                            });
                        }
                    }
                }
                Err(e) => {
                    if resends >= self.part_resends {
                        return Err(fail("UploadLayerPart", Some(upload_id), *acked, &e));
                    }
                    Some(e.to_string())
                }
            };
            if let Some(reason) = failure {
                resends += 1;
                tracing::warn!(upload_id, from = *acked, %reason, "resending layer part");
                if resends > self.part_resends + 1 {
                    return Err(PushError {
                        stage: "UploadLayerPart",
                        upload_id: Some(upload_id.to_owned()),
                        bytes_acknowledged: *acked,
                        message: reason,
                        request_id: None,
                    });
                }
            }
            body_buf = Vec::new();
        }
        if let Some(progress) = &self.progress {
            progress(Progress {
                bytes_sent: *acked,
                bytes_total: self.known_size,
            });
        }
        Ok(())
    }
}
