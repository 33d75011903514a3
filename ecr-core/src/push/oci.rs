//! The JSON documents an image source holds: OCI descriptors, manifests
//! and indexes, and a legacy `docker save` archive's `manifest.json`; and
//! the descriptor a built Docker manifest writes.

use std::collections::HashMap;

use crate::json::{FromJson, JsonError, JsonReader, JsonWriter};

/// An OCI content descriptor (`mediaType`, `digest`, `size`, `annotations`).
pub(crate) struct Descriptor {
    pub(crate) media_type: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    pub(crate) annotations: HashMap<String, String>,
}

impl FromJson for Descriptor {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let (mut media_type, mut digest, mut size, mut annotations) = (None, None, None, None);
        r.object(&mut |r, key| {
            match key {
                "mediaType" => media_type = FromJson::read_json(r)?,
                "digest" => digest = Some(FromJson::read_json(r)?),
                "size" => size = Some(FromJson::read_json(r)?),
                "annotations" => annotations = FromJson::read_json(r)?,
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(Self {
            media_type: media_type.unwrap_or_default(),
            digest: digest.ok_or_else(|| r.missing("digest"))?,
            size: size.ok_or_else(|| r.missing("size"))?,
            annotations: annotations.unwrap_or_default(),
        })
    }
}

/// An image index or manifest: what the push needs of either.
pub(crate) struct ManifestDoc {
    pub(crate) media_type: Option<String>,
    pub(crate) config: Option<Descriptor>,
    pub(crate) layers: Vec<Descriptor>,
    pub(crate) manifests: Vec<Descriptor>,
}

impl FromJson for ManifestDoc {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let mut doc = ManifestDoc {
            media_type: None,
            config: None,
            layers: Vec::new(),
            manifests: Vec::new(),
        };
        r.object(&mut |r, key| {
            match key {
                "mediaType" => doc.media_type = FromJson::read_json(r)?,
                "config" => doc.config = FromJson::read_json(r)?,
                "layers" => doc.layers = <Option<_>>::read_json(r)?.unwrap_or_default(),
                "manifests" => doc.manifests = <Option<_>>::read_json(r)?.unwrap_or_default(),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(doc)
    }
}

/// One image of a `docker save` archive's `manifest.json`.
pub(crate) struct DockerSaveEntry {
    pub(crate) config: String,
    pub(crate) repo_tags: Option<Vec<String>>,
    pub(crate) layers: Vec<String>,
}

impl FromJson for DockerSaveEntry {
    fn read_json(r: &mut JsonReader<'_>) -> Result<Self, JsonError> {
        let (mut config, mut repo_tags, mut layers) = (None, None, None);
        r.object(&mut |r, key| {
            match key {
                "Config" => config = Some(FromJson::read_json(r)?),
                "RepoTags" => repo_tags = FromJson::read_json(r)?,
                "Layers" => layers = Some(FromJson::read_json(r)?),
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(Self {
            config: config.ok_or_else(|| r.missing("Config"))?,
            repo_tags,
            layers: layers.ok_or_else(|| r.missing("Layers"))?,
        })
    }
}

pub(crate) fn write_descriptor(w: &mut JsonWriter<'_>, media_type: &str, size: u64, digest: &str) {
    w.begin_object();
    w.member("mediaType", media_type);
    w.member("size", &size);
    w.member("digest", digest);
    w.end_object();
}
