//! Image push: every blob of an OCI image layout or a `docker save` archive,
//! then `PutImage` with the manifest (and, for a multi-platform index, each
//! platform manifest first).
//!
//! Layouts: <https://github.com/opencontainers/image-spec/blob/main/image-layout.md>;
//! Docker image manifest v2 schema 2 for legacy `docker save` archives.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use super::{LayerPush, Progress, PushError};
use crate::client::Client;
use crate::ecr::{BatchCheckLayerAvailability, LayerAvailability, PutImage, PutImageError};
use crate::error::Error;
use crate::protocol::from_json;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
    OciLayout(PathBuf),
    /// A `docker save` archive: the legacy format (`manifest.json`) or the
    /// OCI layout inside a tar (Docker 25 and later).
    DockerArchive(PathBuf),
}

/// Progress of one blob of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProgress {
    /// The blob.
    pub digest: String,
    /// Bytes acknowledged, and the blob's size.
    pub progress: Progress,
}

/// What was pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// The digest of the top manifest (or index).
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The tag, if one was pushed.
    pub tag: Option<String>,
    /// The manifest bytes sent with `PutImage`.
    pub manifest: Bytes,
    /// Blobs uploaded.
    pub blobs_pushed: usize,
    /// Blobs the repository already had.
    pub blobs_present: usize,
    /// Platform manifests pushed before the index, by digest.
    pub platform_manifests: Vec<String>,
}

/// Why an image push failed.
#[derive(Debug, thiserror::Error)]
pub enum ImagePushError {
    /// The layout or archive could not be read or is not valid.
    #[error("invalid image source {path}: {message}")]
    Source {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A blob could not be pushed; carries what is needed to resume it.
    #[error("blob {digest}: {source}")]
    Blob {
        /// The blob.
        digest: String,
        /// The layer push error.
        #[source]
        source: Box<PushError>,
    },
    /// A call failed.
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
    /// Caps the part size below what the service asks for.
    pub max_part_size: Option<usize>,
    /// Called after every acknowledged part of every blob.
    pub progress: Option<Arc<dyn Fn(ImageProgress) + Send + Sync>>,
}

impl std::fmt::Debug for ImagePush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagePush")
            .field("repository_name", &self.repository_name)
            .field("tag", &self.tag)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Where a blob's bytes are.
#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    TarRange { path: PathBuf, offset: u64 },
}

/// A blob to make present in the repository.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    digest: String,
    size: u64,
    location: Location,
}

/// A manifest to put.
#[derive(Debug, Clone)]
struct Manifest {
    bytes: Bytes,
    media_type: String,
    digest: String,
}

/// Everything an image push sends.
#[derive(Debug)]
struct Plan {
    blobs: Vec<Blob>,
    platform_manifests: Vec<Manifest>,
    top: Manifest,
    tag: Option<String>,
}

/// An OCI content descriptor (`mediaType`, `digest`, `size`, `annotations`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    annotations: std::collections::HashMap<String, String>,
}

/// An image index or manifest: what the push needs of either.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestDoc {
    media_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_as_empty")]
    layers: Vec<Descriptor>,
    #[serde(default, deserialize_with = "null_as_empty")]
    manifests: Vec<Descriptor>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Descriptor>, D::Error> {
    Ok(<Option<Vec<Descriptor>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerSaveEntry {
    config: String,
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// The Docker image manifest built for a `docker save` archive, members in
/// the order Docker writes them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DockerManifest<'a> {
    schema_version: u32,
    media_type: &'a str,
    config: WrittenDescriptor<'a>,
    layers: Vec<WrittenDescriptor<'a>>,
}

/// A descriptor as Docker writes it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct WrittenDescriptor<'a> {
    media_type: &'a str,
    size: u64,
    digest: String,
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn source_err(path: &Path, message: impl Into<String>) -> ImagePushError {
    ImagePushError::Source {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Reads blobs of an OCI layout, from a directory or a tar archive.
trait BlobStore {
    fn root(&self) -> &Path;
    fn read(&self, name: &str) -> Result<Vec<u8>, ImagePushError>;
    fn locate(&self, digest: &str) -> Result<Location, ImagePushError>;
    fn has(&self, name: &str) -> bool;
}

struct DirStore(PathBuf);

fn blob_name(digest: &str) -> Option<String> {
    let (algo, hex) = digest.split_once(':')?;
    let ok = !algo.is_empty()
        && algo.chars().all(|c| c.is_ascii_alphanumeric())
        && !hex.is_empty()
        && hex.chars().all(|c| c.is_ascii_hexdigit());
    ok.then(|| format!("blobs/{algo}/{hex}"))
}

impl BlobStore for DirStore {
    fn root(&self) -> &Path {
        &self.0
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, ImagePushError> {
        std::fs::read(self.0.join(name)).map_err(|e| source_err(&self.0, format!("{name}: {e}")))
    }
    fn locate(&self, digest: &str) -> Result<Location, ImagePushError> {
        let name = blob_name(digest)
            .ok_or_else(|| source_err(&self.0, format!("bad digest {digest:?}")))?;
        Ok(Location::File(self.0.join(name)))
    }
    fn has(&self, name: &str) -> bool {
        self.0.join(name).exists()
    }
}

/// A tar archive's members: name → (offset of the data, size).
struct TarStore {
    path: PathBuf,
    members: std::collections::HashMap<String, (u64, u64)>,
}

impl TarStore {
    fn open(path: &Path) -> Result<Self, ImagePushError> {
        let file = std::fs::File::open(path).map_err(|e| source_err(path, e.to_string()))?;
        let mut archive = tar::Archive::new(file);
        let mut members = std::collections::HashMap::new();
        let entries = archive
            .entries_with_seek()
            .map_err(|e| source_err(path, e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| source_err(path, e.to_string()))?;
            let name = entry.path().map_err(|e| source_err(path, e.to_string()))?;
            let name = name.to_string_lossy().trim_start_matches("./").to_owned();
            members.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(Self {
            path: path.to_owned(),
            members,
        })
    }

    fn range(&self, name: &str) -> Result<(u64, u64), ImagePushError> {
        self.members
            .get(name)
            .copied()
            .ok_or_else(|| source_err(&self.path, format!("the archive has no {name}")))
    }
}

impl BlobStore for TarStore {
    fn root(&self) -> &Path {
        &self.path
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, ImagePushError> {
        use std::io::{Read, Seek, SeekFrom};
        let (offset, size) = self.range(name)?;
        let mut file =
            std::fs::File::open(&self.path).map_err(|e| source_err(&self.path, e.to_string()))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| source_err(&self.path, e.to_string()))?;
        let mut out = Vec::with_capacity(size.min(64 << 20) as usize);
        file.take(size)
            .read_to_end(&mut out)
            .map_err(|e| source_err(&self.path, e.to_string()))?;
        Ok(out)
    }
    fn locate(&self, digest: &str) -> Result<Location, ImagePushError> {
        let name = blob_name(digest)
            .ok_or_else(|| source_err(&self.path, format!("bad digest {digest:?}")))?;
        let (offset, _) = self.range(&name)?;
        Ok(Location::TarRange {
            path: self.path.clone(),
            offset,
        })
    }
    fn has(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }
}

fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// Reads a manifest blob and checks its digest.
fn read_manifest(store: &dyn BlobStore, desc: &Descriptor) -> Result<Manifest, ImagePushError> {
    let name = blob_name(&desc.digest)
        .ok_or_else(|| source_err(store.root(), format!("bad digest {:?}", desc.digest)))?;
    let bytes = store.read(&name)?;
    if sha256_digest(&bytes) != desc.digest {
        return Err(source_err(
            store.root(),
            format!("{name} does not match its digest"),
        ));
    }
    let doc: ManifestDoc =
        from_json(&bytes).map_err(|e| source_err(store.root(), format!("{name}: {e}")))?;
    let media_type = doc
        .media_type
        .clone()
        .unwrap_or_else(|| desc.media_type.clone());
    Ok(Manifest {
        bytes: Bytes::from(bytes),
        media_type,
        digest: desc.digest.clone(),
    })
}

/// The config and layer blobs a manifest names.
fn manifest_blobs(store: &dyn BlobStore, manifest: &Manifest) -> Result<Vec<Blob>, ImagePushError> {
    let doc: ManifestDoc =
        from_json(&manifest.bytes).map_err(|e| source_err(store.root(), e.to_string()))?;
    let mut out = Vec::new();
    for desc in doc.config.iter().chain(doc.layers.iter()) {
        out.push(Blob {
            digest: desc.digest.clone(),
            size: desc.size,
            location: store.locate(&desc.digest)?,
        });
    }
    Ok(out)
}

/// Plans the push of an OCI layout held in `store`.
fn plan_layout(store: &dyn BlobStore, tag: Option<&str>) -> Result<Plan, ImagePushError> {
    let index: ManifestDoc = from_json(&store.read("index.json")?)
        .map_err(|e| source_err(store.root(), format!("index.json: {e}")))?;
    let entry = match tag {
        Some(t) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
            .or(index.manifests.first()),
        None => index.manifests.first(),
    }
    .ok_or_else(|| source_err(store.root(), "index.json lists no manifest"))?;
    let tag = tag.map(str::to_owned).or_else(|| {
        entry
            .annotations
            .get(REF_NAME)
            .filter(|t| !t.contains(':') && !t.contains('/'))
            .cloned()
    });
    let top = read_manifest(store, entry)?;
    let mut blobs = Vec::new();
    let mut platform_manifests = Vec::new();
    if is_index(&top.media_type) {
        let doc: ManifestDoc =
            from_json(&top.bytes).map_err(|e| source_err(store.root(), e.to_string()))?;
        for child in &doc.manifests {
            let m = read_manifest(store, child)?;
            blobs.extend(manifest_blobs(store, &m)?);
            platform_manifests.push(m);
        }
    } else {
        blobs = manifest_blobs(store, &top)?;
    }
    Ok(Plan {
        blobs,
        platform_manifests,
        top,
        tag,
    })
}

/// Plans the push of a legacy `docker save` archive: a Docker v2 schema 2
/// manifest is built from `manifest.json` (layers uncompressed, as saved).
fn plan_docker_save(store: &TarStore, tag: Option<&str>) -> Result<Plan, ImagePushError> {
    let entries: Vec<DockerSaveEntry> = from_json(&store.read("manifest.json")?)
        .map_err(|e| source_err(&store.path, format!("manifest.json: {e}")))?;
    let entry = entries
        .first()
        .ok_or_else(|| source_err(&store.path, "manifest.json is empty"))?;
    let config = store.read(&entry.config)?;
    let config_digest = sha256_digest(&config);
    let (config_offset, _) = store.range(&entry.config)?;
    let mut blobs = vec![Blob {
        digest: config_digest.clone(),
        size: config.len() as u64,
        location: Location::TarRange {
            path: store.path.clone(),
            offset: config_offset,
        },
    }];
    let mut layers = Vec::with_capacity(entry.layers.len());
    for name in &entry.layers {
        let (offset, size) = store.range(name)?;
        let digest = hash_range(&store.path, offset, size)?;
        layers.push(WrittenDescriptor {
            media_type: DOCKER_LAYER_TAR,
            size,
            digest: digest.clone(),
        });
        blobs.push(Blob {
            digest,
            size,
            location: Location::TarRange {
                path: store.path.clone(),
                offset,
            },
        });
    }
    let manifest = serde_json::to_vec(&DockerManifest {
        schema_version: 2,
        media_type: DOCKER_MANIFEST,
        config: WrittenDescriptor {
            media_type: DOCKER_CONFIG,
            size: config.len() as u64,
            digest: config_digest.clone(),
        },
        layers,
    })
    .map_err(|e| source_err(&store.path, format!("manifest: {e}")))?;
    let bytes = Bytes::from(manifest);
    let tag = tag.map(str::to_owned).or_else(|| {
        entry
            .repo_tags
            .as_ref()
            .and_then(|t| t.first())
            .and_then(|t| t.rsplit_once(':').map(|(_, tag)| tag.to_owned()))
    });
    Ok(Plan {
        blobs,
        platform_manifests: Vec::new(),
        top: Manifest {
            digest: sha256_digest(&bytes),
            bytes,
            media_type: DOCKER_MANIFEST.into(),
        },
        tag,
    })
}

fn hash_range(path: &Path, offset: u64, size: u64) -> Result<String, ImagePushError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).map_err(|e| source_err(path, e.to_string()))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| source_err(path, e.to_string()))?;
    let mut hasher = Sha256::new();
    let mut reader = file.take(size);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| source_err(path, e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

async fn open_blob(blob: &Blob) -> std::io::Result<Box<dyn AsyncRead + Unpin + Send>> {
    match &blob.location {
        Location::File(path) => Ok(Box::new(tokio::fs::File::open(path).await?.take(blob.size))),
        Location::TarRange { path, offset } => {
            let mut file = tokio::fs::File::open(path).await?;
            file.seek(std::io::SeekFrom::Start(*offset)).await?;
            Ok(Box::new(file.take(blob.size)))
        }
    }
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
        let plan = tokio::task::spawn_blocking(move || -> Result<Plan, ImagePushError> {
            match &source {
                ImageSource::OciLayout(dir) => plan_layout(&DirStore(dir.clone()), tag.as_deref()),
                ImageSource::DockerArchive(path) => {
                    let store = TarStore::open(path)?;
                    if store.has("index.json") && store.has("oci-layout") {
                        plan_layout(&store, tag.as_deref())
                    } else {
                        plan_docker_save(&store, tag.as_deref())
                    }
                }
            }
        })
        .await
        .map_err(|e| ImagePushError::Call {
            stage: "planning",
            message: e.to_string(),
            request_id: None,
        })??;

        // One upload per distinct blob.
        let mut seen = HashSet::new();
        let blobs: Vec<Blob> = plan
            .blobs
            .into_iter()
            .filter(|b| seen.insert(b.digest.clone()))
            .collect();
        let present = self.present(client, &blobs).await?;
        let missing: Vec<Blob> = blobs
            .iter()
            .filter(|b| !present.contains(&b.digest))
            .cloned()
            .collect();
        let blobs_present = blobs.len() - missing.len();
        let blobs_pushed = missing.len();
        self.push_blobs(client, missing).await?;

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
        })
    }

    async fn present(
        &self,
        client: &Client,
        blobs: &[Blob],
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

    async fn push_blobs(&self, client: &Client, blobs: Vec<Blob>) -> Result<(), ImagePushError> {
        let limit = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for blob in blobs {
            let permit = limit
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| ImagePushError::Call {
                    stage: "scheduling",
                    message: e.to_string(),
                    request_id: None,
                })?;
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
                let reader = open_blob(&blob).await.map_err(|e| ImagePushError::Blob {
                    digest: blob.digest.clone(),
                    source: Box::new(PushError {
                        stage: "reading the layer",
                        upload_id: None,
                        bytes_acknowledged: 0,
                        message: e.to_string(),
                        request_id: None,
                        code: None,
                    }),
                })?;
                let pushed = layer
                    .push(&client, reader)
                    .await
                    .map_err(|source| ImagePushError::Blob { digest: blob.digest.clone(), source: Box::new(source) })?;
                if pushed.digest != blob.digest || pushed.size != blob.size {
                    return Err(ImagePushError::Blob {
                        digest: blob.digest.clone(),
                        source: Box::new(PushError {
                            stage: "CompleteLayerUpload",
                            upload_id: None,
                            bytes_acknowledged: pushed.size,
                            message: format!(
                                "the blob's bytes hash to {} ({} bytes), not the {} ({} bytes) its manifest names",
                                pushed.digest, pushed.size, blob.digest, blob.size
                            ),
                            request_id: None,
                            code: None,
                        }),
                    });
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => {
                    return Err(ImagePushError::Call {
                        stage: "blob task",
                        message: e.to_string(),
                        request_id: None,
                    });
                }
            }
        }
        Ok(())
    }

    async fn put(
        &self,
        client: &Client,
        manifest: &Manifest,
        tag: Option<&str>,
    ) -> Result<(), ImagePushError> {
        let text = std::str::from_utf8(&manifest.bytes).map_err(|_| ImagePushError::Call {
            stage: "PutImage",
            message: "the manifest is not UTF-8".into(),
            request_id: None,
        })?;
        let put = PutImage {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository_name.clone(),
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
}

fn call_err<E: std::fmt::Display>(stage: &'static str, e: &Error<E>) -> ImagePushError {
    ImagePushError::Call {
        stage,
        message: e.to_string(),
        request_id: e.request_id().map(str::to_owned),
    }
}
