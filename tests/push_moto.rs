//! The streaming layer uploader against a live moto server on 127.0.0.1.

use std::sync::{Arc, Mutex};

use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::{BatchCheckLayerAvailability, CreateRepository, LayerAvailability};
use ecrkit::push::{LayerPush, Progress};

const MIB: usize = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_a_120_mib_layer_in_10_mib_parts_then_skips_it() {
    let moto = Moto::start();
    let client = moto.client();
    let repo = "push/big";
    CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("create");

    let layer = random_bytes(120 * MIB, 42);
    let digest = sha256_digest(&layer);
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let mut push = LayerPush::new(repo);
    push.known_size = Some(layer.len() as u64);
    push.max_part_size = Some(10 * MIB);
    let log = seen.clone();
    push.progress = Some(Arc::new(move |p| log.lock().unwrap().push(p)));

    let pushed = push.push(&client, layer.as_slice()).await.expect("push");
    assert_eq!(pushed.digest, digest);
    assert_eq!(pushed.size, layer.len() as u64);
    assert_eq!(pushed.parts_sent, 12, "120 MiB in 10 MiB parts");
    assert!(!pushed.already_present);
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.len(), 12);
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].bytes_sent < w[1].bytes_sent),
        "{progress:?}"
    );
    assert_eq!(
        progress.last().map(|p| p.bytes_sent),
        Some(layer.len() as u64)
    );

    let check = BatchCheckLayerAvailability {
        repository_name: repo.into(),
        layer_digests: vec![digest.clone()],
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("check");
    let found = &check.layers.unwrap_or_default()[0];
    assert_eq!(found.layer_availability, Some(LayerAvailability::Available));
    assert_eq!(found.layer_size, Some(layer.len() as i64));

    // Pushing it again with its digest known sends no part at all.
    let mut again = LayerPush::new(repo);
    again.known_digest = Some(digest.clone());
    again.known_size = Some(layer.len() as u64);
    let skipped = again
        .push(&client, layer.as_slice())
        .await
        .expect("second push");
    assert!(skipped.already_present);
    assert_eq!(skipped.parts_sent, 0);
    assert_eq!(skipped.digest, digest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_of_unknown_size_from_a_reader() {
    let moto = Moto::start();
    let client = moto.client();
    let repo = "push/stream";
    CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("create");
    // 12.5 MiB through a duplex pipe: the uploader cannot know the size.
    let layer = random_bytes(12 * MIB + MIB / 2, 3);
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    let source = layer.clone();
    let feeder = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for chunk in source.chunks(100_000) {
            writer.write_all(chunk).await.expect("write");
        }
    });
    let pushed = LayerPush::new(repo)
        .push(&client, reader)
        .await
        .expect("push");
    feeder.await.expect("feeder");
    assert_eq!(pushed.digest, sha256_digest(&layer));
    assert_eq!(pushed.size, layer.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_push_says_how_far_it_got() {
    let moto = Moto::start();
    let client = moto.client();
    // No such repository: InitiateLayerUpload fails, nothing was acknowledged.
    let err = LayerPush::new("push/missing")
        .push(&client, &b"abc"[..])
        .await
        .expect_err("no repository");
    assert_eq!(err.stage, "InitiateLayerUpload");
    assert_eq!(err.code.as_deref(), Some("RepositoryNotFoundException"));
    assert_eq!(err.bytes_acknowledged, 0);
    assert!(
        err.request_id.is_none() || err.message.contains("RepositoryNotFoundException"),
        "{err}"
    );
    assert!(
        err.to_string().contains("RepositoryNotFoundException"),
        "{err}"
    );
}
