//! Image copy: from any OCI registry, ECR or an image on disk into ECR (or
//! any registry), between repositories, regions and accounts.
//!
//! Each blob streams from the source's `GET` straight into the
//! destination's upload, with no temporary copy on disk and memory bounded
//! by what is in flight (through the registry protocol, the socket
//! buffers; through the ECR API, two layer parts). Blobs the destination
//! has are skipped; within one registry (the same host: for ECR the same
//! account and region) a blob is mounted from the source repository when
//! the registry allows it, and uploaded otherwise. Manifests and indexes
//! keep their exact bytes, so every digest stays the same; an index's
//! manifests go before it.
//!
//! ```no_run
//! use ecrkit::Client;
//! use ecrkit::copy::{CopyDestination, CopySource, ImageCopy};
//! use ecrkit::registry::Transport;
//!
//! # async fn run(east: Client, west: Client) -> Result<(), Box<dyn std::error::Error>> {
//! // From one region's repository to another's.
//! let ecr = |client: Client, repository: &str| (client, repository.to_owned());
//! let (from, to) = (ecr(east, "my/app"), ecr(west, "my/app"));
//! let copied = ImageCopy::new(
//!     CopySource::Ecr { client: from.0, registry_id: None, repository: from.1, transport: Transport::Auto, registry: None },
//!     Some("1.0".into()),
//!     CopyDestination::Ecr { client: to.0, registry_id: None, repository: to.1, transport: Transport::Auto, registry: None },
//! )
//! .copy()
//! .await?;
//! println!("{}: {} blobs sent, {} there already", copied.digest, copied.blobs_copied, copied.blobs_present);
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::sync::Arc;

mod api;

use crate::client::Client;
use crate::oci::{RawManifest, Reference};
use crate::pull::{self, Origin, PullError};
use crate::push::{ImagePushError, ImageSource, Progress, PushError};
use crate::registry::{
    self, BlobOutcome, BlobSource, FileBlob, PushBlob, RegistryClient, RegistryError, Resolved,
    Transport, UploadError, UploadMode,
};

/// Where a copy reads the image.
#[derive(Debug, Clone)]
pub enum CopySource {
    /// A repository of an ECR registry, through the transport given (the
    /// registry client by default one for `registry_id`'s registry).
    Ecr {
        /// The ECR client.
        client: Client,
        /// The registry, if not the caller's.
        registry_id: Option<String>,
        /// The repository.
        repository: String,
        /// The API, the registry, or automatic.
        transport: Transport,
        /// The registry client, for the registry transport.
        registry: Option<RegistryClient>,
    },
    /// A repository of any registry.
    Registry {
        /// The registry.
        client: RegistryClient,
        /// The repository.
        repository: String,
    },
    /// An OCI image layout or a `docker save` archive on disk.
    Image(ImageSource),
}

/// Where a copy writes the image.
#[derive(Debug, Clone)]
pub enum CopyDestination {
    /// A repository of an ECR registry, through the transport given.
    Ecr {
        /// The ECR client (its region and credentials are the destination's).
        client: Client,
        /// The registry, if not the caller's.
        registry_id: Option<String>,
        /// The repository.
        repository: String,
        /// The API, the registry, or automatic.
        transport: Transport,
        /// The registry client, for the registry transport.
        registry: Option<RegistryClient>,
    },
    /// A repository of any registry.
    Registry {
        /// The registry.
        client: RegistryClient,
        /// The repository.
        repository: String,
    },
}

/// Progress of one blob of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyProgress {
    /// The blob.
    pub digest: String,
    /// Bytes sent to the destination.
    pub bytes_done: u64,
    /// The blob's size.
    pub bytes_total: u64,
}

/// A progress callback of a copy.
pub type CopyProgressFn = Arc<dyn Fn(CopyProgress) + Send + Sync>;

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedImage {
    /// The digest of the top manifest or index (the same at both ends).
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The tag written, if any.
    pub tag: Option<String>,
    /// The platform manifests of an index, by digest.
    pub platform_manifests: Vec<String>,
    /// Blobs whose bytes were sent.
    pub blobs_copied: usize,
    /// Blobs the destination had.
    pub blobs_present: usize,
    /// Blobs the destination mounted from the source repository.
    pub blobs_mounted: usize,
    /// Bytes of the blobs sent.
    pub bytes_copied: u64,
    /// The wires used at each end.
    pub transports: (Transport, Transport),
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Reading the source's manifests failed.
    #[error("reading the source: {0}")]
    Source(#[source] Box<PullError>),
    /// The image on disk could not be read.
    #[error(transparent)]
    Image(Box<ImagePushError>),
    /// A blob could not be copied through the registry protocol; the state
    /// says how far the destination got.
    #[error("blob {digest}: {source}")]
    RegistryBlob {
        /// The blob.
        digest: String,
        /// The upload error (with the upload to resume).
        #[source]
        source: Box<UploadError>,
    },
    /// A blob could not be copied through the ECR API.
    #[error("blob {digest}: {source}")]
    ApiBlob {
        /// The blob.
        digest: String,
        /// The layer push error (with the upload id and bytes acknowledged).
        #[source]
        source: Box<PushError>,
    },
    /// A blob's source failed.
    #[error("blob {digest}, {stage}: {source}")]
    Blob {
        /// The blob.
        digest: String,
        /// The step.
        stage: &'static str,
        /// What failed.
        #[source]
        source: Box<RegistryError>,
    },
    /// A registry call failed (the transport, a manifest).
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
    Api {
        /// The operation.
        stage: &'static str,
        /// The error (with the request id).
        message: String,
        /// The request id.
        request_id: Option<String>,
    },
}

impl CopyError {
    fn blob(digest: &str, stage: &'static str, e: RegistryError) -> Self {
        CopyError::Blob {
            digest: digest.to_owned(),
            stage,
            source: Box::new(e),
        }
    }

    fn registry(stage: &'static str, e: RegistryError) -> Self {
        CopyError::Registry {
            stage,
            source: Box::new(e),
        }
    }
}

impl From<PullError> for CopyError {
    fn from(e: PullError) -> Self {
        CopyError::Source(Box::new(e))
    }
}

/// Options of a copy.
#[derive(Clone)]
pub struct ImageCopy {
    /// The source.
    pub source: CopySource,
    /// The tag or digest at the source (an image on disk: which of its
    /// images, by name or id as [`ImageSource::images`] lists them; `None`
    /// takes its only image, and is an error for a source of several).
    pub reference: Option<String>,
    /// The destination.
    pub destination: CopyDestination,
    /// The tag to write; by default the source's tag (none when the source
    /// was named by digest: the image is then reachable by digest).
    pub tag: Option<String>,
    /// Blobs copied at once (default 3).
    pub concurrency: usize,
    /// Mount blobs within one registry when it allows (default `true`).
    pub mount: bool,
    /// How blobs travel through the registry protocol.
    pub upload_mode: UploadMode,
    /// Tries per blob before the copy stops (default 5; each continues
    /// the same upload where it can).
    pub attempts: u32,
    /// Called as the bytes of every blob go out.
    pub progress: Option<CopyProgressFn>,
}

impl std::fmt::Debug for ImageCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageCopy")
            .field("source", &self.source)
            .field("reference", &self.reference)
            .field("destination", &self.destination)
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

/// The source, read: its manifests and where each blob is.
struct Read {
    top: RawManifest,
    children: Vec<RawManifest>,
    blobs: Vec<(String, u64, Arc<dyn BlobSource>)>,
    tag: Option<String>,
    /// The registry host and repository, for mounting.
    registry: Option<(String, String)>,
    transport: Transport,
}

/// The destination, resolved.
enum Dest {
    Api {
        client: Client,
        registry_id: Option<String>,
        repository: String,
    },
    Registry {
        client: RegistryClient,
        repository: String,
    },
}

impl ImageCopy {
    /// A copy of `reference` (tag or digest; for an image on disk its
    /// image's name, or `None` for its only one) from `source` to
    /// `destination`.
    pub fn new(
        source: CopySource,
        reference: Option<String>,
        destination: CopyDestination,
    ) -> Self {
        Self {
            source,
            reference,
            destination,
            tag: None,
            concurrency: 3,
            mount: true,
            upload_mode: UploadMode::default(),
            attempts: 5,
            progress: None,
        }
    }

    /// Copies the image.
    pub async fn copy(&self) -> Result<CopiedImage, CopyError> {
        let read = self.read_source().await?;
        let dest = self.resolve_destination().await?;
        let tag = self.tag.clone().or_else(|| read.tag.clone());
        let mount_from = match (&dest, &read.registry) {
            (Dest::Registry { client, .. }, Some((host, repo)))
                if self.mount && client.host() == host =>
            {
                Some(repo.clone())
            }
            _ => None,
        };
        let counts = self.copy_blobs(&dest, read.blobs, mount_from).await?;
        for m in &read.children {
            self.put_manifest(&dest, m, &m.digest).await?;
        }
        let reference = tag.clone().unwrap_or_else(|| read.top.digest.clone());
        self.put_manifest(&dest, &read.top, &reference).await?;
        Ok(CopiedImage {
            digest: read.top.digest.clone(),
            media_type: read.top.media_type.clone(),
            tag,
            platform_manifests: read.children.iter().map(|m| m.digest.clone()).collect(),
            blobs_copied: counts.copied,
            blobs_present: counts.present,
            blobs_mounted: counts.mounted,
            bytes_copied: counts.bytes,
            transports: (
                read.transport,
                match dest {
                    Dest::Api { .. } => Transport::Api,
                    Dest::Registry { .. } => Transport::Registry,
                },
            ),
        })
    }

    async fn read_source(&self) -> Result<Read, CopyError> {
        let origin = match &self.source {
            CopySource::Image(image) => return self.read_image(image).await,
            CopySource::Registry { client, repository } => Origin::Registry {
                client: client.clone(),
                repository: repository.clone(),
            },
            CopySource::Ecr {
                client,
                registry_id,
                repository,
                transport,
                registry,
            } => match registry::resolve(
                client,
                *transport,
                registry.as_ref(),
                registry_id.as_deref(),
            )
            .await
            .map_err(|e| CopyError::registry("choosing the source's transport", e))?
            {
                Resolved::Api => Origin::Api {
                    client: client.clone(),
                    registry_id: registry_id.clone(),
                    repository: repository.clone(),
                    http: pull::download_client(client),
                },
                Resolved::Registry(r) => Origin::Registry {
                    client: r,
                    repository: repository.clone(),
                },
            },
        };
        let reference = self
            .reference
            .clone()
            .unwrap_or_else(|| "latest".to_owned());
        let parsed = Reference::parse(&reference).ok_or_else(|| {
            CopyError::Source(Box::new(PullError::NotFound {
                reference: reference.clone(),
                reason: "neither a tag nor a sha256 digest".into(),
            }))
        })?;
        let top = origin.manifest(&reference).await?;
        let children = pull::children(&origin, &top).await?;
        let mut all = children.clone();
        all.push(top.clone());
        let blobs = pull::blobs_of(&all)?
            .into_iter()
            .map(|(digest, size)| {
                let source = origin.blob(&digest);
                (digest, size, source)
            })
            .collect();
        let (registry, transport) = match &origin {
            Origin::Registry { client, repository } => (
                Some((client.host().to_owned(), repository.clone())),
                Transport::Registry,
            ),
            Origin::Api { .. } => (None, Transport::Api),
        };
        Ok(Read {
            top,
            children,
            blobs,
            tag: parsed.tag().map(str::to_owned),
            registry,
            transport,
        })
    }

    async fn read_image(&self, image: &ImageSource) -> Result<Read, CopyError> {
        let image = image.clone();
        let reference = self.reference.clone();
        let plan = tokio::task::spawn_blocking(move || image.plan(reference.as_deref(), None))
            .await
            .map_err(|e| {
                CopyError::registry(
                    "reading the image",
                    RegistryError::protocol("planning", e.to_string()),
                )
            })?
            .map_err(|e| CopyError::Image(Box::new(e.into())))?;
        let mut seen = HashSet::new();
        let blobs = plan
            .blobs
            .into_iter()
            .filter(|b| seen.insert(b.digest.clone()))
            .map(|b| {
                let source: Arc<dyn BlobSource> = Arc::new(FileBlob {
                    path: b.location.path,
                    start: b.location.offset,
                    len: b.size,
                });
                (b.digest, b.size, source)
            })
            .collect();
        Ok(Read {
            top: plan.top,
            children: plan.platform_manifests,
            blobs,
            tag: plan.tag,
            registry: None,
            transport: Transport::Registry,
        })
    }

    async fn resolve_destination(&self) -> Result<Dest, CopyError> {
        Ok(match &self.destination {
            CopyDestination::Registry { client, repository } => Dest::Registry {
                client: client.clone(),
                repository: repository.clone(),
            },
            CopyDestination::Ecr {
                client,
                registry_id,
                repository,
                transport,
                registry,
            } => match registry::resolve(
                client,
                *transport,
                registry.as_ref(),
                registry_id.as_deref(),
            )
            .await
            .map_err(|e| CopyError::registry("choosing the destination's transport", e))?
            {
                Resolved::Api => Dest::Api {
                    client: client.clone(),
                    registry_id: registry_id.clone(),
                    repository: repository.clone(),
                },
                Resolved::Registry(r) => Dest::Registry {
                    client: r,
                    repository: repository.clone(),
                },
            },
        })
    }

    async fn copy_blobs(
        &self,
        dest: &Dest,
        blobs: Vec<(String, u64, Arc<dyn BlobSource>)>,
        mount_from: Option<String>,
    ) -> Result<Counts, CopyError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (digest, size, source) in blobs {
            let permit = limit.clone().acquire_owned().await.map_err(|e| {
                CopyError::registry(
                    "scheduling",
                    RegistryError::protocol("scheduling", e.to_string()),
                )
            })?;
            let progress = self.progress.clone();
            let attempts = self.attempts;
            let task: BlobTask = match dest {
                Dest::Registry { client, repository } => {
                    let mut push = PushBlob::new(repository.clone(), Some(digest.clone()), size);
                    push.mode = self.upload_mode;
                    push.mount_from = mount_from.clone();
                    push.attempts = attempts;
                    if let Some(progress) = progress {
                        let digest = digest.clone();
                        push.progress = Some(Arc::new(move |done, total| {
                            progress(CopyProgress {
                                digest: digest.clone(),
                                bytes_done: done,
                                bytes_total: total,
                            })
                        }));
                    }
                    BlobTask::Registry(client.clone(), push)
                }
                Dest::Api {
                    client,
                    registry_id,
                    repository,
                } => BlobTask::Api {
                    client: client.clone(),
                    registry_id: registry_id.clone(),
                    repository: repository.clone(),
                    progress: progress.map(|p| {
                        let digest = digest.clone();
                        Arc::new(move |done: Progress| {
                            p(CopyProgress {
                                digest: digest.clone(),
                                bytes_done: done.bytes_sent,
                                bytes_total: done.bytes_total.unwrap_or(size),
                            })
                        }) as crate::push::ProgressFn
                    }),
                },
            };
            tasks.spawn(async move {
                let _permit = permit;
                task.run(&digest, size, source.as_ref(), attempts).await
            });
        }
        let mut counts = Counts::default();
        while let Some(done) = tasks.join_next().await {
            let (outcome, size) = done.map_err(|e| {
                CopyError::registry(
                    "blob task",
                    RegistryError::protocol("blob task", e.to_string()),
                )
            })??;
            match outcome {
                BlobOutcome::Uploaded => {
                    counts.copied += 1;
                    counts.bytes += size;
                }
                BlobOutcome::Mounted => counts.mounted += 1,
                BlobOutcome::AlreadyPresent => counts.present += 1,
            }
        }
        Ok(counts)
    }

    async fn put_manifest(
        &self,
        dest: &Dest,
        manifest: &RawManifest,
        reference: &str,
    ) -> Result<(), CopyError> {
        match dest {
            Dest::Registry { client, repository } => client
                .put_manifest(repository, reference, manifest)
                .await
                .map(|_| ())
                .map_err(|e| CopyError::registry("PUT manifest", e)),
            Dest::Api {
                client,
                registry_id,
                repository,
            } => {
                let tag = (reference != manifest.digest).then_some(reference);
                crate::push::put_image_api(
                    client,
                    registry_id.as_deref(),
                    repository,
                    manifest,
                    tag,
                )
                .await
                .map_err(|e| CopyError::Image(Box::new(e)))
            }
        }
    }
}

#[derive(Default)]
struct Counts {
    copied: usize,
    present: usize,
    mounted: usize,
    bytes: u64,
}

/// One blob's copy, ready to run on a task.
enum BlobTask {
    Registry(RegistryClient, PushBlob),
    Api {
        client: Client,
        registry_id: Option<String>,
        repository: String,
        progress: Option<crate::push::ProgressFn>,
    },
}

impl BlobTask {
    async fn run(
        self,
        digest: &str,
        size: u64,
        source: &dyn BlobSource,
        attempts: u32,
    ) -> Result<(BlobOutcome, u64), CopyError> {
        match self {
            BlobTask::Registry(client, push) => {
                let uploaded =
                    push.push(&client, source)
                        .await
                        .map_err(|e| CopyError::RegistryBlob {
                            digest: digest.to_owned(),
                            source: Box::new(e),
                        })?;
                Ok((uploaded.outcome, size))
            }
            BlobTask::Api {
                client,
                registry_id,
                repository,
                progress,
            } => {
                let was_there = api::upload(
                    &client,
                    registry_id.as_deref(),
                    &repository,
                    digest,
                    size,
                    source,
                    attempts,
                    progress,
                )
                .await?;
                let outcome = if was_there {
                    BlobOutcome::AlreadyPresent
                } else {
                    BlobOutcome::Uploaded
                };
                Ok((outcome, size))
            }
        }
    }
}
