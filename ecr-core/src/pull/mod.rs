//! Image pull into an OCI image layout, through the ECR API or the registry
//! protocol.
//!
//! - **The ECR API**: `BatchGetImage` with the accepted media types (OCI
//!   manifests and indexes, Docker schema 2 manifests and lists), then for
//!   every blob `GetDownloadUrlForLayer` and a `GET` of the pre-signed URL
//!   it returns (no credentials go with it; a URL that expired is asked for
//!   again).
//! - **The registry**: `GET /v2/<name>/manifests/<ref>` and
//!   `GET /v2/<name>/blobs/<digest>`, following ECR's redirect to storage
//!   without the registry's credentials.
//!
//! Either way, several blobs download at once (`concurrency`), each
//! streamed to disk and hashed on the way, with memory bounded per blob;
//! an interrupted download continues with `Range` from the bytes on disk
//! (also in a later pull of the same layout); and a file appears under
//! its digest's name only once its digest checked. Manifests and indexes
//! are written byte for byte after their blobs, and the top one is added
//! to `index.json` under its tag: a multi-platform index is kept whole,
//! with every platform's manifest and blobs.
//!
//! ```no_run
//! use ecrkit::Client;
//! use ecrkit::pull::ImagePull;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env().await?;
//! let pulled = ImagePull::new("my/app", "1.0").pull(&client, "./layout".as_ref()).await?;
//! println!("{} ({} blobs, {} bytes)", pulled.digest, pulled.blobs_fetched, pulled.bytes_fetched);
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

mod download;
mod fetch;
mod layout;
mod writer;

pub use fetch::Origin;

use crate::client::Client;
use crate::oci::{ManifestDoc, RawManifest, Reference};
use crate::registry::{self, RegistryClient, RegistryError, Resolved, Transport};
use download::Fetched;
pub(crate) use fetch::download_client;
use layout::Layout;

/// Progress of one blob of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullProgress {
    /// The blob.
    pub digest: String,
    /// Bytes on disk.
    pub bytes_done: u64,
    /// The blob's size.
    pub bytes_total: u64,
}

/// A progress callback of a pull.
pub type PullProgressFn = Arc<dyn Fn(PullProgress) + Send + Sync>;

/// What was pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledImage {
    /// The digest of the top manifest or index.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its bytes, as the registry sent them.
    pub manifest: Bytes,
    /// The platform manifests of an index, by digest.
    pub platform_manifests: Vec<String>,
    /// Blobs downloaded.
    pub blobs_fetched: usize,
    /// Blobs the layout already had (verified).
    pub blobs_present: usize,
    /// Bytes that came over the network for blobs.
    pub bytes_fetched: u64,
    /// The wire used.
    pub transport: Transport,
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The image is not there.
    #[error("image {reference} not found: {reason}")]
    NotFound {
        /// The tag or digest asked for.
        reference: String,
        /// What the service said.
        reason: String,
    },
    /// The index has no manifest for the platform asked for.
    #[error("the index has no manifest for {platform}; it has {}", if available.is_empty() { "none with a platform".to_owned() } else { available.join(", ") })]
    NoSuchPlatform {
        /// The platform asked for.
        platform: String,
        /// The index's platforms (`os/architecture[/variant]`).
        available: Vec<String>,
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
        /// The class of the call's error.
        kind: crate::error::ErrorKind,
        /// The service's error code (`RepositoryNotFoundException`), where
        /// it answered with one.
        code: Option<String>,
    },
    /// A registry call failed, or content did not match its digest.
    #[error("{stage}: {source}")]
    Registry {
        /// The step.
        stage: &'static str,
        /// The error.
        #[source]
        source: Box<RegistryError>,
    },
    /// A blob's download stopped; the bytes on disk are kept and the next
    /// pull of the same layout continues from them.
    #[error("blob {digest} ({bytes_on_disk} bytes kept for a resume): {source}")]
    Blob {
        /// The blob.
        digest: String,
        /// Bytes of it in the partial file.
        bytes_on_disk: u64,
        /// What failed.
        #[source]
        source: Box<RegistryError>,
    },
    /// The layout could not be read or written.
    #[error("layout {path}: {message}")]
    Layout {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A manifest is not what the protocol allows.
    #[error("manifest {digest}: {message}")]
    Manifest {
        /// The manifest.
        digest: String,
        /// What is wrong.
        message: String,
    },
}

impl PullError {
    pub(crate) fn registry(stage: &'static str, e: RegistryError) -> Self {
        PullError::Registry {
            stage,
            source: Box::new(e),
        }
    }
}

/// Options of an image pull.
#[derive(Clone)]
pub struct ImagePull {
    /// The repository.
    pub repository_name: String,
    /// The registry, if not the caller's (the API; ignored by an explicit
    /// registry client).
    pub registry_id: Option<String>,
    /// The tag or digest.
    pub reference: String,
    /// The API, the registry, or the registry when it answers (default).
    pub transport: Transport,
    /// The registry client for the registry transport; by default one for
    /// the ECR registry of `registry_id`.
    pub registry: Option<RegistryClient>,
    /// Blobs downloaded at once (default 3, as docker's
    /// `max-concurrent-downloads`; on one busy core, more only compete).
    pub concurrency: usize,
    /// Requests per blob before a download gives up (default 5; each
    /// continues from the bytes on disk).
    pub attempts: u32,
    /// The name in `index.json` (`org.opencontainers.image.ref.name`); by
    /// default the tag pulled (none for a pull by digest).
    pub ref_name: Option<String>,
    /// Called as blob bytes reach the disk.
    pub progress: Option<PullProgressFn>,
    /// Of an index, pull only the manifest of this platform
    /// (`os/architecture[/variant]`, `linux/arm64/v8`), which becomes the
    /// image in the layout; `None` keeps the index whole. A manifest (not
    /// an index) is pulled whatever this says.
    pub platform: Option<String>,
}

impl std::fmt::Debug for ImagePull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagePull")
            .field("repository_name", &self.repository_name)
            .field("reference", &self.reference)
            .field("transport", &self.transport)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// An index entry may itself be an index; this is as deep as a pull goes.
const MAX_INDEX_DEPTH: usize = 4;

/// Every manifest under `top`: for an index, its entries (and theirs),
/// each checked against its descriptor's size.
pub(crate) async fn children(
    origin: &Origin,
    top: &RawManifest,
) -> Result<Vec<RawManifest>, PullError> {
    let mut found = Vec::new();
    let mut level = vec![top.clone()];
    for _ in 0..MAX_INDEX_DEPTH {
        let mut next = Vec::new();
        for manifest in level.iter().filter(|m| m.is_index()) {
            let doc = parse(manifest)?;
            for entry in doc.manifests {
                let child = origin.manifest(&entry.digest).await?;
                if child.bytes.len() as u64 != entry.size {
                    return Err(PullError::Manifest {
                        digest: entry.digest.clone(),
                        message: format!(
                            "{} bytes, but the index says {}",
                            child.bytes.len(),
                            entry.size
                        ),
                    });
                }
                next.push(child);
            }
        }
        if next.is_empty() {
            return Ok(found);
        }
        found.extend(next.iter().cloned());
        level = next;
    }
    Err(PullError::Manifest {
        digest: top.digest.clone(),
        message: format!("indexes nested deeper than {MAX_INDEX_DEPTH}"),
    })
}

/// Whether an index entry's platform is `wanted` (`os/arch[/variant]`; a
/// wanted platform without a variant takes any variant).
fn platform_matches(platform: &crate::oci::Platform, wanted: &str) -> bool {
    let mut parts = wanted.split('/');
    let (os, arch, variant) = (parts.next(), parts.next(), parts.next());
    os == Some(platform.os.as_str())
        && arch == Some(platform.architecture.as_str())
        && variant.is_none_or(|v| platform.variant.as_deref() == Some(v))
}

/// The digest of the manifest of `index` for `platform`; an error that
/// lists the index's platforms when none is.
fn platform_entry(index: &RawManifest, platform: &str) -> Result<String, PullError> {
    let doc = parse(index)?;
    if let Some(entry) = doc.manifests.iter().find(|e| {
        e.platform
            .as_ref()
            .is_some_and(|p| platform_matches(p, platform))
    }) {
        return Ok(entry.digest.clone());
    }
    let listed: Vec<String> = doc
        .manifests
        .iter()
        .filter_map(|e| e.platform.as_ref())
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    Err(PullError::NoSuchPlatform {
        platform: platform.to_owned(),
        available: listed,
    })
}

pub(crate) fn parse(manifest: &RawManifest) -> Result<ManifestDoc, PullError> {
    ManifestDoc::parse(&manifest.bytes).map_err(|e| PullError::Manifest {
        digest: manifest.digest.clone(),
        message: e.to_string(),
    })
}

/// The distinct blobs (digest, size) of a set of manifests, config first.
pub(crate) fn blobs_of(manifests: &[RawManifest]) -> Result<Vec<(String, u64)>, PullError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for m in manifests.iter().filter(|m| !m.is_index()) {
        for desc in parse(m)?.blobs() {
            if crate::oci::parse_digest(&desc.digest).is_none() {
                return Err(PullError::Manifest {
                    digest: m.digest.clone(),
                    message: format!("names a blob by {:?}, not a sha256 digest", desc.digest),
                });
            }
            if seen.insert(desc.digest.clone()) {
                out.push((desc.digest.clone(), desc.size));
            }
        }
    }
    Ok(out)
}

impl ImagePull {
    /// Options for `reference` (a tag or a digest) of `repository_name`.
    pub fn new(repository_name: impl Into<String>, reference: impl Into<String>) -> Self {
        Self {
            repository_name: repository_name.into(),
            registry_id: None,
            reference: reference.into(),
            transport: Transport::Auto,
            registry: None,
            concurrency: 3,
            attempts: 5,
            ref_name: None,
            progress: None,
            platform: None,
        }
    }

    /// Pulls the image from ECR into the layout at `layout` (created if
    /// needed; an existing one gains the image).
    pub async fn pull(&self, client: &Client, layout: &Path) -> Result<PulledImage, PullError> {
        let resolved = registry::resolve(
            client,
            self.transport,
            self.registry.as_ref(),
            self.registry_id.as_deref(),
        )
        .await
        .map_err(|e| PullError::registry("choosing the transport", e))?;
        let origin = match resolved {
            Resolved::Api => Origin::Api {
                client: client.clone(),
                registry_id: self.registry_id.clone(),
                repository: self.repository_name.clone(),
                http: download_client(client),
            },
            Resolved::Registry(registry) => Origin::Registry {
                client: registry,
                repository: self.repository_name.clone(),
            },
        };
        self.pull_from(&origin, layout).await
    }

    /// Pulls from any registry (not only ECR) into the layout at `layout`.
    pub async fn pull_from_registry(
        &self,
        registry: &RegistryClient,
        layout: &Path,
    ) -> Result<PulledImage, PullError> {
        let origin = Origin::Registry {
            client: registry.clone(),
            repository: self.repository_name.clone(),
        };
        self.pull_from(&origin, layout).await
    }

    /// Pulls from `origin` into the layout at `layout`.
    pub async fn pull_from(
        &self,
        origin: &Origin,
        layout: &Path,
    ) -> Result<PulledImage, PullError> {
        let layout_err = |e: std::io::Error| PullError::Layout {
            path: layout.to_owned(),
            message: e.to_string(),
        };
        let reference = Reference::parse(&self.reference).ok_or_else(|| PullError::NotFound {
            reference: self.reference.clone(),
            reason: "neither a tag nor a sha256 digest".into(),
        })?;
        let layout = Layout::open(layout).map_err(layout_err)?;
        let mut top = origin.manifest(reference.as_str()).await?;
        if let Some(platform) = &self.platform
            && top.is_index()
        {
            let digest = platform_entry(&top, platform)?;
            top = origin.manifest(&digest).await?;
        }
        let children = children(origin, &top).await?;
        let mut all = children.clone();
        all.push(top.clone());
        let blobs = blobs_of(&all)?;
        let (fetched, present, bytes) = self.fetch_all(origin, &layout, blobs).await?;
        for m in &children {
            layout.write_blob(&m.digest, &m.bytes).map_err(layout_err)?;
        }
        layout
            .write_blob(&top.digest, &top.bytes)
            .map_err(layout_err)?;
        let name = self
            .ref_name
            .clone()
            .or_else(|| reference.tag().map(str::to_owned));
        layout
            .add_to_index(&top.descriptor(), name.as_deref())
            .map_err(layout_err)?;
        layout.tidy();
        Ok(PulledImage {
            digest: top.digest.clone(),
            media_type: top.media_type.clone(),
            manifest: top.bytes.clone(),
            platform_manifests: children.iter().map(|m| m.digest.clone()).collect(),
            blobs_fetched: fetched,
            blobs_present: present,
            bytes_fetched: bytes,
            transport: match origin {
                Origin::Api { .. } => Transport::Api,
                Origin::Registry { .. } => Transport::Registry,
            },
        })
    }

    async fn fetch_all(
        &self,
        origin: &Origin,
        layout: &Layout,
        blobs: Vec<(String, u64)>,
    ) -> Result<(usize, usize, u64), PullError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        // One writer thread for every blob of the pull: it hashes two blobs'
        // bytes at once.
        let writer = writer::BlobWriter::start();
        let mut tasks = tokio::task::JoinSet::new();
        for (digest, size) in blobs {
            let permit = limit.clone().acquire_owned().await.map_err(|e| {
                PullError::registry(
                    "scheduling",
                    RegistryError::protocol("scheduling", e.to_string()),
                )
            })?;
            let source = origin.blob(&digest);
            let layout = layout.clone();
            let writer = writer.clone();
            let attempts = self.attempts;
            let progress: Option<download::BytesFn> = self.progress.clone().map(|p| {
                let digest = digest.clone();
                Arc::new(move |done, total| {
                    p(PullProgress {
                        digest: digest.clone(),
                        bytes_done: done,
                        bytes_total: total,
                    })
                }) as download::BytesFn
            });
            tasks.spawn(async move {
                let _permit = permit;
                download::fetch_blob(
                    &writer,
                    &layout,
                    &digest,
                    size,
                    source.as_ref(),
                    attempts,
                    progress.as_ref(),
                )
                .await
            });
        }
        let (mut fetched, mut present, mut bytes) = (0, 0, 0u64);
        while let Some(done) = tasks.join_next().await {
            let done = done.map_err(|e| {
                PullError::registry(
                    "blob task",
                    RegistryError::protocol("blob task", e.to_string()),
                )
            })??;
            match done {
                Fetched::Present => present += 1,
                Fetched::Downloaded(n) => {
                    fetched += 1;
                    bytes += n;
                }
            }
        }
        Ok((fetched, present, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(platforms: &[(&str, &str, Option<&str>)]) -> RawManifest {
        let manifests: Vec<serde_json::Value> = platforms
            .iter()
            .enumerate()
            .map(|(i, (os, arch, variant))| {
                let mut p = serde_json::json!({"os": os, "architecture": arch});
                if let Some(v) = variant {
                    p["variant"] = (*v).into();
                }
                serde_json::json!({
                    "mediaType": crate::oci::OCI_MANIFEST,
                    "digest": format!("sha256:{}", format!("{i}").repeat(64)),
                    "size": 1,
                    "platform": p,
                })
            })
            .collect();
        let bytes = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": crate::oci::OCI_INDEX, "manifests": manifests,
        }))
        .unwrap();
        RawManifest {
            digest: crate::oci::sha256_digest(&bytes),
            media_type: crate::oci::OCI_INDEX.into(),
            bytes: bytes.into(),
        }
    }

    #[test]
    fn a_platform_is_chosen_by_os_architecture_and_variant_if_given() {
        let index = index(&[
            ("linux", "amd64", None),
            ("linux", "arm64", Some("v8")),
            ("linux", "arm", Some("v7")),
        ]);
        let zeros = format!("sha256:{}", "0".repeat(64));
        assert_eq!(platform_entry(&index, "linux/amd64").unwrap(), zeros);
        let ones = format!("sha256:{}", "1".repeat(64));
        assert_eq!(platform_entry(&index, "linux/arm64").unwrap(), ones);
        assert_eq!(platform_entry(&index, "linux/arm64/v8").unwrap(), ones);
        match platform_entry(&index, "linux/arm/v6") {
            Err(PullError::NoSuchPlatform {
                platform,
                available,
            }) => {
                assert_eq!(platform, "linux/arm/v6");
                assert_eq!(available, ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
            }
            other => panic!("{other:?}"),
        }
    }
}
