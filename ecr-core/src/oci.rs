//! The OCI content model that push, pull and copy share: media types,
//! content descriptors, the parts of a manifest or index an image transfer
//! reads, digests, and the names a repository and a reference may take.
//!
//! Specifications: the image spec's
//! [descriptors](https://github.com/opencontainers/image-spec/blob/main/descriptor.md),
//! [manifests](https://github.com/opencontainers/image-spec/blob/main/manifest.md)
//! and [indexes](https://github.com/opencontainers/image-spec/blob/main/image-index.md);
//! the distribution spec's
//! [names and references](https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests).
//! A manifest travels as the exact bytes it was written with (its digest is
//! the SHA-256 of those bytes); these types only read what a transfer needs
//! and never re-serialize a manifest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index (a multi-platform image, or a set of images).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker image manifest, version 2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker manifest list (Docker's multi-platform index).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// An uncompressed Docker layer, as `docker save` writes it.
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
/// The annotation that names an image in a layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// The manifest media types push, pull and copy handle, in the order a
/// request's `Accept` header (and `BatchGetImage`'s `acceptedMediaTypes`)
/// lists them. Docker's schema 1 is not among them: ECR converts it on
/// request only, and no current tool writes it.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// The largest manifest read or sent (ECR's limit, 4 MiB).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Whether `media_type` is an index (an OCI index or a Docker manifest list).
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// A content descriptor: what a manifest says of a blob or of another
/// manifest. Members this crate does not read (`urls`, `artifactType`,
/// ...) are kept in `extra`, so a descriptor copied into a layout's
/// `index.json` loses nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type of the content.
    #[serde(default)]
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// The content's size in bytes.
    pub size: u64,
    /// The platform, for an index entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Members not listed above, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Descriptor {
    /// A descriptor with no platform, annotations or other members.
    pub fn new(media_type: impl Into<String>, digest: impl Into<String>, size: u64) -> Self {
        Self {
            media_type: media_type.into(),
            digest: digest.into(),
            size,
            platform: None,
            annotations: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The `org.opencontainers.image.ref.name` annotation, if any.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotations.get(REF_NAME).map(String::as_str)
    }
}

/// The platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `amd64`, `arm64`, ...
    pub architecture: String,
    /// `linux`, `windows`, ...
    pub os: String,
    /// `v8`, ... (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Members not listed above, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// What an image transfer reads of a manifest or an index: its media type,
/// its config and layers (a manifest), its entries (an index).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestDoc {
    /// `mediaType`, where the document states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob (a manifest).
    #[serde(default)]
    pub config: Option<Descriptor>,
    /// The layers (a manifest).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub layers: Vec<Descriptor>,
    /// The entries (an index).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
}

/// A list that a writer may have left `null`, read as empty.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Descriptor>, D::Error> {
    Ok(Option::<Vec<Descriptor>>::deserialize(d)?.unwrap_or_default())
}

impl ManifestDoc {
    /// Reads a manifest or an index.
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The blobs a manifest names: its config, then its layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Descriptor> {
        self.config.iter().chain(self.layers.iter())
    }
}

/// A manifest or index as it travels: its exact bytes, media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawManifest {
    /// The bytes, unchanged.
    pub bytes: bytes::Bytes,
    /// Its media type.
    pub media_type: String,
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
}

impl RawManifest {
    /// Wraps manifest bytes, computing their digest. The media type is
    /// `media_type` when given, else the document's own `mediaType`.
    pub fn new(bytes: bytes::Bytes, media_type: Option<&str>) -> Self {
        let media_type = match media_type.filter(|m| !m.is_empty()) {
            Some(m) => m.to_owned(),
            None => ManifestDoc::parse(&bytes)
                .ok()
                .and_then(|d| d.media_type)
                .unwrap_or_default(),
        };
        Self {
            digest: sha256_digest(&bytes),
            bytes,
            media_type,
        }
    }

    /// Whether this is an index.
    pub fn is_index(&self) -> bool {
        is_index(&self.media_type)
    }

    /// A descriptor of this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

/// A streaming SHA-256 of blob bytes, giving `sha256:<hex>`: ring's
/// (BoringSSL's assembly, with the SHA extensions where the CPU has them;
/// ring is built anyway, as rustls's crypto). On the pull path it took
/// half the CPU of sha2 0.11's (BENCHMARKS.md, "registry").
#[derive(Clone)]
pub struct BlobHasher(ring::digest::Context);

impl Default for BlobHasher {
    fn default() -> Self {
        Self(ring::digest::Context::new(&ring::digest::SHA256))
    }
}

impl BlobHasher {
    /// A hash of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// `sha256:<hex>` of the bytes added.
    pub fn finish(self) -> String {
        format!("sha256:{}", hex::encode(self.0.finish().as_ref()))
    }
}

impl std::fmt::Debug for BlobHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobHasher")
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A digest split into its algorithm and hex, checked: `sha256:` and 64
/// lowercase hex digits (the only algorithm registries, ECR included,
/// accept for content today).
pub fn parse_digest(digest: &str) -> Option<(&str, &str)> {
    let (algo, hex) = digest.split_once(':')?;
    let ok = algo == "sha256"
        && hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then_some((algo, hex))
}

/// Whether `name` is a valid repository name: path components of
/// lowercase letters and digits joined by `.`, `_`, `__` or dashes,
/// separated by `/` (the distribution spec's
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`),
/// at most 255 characters.
pub fn is_valid_repository(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.split('/').all(is_valid_component)
}

fn is_valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Separators: one `.`, one or two `_`, or any run of `-`, each between
    // alphanumerics.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Whether `tag` is a valid tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes[1..]
            .iter()
            .all(|&b| word(b) || b == b'.' || b == b'-')
}

/// What a manifest is asked for by: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// A tag (`1.0`, `latest`).
    Tag(String),
    /// A digest (`sha256:<hex>`).
    Digest(String),
}

impl Reference {
    /// Parses a tag or a digest; `None` if it is neither.
    pub fn parse(text: &str) -> Option<Self> {
        if text.contains(':') {
            parse_digest(text).map(|_| Self::Digest(text.to_owned()))
        } else {
            is_valid_tag(text).then(|| Self::Tag(text.to_owned()))
        }
    }

    /// The text as it goes in a URL or an API call.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Tag(t) | Self::Digest(t) => t,
        }
    }

    /// The tag, if this is one.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Self::Tag(t) => Some(t),
            Self::Digest(_) => None,
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_distribution_grammar() {
        for ok in ["a", "my/app", "a.b_c__d---e/f0", "library/alpine", "0/1"] {
            assert!(is_valid_repository(ok), "{ok}");
        }
        for bad in [
            "", "A", "a//b", "/a", "a/", "a..b", "a___b", "-a", "a-", "a:b", "a b",
        ] {
            assert!(!is_valid_repository(bad), "{bad}");
        }
        assert!(!is_valid_repository(&"a".repeat(256)));
    }

    #[test]
    fn tags_and_digests() {
        assert!(is_valid_tag("1.0-rc_1"));
        assert!(is_valid_tag("_x"));
        assert!(!is_valid_tag(".x"));
        assert!(!is_valid_tag(&"a".repeat(129)));
        let digest = sha256_digest(b"");
        assert_eq!(
            digest,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(parse_digest(&digest).is_some());
        let mut streamed = BlobHasher::new();
        streamed.update(b"ab");
        let copy = streamed.clone();
        streamed.update(b"c");
        assert_eq!(streamed.finish(), sha256_digest(b"abc"));
        assert_eq!(copy.finish(), sha256_digest(b"ab"));
        assert!(parse_digest("sha256:E3B0").is_none());
        assert!(parse_digest("sha512:00").is_none());
        assert_eq!(
            Reference::parse(&digest),
            Some(Reference::Digest(digest.clone()))
        );
        assert_eq!(Reference::parse("v1"), Some(Reference::Tag("v1".into())));
        assert_eq!(Reference::parse("sha256:zz"), None);
        assert_eq!(Reference::parse("a/b"), None);
    }

    #[test]
    fn descriptors_keep_members_they_do_not_model() {
        let text = r#"{"mediaType":"m","digest":"sha256:00","size":3,"urls":["u"],"annotations":{"k":"v"},"platform":{"architecture":"arm64","os":"linux","variant":"v8","os.features":["f"]}}"#;
        let d: Descriptor = serde_json::from_str(text).unwrap();
        assert_eq!(d.size, 3);
        assert_eq!(d.platform.as_ref().unwrap().variant.as_deref(), Some("v8"));
        let back: serde_json::Value = serde_json::to_value(&d).unwrap();
        let orig: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn raw_manifest_takes_the_documents_media_type_when_none_is_given() {
        let bytes = bytes::Bytes::from_static(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#);
        let m = RawManifest::new(bytes.clone(), None);
        assert!(m.is_index());
        assert_eq!(m.digest, sha256_digest(&bytes));
        assert_eq!(
            RawManifest::new(bytes, Some(OCI_MANIFEST)).media_type,
            OCI_MANIFEST
        );
    }
}
