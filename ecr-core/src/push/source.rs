//! Image sources: OCI image layouts and `docker save` archives, read into
//! what a push sends (the blobs, the manifests), and the images a source
//! holds, so that a caller can choose among several instead of one being
//! picked for it.
//!
//! Layouts: <https://github.com/opencontainers/image-spec/blob/main/image-layout.md>;
//! Docker image manifest v2 schema 2 for legacy `docker save` archives.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use super::archive::{DockerManifest, DockerSaveEntry, WrittenDescriptor};
use crate::oci::{
    BlobHasher, DOCKER_CONFIG, DOCKER_LAYER_TAR, DOCKER_MANIFEST, Descriptor, ManifestDoc,
    REF_NAME, RawManifest, is_index, sha256_digest,
};
use crate::protocol::from_json;

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
    OciLayout(PathBuf),
    /// A `docker save` archive: the legacy format (`manifest.json`) or the
    /// OCI layout inside a tar (Docker 25 and later).
    DockerArchive(PathBuf),
}

/// One image of a source, as [`ImageSource::images`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceImage {
    /// Its names in the source: the layout's
    /// `org.opencontainers.image.ref.name` annotations (a tag such as `v1`,
    /// or a whole reference), or the archive's `RepoTags`
    /// (`example/app:1.0`). May be empty.
    pub refs: Vec<String>,
    /// The digest that identifies it: of its manifest or index in an OCI
    /// layout; of its config (the image id) in a legacy `docker save`
    /// archive, whose manifest is built at push time.
    pub id: String,
}

impl SourceImage {
    /// The tags its names carry (`v1` for `v1`, `1.0` for
    /// `example/app:1.0`; none for `example/app` or a digest reference).
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for tag in self.refs.iter().filter_map(|r| tag_of(r)) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        tags
    }
}

impl fmt::Display for SourceImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.refs.as_slice() {
            [] => write!(f, "{} (no name)", self.id),
            refs => write!(f, "{} ({})", refs.join(", "), self.id),
        }
    }
}

/// Why an image source could not be read or an image not chosen from it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The layout or archive could not be read or is not valid.
    #[error("invalid image source {path}: {message}")]
    Invalid {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The source holds several images and none was chosen (or the choice
    /// names more than one): a push never picks one silently.
    #[error("{path} holds {} images: {}; choose one by name or id", images.len(), list(images))]
    Ambiguous {
        /// The file or directory.
        path: PathBuf,
        /// The candidates.
        images: Vec<SourceImage>,
    },
    /// No image of the source has the chosen name or id.
    #[error("{path} has no image {image:?}; it holds: {}", list(images))]
    NoSuchImage {
        /// The file or directory.
        path: PathBuf,
        /// The name or id asked for.
        image: String,
        /// What the source holds.
        images: Vec<SourceImage>,
    },
}

fn list(images: &[SourceImage]) -> String {
    let names: Vec<String> = images.iter().map(ToString::to_string).collect();
    names.join("; ")
}

/// The tag a reference carries: what follows the last `:` of its last path
/// component, or the whole reference when it is a bare name (a layout's
/// `ref.name` is usually just the tag). A digest reference carries none.
fn tag_of(reference: &str) -> Option<String> {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    if last.contains('@') || last.is_empty() {
        return None;
    }
    match last.rsplit_once(':') {
        Some((_, tag)) if !tag.is_empty() => Some(tag.to_owned()),
        Some(_) => None,
        None if !reference.contains('/') => Some(reference.to_owned()),
        None => None,
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
    /// The manifest or index the image is.
    pub top: RawManifest,
    /// The tag: the one asked for, else the one the image's name carries.
    pub tag: Option<String>,
}

fn source_err(path: &Path, message: impl Into<String>) -> SourceError {
    SourceError::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Reads blobs of an OCI layout, from a directory or a tar archive.
trait BlobStore {
    fn root(&self) -> &Path;
    fn read(&self, name: &str) -> Result<Vec<u8>, SourceError>;
    fn locate(&self, digest: &str) -> Result<BlobLocation, SourceError>;
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
    fn has(&self, name: &str) -> bool {
        self.0.join(name).exists()
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

    fn range(&self, name: &str) -> Result<(u64, u64), SourceError> {
        self.members
            .get(name)
            .copied()
            .ok_or_else(|| source_err(&self.path, format!("the archive has no {name}")))
    }

    /// Whether the archive holds an OCI layout (Docker 25 and later write
    /// one beside the legacy `manifest.json`).
    fn is_layout(&self) -> bool {
        self.has("index.json") && self.has("oci-layout")
    }
}

impl BlobStore for TarStore {
    fn root(&self) -> &Path {
        &self.path
    }
    fn read(&self, name: &str) -> Result<Vec<u8>, SourceError> {
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
    fn locate(&self, digest: &str) -> Result<BlobLocation, SourceError> {
        let name = blob_name(digest)
            .ok_or_else(|| source_err(&self.path, format!("bad digest {digest:?}")))?;
        let (offset, _) = self.range(&name)?;
        Ok(BlobLocation {
            path: self.path.clone(),
            offset,
        })
    }
    fn has(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }
}

/// Reads a manifest blob and checks its digest.
fn read_manifest(store: &dyn BlobStore, desc: &Descriptor) -> Result<RawManifest, SourceError> {
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
    let doc: ManifestDoc =
        from_json(&manifest.bytes).map_err(|e| source_err(store.root(), e.to_string()))?;
    let mut out = Vec::new();
    for desc in doc.config.iter().chain(doc.layers.iter()) {
        out.push(PlannedBlob {
            digest: desc.digest.clone(),
            size: desc.size,
            location: store.locate(&desc.digest)?,
        });
    }
    Ok(out)
}

/// The entries of a layout's `index.json`.
fn layout_entries(store: &dyn BlobStore) -> Result<Vec<Descriptor>, SourceError> {
    let index: ManifestDoc = from_json(&store.read("index.json")?)
        .map_err(|e| source_err(store.root(), format!("index.json: {e}")))?;
    Ok(index.manifests)
}

/// A layout's images: its `index.json` entries, those with the same digest
/// (one image under several names) as one.
fn layout_images(entries: &[Descriptor]) -> Vec<SourceImage> {
    let mut images: Vec<SourceImage> = Vec::new();
    for entry in entries {
        let name = entry.annotations.get(REF_NAME);
        match images.iter_mut().find(|i| i.id == entry.digest) {
            Some(image) => image.refs.extend(name.cloned()),
            None => images.push(SourceImage {
                refs: name.cloned().into_iter().collect(),
                id: entry.digest.clone(),
            }),
        }
    }
    images
}

/// The images of a legacy archive's `manifest.json`, identified by their
/// config's digest (the image id).
fn docker_images(
    store: &TarStore,
    entries: &[DockerSaveEntry],
) -> Result<Vec<SourceImage>, SourceError> {
    entries
        .iter()
        .map(|e| {
            Ok(SourceImage {
                refs: e.repo_tags.clone().unwrap_or_default(),
                id: sha256_digest(&store.read(&e.config)?),
            })
        })
        .collect()
}

/// Picks the image `choice` names (one of its refs, or its id), or the only
/// image when there is no choice; returns its index and the tag it implies.
fn choose(
    root: &Path,
    images: &[SourceImage],
    choice: Option<&str>,
) -> Result<(usize, Option<String>), SourceError> {
    let matches: Vec<usize> = match choice {
        Some(c) => (0..images.len())
            .filter(|&i| images[i].id == c || images[i].refs.iter().any(|r| r == c))
            .collect(),
        None => (0..images.len()).collect(),
    };
    match (matches.as_slice(), choice) {
        ([], None) => Err(source_err(root, "the source lists no image")),
        ([], Some(c)) => Err(SourceError::NoSuchImage {
            path: root.to_owned(),
            image: c.to_owned(),
            images: images.to_vec(),
        }),
        ([one], _) => {
            let image = &images[*one];
            // Named by one of its refs: that ref's tag; otherwise the first.
            let tag = choice
                .filter(|c| image.refs.iter().any(|r| r == c))
                .and_then(tag_of)
                .or_else(|| image.tags().into_iter().next());
            Ok((*one, tag))
        }
        (many, _) => Err(SourceError::Ambiguous {
            path: root.to_owned(),
            images: many.iter().map(|&i| images[i].clone()).collect(),
        }),
    }
}

impl ImageSource {
    /// The images the source holds, in its order. Reads `index.json` (or,
    /// for a legacy archive, `manifest.json` and each config); a tar archive
    /// is scanned once. Blocking file I/O: call it from
    /// `tokio::task::spawn_blocking` in async code.
    pub fn images(&self) -> Result<Vec<SourceImage>, SourceError> {
        match self {
            ImageSource::OciLayout(dir) => {
                Ok(layout_images(&layout_entries(&DirStore(dir.clone()))?))
            }
            ImageSource::DockerArchive(path) => {
                let store = TarStore::open(path)?;
                if store.is_layout() {
                    Ok(layout_images(&layout_entries(&store)?))
                } else {
                    docker_images(&store, &docker_entries(&store)?)
                }
            }
        }
    }

    /// Reads what pushing the image `choice` names (or the only one) sends:
    /// its blobs and where their bytes are, its manifests byte for byte.
    /// `tag` overrides the tag the image's name implies. Blocking file I/O.
    pub fn plan(&self, choice: Option<&str>, tag: Option<&str>) -> Result<ImagePlan, SourceError> {
        match self {
            ImageSource::OciLayout(dir) => plan_layout(&DirStore(dir.clone()), choice, tag),
            ImageSource::DockerArchive(path) => {
                let store = TarStore::open(path)?;
                if store.is_layout() {
                    plan_layout(&store, choice, tag)
                } else {
                    plan_docker_save(&store, choice, tag)
                }
            }
        }
    }
}

/// Plans the push of an image of an OCI layout held in `store`.
fn plan_layout(
    store: &dyn BlobStore,
    choice: Option<&str>,
    tag: Option<&str>,
) -> Result<ImagePlan, SourceError> {
    let entries = layout_entries(store)?;
    let images = layout_images(&entries);
    let (chosen, implied) = choose(store.root(), &images, choice)?;
    let entry = entries
        .iter()
        .find(|e| e.digest == images[chosen].id)
        .ok_or_else(|| source_err(store.root(), "index.json lists no manifest"))?;
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
    Ok(ImagePlan {
        blobs,
        platform_manifests,
        top,
        tag: tag.map(str::to_owned).or(implied),
    })
}

fn docker_entries(store: &TarStore) -> Result<Vec<DockerSaveEntry>, SourceError> {
    from_json(&store.read("manifest.json")?)
        .map_err(|e| source_err(&store.path, format!("manifest.json: {e}")))
}

/// Plans the push of an image of a legacy `docker save` archive: a Docker
/// v2 schema 2 manifest is built from `manifest.json` (layers
/// uncompressed, as saved).
fn plan_docker_save(
    store: &TarStore,
    choice: Option<&str>,
    tag: Option<&str>,
) -> Result<ImagePlan, SourceError> {
    let entries = docker_entries(store)?;
    let images = docker_images(store, &entries)?;
    let (chosen, implied) = choose(&store.path, &images, choice)?;
    let entry = &entries[chosen];
    let config = store.read(&entry.config)?;
    let config_digest = sha256_digest(&config);
    let (config_offset, _) = store.range(&entry.config)?;
    let mut blobs = vec![PlannedBlob {
        digest: config_digest.clone(),
        size: config.len() as u64,
        location: BlobLocation {
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
        blobs.push(PlannedBlob {
            digest,
            size,
            location: BlobLocation {
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
    Ok(ImagePlan {
        blobs,
        platform_manifests: Vec::new(),
        top: RawManifest::new(bytes, Some(DOCKER_MANIFEST)),
        tag: tag.map(str::to_owned).or(implied),
    })
}

fn hash_range(path: &Path, offset: u64, size: u64) -> Result<String, SourceError> {
    use std::io::{Read, Seek, SeekFrom};
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

/// Opens a blob's bytes from `from` on (a resumed upload skips what the
/// service holds).
pub(crate) async fn open_blob(
    blob: &PlannedBlob,
    from: u64,
) -> std::io::Result<Box<dyn AsyncRead + Unpin + Send>> {
    let (path, start) = (&blob.location.path, blob.location.offset);
    let mut file = tokio::fs::File::open(path).await?;
    let from = from.min(blob.size);
    let at = start.checked_add(from).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "blob offset out of range")
    })?;
    if at > 0 {
        file.seek(std::io::SeekFrom::Start(at)).await?;
    }
    Ok(Box::new(file.take(blob.size - from)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, refs: &[&str]) -> SourceImage {
        SourceImage {
            refs: refs.iter().map(|r| r.to_string()).collect(),
            id: id.into(),
        }
    }

    #[test]
    fn tags_come_from_the_names() {
        assert_eq!(tag_of("v1").as_deref(), Some("v1"));
        assert_eq!(tag_of("example/app:1.0").as_deref(), Some("1.0"));
        assert_eq!(tag_of("localhost:5000/app:2").as_deref(), Some("2"));
        assert_eq!(tag_of("localhost:5000/app"), None);
        assert_eq!(tag_of("example/app"), None);
        assert_eq!(tag_of("app@sha256:00"), None);
        assert_eq!(tag_of("app:"), None);
        let both = image("sha256:1", &["a:1", "a:latest", "b:1"]);
        assert_eq!(both.tags(), ["1", "latest"]);
    }

    #[test]
    fn several_images_are_never_picked_silently() {
        let root = Path::new("layout");
        let images = [image("sha256:1", &["v1"]), image("sha256:2", &["v2"])];
        let err = choose(root, &images, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "layout holds 2 images: v1 (sha256:1); v2 (sha256:2); choose one by name or id"
        );
        assert_eq!(
            choose(root, &images, Some("v2")).unwrap(),
            (1, Some("v2".into()))
        );
        assert_eq!(
            choose(root, &images, Some("sha256:1")).unwrap(),
            (0, Some("v1".into()))
        );
        let err = choose(root, &images, Some("v3")).unwrap_err();
        assert!(
            matches!(&err, SourceError::NoSuchImage { image, .. } if image == "v3"),
            "{err}"
        );
        // The same name on two images is still a choice to make.
        let twice = [image("sha256:1", &["x"]), image("sha256:2", &["x"])];
        assert!(matches!(
            choose(root, &twice, Some("x")),
            Err(SourceError::Ambiguous { images, .. }) if images.len() == 2
        ));
        let one = [image("sha256:1", &[])];
        assert_eq!(choose(root, &one, None).unwrap(), (0, None));
    }
}
