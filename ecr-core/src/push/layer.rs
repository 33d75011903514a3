//! The upload loop of one layer: the calls of a push, parts of the size the
//! service asks for, progress reporting, and resume from what the service
//! acknowledged.
//!
//! Reading and encoding part N+1 (`part`) overlaps with sending part N.
//! The body buffer is handed to the transport without a copy and recycled
//! once the part is acknowledged, so a steady-state push allocates nothing;
//! memory is about two part bodies.

use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncRead;

use super::part::{
    EncodedPart, LayerDigest, MAX_PART_SIZE, PartHeader, read_and_encode, tail_body,
};
use crate::client::Client;
use crate::ecr::{
    BatchCheckLayerAvailability, CompleteLayerUpload, CompleteLayerUploadError,
    InitiateLayerUpload, LayerAvailability, UploadLayerPart, UploadLayerPartError,
};
use crate::error::Error;

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
    /// `UploadLayerPart` calls made (resends included).
    pub parts_sent: u32,
}

/// A push that stopped. It says how far it got and carries what a caller
/// needs to resume: the upload id and the bytes the service holds.
#[derive(Debug, thiserror::Error)]
#[error(
    "layer push failed during {stage} ({}, {bytes_acknowledged} bytes acknowledged): {message}",
    upload_id.as_deref().map_or("no upload started".to_owned(), |id| format!("upload {id}"))
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
    /// The service's error code (`EmptyUploadException`,
    /// `InvalidLayerException`, `LayerPartTooSmallException`,
    /// `UploadNotFoundException`, ...), where the service answered with one.
    pub code: Option<String>,
}

/// Options of a layer push.
#[derive(Clone)]
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
    /// Resume an upload already started: its id and the bytes the service
    /// holds. The reader must then start at that offset.
    pub resume: Option<(String, u64)>,
}

impl Default for LayerPush {
    fn default() -> Self {
        Self {
            repository_name: String::new(),
            registry_id: None,
            known_digest: None,
            known_size: None,
            progress: None,
            max_part_size: None,
            part_resends: 3,
            resume: None,
        }
    }
}

impl std::fmt::Debug for LayerPush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerPush")
            .field("repository_name", &self.repository_name)
            .field("registry_id", &self.registry_id)
            .field("known_digest", &self.known_digest)
            .field("known_size", &self.known_size)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
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
        code: err.service_code().map(str::to_owned),
    }
}

/// Takes back a body buffer once the transport has dropped its references.
fn reclaim(bytes: Bytes) -> Vec<u8> {
    match bytes.try_into_mut() {
        Ok(unique) => Vec::from(unique),
        Err(_) => Vec::new(),
    }
}

impl LayerPush {
    /// Options for `repository_name`.
    pub fn new(repository_name: impl Into<String>) -> Self {
        Self {
            repository_name: repository_name.into(),
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
            && self.resume.is_none()
            && self.is_present(client, digest).await?
        {
            return Ok(PushedLayer {
                digest: digest.clone(),
                size: self.known_size.unwrap_or(0),
                already_present: true,
                parts_sent: 0,
            });
        }
        let (upload_id, service_part, start) = match &self.resume {
            Some((id, acked)) => (id.clone(), None, *acked),
            None => {
                let initiated = InitiateLayerUpload {
                    registry_id: self.registry_id.clone(),
                    repository_name: self.repository_name.clone(),
                }
                .send(client)
                .await
                .map_err(|e| fail("InitiateLayerUpload", None, 0, &e))?;
                let id = initiated.upload_id.ok_or_else(|| PushError {
                    stage: "InitiateLayerUpload",
                    upload_id: None,
                    bytes_acknowledged: 0,
                    message: "the response has no uploadId".into(),
                    request_id: None,
                    code: None,
                })?;
                let part = initiated
                    .part_size
                    .and_then(|s| usize::try_from(s).ok())
                    .filter(|s| *s > 0);
                (id, part, 0)
            }
        };
        let part_size = service_part
            .unwrap_or(10 << 20)
            .min(MAX_PART_SIZE)
            .min(self.max_part_size.unwrap_or(MAX_PART_SIZE))
            .max(1);
        let header = PartHeader {
            repository_name: self.repository_name.clone(),
            registry_id: self.registry_id.clone(),
            upload_id: upload_id.clone(),
        };
        if let Err(e) = header.check_streamable() {
            return Err(PushError {
                stage: "UploadLayerPart",
                upload_id: Some(upload_id),
                bytes_acknowledged: start,
                message: e.to_string(),
                request_id: None,
                code: None,
            });
        }
        if self.resume.is_some() && self.known_digest.is_none() {
            return Err(PushError {
                stage: "resume",
                upload_id: Some(upload_id),
                bytes_acknowledged: start,
                message: "resuming needs the layer's digest (known_digest): the bytes before the \
                          resume point are not read again"
                    .into(),
                request_id: None,
                code: None,
            });
        }
        if i64::try_from(start).is_err() {
            return Err(PushError {
                stage: "resume",
                upload_id: Some(upload_id),
                bytes_acknowledged: start,
                message: format!(
                    "the resume offset {start} is past the largest layer offset the API takes ({})",
                    i64::MAX
                ),
                request_id: None,
                code: None,
            });
        }

        let mut layer = LayerDigest::new();
        let mut chunk = Vec::new();
        let mut acked = start;
        let mut parts_sent = 0u32;
        let mut spare = Vec::new();
        let io_fail = |acked: u64, e: std::io::Error| PushError {
            stage: "reading the layer",
            upload_id: Some(upload_id.clone()),
            bytes_acknowledged: acked,
            message: e.to_string(),
            request_id: None,
            code: None,
        };
        let mut current = read_and_encode(
            &mut reader,
            &header,
            part_size,
            start,
            Vec::new(),
            &mut chunk,
            &mut layer,
        )
        .await
        .map_err(|e| io_fail(acked, e))?;
        while current.len > 0 {
            let next_first = current.first + current.len;
            let buf = std::mem::take(&mut spare);
            // Send this part while the next one is read and encoded.
            let (sent, next) = futures_util::future::join(
                self.send_part(client, &header, &current, &mut acked, &mut parts_sent),
                read_and_encode(
                    &mut reader,
                    &header,
                    part_size,
                    next_first,
                    buf,
                    &mut chunk,
                    &mut layer,
                ),
            )
            .await;
            sent?;
            let next = next.map_err(|e| io_fail(acked, e))?;
            spare = reclaim(std::mem::replace(&mut current, next).body.bytes);
        }
        drop(spare);
        let digest = match (&self.resume, &self.known_digest) {
            (Some(_), Some(d)) => d.clone(),
            _ => layer.finish(),
        };
        if let Some(known) = self.known_digest.as_ref().filter(|_| self.resume.is_none())
            && *known != digest
        {
            return Err(PushError {
                stage: "reading the layer",
                upload_id: Some(upload_id),
                bytes_acknowledged: acked,
                message: format!("the layer's digest is {digest}, not the expected {known}"),
                request_id: None,
                code: None,
            });
        }
        let completed = CompleteLayerUpload {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository_name.clone(),
            upload_id: upload_id.clone(),
            layer_digests: vec![digest.clone()],
        }
        .send(client)
        .await;
        match completed {
            Ok(_)
            | Err(Error::Service {
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
    /// service acknowledged, resending only the tail it lacks (decoded back
    /// from the part's own body, so the source is not read again).
    async fn send_part(
        &self,
        client: &Client,
        header: &PartHeader,
        part: &EncodedPart,
        acked: &mut u64,
        parts_sent: &mut u32,
    ) -> Result<(), PushError> {
        let end = part.first + part.len;
        let mut resends = 0;
        while *acked < end {
            let body = if *acked <= part.first {
                part.body.clone()
            } else {
                tail_body(header, part, *acked).map_err(|e| PushError {
                    stage: "UploadLayerPart",
                    upload_id: Some(header.upload_id.clone()),
                    bytes_acknowledged: *acked,
                    message: e.to_string(),
                    request_id: None,
                    code: None,
                })?
            };
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
                        Some(format!("the service holds {} of {end} bytes", *acked))
                    } else {
                        None
                    }
                }
                Err(Error::Service {
                    error: UploadLayerPartError::InvalidLayerPartException(e),
                    meta,
                }) => match e
                    .last_valid_byte_received
                    .and_then(|b| u64::try_from(b).ok())
                {
                    // The service already holds this part (a resend after a
                    // lost response).
                    Some(last) if last + 1 >= end => {
                        *acked = end;
                        None
                    }
                    // It holds a prefix: continue from the byte after.
                    Some(last) if last + 1 >= part.first => {
                        *acked = last + 1;
                        Some(format!(
                            "InvalidLayerPartException: resuming at byte {}",
                            last + 1
                        ))
                    }
                    _ => {
                        return Err(PushError {
                            stage: "UploadLayerPart",
                            upload_id: Some(header.upload_id.clone()),
                            bytes_acknowledged: *acked,
                            message: format!(
                                "InvalidLayerPartException with lastValidByteReceived {:?}: {}",
                                e.last_valid_byte_received,
                                e.message.unwrap_or_default()
                            ),
                            request_id: meta.request_id,
                            code: Some("InvalidLayerPartException".to_owned()),
                        });
                    }
                },
                Err(e) => {
                    if resends >= self.part_resends {
                        return Err(fail("UploadLayerPart", Some(&header.upload_id), *acked, &e));
                    }
                    Some(e.to_string())
                }
            };
            if let Some(reason) = failure {
                resends += 1;
                tracing::warn!(upload_id = %header.upload_id, from = *acked, %reason, "resending layer part");
                if resends > self.part_resends + 1 {
                    return Err(PushError {
                        stage: "UploadLayerPart",
                        upload_id: Some(header.upload_id.clone()),
                        bytes_acknowledged: *acked,
                        message: reason,
                        request_id: None,
                        code: None,
                    });
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_error_says_which_upload_to_resume() {
        let mut e = PushError {
            stage: "UploadLayerPart",
            upload_id: Some("u-1".into()),
            bytes_acknowledged: 42,
            message: "cut".into(),
            request_id: None,
            code: None,
        };
        assert_eq!(
            e.to_string(),
            "layer push failed during UploadLayerPart (upload u-1, 42 bytes acknowledged): cut"
        );
        e.upload_id = None;
        assert!(
            e.to_string().contains("(no upload started, 42 bytes"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_resume_offset_past_the_apis_long_is_refused_before_any_call() {
        // Nothing listens on the endpoint: the push must stop before a call.
        let client = Client::new(
            crate::Config::builder()
                .with_region("us-east-1")
                .with_endpoint_url("http://127.0.0.1:9")
                .with_credentials(crate::Credentials::new(
                    "AKID", "secret", None, None, "test",
                ))
                .build(),
        );
        let mut push = LayerPush::new("repo");
        push.known_digest = Some(format!("sha256:{}", "0".repeat(64)));
        push.resume = Some(("u-1".into(), 1 << 63));
        let err = push.push(&client, &b""[..]).await.unwrap_err();
        assert_eq!(err.stage, "resume");
        assert_eq!(err.upload_id.as_deref(), Some("u-1"));
        assert!(
            err.message
                .contains("resume offset 9223372036854775808 is past the largest layer offset"),
            "{err}"
        );
    }
}
