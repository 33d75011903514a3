//! The ECR API's matrix: a 256 MiB layer and a small image pushed to moto
//! through the raw fault proxy, and a cut mid-part resumed exactly.

use std::time::Duration;

use ecr_tests::fault_proxy::{Fault, FaultProxy, RequestInfo, client_through};
use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::{BatchCheckLayerAvailability, CreateRepository, LayerAvailability};
use ecrkit::push::{ImagePush, ImageSource, LayerPush};
use ecrkit::retry::RetryConfig;
use ecrkit::{Client, Config, Credentials, TimeoutConfig};

use crate::harness::{ATTEMPT_TIMEOUT, MIB, api_schedule, part_line};

fn client(endpoint: &str) -> Client {
    client_through(endpoint, 3, ATTEMPT_TIMEOUT)
}

/// Pushes `layer`; when the push stops with a typed error, resumes it from
/// what the error says the service holds, until it completes.
async fn push_until_done(client: &Client, repo: &str, layer: &[u8], digest: &str) -> (String, u32) {
    let mut calls = 0;
    let mut resume: Option<(String, u64)> = None;
    loop {
        calls += 1;
        assert!(calls <= 50, "the push did not finish after {calls} calls");
        let mut push = LayerPush::new(repo);
        push.max_part_size = Some(MIB);
        push.known_digest = Some(digest.to_owned());
        push.known_size = Some(layer.len() as u64);
        push.resume = resume.clone();
        let offset = resume.as_ref().map_or(0, |(_, acked)| *acked as usize);
        match push.push(client, &layer[offset..]).await {
            Ok(done) => return (done.digest, calls),
            Err(e) => {
                // The error says how far the upload got and which upload it was.
                resume = match (&e.upload_id, e.stage) {
                    (Some(id), "UploadLayerPart" | "CompleteLayerUpload") => {
                        Some((id.clone(), e.bytes_acknowledged))
                    }
                    _ => None,
                };
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_fault_matrix() {
    let moto = Moto::start();
    let upstream = moto.endpoint.trim_start_matches("http://").to_owned();
    let proxy = FaultProxy::start(upstream, api_schedule(0x5eed, 50)).await;
    let client = client(&proxy.endpoint);
    let direct = moto.client();
    CreateRepository {
        repository_name: "faults/layer".into(),
        ..Default::default()
    }
    .send(&direct)
    .await
    .expect("create");
    CreateRepository {
        repository_name: "faults/image".into(),
        ..Default::default()
    }
    .send(&direct)
    .await
    .expect("create");

    let layer = random_bytes(256 * MIB, 77);
    let digest = sha256_digest(&layer);
    let (pushed, calls) = push_until_done(&client, "faults/layer", &layer, &digest).await;
    assert_eq!(pushed, digest);
    let mut completed = 1;
    let mut max_calls = calls;

    // A small image through the same faults.
    let dir = std::env::temp_dir().join(format!("ecr-faults-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let put = |bytes: &[u8], media: &str| {
        let d = sha256_digest(bytes);
        std::fs::write(
            dir.join("blobs/sha256")
                .join(d.trim_start_matches("sha256:")),
            bytes,
        )
        .unwrap();
        serde_json::json!({"mediaType": media, "digest": d, "size": bytes.len()})
    };
    let config = put(
        br#"{"architecture":"amd64","os":"linux"}"#,
        "application/vnd.oci.image.config.v1+json",
    );
    let l1 = put(
        &random_bytes(3 * MIB, 78),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let l2 = put(
        &random_bytes(2 * MIB + 17, 79),
        "application/vnd.oci.image.layer.v1.tar",
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [l1, l2],
    }))
    .unwrap();
    let mut top = put(&manifest, "application/vnd.oci.image.manifest.v1+json");
    top["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "faulty"});
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [top]})).unwrap(),
    )
    .unwrap();
    let mut image_calls = 0;
    loop {
        image_calls += 1;
        assert!(image_calls <= 50, "the image push did not finish");
        let mut push = ImagePush::new("faults/image");
        push.max_part_size = Some(MIB);
        if push
            .push(&client, &ImageSource::OciLayout(dir.clone()))
            .await
            .is_ok()
        {
            break;
        }
    }
    completed += 1;
    max_calls = max_calls.max(image_calls);
    let _ = std::fs::remove_dir_all(&dir);

    // What moto holds, read directly (not through the proxy).
    let check = BatchCheckLayerAvailability {
        repository_name: "faults/layer".into(),
        layer_digests: vec![digest.clone()],
        ..Default::default()
    }
    .send(&direct)
    .await
    .expect("check");
    let held = &check.layers.unwrap_or_default()[0];
    assert_eq!(held.layer_availability, Some(LayerAvailability::Available));
    let lost = (layer.len() as i64 - held.layer_size.unwrap_or(0)).unsigned_abs();

    let injected = proxy.injected();
    let total: usize = injected.values().sum();
    println!("faults injected per class: {injected:?}");
    println!(
        "requests passed through: {}; most push calls for one push: {max_calls}",
        proxy.passed()
    );
    part_line("api", total, completed, 0, lost);
    assert_eq!(
        injected.len(),
        10,
        "every fault class injected: {injected:?}"
    );
    for (class, n) in &injected {
        assert!(*n >= 20, "{class} injected only {n} times");
    }
    assert_eq!(lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_in_the_middle_of_part_3_is_resumed() {
    let moto = Moto::start();
    let upstream = moto.endpoint.trim_start_matches("http://").to_owned();
    let mut parts_seen = 0;
    let proxy = FaultProxy::start(
        upstream,
        Box::new(move |req: &RequestInfo| {
            if req.operation != "uploadlayerpart" {
                return None;
            }
            parts_seen += 1;
            (parts_seen == 3).then_some(Fault::CutAfterBodyBytes(req.body_len / 2))
        }),
    )
    .await;
    // The count below is exact only without timeouts: a slow moto (a busy
    // machine) must not turn a part into two attempts. Stalls are the
    // matrix's business.
    let client = Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(&proxy.endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_retry(RetryConfig {
                max_attempts: 3,
                initial_backoff: Duration::from_millis(2),
                max_backoff: Duration::from_millis(20),
                quota: 100_000,
            })
            .with_timeouts(TimeoutConfig {
                attempt: Some(Duration::from_secs(120)),
                ..TimeoutConfig::default()
            })
            .build(),
    );
    let direct = moto.client();
    CreateRepository {
        repository_name: "faults/cut".into(),
        ..Default::default()
    }
    .send(&direct)
    .await
    .expect("create");
    let layer = random_bytes(25 * MIB, 5);
    let mut push = LayerPush::new("faults/cut");
    push.max_part_size = Some(5 * MIB);
    let pushed = push.push(&client, layer.as_slice()).await.expect("push");
    assert_eq!(pushed.digest, sha256_digest(&layer));
    assert_eq!(pushed.size, layer.len() as u64);
    assert_eq!(proxy.injected().get("cut_mid_body"), Some(&1));
    // Five parts, each sent once to moto: the cut attempt never reached it
    // and the client's retry carried the same body.
    assert_eq!(proxy.passed(), 1 + 5 + 1, "initiate, five parts, complete");
    let check = BatchCheckLayerAvailability {
        repository_name: "faults/cut".into(),
        layer_digests: vec![pushed.digest.clone()],
        ..Default::default()
    }
    .send(&direct)
    .await
    .expect("check");
    assert_eq!(
        check.layers.unwrap_or_default()[0].layer_size,
        Some(layer.len() as i64)
    );
}
