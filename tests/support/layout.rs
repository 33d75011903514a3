//! OCI image layouts and `docker save` archives written for tests.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::sha256_digest;

/// The OCI manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The annotation that names an image of a layout.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An empty directory under the system's temporary directory, named for the
/// test and the process, with `blobs/sha256` in it.
pub fn temp_layout_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecr-layout-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
    dir
}

/// Writes a blob into an OCI layout and returns its descriptor.
pub fn put_blob(dir: &Path, media_type: &str, bytes: &[u8]) -> Value {
    let digest = sha256_digest(bytes);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(dir.join("blobs/sha256").join(hex), bytes).expect("write blob");
    json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
}

/// Writes a platform manifest with a config and the given layers; returns
/// its descriptor.
pub fn image_manifest(dir: &Path, arch: &str, layers: &[Vec<u8>]) -> Value {
    let config = serde_json::to_vec(
        &json!({"architecture": arch, "os": "linux", "rootfs": {"type": "layers"}}),
    )
    .expect("config");
    let config = put_blob(dir, "application/vnd.oci.image.config.v1+json", &config);
    let layers: Vec<_> = layers
        .iter()
        .map(|l| put_blob(dir, "application/vnd.oci.image.layer.v1.tar+gzip", l))
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers,
    }))
    .expect("manifest");
    put_blob(dir, OCI_MANIFEST, &manifest)
}

/// Writes `oci-layout` and an `index.json` listing these descriptors, each
/// with its `ref.name` annotation when it has a name.
pub fn write_index(dir: &Path, entries: &[(&Value, Option<&str>)]) {
    let manifests: Vec<Value> = entries
        .iter()
        .map(|(desc, name)| {
            let mut d = (*desc).clone();
            if let Some(name) = name {
                d["annotations"] = json!({ REF_NAME: name });
            }
            d
        })
        .collect();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&index).expect("index"),
    )
    .expect("index.json");
}

/// Appends one file to a tar archive.
pub fn tar_append(builder: &mut tar::Builder<std::fs::File>, name: &str, bytes: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, name, bytes)
        .expect("append");
}

/// Writes a legacy `docker save` archive of one image: a config, the
/// layers, and `manifest.json` naming it `repo_tags`.
pub fn docker_archive(path: &Path, config: &[u8], layers: &[Vec<u8>], repo_tags: &[&str]) {
    let mut b = tar::Builder::new(std::fs::File::create(path).expect("create archive"));
    tar_append(&mut b, "config.json", config);
    let mut names = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let name = format!("l{i}/layer.tar");
        tar_append(&mut b, &name, layer);
        names.push(name);
    }
    let manifest = json!([{"Config": "config.json", "RepoTags": repo_tags, "Layers": names}]);
    tar_append(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).expect("manifest"),
    );
    b.finish().expect("finish archive");
}
