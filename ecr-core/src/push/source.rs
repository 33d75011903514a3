//! Image sources: an OCI image layout (a directory, or the OCI layout that
//! Docker 25+ writes into a tar) or a legacy `docker save` archive, read into
//! a plan of what a push sends: the blobs with where their bytes are, the
//! platform manifests and the top manifest, byte for byte.
//!
//! Layouts: <https://github.com/opencontainers/image-spec/blob/main/image-layout.md>;
//! Docker image manifest v2 schema 2 for legacy `docker save` archives. The
//! image push (both transports) and the copy from a layout read images here.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::oci::{
    self, BlobHasher, DOCKER_CONFIG, DOCKER_LAYER_TAR, DOCKER_MANIFEST, Descriptor, ManifestDoc,
    RawManifest,
};

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
    OciLayout(PathBuf),
    /// A `docker save` archive: the legacy format (`manifest.json`) or the
    /// OCI layout inside a tar (Docker 25 and later).
    DockerArchive(PathBuf),
}

/// An image source could not be read or is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image source {path}: {message}")]
pub struct SourceError {
    /// The file or directory.
    pub path: PathBuf,
    /// What was wrong.
    pub message: String,
}

fn source_err(path: &Path, message: impl Into<String>) -> SourceError {
    SourceError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Where a blob's bytes are: a file, or a range of one (a tar member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLocation {
    /// The file.
    pub path: PathBuf,
    /// Where the blob starts in it.
    pub offset: u64,
}

/// A blob of the image: its descriptor's digest and size, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBlob {
    /// `sha256:<hex>`, as the manifest names it (the bytes are checked
    /// against it on the way: by the registry, or by the ECR API push).
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its bytes.
    pub location: BlobLocation,
}

/// Everything a push of one image sends.
#[derive(Debug, Clone)]
pub struct ImagePlan {
    /// The config and layer blobs of every manifest, in manifest order
    /// (a blob two manifests share appears twice).
    pub blobs: Vec<PlannedBlob>,
    /// For an index, its manifests, to be sent before it.
    pub platform_manifests: Vec<RawManifest>,
    /// The manifest or index the tag names.
    pub top: RawManifest,
    /// The tag: the one asked for, else the layout's
    /// `org.opencontainers.image.ref.name` or the archive's first `RepoTags`.
    pub tag: Option<String>,
}

impl ImageSource {
    /// Reads the source and plans its push (blocking file I/O: call it
    /// from `spawn_blocking` in async code). `tag` selects the layout's
    /// image of that `ref.name` (else its first) and becomes the plan's tag.
    pub fn plan(&self, tag: Option<&str>) -> Result<ImagePlan, SourceError> {
        match self {
            ImageSource::OciLayout(dir) => plan_layout(&DirStore(dir.clone()), tag),
            ImageSource::DockerArchive(path) => {
                let store = TarStore::open(path)?;
                if store.has("index.json") && store.has("oci-layout") {
                    plan_layout(&store, tag)
                } else {
                    plan_docker_save(&store, tag)
                }
            }
        }
    }
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(Deserialize)]
struct DockerSaveEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// A descriptor in the member order Docker writes (`mediaType`, `size`,
/// `digest`), so a manifest built here reads like Docker's own.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DockerDescriptor<'a> {
    media_type: &'a str,
    size: u64,
    digest: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DockerManifest<'a> {
    schema_version: u32,
    media_type: &'a str,
    config: DockerDescriptor<'a>,
    layers: Vec<DockerDescriptor<'a>>,
}

/// Reads the blobs of an OCI layout, from a directory or a tar archive.
trait BlobStore {
    fn root(&self) -> &Path;
    fn read(&self, name: &str) -> Result<Vec<u8>, SourceError>;
    fn locate(&self, digest: &str) -> Result<BlobLocation, SourceError>;
}

/// `blobs/<algo>/<hex>` for a digest, if it is well formed.
pub(crate) fn blob_name(digest: &str) -> Option<String> {
    let (algo, hex) = digest.split_once(':')?;
    let ok = !algo.is_empty()
        && algo.chars().all(|c| c.is_ascii_alphanumeric())
        && !hex.is_empty()
        && hex.chars().all(|c| c.is_ascii_hexdigit());
    ok.then(|| format!("blobs/{algo}/{hex}"))
}

struct DirStore(PathBuf);

impl BlobStore for DirStore {
    fn root(&self) -> &Path {
        &self.0
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, SourceError> {
        std::fs::read(self.0.join(name)).map_err(|e| source_err(&self.0, format!("{name}: {e}")))
    }
    fn locate(&self, digest: &str) -> Result<BlobLocation, SourceError> {
        let name = blob_name(digest)
            .ok_or_else(|| source_err(&self.0, format!("bad digest {digest:?}")))?;
        Ok(BlobLocation {
            path: self.0.join(name),
            offset: 0,
        })
    }
}

/// A tar archive's members: name → (offset of the data, size).
struct TarStore {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

impl TarStore {
    fn open(path: &Path) -> Result<Self, SourceError> {
        let file = std::fs::File::open(path).map_err(|e| source_err(path, e.to_string()))?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
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

    fn has(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    fn range(&self, name: &str) -> Result<(u64, u64), SourceError> {
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
    fn read(&self, name: &str) -> Result<Vec<u8>, SourceError> {
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
    fn locate(&self, digest: &str) -> Result<BlobLocation, SourceError> {
        let name = blob_name(digest)
            .ok_or_else(|| source_err(&self.path, format!("bad digest {digest:?}")))?;
        let (offset, _) = self.range(&name)?;
        Ok(BlobLocation {
            path: self.path.clone(),
            offset,
        })
    }
}

/// Reads a manifest blob and checks its digest.
fn read_manifest(store: &dyn BlobStore, desc: &Descriptor) -> Result<RawManifest, SourceError> {
    let name = blob_name(&desc.digest)
        .ok_or_else(|| source_err(store.root(), format!("bad digest {:?}", desc.digest)))?;
    let bytes = store.read(&name)?;
    if oci::sha256_digest(&bytes) != desc.digest {
        return Err(source_err(
            store.root(),
            format!("{name} does not match its digest"),
        ));
    }
    let doc =
        ManifestDoc::parse(&bytes).map_err(|e| source_err(store.root(), format!("{name}: {e}")))?;
    let media_type = doc.media_type.unwrap_or_else(|| desc.media_type.clone());
    Ok(RawManifest {
        bytes: Bytes::from(bytes),
        media_type,
        digest: desc.digest.clone(),
    })
}

/// The config and layer blobs a manifest names.
fn manifest_blobs(
    store: &dyn BlobStore,
    manifest: &RawManifest,
) -> Result<Vec<PlannedBlob>, SourceError> {
    let doc =
        ManifestDoc::parse(&manifest.bytes).map_err(|e| source_err(store.root(), e.to_string()))?;
    doc.blobs()
        .map(|desc| {
            Ok(PlannedBlob {
                digest: desc.digest.clone(),
                size: desc.size,
                location: store.locate(&desc.digest)?,
            })
        })
        .collect()
}

/// Plans the push of an OCI layout held in `store`.
fn plan_layout(store: &dyn BlobStore, tag: Option<&str>) -> Result<ImagePlan, SourceError> {
    let index = ManifestDoc::parse(&store.read("index.json")?)
        .map_err(|e| source_err(store.root(), format!("index.json: {e}")))?;
    let entry = match tag {
        Some(t) => index
            .manifests
            .iter()
            .find(|d| d.ref_name() == Some(t))
            .or(index.manifests.first()),
        None => index.manifests.first(),
    }
    .ok_or_else(|| source_err(store.root(), "index.json lists no manifest"))?;
    let tag = tag.map(str::to_owned).or_else(|| {
        entry
            .ref_name()
            .filter(|t| oci::is_valid_tag(t))
            .map(str::to_owned)
    });
    let top = read_manifest(store, entry)?;
    let mut blobs = Vec::new();
    let mut platform_manifests = Vec::new();
    if top.is_index() {
        let doc =
            ManifestDoc::parse(&top.bytes).map_err(|e| source_err(store.root(), e.to_string()))?;
        for child in &doc.manifests {
            let m = read_manifest(store, child)?;
            blobs.extend(manifest_blobs(store, &m)?);
            platform_manifests.push(m);
        }
    } else {
        blobs = manifest_blobs(store, &top)?;
    }
    Ok(ImagePlan {
        blobs,
        platform_manifests,
        top,
        tag,
    })
}

/// Plans the push of a legacy `docker save` archive: a Docker v2 schema 2
/// manifest is built from `manifest.json` (layers uncompressed, as saved;
/// their digests are computed here, since the archive does not name them,
/// so that a layer the repository has is not sent again).
fn plan_docker_save(store: &TarStore, tag: Option<&str>) -> Result<ImagePlan, SourceError> {
    let entries: Vec<DockerSaveEntry> = serde_json::from_slice(&store.read("manifest.json")?)
        .map_err(|e| source_err(&store.path, format!("manifest.json: {e}")))?;
    let entry = entries
        .first()
        .ok_or_else(|| source_err(&store.path, "manifest.json is empty"))?;
    let config = store.read(&entry.config)?;
    let config_digest = oci::sha256_digest(&config);
    let (config_offset, _) = store.range(&entry.config)?;
    let mut blobs = vec![PlannedBlob {
        digest: config_digest.clone(),
        size: config.len() as u64,
        location: BlobLocation {
            path: store.path.clone(),
            offset: config_offset,
        },
    }];
    for name in &entry.layers {
        let (offset, size) = store.range(name)?;
        blobs.push(PlannedBlob {
            digest: hash_range(&store.path, offset, size)?,
            size,
            location: BlobLocation {
                path: store.path.clone(),
                offset,
            },
        });
    }
    let manifest = DockerManifest {
        schema_version: 2,
        media_type: DOCKER_MANIFEST,
        config: DockerDescriptor {
            media_type: DOCKER_CONFIG,
            size: config.len() as u64,
            digest: &config_digest,
        },
        layers: blobs[1..]
            .iter()
            .map(|b| DockerDescriptor {
                media_type: DOCKER_LAYER_TAR,
                size: b.size,
                digest: &b.digest,
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| source_err(&store.path, format!("building the manifest: {e}")))?;
    let tag = tag.map(str::to_owned).or_else(|| {
        entry
            .repo_tags
            .as_ref()
            .and_then(|t| t.first())
            .and_then(|t| t.rsplit_once(':').map(|(_, tag)| tag.to_owned()))
    });
    Ok(ImagePlan {
        blobs,
        platform_manifests: Vec::new(),
        top: RawManifest::new(Bytes::from(bytes), Some(DOCKER_MANIFEST)),
        tag,
    })
}

fn hash_range(path: &Path, offset: u64, size: u64) -> Result<String, SourceError> {
    let mut file = std::fs::File::open(path).map_err(|e| source_err(path, e.to_string()))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| source_err(path, e.to_string()))?;
    let mut hasher = BlobHasher::new();
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
    Ok(hasher.finish())
}
