//! Image push: every blob of an OCI image layout or a `docker save` archive
//! (read by [`super::source`]) that the repository lacks, then the manifest
//! (and, for a multi-platform index, each platform manifest first), through
//! the ECR API (`BatchCheckLayerAvailability`, the layer upload, `PutImage`)
//! or the registry endpoint (`HEAD`, upload, `PUT` manifest; in
//! `to_registry`), as [`ImagePush::transport`] says.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;

use super::source::{ImagePlan, PlannedBlob, SourceError, open_blob};
use super::{ImageSource, LayerPush, Progress, PushError};
use crate::client::Client;
use crate::ecr::{BatchCheckLayerAvailability, LayerAvailability, PutImage, PutImageError};
use crate::error::{Error, ErrorKind};
use crate::oci::RawManifest;
use crate::registry::{
    self, RegistryClient, RegistryError, Resolved, Transport, UploadError, UploadMode, UploadState,
    UploadStateFn,
};

/// Progress of one blob of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProgress {
    /// The blob.
    pub digest: String,
    /// Bytes acknowledged (the API: part by part; the registry: as they
    /// go out; for [`BlobEvent::Present`], the size), and the blob's size.
    pub progress: Progress,
    /// What happened.
    pub event: BlobEvent,
}

/// What happened to a blob, in the order a push reports it: every
/// `Present` and `Queued` first (so a display knows the whole push's size
/// before any byte is sent), then per uploaded blob `Started`, a `Part` per
/// acknowledged part (through the registry: per chunk of bytes sent), and
/// `Finished`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobEvent {
    /// The repository already has the blob; nothing is sent.
    Present,
    /// The blob will be uploaded (`bytes_sent` is where a resumed upload
    /// starts, 0 otherwise).
    Queued,
    /// Its upload started, or resumed, under this id: through the API what
    /// [`ImagePush::resume`] takes to continue it after the push stopped;
    /// through the registry the upload's location.
    Started {
        /// The upload id (the API) or location (the registry).
        upload_id: String,
    },
    /// A part was acknowledged.
    Part,
    /// The upload completed: the repository has the blob.
    Finished,
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
    /// The layout or archive could not be read or is not valid, or the
    /// image to push is not chosen among several.
    #[error(transparent)]
    Source(#[from] SourceError),
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
        /// The class of the call's error; `None` for a failure of this
        /// process (a task that could not run).
        kind: Option<ErrorKind>,
        /// The service's error code (`RepositoryNotFoundException`), where
        /// it answered with one.
        code: Option<String>,
    },
}

/// Options of an image push.
#[derive(Clone)]
pub struct ImagePush {
    /// The repository.
    pub repository_name: String,
    /// The registry, if not the caller's.
    pub registry_id: Option<String>,
    /// Which image of a source that holds several to push: one of its
    /// names or its id, as [`ImageSource::images`] lists them. Without
    /// it, a source of several images is an error
    /// ([`SourceError::Ambiguous`]), never a silent pick.
    pub image: Option<String>,
    /// The tag; by default the one the chosen image's name carries (the
    /// layout's `org.opencontainers.image.ref.name`, the archive's
    /// `RepoTags`).
    pub tag: Option<String>,
    /// Blobs uploaded at once (default 3).
    pub concurrency: usize,
    /// Caps the part size below what the service asks for (the API).
    pub max_part_size: Option<usize>,
    /// Called for every [`BlobEvent`] of every blob.
    pub progress: Option<ImageProgressFn>,
    /// Uploads to continue instead of starting again, by blob digest: the
    /// upload id and the bytes the service acknowledged, as a stopped
    /// push reported them ([`BlobEvent::Started`] and the `Part`s after
    /// it, or a [`PushError`]). The API only; the registry's are
    /// [`ImagePush::resume_registry`].
    pub resume: HashMap<String, (String, u64)>,
    /// Registry uploads to continue instead of starting again, by blob
    /// digest: the state [`ImagePush::upload_state`] last reported (or an
    /// [`UploadError`]'s). Only its `location` and `offset` are read; the
    /// rest is the image's. A location on another host than the
    /// registry's is not followed (the credentials would go there): that
    /// blob starts over. An upload the registry no longer knows starts
    /// over too, with a warning. The registry only.
    pub resume_registry: HashMap<String, UploadState>,
    /// Called with each registry upload's state as it changes (its
    /// location, the offset the registry acknowledged, the blob's digest):
    /// what a journal records to resume it in another process. The
    /// registry only; through the API the `Started` and `Part` events say
    /// it.
    pub upload_state: Option<UploadStateFn>,
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
            .field("image", &self.image)
            .field("tag", &self.tag)
            .field("concurrency", &self.concurrency)
            .field("resume", &self.resume)
            .field("resume_registry", &self.resume_registry)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

pub(super) fn registry_err(stage: &'static str, e: RegistryError) -> ImagePushError {
    ImagePushError::Registry {
        stage,
        source: Box::new(e),
    }
}

/// One entry per distinct digest, in first-seen order.
pub(super) fn distinct(blobs: Vec<PlannedBlob>) -> Vec<PlannedBlob> {
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
            image: None,
            tag: None,
            concurrency: 3,
            max_part_size: None,
            progress: None,
            resume: HashMap::new(),
            resume_registry: HashMap::new(),
            upload_state: None,
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
        let plan = self.plan(source).await?;
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
        let plan = self.plan(source).await?;
        self.push_registry(registry, plan).await
    }

    /// Reads the chosen image's plan off the async threads.
    async fn plan(&self, source: &ImageSource) -> Result<ImagePlan, ImagePushError> {
        let (choice, tag) = (self.image.clone(), self.tag.clone());
        let source = source.clone();
        Ok(
            tokio::task::spawn_blocking(move || source.plan(choice.as_deref(), tag.as_deref()))
                .await
                .map_err(|e| local_err("planning", e))??,
        )
    }

    /// Sends `Present` or `Queued` for every blob, before any byte moves;
    /// `starts` is where resumed uploads start, by digest.
    pub(super) fn announce(
        &self,
        blobs: &[PlannedBlob],
        present: &HashSet<String>,
        starts: &HashMap<String, u64>,
    ) {
        let Some(progress) = &self.progress else {
            return;
        };
        for blob in blobs {
            let (event, sent) = if present.contains(&blob.digest) {
                (BlobEvent::Present, blob.size)
            } else {
                let resumed = starts.get(&blob.digest).copied().unwrap_or(0);
                (BlobEvent::Queued, resumed.min(blob.size))
            };
            progress(ImageProgress {
                digest: blob.digest.clone(),
                progress: Progress {
                    bytes_sent: sent,
                    bytes_total: Some(blob.size),
                },
                event,
            });
        }
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
        let starts = self
            .resume
            .iter()
            .map(|(digest, (_, acked))| (digest.clone(), *acked))
            .collect();
        self.announce(&blobs, &present, &starts);
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
                .map_err(|e| local_err("scheduling", e))?;
            let client = client.clone();
            let mut layer = LayerPush::new(self.repository_name.clone());
            layer.registry_id = self.registry_id.clone();
            layer.known_size = Some(blob.size);
            layer.max_part_size = self.max_part_size;
            let resume_at = match self.resume.get(&blob.digest) {
                Some((upload_id, acked)) => {
                    // Resuming skips the bytes the service holds, so the
                    // layer's digest is the manifest's (the service checks
                    // it when the upload completes).
                    layer.resume = Some((upload_id.clone(), *acked));
                    layer.known_digest = Some(blob.digest.clone());
                    *acked
                }
                None => 0,
            };
            let progress = self.progress.clone();
            if let Some(progress) = &progress {
                let (on_part, digest) = (progress.clone(), blob.digest.clone());
                layer.progress = Some(Arc::new(move |p| {
                    on_part(ImageProgress {
                        digest: digest.clone(),
                        progress: p,
                        event: BlobEvent::Part,
                    })
                }));
                let (on_start, digest, size) = (progress.clone(), blob.digest.clone(), blob.size);
                layer.upload_started = Some(Arc::new(move |upload_id: &str, from: u64| {
                    on_start(ImageProgress {
                        digest: digest.clone(),
                        progress: Progress {
                            bytes_sent: from,
                            bytes_total: Some(size),
                        },
                        event: BlobEvent::Started {
                            upload_id: upload_id.to_owned(),
                        },
                    })
                }));
            }
            tasks.spawn(async move {
                let _permit = permit;
                let blob_err = |source: PushError| ImagePushError::Blob {
                    digest: blob.digest.clone(),
                    source: Box::new(source),
                };
                let reader = open_blob(&blob, resume_at).await.map_err(|e| {
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
                if let Some(progress) = &progress {
                    progress(ImageProgress {
                        digest: blob.digest.clone(),
                        progress: Progress {
                            bytes_sent: blob.size,
                            bytes_total: Some(blob.size),
                        },
                        event: BlobEvent::Finished,
                    });
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| local_err("blob task", e))??;
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
        kind: None,
        code: None,
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
        kind: Some(e.kind()),
        code: e.service_code().map(str::to_owned),
    }
}

/// A failure of this process, not of a call.
pub(super) fn local_err(stage: &'static str, e: impl std::fmt::Display) -> ImagePushError {
    ImagePushError::Call {
        stage,
        message: e.to_string(),
        request_id: None,
        kind: None,
        code: None,
    }
}
