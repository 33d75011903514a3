//! The OCI image layout a pull writes: `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>` (<https://github.com/opencontainers/image-spec/blob/main/image-layout.md>).
//!
//! A file appears under its digest's name only once its bytes were checked
//! against that digest: downloads go to `.ecrkit-partial/sha256-<hex>` and
//! are renamed into `blobs/` when complete and verified. A partial file
//! left by an interrupted pull is continued from its length (after hashing
//! what it holds) by the next one.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::oci::{Descriptor, REF_NAME, parse_digest};

/// The layout version this writer produces and reads.
const LAYOUT_VERSION: &str = "1.0.0";

/// Where partial downloads wait.
const PARTIAL_DIR: &str = ".ecrkit-partial";

/// A layout directory being written.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

fn io_err(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl Layout {
    /// Opens `root` as a layout, creating it (and `oci-layout`) if needed;
    /// an existing `oci-layout` must name version 1.0.0.
    pub(crate) fn open(root: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join("blobs/sha256")).map_err(|e| io_err(root, e))?;
        std::fs::create_dir_all(root.join(PARTIAL_DIR)).map_err(|e| io_err(root, e))?;
        let marker = root.join("oci-layout");
        match std::fs::read(&marker) {
            Ok(bytes) => {
                let version = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("imageLayoutVersion")?.as_str().map(str::to_owned));
                if version.as_deref() != Some(LAYOUT_VERSION) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "{}: not an OCI layout of version {LAYOUT_VERSION} ({version:?})",
                            marker.display()
                        ),
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomically(
                    &marker,
                    format!("{{\"imageLayoutVersion\":\"{LAYOUT_VERSION}\"}}").as_bytes(),
                )?;
            }
            Err(e) => return Err(io_err(&marker, e)),
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    /// The layout's directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// `blobs/sha256/<hex>` of a digest (checked well formed).
    pub(crate) fn blob_path(&self, digest: &str) -> std::io::Result<PathBuf> {
        let (algo, hex) = parse_digest(digest).ok_or_else(|| bad_digest(digest))?;
        Ok(self.root.join("blobs").join(algo).join(hex))
    }

    /// Where a download of `digest` waits until it is verified.
    pub(crate) fn partial_path(&self, digest: &str) -> std::io::Result<PathBuf> {
        let (algo, hex) = parse_digest(digest).ok_or_else(|| bad_digest(digest))?;
        Ok(self.root.join(PARTIAL_DIR).join(format!("{algo}-{hex}")))
    }

    /// Writes bytes already checked against `digest` (a manifest).
    pub(crate) fn write_blob(&self, digest: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.blob_path(digest)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        write_atomically(&path, bytes)
    }

    /// Adds `descriptor` to `index.json`, named `ref_name` when given: an
    /// entry of the same name (or, unnamed, of the same digest) is
    /// replaced; other entries and members are kept.
    pub(crate) fn add_to_index(
        &self,
        descriptor: &Descriptor,
        ref_name: Option<&str>,
    ) -> std::io::Result<()> {
        let path = self.root.join("index.json");
        let mut index = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({
                "schemaVersion": 2,
                "mediaType": crate::oci::OCI_INDEX,
                "manifests": [],
            }),
            Err(e) => return Err(io_err(&path, e)),
        };
        let mut entry = descriptor.clone();
        if let Some(name) = ref_name {
            entry
                .annotations
                .insert(REF_NAME.to_owned(), name.to_owned());
        }
        let entry = serde_json::to_value(&entry)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let Some(object) = index.as_object_mut() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: not a JSON object", path.display()),
            ));
        };
        let manifests = object
            .entry("manifests")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Some(list) = manifests.as_array_mut() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: `manifests` is not an array", path.display()),
            ));
        };
        list.retain(|m| {
            let name = m
                .get("annotations")
                .and_then(|a| a.get(REF_NAME))
                .and_then(Value::as_str);
            match ref_name {
                Some(wanted) => name != Some(wanted),
                None => {
                    name.is_some()
                        || m.get("digest").and_then(Value::as_str) != Some(&descriptor.digest)
                }
            }
        });
        list.push(entry);
        let bytes = serde_json::to_vec(&index)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        write_atomically(&path, &bytes)
    }

    /// Removes the partial-download directory if nothing is left in it.
    pub(crate) fn tidy(&self) {
        let _ = std::fs::remove_dir(self.root.join(PARTIAL_DIR));
    }
}

fn bad_digest(digest: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{digest:?} is not a sha256 digest"),
    )
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into
/// place, so a reader never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_keeps_other_entries_and_replaces_a_name() {
        let dir = std::env::temp_dir().join(format!("ecrkit-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let layout = Layout::open(&dir).unwrap();
        let a = Descriptor::new(crate::oci::OCI_MANIFEST, crate::oci::sha256_digest(b"a"), 1);
        let b = Descriptor::new(crate::oci::OCI_MANIFEST, crate::oci::sha256_digest(b"b"), 1);
        layout.add_to_index(&a, Some("v1")).unwrap();
        layout.add_to_index(&b, Some("v2")).unwrap();
        layout.add_to_index(&b, Some("v1")).unwrap();
        let index: Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let names: Vec<(String, String)> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["annotations"][REF_NAME].as_str().unwrap().to_owned(),
                    m["digest"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("v2".to_owned(), b.digest.clone()),
                ("v1".to_owned(), b.digest.clone())
            ]
        );
        // Reopening checks the version it wrote.
        Layout::open(&dir).unwrap();
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"9"}"#).unwrap();
        assert!(
            Layout::open(&dir)
                .unwrap_err()
                .to_string()
                .contains("not an OCI layout")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
