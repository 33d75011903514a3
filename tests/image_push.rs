//! Image push from an OCI image layout (single and multi-platform) and from
//! `docker save` archives, against a live moto server on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::{BatchGetImage, CreateRepository, DescribeImages, ImageIdentifier};
use ecrkit::push::{ImageProgress, ImagePush, ImageSource};
use serde_json::json;

const MIB: usize = 1 << 20;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecr-image-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("blobs/sha256")).expect("mkdir");
    dir
}

/// Writes a blob into an OCI layout and returns its descriptor.
fn put_blob(dir: &Path, media_type: &str, bytes: &[u8]) -> serde_json::Value {
    let digest = sha256_digest(bytes);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(dir.join("blobs/sha256").join(hex), bytes).expect("write blob");
    json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
}

/// A platform manifest with a config and the given layers.
fn image_manifest(dir: &Path, arch: &str, layers: &[Vec<u8>]) -> serde_json::Value {
    let config = serde_json::to_vec(
        &json!({"architecture": arch, "os": "linux", "rootfs": {"type": "layers"}}),
    )
    .unwrap();
    let config = put_blob(dir, "application/vnd.oci.image.config.v1+json", &config);
    let layers: Vec<_> = layers
        .iter()
        .map(|l| put_blob(dir, "application/vnd.oci.image.layer.v1.tar+gzip", l))
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers,
    }))
    .unwrap();
    put_blob(dir, OCI_MANIFEST, &manifest)
}

fn write_index(dir: &Path, mut top: serde_json::Value, tag: &str) {
    top["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

async fn create_repo(client: &ecrkit::Client, name: &str) {
    CreateRepository {
        repository_name: name.into(),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("create");
}

async fn manifest_of(client: &ecrkit::Client, repo: &str, tag: &str) -> (String, String) {
    let out = BatchGetImage {
        repository_name: repo.into(),
        image_ids: vec![ImageIdentifier {
            image_tag: Some(tag.into()),
            ..Default::default()
        }],
        ..Default::default()
    }
    .send(client)
    .await
    .expect("BatchGetImage");
    let images = out.images.unwrap_or_default();
    assert_eq!(images.len(), 1, "failures: {:?}", out.failures);
    let image = &images[0];
    (
        image.image_manifest.clone().expect("manifest"),
        image
            .image_id
            .as_ref()
            .and_then(|i| i.image_digest.clone())
            .expect("digest"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oci_layout_pushes_and_reads_back_identical() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/oci").await;
    let dir = temp_dir("oci");
    let layers = vec![
        random_bytes(MIB, 1),
        random_bytes(3 * MIB, 2),
        random_bytes(11 * MIB, 3),
    ];
    let top = image_manifest(&dir, "amd64", &layers);
    write_index(&dir, top.clone(), "v1");

    let seen = Arc::new(Mutex::new(Vec::<ImageProgress>::new()));
    let mut push = ImagePush::new("images/oci");
    push.max_part_size = Some(5 * MIB);
    let log = seen.clone();
    push.progress = Some(Arc::new(move |p| log.lock().unwrap().push(p)));
    let pushed = push
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");
    assert_eq!(pushed.tag.as_deref(), Some("v1"));
    assert_eq!(pushed.blobs_pushed, 4, "config + 3 layers");
    assert_eq!(pushed.blobs_present, 0);
    assert_eq!(pushed.digest, top["digest"]);
    let progress = seen.lock().unwrap().clone();
    let big = sha256_digest(&layers[2]);
    assert_eq!(
        progress.iter().filter(|p| p.digest == big).count(),
        3,
        "11 MiB in 5 MiB parts"
    );

    let (manifest, digest) = manifest_of(&client, "images/oci", "v1").await;
    let hex = pushed.digest.trim_start_matches("sha256:");
    assert_eq!(
        manifest.as_bytes(),
        std::fs::read(dir.join("blobs/sha256").join(hex))
            .unwrap()
            .as_slice()
    );
    assert_eq!(digest, pushed.digest);

    // Every layer is present now: a second push sends only the manifest.
    let again = ImagePush::new("images/oci")
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("again");
    assert_eq!(again.blobs_pushed, 0);
    assert_eq!(again.blobs_present, 4);
    let described = DescribeImages {
        repository_name: "images/oci".into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("DescribeImages");
    let details = described.image_details.unwrap_or_default();
    assert_eq!(details.len(), 1);
    assert_eq!(
        details[0].image_digest.as_deref(),
        Some(pushed.digest.as_str())
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_platform_index_pushes_each_platform_then_the_index() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/multi").await;
    let dir = temp_dir("multi");
    let shared = random_bytes(2 * MIB, 9);
    let amd = image_manifest(&dir, "amd64", &[shared.clone(), random_bytes(MIB, 10)]);
    let arm = image_manifest(&dir, "arm64", &[shared, random_bytes(MIB, 11)]);
    let mut amd_d = amd.clone();
    amd_d["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let mut arm_d = arm.clone();
    arm_d["platform"] = json!({"architecture": "arm64", "os": "linux"});
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [amd_d, arm_d],
    }))
    .unwrap();
    let index_desc = put_blob(&dir, "application/vnd.oci.image.index.v1+json", &index);
    write_index(&dir, index_desc.clone(), "multi");

    let pushed = ImagePush::new("images/multi")
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");
    assert_eq!(
        pushed.platform_manifests,
        vec![
            amd["digest"].as_str().unwrap(),
            arm["digest"].as_str().unwrap()
        ]
    );
    assert_eq!(
        pushed.blobs_pushed, 5,
        "two configs, one shared layer, two own layers"
    );
    let (manifest, digest) = manifest_of(&client, "images/multi", "multi").await;
    assert_eq!(manifest.as_bytes(), index.as_slice());
    assert_eq!(digest, index_desc["digest"]);
    let _ = std::fs::remove_dir_all(dir);
}

fn tar_append(builder: &mut tar::Builder<std::fs::File>, name: &str, bytes: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, name, bytes)
        .expect("append");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_save_archive_pushes_a_schema2_manifest() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/docker").await;
    let dir = temp_dir("docker");
    let path = dir.join("image.tar");
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}"#;
    let layers = [random_bytes(MIB + 5, 21), random_bytes(2 * MIB, 22)];
    {
        let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
        tar_append(&mut b, "abc123.json", config);
        tar_append(&mut b, "l1/layer.tar", &layers[0]);
        tar_append(&mut b, "l2/layer.tar", &layers[1]);
        let manifest = json!([{"Config": "abc123.json", "RepoTags": ["example/app:1.0"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]);
        tar_append(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        b.finish().unwrap();
    }
    let pushed = ImagePush::new("images/docker")
        .push(&client, &ImageSource::DockerArchive(path.clone()))
        .await
        .expect("push");
    assert_eq!(pushed.tag.as_deref(), Some("1.0"));
    assert_eq!(
        pushed.media_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(pushed.blobs_pushed, 3);
    let doc: serde_json::Value = serde_json::from_slice(&pushed.manifest).unwrap();
    assert_eq!(doc["config"]["digest"], sha256_digest(config));
    assert_eq!(doc["layers"][1]["digest"], sha256_digest(&layers[1]));
    assert_eq!(doc["layers"][0]["size"], layers[0].len());
    let (manifest, digest) = manifest_of(&client, "images/docker", "1.0").await;
    assert_eq!(manifest.as_bytes(), &pushed.manifest[..]);
    assert_eq!(digest, sha256_digest(&pushed.manifest));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oci_layout_inside_a_docker_save_tar() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/ocitar").await;
    let dir = temp_dir("ocitar");
    let top = image_manifest(&dir, "amd64", &[random_bytes(MIB, 31)]);
    write_index(&dir, top.clone(), "latest");
    let path = std::env::temp_dir().join(format!("ecr-ocitar-{}.tar", std::process::id()));
    {
        let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
        b.append_dir_all(".", &dir).unwrap();
        b.finish().unwrap();
    }
    let pushed = ImagePush::new("images/ocitar")
        .push(&client, &ImageSource::DockerArchive(path.clone()))
        .await
        .expect("push");
    assert_eq!(pushed.digest, top["digest"]);
    assert_eq!(pushed.blobs_pushed, 2);
    let (_, digest) = manifest_of(&client, "images/ocitar", "latest").await;
    assert_eq!(digest, pushed.digest);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_corrupt_layout_is_a_clear_error_before_any_call() {
    let dir = temp_dir("corrupt");
    let top = image_manifest(&dir, "amd64", &[random_bytes(1000, 41)]);
    write_index(&dir, top.clone(), "x");
    // Change the manifest's bytes: its digest no longer matches.
    let hex = top["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_owned();
    std::fs::write(dir.join("blobs/sha256").join(&hex), b"{}").unwrap();
    let client = ecr_tests::client_for(&format!("http://127.0.0.1:{}", ecr_tests::free_port()));
    let err = ImagePush::new("images/x")
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect_err("corrupt");
    assert!(
        err.to_string().contains("does not match its digest"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
