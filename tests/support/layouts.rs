//! OCI image layouts for the registry tests: written with random layers,
//! single-platform or a multi-platform index, and checked after a pull
//! (every blob and manifest the index reaches present and matching its
//! name).

use std::path::Path;

use serde_json::{Value, json};

use crate::{random_bytes, sha256_digest};

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Writes a blob into `dir/blobs/sha256` and returns its descriptor.
pub fn put_blob(dir: &Path, media_type: &str, bytes: &[u8]) -> Value {
    let digest = sha256_digest(bytes);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir blobs");
    std::fs::write(dir.join("blobs/sha256").join(hex), bytes).expect("write blob");
    json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
}

/// A platform manifest with a config and layers of `sizes` bytes (seeded).
pub fn image_manifest(dir: &Path, arch: &str, sizes: &[usize], seed: u64) -> Value {
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {"Labels": {"seed": seed.to_string()}},
    }))
    .unwrap();
    let config = put_blob(dir, "application/vnd.oci.image.config.v1+json", &config);
    let layers: Vec<Value> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            put_blob(
                dir,
                "application/vnd.oci.image.layer.v1.tar",
                &random_bytes(size, seed * 1000 + i as u64),
            )
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers,
    }))
    .unwrap();
    put_blob(dir, OCI_MANIFEST, &manifest)
}

fn write_index(dir: &Path, mut top: Value, tag: &str) {
    top["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// A single-platform layout tagged `tag`; returns the manifest's digest.
pub fn single_layout(dir: &Path, tag: &str, sizes: &[usize], seed: u64) -> String {
    let top = image_manifest(dir, "amd64", sizes, seed);
    let digest = top["digest"].as_str().unwrap().to_owned();
    write_index(dir, top, tag);
    digest
}

/// A layout whose `tag` names an index of two platforms (amd64, arm64)
/// that share their first layer; returns the index's digest.
pub fn index_layout(dir: &Path, tag: &str, seed: u64) -> String {
    let mut amd64 = image_manifest(dir, "amd64", &[300_000, 200_000], seed);
    let mut arm64 = image_manifest(dir, "arm64", &[300_000, 150_000], seed + 1);
    // The shared base layer: the same bytes in both.
    let shared = random_bytes(250_000, seed + 7);
    for (m, arch) in [(&mut amd64, "amd64"), (&mut arm64, "arm64")] {
        let path = dir
            .join("blobs/sha256")
            .join(m["digest"].as_str().unwrap().trim_start_matches("sha256:"));
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let base = put_blob(dir, "application/vnd.oci.image.layer.v1.tar", &shared);
        doc["layers"].as_array_mut().unwrap().insert(0, base);
        let bytes = serde_json::to_vec(&doc).unwrap();
        *m = put_blob(dir, OCI_MANIFEST, &bytes);
        m["platform"] = json!({"architecture": arch, "os": "linux"});
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64],
    }))
    .unwrap();
    let top = put_blob(dir, OCI_INDEX, &index);
    let digest = top["digest"].as_str().unwrap().to_owned();
    write_index(dir, top, tag);
    digest
}

/// Checks a layout: the entry named `tag` (its digest returned), and every
/// manifest, index and blob it reaches present with bytes matching the
/// digest. Returns the digests of every blob and manifest reached.
pub fn verify_layout(dir: &Path, tag: &str) -> (String, Vec<String>) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let layout: Value =
        serde_json::from_slice(&std::fs::read(dir.join("oci-layout")).expect("oci-layout"))
            .unwrap();
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    let entry = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("no entry named {tag} in {index}"))
        .clone();
    let mut reached = Vec::new();
    let mut queue = vec![entry.clone()];
    while let Some(desc) = queue.pop() {
        let digest = desc["digest"].as_str().unwrap().to_owned();
        let bytes = std::fs::read(
            dir.join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap_or_else(|e| panic!("{digest} missing from {}: {e}", dir.display()));
        assert_eq!(
            sha256_digest(&bytes),
            digest,
            "{digest}: bytes do not match"
        );
        assert_eq!(
            bytes.len() as u64,
            desc["size"].as_u64().unwrap(),
            "{digest}: size"
        );
        let media = desc["mediaType"].as_str().unwrap_or("");
        if media.contains("manifest") || media.contains("index") {
            let doc: Value = serde_json::from_slice(&bytes).unwrap();
            for d in doc["manifests"].as_array().into_iter().flatten() {
                queue.push(d.clone());
            }
            if let Some(c) = doc.get("config") {
                queue.push(c.clone());
            }
            for d in doc["layers"].as_array().into_iter().flatten() {
                queue.push(d.clone());
            }
        }
        reached.push(digest);
    }
    reached.sort();
    reached.dedup();
    (entry["digest"].as_str().unwrap().to_owned(), reached)
}
