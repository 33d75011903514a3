//! The JSON documents of a legacy `docker save` archive: its
//! `manifest.json`, and the Docker manifest built for an image of it (the
//! OCI documents are in [`crate::oci`]).

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
