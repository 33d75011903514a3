//! Image push from an OCI image layout (single and multi-platform) and from
//! `docker save` archives, against a live moto server on 127.0.0.1.

use std::path::Path;
use std::sync::{Arc, Mutex};

use ecr_tests::layout::{image_manifest, put_blob, tar_append, temp_layout_dir, write_index};
use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::{BatchGetImage, CreateRepository, DescribeImages, ImageIdentifier};
use ecrkit::push::{BlobEvent, ImageProgress, ImagePush, ImageSource, SourceError};
use serde_json::json;

const MIB: usize = 1 << 20;

/// A layout of one image named `tag`.
fn write_one(dir: &Path, top: &serde_json::Value, tag: &str) {
    write_index(dir, &[(top, Some(tag))]);
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
    let dir = temp_layout_dir("oci");
    let layers = vec![
        random_bytes(MIB, 1),
        random_bytes(3 * MIB, 2),
        random_bytes(11 * MIB, 3),
    ];
    let top = image_manifest(&dir, "amd64", &layers);
    write_one(&dir, &top, "v1");

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
        progress
            .iter()
            .filter(|p| p.digest == big && p.event == BlobEvent::Part)
            .count(),
        3,
        "11 MiB in 5 MiB parts"
    );
    // Every blob is queued before the first upload starts, then started,
    // uploaded and finished, in that order.
    let events: Vec<&BlobEvent> = progress
        .iter()
        .filter(|p| p.digest == big)
        .map(|p| &p.event)
        .collect();
    assert!(
        matches!(
            events.as_slice(),
            [
                BlobEvent::Queued,
                BlobEvent::Started { .. },
                BlobEvent::Part,
                BlobEvent::Part,
                BlobEvent::Part,
                BlobEvent::Finished
            ]
        ),
        "{events:?}"
    );
    let first_start = progress
        .iter()
        .position(|p| matches!(p.event, BlobEvent::Started { .. }))
        .unwrap();
    assert_eq!(
        progress[..first_start]
            .iter()
            .filter(|p| p.event == BlobEvent::Queued)
            .count(),
        4
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
    let dir = temp_layout_dir("multi");
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
    write_one(&dir, &index_desc, "multi");

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_save_archive_pushes_a_schema2_manifest() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/docker").await;
    let dir = temp_layout_dir("docker");
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
    let dir = temp_layout_dir("ocitar");
    let top = image_manifest(&dir, "amd64", &[random_bytes(MIB, 31)]);
    write_one(&dir, &top, "latest");
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
    let dir = temp_layout_dir("corrupt");
    let top = image_manifest(&dir, "amd64", &[random_bytes(1000, 41)]);
    write_one(&dir, &top, "x");
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

#[tokio::test]
async fn a_layout_of_several_images_is_never_picked_from_silently() {
    let dir = temp_layout_dir("several");
    let v1 = image_manifest(&dir, "amd64", &[random_bytes(1000, 51)]);
    let v2 = image_manifest(&dir, "amd64", &[random_bytes(1000, 52)]);
    let untagged = image_manifest(&dir, "arm64", &[random_bytes(1000, 53)]);
    write_index(
        &dir,
        &[
            (&v1, Some("v1")),
            (&v2, Some("v2")),
            (&v1, Some("latest")),
            (&untagged, None),
        ],
    );
    let source = ImageSource::OciLayout(dir.clone());

    // One image under two names is listed once, with both.
    let images = source.images().expect("images");
    let listed: Vec<(Vec<String>, String)> = images
        .iter()
        .map(|i| (i.refs.clone(), i.id.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                vec!["v1".to_owned(), "latest".to_owned()],
                v1["digest"].as_str().unwrap().to_owned()
            ),
            (
                vec!["v2".to_owned()],
                v2["digest"].as_str().unwrap().to_owned()
            ),
            (vec![], untagged["digest"].as_str().unwrap().to_owned()),
        ]
    );
    assert_eq!(images[0].tags(), ["v1", "latest"]);

    // Nothing listens there: the choice fails before any call.
    let client = ecr_tests::client_for(&format!("http://127.0.0.1:{}", ecr_tests::free_port()));
    let err = ImagePush::new("images/x")
        .push(&client, &source)
        .await
        .expect_err("ambiguous");
    match &err {
        ecrkit::push::ImagePushError::Source(SourceError::Ambiguous { images, .. }) => {
            assert_eq!(images.len(), 3)
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string()
            .contains("holds 3 images: v1, latest (sha256:"),
        "{err}"
    );
    let mut push = ImagePush::new("images/x");
    push.image = Some("v3".into());
    let err = push
        .push(&client, &source)
        .await
        .expect_err("no such image");
    assert!(
        matches!(&err, ecrkit::push::ImagePushError::Source(SourceError::NoSuchImage { image, .. }) if image == "v3"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_image_is_pushed_under_the_tag_its_name_carries() {
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/choice").await;
    let dir = temp_layout_dir("choice");
    let a = image_manifest(&dir, "amd64", &[random_bytes(2000, 61)]);
    let b = image_manifest(&dir, "amd64", &[random_bytes(2000, 62)]);
    write_index(
        &dir,
        &[(&a, Some("example/app:1.0")), (&b, Some("example/app:2.0"))],
    );
    let mut push = ImagePush::new("images/choice");
    push.image = Some("example/app:2.0".into());
    let pushed = push
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");
    assert_eq!(pushed.tag.as_deref(), Some("2.0"));
    assert_eq!(pushed.digest, b["digest"]);
    let (_, digest) = manifest_of(&client, "images/choice", "2.0").await;
    assert_eq!(digest, pushed.digest);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_push_resumes_a_blob_upload_where_the_service_stands() {
    use ecrkit::ecr::{InitiateLayerUpload, UploadLayerPart};
    let moto = Moto::start();
    let client = moto.client();
    create_repo(&client, "images/resume").await;
    let dir = temp_layout_dir("resume");
    let layer = random_bytes(11 * MIB, 71);
    let top = image_manifest(&dir, "amd64", std::slice::from_ref(&layer));
    write_one(&dir, &top, "v1");
    // A push that stopped after its first 5 MiB part.
    let upload_id = InitiateLayerUpload {
        repository_name: "images/resume".into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("initiate")
    .upload_id
    .expect("upload id");
    UploadLayerPart {
        layer_part_blob: bytes::Bytes::copy_from_slice(&layer[..5 * MIB]),
        part_first_byte: 0,
        part_last_byte: 5 * MIB as i64 - 1,
        repository_name: "images/resume".into(),
        upload_id: upload_id.clone(),
        registry_id: None,
    }
    .send(&client)
    .await
    .expect("first part");

    let digest = sha256_digest(&layer);
    let seen = Arc::new(Mutex::new(Vec::<ImageProgress>::new()));
    let mut push = ImagePush::new("images/resume");
    push.max_part_size = Some(5 * MIB);
    push.resume
        .insert(digest.clone(), (upload_id.clone(), 5 * MIB as u64));
    let log = seen.clone();
    push.progress = Some(Arc::new(move |p| log.lock().unwrap().push(p)));
    let pushed = push
        .push(&client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("resumed push");
    assert_eq!(pushed.digest, top["digest"]);
    let events: Vec<(BlobEvent, u64)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.digest == digest)
        .map(|p| (p.event.clone(), p.progress.bytes_sent))
        .collect();
    assert_eq!(
        events,
        [
            (BlobEvent::Queued, 5 * MIB as u64),
            (BlobEvent::Started { upload_id }, 5 * MIB as u64),
            (BlobEvent::Part, 10 * MIB as u64),
            (BlobEvent::Part, 11 * MIB as u64),
            (BlobEvent::Finished, 11 * MIB as u64),
        ],
        "only the 6 MiB the service lacked were sent, in the same upload"
    );
    let (manifest, _) = manifest_of(&client, "images/resume", "v1").await;
    let doc: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(doc["layers"][0]["digest"], digest);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_docker_archive_of_several_images_lists_them_by_image_id() {
    let dir = temp_layout_dir("docker-several");
    let path = dir.join("images.tar");
    let configs: [&[u8]; 2] = [
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"n":1}"#,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},"n":2}"#,
    ];
    {
        let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
        tar_append(&mut b, "c1.json", configs[0]);
        tar_append(&mut b, "c2.json", configs[1]);
        tar_append(&mut b, "l1/layer.tar", &random_bytes(1000, 81));
        let manifest = json!([
            {"Config": "c1.json", "RepoTags": ["example/a:1", "example/a:latest"], "Layers": ["l1/layer.tar"]},
            {"Config": "c2.json", "RepoTags": null, "Layers": ["l1/layer.tar"]},
        ]);
        tar_append(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        b.finish().unwrap();
    }
    let source = ImageSource::DockerArchive(path.clone());
    let images = source.images().expect("images");
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].refs, ["example/a:1", "example/a:latest"]);
    assert_eq!(images[0].id, sha256_digest(configs[0]));
    assert_eq!(images[0].tags(), ["1", "latest"]);
    assert!(images[1].refs.is_empty());
    assert_eq!(images[1].id, sha256_digest(configs[1]));
    let client = ecr_tests::client_for(&format!("http://127.0.0.1:{}", ecr_tests::free_port()));
    let err = ImagePush::new("images/x")
        .push(&client, &source)
        .await
        .expect_err("ambiguous");
    assert!(
        matches!(&err, ecrkit::push::ImagePushError::Source(SourceError::Ambiguous { images, .. }) if images.len() == 2),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
