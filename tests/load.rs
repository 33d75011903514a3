//! Load: one client pushing 16 images of three layers each at once, through
//! the fault proxy in front of moto. Every image completes (its manifest in
//! moto is the layout's, byte for byte), and the client's open connections
//! stay bounded by the work in flight, not by the number of requests and
//! faults. Prints `load: ..`; peak memory is measured by
//! `bash scripts/bench.sh load` (BENCHMARKS.md), not asserted here.

use std::time::Duration;

use ecr_tests::fault_proxy::{Fault, FaultProxy, Schedule, client_through, seeded_schedule};
use ecr_tests::layout::{image_manifest, temp_layout_dir, write_index};
use ecr_tests::{Moto, random_bytes};
use ecrkit::Client;
use ecrkit::ecr::{BatchGetImage, CreateRepository, ImageIdentifier};
use ecrkit::push::{ImagePush, ImageSource};

const IMAGES: usize = 16;
const CONCURRENCY: usize = 3;
const MIB: usize = 1024 * 1024;
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);

fn client(endpoint: &str) -> Client {
    client_through(endpoint, 4, ATTEMPT_TIMEOUT)
}

/// About one request in eight (12%) gets a fault, the classes in turn.
fn schedule(seed: u64) -> Schedule {
    seeded_schedule(seed, 12, |req| {
        vec![
            Fault::CutAfterBodyBytes(req.body_len / 2),
            Fault::ResetBeforeResponse,
            Fault::Status500,
            Fault::Status503,
            Fault::Throttle,
            Fault::Stall(ATTEMPT_TIMEOUT + Duration::from_millis(300)),
            Fault::TruncateResponse,
            Fault::Garbage,
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_images_at_once_through_faults() {
    let moto = Moto::start();
    let upstream = moto.endpoint.trim_start_matches("http://").to_owned();
    let proxy = FaultProxy::start(upstream, schedule(0x10ad)).await;
    let client = client(&proxy.endpoint);
    let direct = moto.client();

    // Each image its own layers (nothing shared, so every blob is sent):
    // one part, two parts and three parts of 1 MiB.
    let mut images = Vec::new();
    for i in 0..IMAGES {
        let seed = 1000 + 10 * i as u64;
        let dir = temp_layout_dir(&format!("load-{i}"));
        let layers = vec![
            random_bytes(256 * 1024, seed),
            random_bytes(MIB + 7, seed + 1),
            random_bytes(2 * MIB + 13, seed + 2),
        ];
        let manifest = image_manifest(&dir, "amd64", &layers);
        write_index(&dir, &[(&manifest, Some("v1"))]);
        let digest = manifest["digest"].as_str().expect("digest").to_owned();
        let repository = format!("load/image-{i}");
        CreateRepository {
            repository_name: repository.clone(),
            ..Default::default()
        }
        .send(&direct)
        .await
        .expect("create repository");
        images.push((repository, dir, digest));
    }

    let pushes = images.iter().map(|(repository, dir, _)| {
        let client = client.clone();
        async move {
            // A push that stops is run again; blobs already there are skipped.
            for run in 1..=30 {
                let mut push = ImagePush::new(repository.clone());
                push.concurrency = CONCURRENCY;
                push.max_part_size = Some(MIB);
                if push
                    .push(&client, &ImageSource::OciLayout(dir.clone()))
                    .await
                    .is_ok()
                {
                    return run;
                }
            }
            panic!("{repository}: the push did not finish in 30 runs");
        }
    });
    let runs = futures_util::future::join_all(pushes).await;

    // What moto holds, read directly (not through the proxy).
    for (repository, dir, digest) in &images {
        let got = BatchGetImage {
            repository_name: repository.clone(),
            image_ids: vec![ImageIdentifier {
                image_tag: Some("v1".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
        .send(&direct)
        .await
        .expect("batch get image");
        let image = got.images.unwrap_or_default().into_iter().next();
        let image = image.unwrap_or_else(|| panic!("{repository}: no image tagged v1"));
        let manifest = image.image_manifest.expect("the manifest");
        let hex = digest.trim_start_matches("sha256:");
        let want = std::fs::read(dir.join("blobs/sha256").join(hex)).expect("manifest blob");
        assert_eq!(manifest.as_bytes(), want.as_slice(), "{repository}");
        let _ = std::fs::remove_dir_all(dir);
    }

    let injected: usize = proxy.injected().values().sum();
    let peak = proxy.peak_open_connections();
    // Blobs in flight per image, plus one connection per image for its
    // manifest and checks: the connections follow the work, and faults
    // (each closes a connection) do not pile them up.
    let bound = IMAGES * CONCURRENCY + IMAGES;
    println!(
        "load: {IMAGES} images of 3 layers pushed at once through the fault proxy: {} completed, \
         {injected} faults injected, {} requests passed, most runs for one image {}, \
         peak open connections {peak} (bound {bound})",
        runs.len(),
        proxy.passed(),
        runs.iter().max().copied().unwrap_or(0),
    );
    assert!(injected >= IMAGES, "too few faults injected: {injected}");
    assert!(
        peak <= bound,
        "{peak} connections open at once, over {bound}"
    );
}
