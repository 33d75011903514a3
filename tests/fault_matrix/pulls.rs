//! Pulls under faults: through the ECR API (moto and the
//! `GetDownloadUrlForLayer` stand-in behind the raw fault proxy, the
//! download URLs served through the registry fault proxy), and a blob whose
//! bytes are changed on the way down.

use std::sync::{Arc, Mutex};

use ecr_tests::fault_proxy::{Fault, FaultProxy, RequestInfo, client_through};
use ecr_tests::layouts::{single_layout, verify_layout};
use ecr_tests::proxy::Proxy;
use ecr_tests::registry::{Registry, temp_dir};
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::registry_faults::RegistryFaults;
use ecr_tests::stand_in::DownloadUrlStandIn;
use ecrkit::ecr::{CreateRepository, PutImage};
use ecrkit::pull::{ImagePull, PullError};
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::{RegistryClient, RegistryError, Transport};

use crate::harness::{
    ATTEMPT_TIMEOUT, MIB, add_counts, api_schedule, blobs_of, part_line, pull_until_done,
    registry_schedule,
};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Puts the layout's image in the registry (its blobs, which download URLs
/// point at) and its manifest in moto under `tag`, directly.
async fn publish(env: &RegistryEnv, repository: &str, layout: &std::path::Path, digest: &str) {
    CreateRepository {
        repository_name: repository.into(),
        ..Default::default()
    }
    .send(&env.client)
    .await
    .expect("CreateRepository");
    let mut push = ImagePush::new(repository);
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    push.push(&env.client, &ImageSource::OciLayout(layout.to_owned()))
        .await
        .expect("push to the registry");
    let manifest = std::fs::read(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .expect("the manifest");
    PutImage {
        repository_name: repository.into(),
        image_manifest: String::from_utf8(manifest).expect("UTF-8"),
        image_manifest_media_type: Some(OCI_MANIFEST.into()),
        image_tag: Some("v1".into()),
        // As a push sends it (moto computes another digest otherwise).
        image_digest: Some(digest.into()),
        ..Default::default()
    }
    .send(&env.client)
    .await
    .expect("PutImage into moto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_pull_fault_matrix() {
    let env = RegistryEnv::start();
    let layout = temp_dir("faults-api-src");
    let digest = single_layout(
        &layout,
        "v1",
        &[64 * MIB, 2 * MIB + 5, 200_000, 900_000, 33_000, MIB],
        41,
    );
    publish(&env, "faults/api-pull", &layout, &digest).await;

    // Download URLs point at the registry faults, in front of a read-only
    // registry of the same storage (as a pre-signed S3 URL would).
    let storage = Registry::serve_storage_of(&env.registry);
    let downloads = RegistryFaults::new(registry_schedule(0xd0, 50), None);
    let downloads_proxy = Proxy::start(&storage.endpoint, downloads.clone());
    let stand_in = DownloadUrlStandIn::new(&downloads_proxy.endpoint);
    let stand_in_proxy = Proxy::start(&env.moto.endpoint, stand_in.clone());
    // The API calls go through the raw fault proxy in front of the stand-in.
    let upstream = stand_in_proxy.endpoint.trim_start_matches("http://");
    let api_faults = FaultProxy::start(upstream.to_owned(), api_schedule(0xa91, 50)).await;
    let client = client_through(&api_faults.endpoint, 3, ATTEMPT_TIMEOUT);

    let mut runs = Vec::new();
    for reference in ["v1", digest.as_str()] {
        let out = temp_dir("faults-api-pulled");
        let mut pull = ImagePull::new("faults/api-pull", reference);
        pull.transport = Transport::Api;
        pull.ref_name = Some("v1".into());
        let (pulled, n) = pull_until_done(&pull, &client, &out).await;
        assert_eq!(pulled.digest, digest);
        assert_eq!(pulled.transport, Transport::Api);
        let (on_disk, reached) = verify_layout(&out, "v1");
        assert_eq!(on_disk, digest);
        assert_eq!(
            reached,
            verify_layout(&layout, "v1").1,
            "every blob on disk"
        );
        runs.push(n);
        let _ = std::fs::remove_dir_all(&out);
    }
    let _ = std::fs::remove_dir_all(&layout);

    let mut injected = api_faults.injected();
    let api_calls = injected.clone();
    add_counts(&mut injected, downloads.injected());
    let total: usize = injected.values().sum();
    println!("API pull faults per class, API calls: {api_calls:?}");
    println!(
        "API pull faults per class, downloads: {:?}",
        downloads.injected()
    );
    println!(
        "API pull: {} calls and {} downloads passed; GetDownloadUrlForLayer asked {} times; pull runs {runs:?}",
        api_faults.passed(),
        downloads.passed(),
        stand_in.asked.lock().map(|a| a.len()).unwrap_or(0),
    );
    part_line("api", total, 0, 2, 0);
    for class in [
        "cut_mid_body",
        "http_500",
        "throttling",
        "wrong_shape",
        "stall",
    ] {
        let n = api_calls.get(class).copied().unwrap_or(0);
        assert!(
            n >= 1,
            "{class} never injected into the API calls: {api_calls:?}"
        );
    }
    let on_downloads = downloads.injected();
    for class in [
        "truncated_response",
        "corrupt_body",
        "http_503",
        "reset_before_response",
    ] {
        let n = on_downloads.get(class).copied().unwrap_or(0);
        assert!(
            n >= 1,
            "{class} never injected into the downloads: {on_downloads:?}"
        );
    }
}

/// Garbled 200s from the API, each once in turn: the manifest's
/// `BatchGetImage` (not JSON) and the first two `GetDownloadUrlForLayer`s
/// (not JSON, the wrong shape); then a connection cut in the third. Each
/// is asked again within the pull: it completes in one call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_api_answers_are_asked_again_within_the_pull() {
    let env = RegistryEnv::start();
    let layout = temp_dir("faults-garbled-src");
    let digest = single_layout(&layout, "v1", &[300_000, 40_000], 61);
    publish(&env, "faults/garbled", &layout, &digest).await;
    let storage = Registry::serve_storage_of(&env.registry);
    let stand_in = DownloadUrlStandIn::new(&storage.endpoint);
    let stand_in_proxy = Proxy::start(&env.moto.endpoint, stand_in.clone());
    let mut urls = 0;
    let mut manifests = 0;
    let schedule: ecr_tests::fault_proxy::Schedule = Box::new(move |req: &RequestInfo| {
        // The proxy reads the target lowercased.
        match req.operation.as_str() {
            "batchgetimage" => {
                manifests += 1;
                (manifests == 1).then_some(Fault::Garbage)
            }
            "getdownloadurlforlayer" => {
                urls += 1;
                match urls {
                    1 => Some(Fault::Garbage),
                    2 => Some(Fault::WrongShape),
                    // Through the API client's own 3 attempts.
                    3..=5 => Some(Fault::ResetBeforeResponse),
                    _ => None,
                }
            }
            _ => None,
        }
    });
    let upstream = stand_in_proxy.endpoint.trim_start_matches("http://");
    let api_faults = FaultProxy::start(upstream.to_owned(), schedule).await;
    let client = client_through(&api_faults.endpoint, 3, ATTEMPT_TIMEOUT);
    let out = temp_dir("faults-garbled-pulled");
    let mut pull = ImagePull::new("faults/garbled", "v1");
    pull.transport = Transport::Api;
    pull.concurrency = 1;
    let pulled = pull
        .pull(&client, &out)
        .await
        .expect("one pull, past the garbled answers");
    assert_eq!(pulled.digest, digest);
    assert_eq!(verify_layout(&out, "v1").0, digest);
    let injected = api_faults.injected();
    assert_eq!(injected.get("garbage_body"), Some(&2), "{injected:?}");
    assert_eq!(injected.get("wrong_shape"), Some(&1), "{injected:?}");
    assert_eq!(
        injected.get("reset_before_response"),
        Some(&3),
        "{injected:?}"
    );
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&layout);
}

/// A schedule that flips a byte of the first `times` GETs of `digest`.
fn corrupt_gets_of(
    digest: String,
    times: usize,
    gets: Arc<Mutex<Vec<usize>>>,
) -> ecr_tests::fault_proxy::Schedule {
    let mut seen = 0;
    Box::new(move |req: &RequestInfo| {
        if req.method != "GET" || !req.path.ends_with(&digest) {
            return None;
        }
        seen += 1;
        gets.lock().unwrap().push(req.index);
        (seen <= times).then_some(Fault::CorruptBody)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_changed_on_the_way_down_is_fetched_again_or_named() {
    let env = RegistryEnv::start();
    let layout = temp_dir("faults-corrupt-src");
    let digest = single_layout(&layout, "c", &[8 * MIB, 100_000], 51);
    let mut push = ImagePush::new("faults/corrupt");
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    push.push(&env.client, &ImageSource::OciLayout(layout.clone()))
        .await
        .expect("push");
    let (layer, _) = blobs_of(&layout, &digest)[1].clone();
    let gets = Arc::new(Mutex::new(Vec::new()));
    let faults = RegistryFaults::new(corrupt_gets_of(layer.clone(), 1, gets.clone()), None);
    let proxy = Proxy::start(&env.registry.endpoint, faults.clone());
    let registry = RegistryClient::for_ecr(&env.client, None, Some(&proxy.endpoint))
        .await
        .expect("a registry client");
    let mut pull = ImagePull::new("faults/corrupt", "c");
    pull.transport = Transport::Registry;
    pull.registry = Some(registry);
    pull.attempts = 3;
    let blob_file = |out: &std::path::Path| {
        out.join("blobs/sha256")
            .join(layer.trim_start_matches("sha256:"))
    };
    let partial_dir = |out: &std::path::Path| out.join(".ecrkit-partial");
    let partials = |out: &std::path::Path| {
        std::fs::read_dir(partial_dir(out))
            .map(|d| d.count())
            .unwrap_or(0)
    };

    // Changed once: detected, thrown away, fetched again whole.
    let out = temp_dir("faults-corrupt-once");
    let pulled = pull.pull(&env.client, &out).await.expect("the pull");
    assert_eq!(pulled.digest, digest);
    assert_eq!(verify_layout(&out, "c").0, digest);
    assert_eq!(faults.injected().get("corrupt_body"), Some(&1));
    assert_eq!(gets.lock().unwrap().len(), 2, "the layer fetched twice");
    let ranged = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.uri.ends_with(&layer))
        .map(|r| r.range.clone())
        .collect::<Vec<_>>();
    assert_eq!(ranged, vec![None, None], "the second fetch starts at 0");
    assert_eq!(partials(&out), 0, "no partial file left");

    // Changed every time: the pull stops naming the digest, and leaves
    // nothing under its name and no partial file to trust later.
    gets.lock().unwrap().clear();
    faults.set_schedule(corrupt_gets_of(layer.clone(), usize::MAX, gets.clone()));
    let out = temp_dir("faults-corrupt-always");
    let err = pull.pull(&env.client, &out).await.unwrap_err();
    match &err {
        PullError::Blob {
            digest: d,
            bytes_on_disk: 0,
            source,
        } => {
            assert_eq!(*d, layer);
            assert!(
                matches!(**source, RegistryError::Digest { ref expected, .. } if *expected == layer),
                "{source}"
            );
        }
        other => panic!("expected a digest mismatch naming the layer, got {other}"),
    }
    assert!(err.to_string().contains(&layer), "{err}");
    assert_eq!(gets.lock().unwrap().len(), 3, "one GET per attempt");
    assert!(!blob_file(&out).exists(), "nothing under the digest's name");
    assert_eq!(partials(&out), 0, "no partial file to trust later");
    let _ = std::fs::remove_dir_all(&layout);
    println!(
        "corrupted downloads: {:?}",
        faults.injected().get("corrupt_body")
    );
}
