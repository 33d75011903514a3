//! Image push: every blob of an OCI image layout or a `docker save` archive
//! that the repository lacks, then the manifest (and, for a multi-platform
//! index, each platform manifest first), through the ECR API
//! (`BatchCheckLayerAvailability`, the layer upload, `PutImage`) or the
//! registry endpoint (`HEAD`, upload, `PUT` manifest), as
//! [`ImagePush::transport`] says. The sources are read in `source`.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::source::{ImagePlan, PlannedBlob, SourceError};
use super::{ImageSource, LayerPush, Progress, PushError};
use crate::client::Client;
use crate::ecr::{BatchCheckLayerAvailability, LayerAvailability, PutImage, PutImageError};
use crate::error::Error;
use crate::oci::RawManifest;
use crate::registry::{
    self, BlobOutcome, FileBlob, PushBlob, RegistryClient, RegistryError, Resolved, Transport,
    UploadError, UploadMode,
};

/// Progress of one blob of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProgress {
    /// The blob.
    pub digest: String,
    /// Bytes sent (the API: acknowledged part by part; the registry: as
    /// they go out), and the blob's size.
    pub progress: Progress,
}

/// A progress callback of an image transfer.
pub type ImageProgressFn = Arc<dyn Fn(ImageProgress) + Send + Sync>;

/// What was pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// The digest of the top manifest (or index).
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The tag, if one was pushed.
    pub tag: Option<String>,
    /// The manifest bytes sent.
    pub manifest: Bytes,
    /// Blobs uploaded.
    pub blobs_pushed: usize,
    /// Blobs the repository already had.
    pub blobs_present: usize,
    /// Platform manifests pushed before the index, by digest.
    pub platform_manifests: Vec<String>,
    /// The wire used: [`Transport::Api`] or [`Transport::Registry`].
    pub transport: Transport,
}

/// Why an image push failed.
#[derive(Debug, thiserror::Error)]
pub enum ImagePushError {
    /// The layout or archive could not be read or is not valid.
    #[error("invalid image source {path}: {message}")]
    Source {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A blob could not be pushed through the API; carries what is needed
    /// to resume it.
    #[error("blob {digest}: {source}")]
    Blob {
        /// The blob.
        digest: String,
        /// The layer push error.
        #[source]
        source: Box<PushError>,
    },
    /// A blob could not be pushed through the registry; carries the upload
    /// state to resume it.
    #[error("blob {digest}: {source}")]
    RegistryBlob {
        /// The blob.
        digest: String,
        /// The upload error.
        #[source]
        source: Box<UploadError>,
    },
    /// A registry call failed (authorization, a manifest).
    #[error("{stage}: {source}")]
    Registry {
        /// The step.
        stage: &'static str,
        /// The error.
        #[source]
        source: Box<RegistryError>,
    },
    /// An ECR API call failed.
    #[error("{stage}: {message}")]
    Call {
        /// The operation.
        stage: &'static str,
        /// The error text (with the request id).
        message: String,
        /// The request id.
        request_id: Option<String>,
    },
}

impl From<SourceError> for ImagePushError {
    fn from(e: SourceError) -> Self {
        ImagePushError::Source {
            path: e.path,
            message: e.message,
        }
    }
}

/// Options of an image push.
#[derive(Clone)]
pub struct ImagePush {
    /// The repository.
    pub repository_name: String,
    /// The registry, if not the caller's.
    pub registry_id: Option<String>,
    /// The tag; by default the layout's `org.opencontainers.image.ref.name`
    /// or the archive's first `RepoTags` entry.
    pub tag: Option<String>,
    /// Blobs uploaded at once (default 3).
    pub concurrency: usize,
    /// Caps the part size below what the service asks for (the API).
    pub max_part_size: Option<usize>,
    /// Called as the bytes of every blob go out.
    pub progress: Option<ImageProgressFn>,
    /// The API, the registry, or the registry when it answers (default:
    /// [`Transport::Auto`]).
    pub transport: Transport,
    /// The registry client for the registry transport; by default one for
    /// the ECR registry of `registry_id`, from `GetAuthorizationToken`.
    pub registry: Option<RegistryClient>,
    /// How blobs travel through the registry (default: one streaming `PATCH`).
    pub upload_mode: UploadMode,
}

impl std::fmt::Debug for ImagePush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagePush")
            .field("repository_name", &self.repository_name)
            .field("tag", &self.tag)
            .field("concurrency", &self.concurrency)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

async fn open_blob(
    blob: &PlannedBlob,
) -> std::io::Result<Box<dyn tokio::io::AsyncRead + Unpin + Send>> {
    let mut file = tokio::fs::File::open(&blob.location.path).await?;
    if blob.location.offset > 0 {
        file.seek(std::io::SeekFrom::Start(blob.location.offset))
            .await?;
    }
    Ok(Box::new(file.take(blob.size)))
}

fn registry_err(stage: &'static str, e: RegistryError) -> ImagePushError {
    ImagePushError::Registry {
        stage,
        source: Box::new(e),
    }
}

fn task_err(stage: &'static str, e: impl std::fmt::Display) -> ImagePushError {
    ImagePushError::Call {
        stage,
        message: e.to_string(),
        request_id: None,
    }
}

/// One entry per distinct digest, in first-seen order.
fn distinct(blobs: Vec<PlannedBlob>) -> Vec<PlannedBlob> {
    let mut seen = HashSet::new();
    blobs
        .into_iter()
        .filter(|b| seen.insert(b.digest.clone()))
        .collect()
}

impl ImagePush {
    /// Options for `repository_name`.
    pub fn new(repository_name: impl Into<String>) -> Self {
        Self {
            repository_name: repository_name.into(),
            registry_id: None,
            tag: None,
            concurrency: 3,
            max_part_size: None,
            progress: None,
            transport: Transport::Auto,
            registry: None,
            upload_mode: UploadMode::default(),
        }
    }

    /// Pushes every blob the repository lacks, then the manifest(s).
    pub async fn push(
        &self,
        client: &Client,
        source: &ImageSource,
    ) -> Result<PushedImage, ImagePushError> {
        let tag = self.tag.clone();
        let source = source.clone();
        let plan = tokio::task::spawn_blocking(move || source.plan(tag.as_deref()))
            .await
            .map_err(|e| task_err("planning", e))??;
        let resolved = registry::resolve(
            client,
            self.transport,
            self.registry.as_ref(),
            self.registry_id.as_deref(),
        )
        .await
        .map_err(|e| registry_err("choosing the transport", e))?;
        match resolved {
            Resolved::Api => self.push_api(client, plan).await,
            Resolved::Registry(registry) => self.push_registry(&registry, plan).await,
        }
    }

    /// Pushes an image to any registry through the distribution protocol
    /// (no ECR client needed: `transport` and `registry` are not read).
    pub async fn push_to_registry(
        &self,
        registry: &RegistryClient,
        source: &ImageSource,
    ) -> Result<PushedImage, ImagePushError> {
        let tag = self.tag.clone();
        let source = source.clone();
        let plan = tokio::task::spawn_blocking(move || source.plan(tag.as_deref()))
            .await
            .map_err(|e| task_err("planning", e))??;
        self.push_registry(registry, plan).await
    }

    async fn push_api(
        &self,
        client: &Client,
        plan: ImagePlan,
    ) -> Result<PushedImage, ImagePushError> {
        let blobs = distinct(plan.blobs);
        let present = self.present(client, &blobs).await?;
        let missing: Vec<PlannedBlob> = blobs
            .iter()
            .filter(|b| !present.contains(&b.digest))
            .cloned()
            .collect();
        let blobs_present = blobs.len() - missing.len();
        let blobs_pushed = missing.len();
        self.push_blobs_api(client, missing).await?;
        let mut platform_manifests = Vec::new();
        for m in &plan.platform_manifests {
            self.put(client, m, None).await?;
            platform_manifests.push(m.digest.clone());
        }
        self.put(client, &plan.top, plan.tag.as_deref()).await?;
        Ok(PushedImage {
            digest: plan.top.digest.clone(),
            media_type: plan.top.media_type.clone(),
            tag: plan.tag,
            manifest: plan.top.bytes,
            blobs_pushed,
            blobs_present,
            platform_manifests,
            transport: Transport::Api,
        })
    }

    async fn push_registry(
        &self,
        registry: &RegistryClient,
        plan: ImagePlan,
    ) -> Result<PushedImage, ImagePushError> {
        let blobs = distinct(plan.blobs);
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for blob in blobs {
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| task_err("scheduling", e))?;
            let registry = registry.clone();
            let mut upload = PushBlob::new(
                self.repository_name.clone(),
                Some(blob.digest.clone()),
                blob.size,
            );
            upload.mode = self.upload_mode;
            if let Some(progress) = &self.progress {
                let (progress, digest) = (progress.clone(), blob.digest.clone());
                upload.progress = Some(Arc::new(move |sent, total| {
                    progress(ImageProgress {
                        digest: digest.clone(),
                        progress: Progress {
                            bytes_sent: sent,
                            bytes_total: Some(total),
                        },
                    })
                }));
            }
            tasks.spawn(async move {
                let _permit = permit;
                let source = FileBlob {
                    path: blob.location.path.clone(),
                    start: blob.location.offset,
                    len: blob.size,
                };
                upload
                    .push(&registry, &source)
                    .await
                    .map_err(|e| ImagePushError::RegistryBlob {
                        digest: blob.digest.clone(),
                        source: Box::new(e),
                    })
            });
        }
        let (mut blobs_pushed, mut blobs_present) = (0, 0);
        while let Some(done) = tasks.join_next().await {
            match done.map_err(|e| task_err("blob task", e))?? {
                uploaded if uploaded.outcome == BlobOutcome::AlreadyPresent => blobs_present += 1,
                _ => blobs_pushed += 1,
            }
        }
        let mut platform_manifests = Vec::new();
        for m in &plan.platform_manifests {
            registry
                .put_manifest(&self.repository_name, &m.digest, m)
                .await
                .map_err(|e| registry_err("PUT manifest", e))?;
            platform_manifests.push(m.digest.clone());
        }
        let reference = plan.tag.clone().unwrap_or_else(|| plan.top.digest.clone());
        registry
            .put_manifest(&self.repository_name, &reference, &plan.top)
            .await
            .map_err(|e| registry_err("PUT manifest", e))?;
        Ok(PushedImage {
            digest: plan.top.digest.clone(),
            media_type: plan.top.media_type.clone(),
            tag: plan.tag,
            manifest: plan.top.bytes,
            blobs_pushed,
            blobs_present,
            platform_manifests,
            transport: Transport::Registry,
        })
    }

    async fn present(
        &self,
        client: &Client,
        blobs: &[PlannedBlob],
    ) -> Result<HashSet<String>, ImagePushError> {
        let mut present = HashSet::new();
        for batch in blobs.chunks(100) {
            let out = BatchCheckLayerAvailability {
                registry_id: self.registry_id.clone(),
                repository_name: self.repository_name.clone(),
                layer_digests: batch.iter().map(|b| b.digest.clone()).collect(),
            }
            .send(client)
            .await
            .map_err(|e| call_err("BatchCheckLayerAvailability", &e))?;
            for layer in out.layers.unwrap_or_default() {
                if layer.layer_availability == Some(LayerAvailability::Available)
                    && let Some(d) = layer.layer_digest
                {
                    present.insert(d);
                }
            }
        }
        Ok(present)
    }

    async fn push_blobs_api(
        &self,
        client: &Client,
        blobs: Vec<PlannedBlob>,
    ) -> Result<(), ImagePushError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for blob in blobs {
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| task_err("scheduling", e))?;
            let client = client.clone();
            let mut layer = LayerPush::new(self.repository_name.clone());
            layer.registry_id = self.registry_id.clone();
            layer.known_size = Some(blob.size);
            layer.max_part_size = self.max_part_size;
            if let Some(progress) = &self.progress {
                let (progress, digest) = (progress.clone(), blob.digest.clone());
                layer.progress = Some(Arc::new(move |p| {
                    progress(ImageProgress {
                        digest: digest.clone(),
                        progress: p,
                    })
                }));
            }
            tasks.spawn(async move {
                let _permit = permit;
                let blob_err = |source: PushError| ImagePushError::Blob {
                    digest: blob.digest.clone(),
                    source: Box::new(source),
                };
                let reader = open_blob(&blob).await.map_err(|e| {
                    blob_err(PushError {
                        stage: "reading the layer",
                        upload_id: None,
                        bytes_acknowledged: 0,
                        message: e.to_string(),
                        request_id: None,
                        code: None,
                    })
                })?;
                let pushed = layer.push(&client, reader).await.map_err(blob_err)?;
                if pushed.digest != blob.digest || pushed.size != blob.size {
                    return Err(blob_err(PushError {
                        stage: "CompleteLayerUpload",
                        upload_id: None,
                        bytes_acknowledged: pushed.size,
                        message: format!(
                            "the blob's bytes hash to {} ({} bytes), not the {} ({} bytes) its manifest names",
                            pushed.digest, pushed.size, blob.digest, blob.size
                        ),
                        request_id: None,
                        code: None,
                    }));
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| task_err("blob task", e))??;
        }
        Ok(())
    }

    async fn put(
        &self,
        client: &Client,
        manifest: &RawManifest,
        tag: Option<&str>,
    ) -> Result<(), ImagePushError> {
        put_image_api(
            client,
            self.registry_id.as_deref(),
            &self.repository_name,
            manifest,
            tag,
        )
        .await
    }
}

/// `PutImage` of a manifest's exact bytes; "already there" is success.
pub(crate) async fn put_image_api(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
    manifest: &RawManifest,
    tag: Option<&str>,
) -> Result<(), ImagePushError> {
    let text = std::str::from_utf8(&manifest.bytes).map_err(|_| ImagePushError::Call {
        stage: "PutImage",
        message: "the manifest is not UTF-8".into(),
        request_id: None,
    })?;
    let put = PutImage {
        registry_id: registry_id.map(str::to_owned),
        repository_name: repository.to_owned(),
        image_manifest: text.to_owned(),
        image_manifest_media_type: Some(manifest.media_type.clone()),
        image_tag: tag.map(str::to_owned),
        image_digest: Some(manifest.digest.clone()),
    };
    match put.send(client).await {
        // The same manifest under the same tag is already there.
        Ok(_)
        | Err(Error::Service {
            error: PutImageError::ImageAlreadyExistsException(_),
            ..
        }) => Ok(()),
        Err(e) => Err(call_err("PutImage", &e)),
    }
}

fn call_err<E: std::fmt::Display>(stage: &'static str, e: &Error<E>) -> ImagePushError {
    ImagePushError::Call {
        stage,
        message: e.to_string(),
        request_id: e.request_id().map(str::to_owned),
    }
}
