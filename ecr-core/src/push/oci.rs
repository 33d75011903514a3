//! The JSON documents an image source holds: OCI descriptors, manifests
//! and indexes, and a legacy `docker save` archive's `manifest.json`; and
//! the Docker manifest built for such an archive.

use std::collections::HashMap;

/// An OCI content descriptor (`mediaType`, `digest`, `size`, `annotations`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    #[serde(default)]
    pub(crate) annotations: HashMap<String, String>,
}

/// An image index or manifest: what the push needs of either.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestDoc {
    pub(crate) media_type: Option<String>,
    pub(crate) config: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub(crate) layers: Vec<Descriptor>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub(crate) manifests: Vec<Descriptor>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Descriptor>, D::Error> {
    Ok(<Option<Vec<Descriptor>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DockerSaveEntry {
    pub(crate) config: String,
    pub(crate) repo_tags: Option<Vec<String>>,
    pub(crate) layers: Vec<String>,
}

/// The Docker image manifest built for a `docker save` archive, members in
/// the order Docker writes them.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DockerManifest<'a> {
    pub(crate) schema_version: u32,
    pub(crate) media_type: &'a str,
    pub(crate) config: WrittenDescriptor<'a>,
    pub(crate) layers: Vec<WrittenDescriptor<'a>>,
}

/// A descriptor as Docker writes it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WrittenDescriptor<'a> {
    pub(crate) media_type: &'a str,
    pub(crate) size: u64,
    pub(crate) digest: String,
}
