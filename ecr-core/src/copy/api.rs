//! A blob into ECR through its API, streamed from its source: the layer
//! upload reads the source's stream as it goes, and a push that stops is
//! resumed within the same upload from the bytes ECR acknowledged, the
//! source opened again at that offset.

use futures_util::TryStreamExt;

use super::CopyError;
use crate::client::Client;
use crate::push::{LayerPush, ProgressFn};
use crate::registry::{BlobSource, RegistryError};

/// Streams one blob from `source` into the repository with the layer
/// upload (skipped when `BatchCheckLayerAvailability` finds it); up to
/// `attempts` tries, each continuing the same upload. Whether the blob was
/// there already comes back.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upload(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
    digest: &str,
    size: u64,
    source: &dyn BlobSource,
    attempts: u32,
    progress: Option<ProgressFn>,
) -> Result<bool, CopyError> {
    let mut push = LayerPush::new(repository);
    push.registry_id = registry_id.map(str::to_owned);
    push.known_digest = Some(digest.to_owned());
    push.known_size = Some(size);
    push.progress = progress;
    let mut tries = 0;
    loop {
        tries += 1;
        let offset = push.resume.as_ref().map_or(0, |(_, acked)| *acked);
        let stream = source
            .open(offset)
            .await
            .map_err(|e| CopyError::blob(digest, "reading the source", e))?;
        let reader = tokio_util::io::StreamReader::new(stream.map_err(std::io::Error::other));
        match push.push(client, reader).await {
            Ok(pushed) => {
                if pushed.size != size && !pushed.already_present {
                    return Err(CopyError::blob(
                        digest,
                        "CompleteLayerUpload",
                        RegistryError::protocol(
                            "CompleteLayerUpload",
                            format!("{} bytes sent, the descriptor says {size}", pushed.size),
                        ),
                    ));
                }
                return Ok(pushed.already_present);
            }
            Err(e) => {
                let resumable = e.upload_id.is_some()
                    && matches!(e.stage, "UploadLayerPart" | "reading the layer");
                if !resumable || tries >= attempts.max(1) {
                    return Err(CopyError::ApiBlob {
                        digest: digest.to_owned(),
                        source: Box::new(e),
                    });
                }
                tracing::debug!(digest, acked = e.bytes_acknowledged, error = %e, "resuming the layer upload");
                push.resume = e.upload_id.clone().map(|id| (id, e.bytes_acknowledged));
                tokio::time::sleep(crate::registry::backoff(tries)).await;
            }
        }
    }
}
