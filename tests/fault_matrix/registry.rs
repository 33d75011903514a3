//! The registry's matrix: a 128 MiB layer through one streaming `PATCH`
//! (then its image) and a small image of eight layers pushed, the first
//! pulled back once and the second four times (into fresh layouts: GETs
//! are where most classes apply), all through the registry fault proxy in
//! front of the ECR-rules proxy and the CNCF registry.

use std::collections::BTreeMap;
use std::time::Duration;

use ecr_tests::fault_proxy::{Fault, RequestInfo, client_through};
use ecr_tests::layouts::{single_layout, verify_layout};
use ecr_tests::proxy::Proxy;
use ecr_tests::registry::temp_dir;
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::registry_faults::{RegistryFaults, kind_of};
use ecrkit::pull::ImagePull;
use ecrkit::push::ImagePush;
use ecrkit::registry::{RegistryClient, RegistryError, Transport};

use crate::harness::{
    ATTEMPT_TIMEOUT, MIB, blobs_of, bytes_lost, part_line, pull_until_done, push_blob_until_done,
    push_image_until_done, registry_schedule,
};

/// The classes a registry request can get (`registry_classes`).
const REGISTRY_CLASSES: [&str; 11] = [
    "cut_mid_body",
    "reset_before_response",
    "http_500",
    "http_503",
    "throttling",
    "stall",
    "truncated_response",
    "garbage_body",
    "wrong_content_type",
    "wrong_shape",
    "corrupt_body",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_fault_matrix() {
    let env = RegistryEnv::start();
    let faults = RegistryFaults::new(registry_schedule(0x7e61, 50), None);
    let proxy = Proxy::start(&env.ecr_proxy.endpoint, faults.clone());
    // The token comes from moto directly; every registry request goes
    // through the faults, with the ECR client's 1.5 s attempt timeout.
    let api = client_through(&env.moto.endpoint, 3, ATTEMPT_TIMEOUT);
    let registry = RegistryClient::for_ecr(&api, None, Some(&proxy.endpoint))
        .await
        .expect("a registry client");
    let direct = env.direct().await;

    // Push 1: a 128 MiB layer in one streaming PATCH, then its image.
    let big = temp_dir("faults-big");
    let big_digest = single_layout(&big, "big", &[128 * MIB], 31);
    let big_blobs = blobs_of(&big, &big_digest);
    let (layer, _) = &big_blobs[1];
    let layer_path = big
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"));
    let blob_calls = push_blob_until_done(&registry, "faults/big", &layer_path, layer).await;
    let mut push = ImagePush::new("faults/big");
    push.transport = Transport::Registry;
    push.registry = Some(registry.clone());
    let big_runs = push_image_until_done(&push, &env.client, &big).await;

    // Push 2: a small image.
    let small = temp_dir("faults-small");
    let small_sizes = [
        3 * MIB,
        2 * MIB + 17,
        300_000,
        MIB,
        700_001,
        64_000,
        1_500_000,
        12_345,
    ];
    let small_digest = single_layout(&small, "small", &small_sizes, 32);
    let mut push = ImagePush::new("faults/small");
    push.transport = Transport::Registry;
    push.registry = Some(registry.clone());
    let small_runs = push_image_until_done(&push, &env.client, &small).await;

    // What the registry holds, read directly.
    let mut lost = 0;
    for (repository, layout, digest, tag) in [
        ("faults/big", &big, &big_digest, "big"),
        ("faults/small", &small, &small_digest, "small"),
    ] {
        for (blob, size) in blobs_of(layout, digest) {
            lost += bytes_lost(&env.registry.endpoint, repository, &blob, size).await;
        }
        let manifest = direct
            .get_manifest(repository, tag)
            .await
            .expect("the manifest, read directly");
        assert_eq!(&manifest.digest, digest, "{repository}:{tag}");
    }
    let pushed = faults.injected();

    // Pulled back through the faults: the big image once, the small one
    // four times.
    let mut pull_runs = Vec::new();
    let big_pull = ("faults/big", &big, &big_digest, "big");
    let small_pull = ("faults/small", &small, &small_digest, "small");
    let pulls = [big_pull, small_pull, small_pull, small_pull, small_pull];
    for (repository, layout, digest, tag) in pulls {
        let out = temp_dir("faults-pulled");
        let mut pull = ImagePull::new(repository, tag);
        pull.transport = Transport::Registry;
        pull.registry = Some(registry.clone());
        let (pulled, runs) = pull_until_done(&pull, &env.client, &out).await;
        assert_eq!(&pulled.digest, digest);
        let (on_disk, reached) = verify_layout(&out, tag);
        assert_eq!(&on_disk, digest);
        assert_eq!(reached, verify_layout(layout, tag).1, "every blob on disk");
        assert!(
            !out.join(".ecrkit-partial").exists()
                || std::fs::read_dir(out.join(".ecrkit-partial"))
                    .expect("the partial directory")
                    .next()
                    .is_none(),
            "no partial file left"
        );
        pull_runs.push(runs);
        let _ = std::fs::remove_dir_all(&out);
    }
    let _ = std::fs::remove_dir_all(&big);
    let _ = std::fs::remove_dir_all(&small);

    let injected = faults.injected();
    let total: usize = injected.values().sum();
    let pulled: BTreeMap<_, _> = injected
        .iter()
        .map(|(class, n)| (*class, n - pushed.get(class).copied().unwrap_or(0)))
        .collect();
    println!("registry faults injected per class, pushes: {pushed:?}");
    println!("registry faults injected per class, pulls: {pulled:?}");
    println!(
        "registry requests passed through: {}, by method {:?}; blob push calls {blob_calls}, \
         image push runs {big_runs} and {small_runs}, pull runs {pull_runs:?}",
        faults.passed(),
        faults.methods(),
    );
    part_line("registry", total, 2, pulls.len(), lost);
    for class in REGISTRY_CLASSES {
        let n = injected.get(class).copied().unwrap_or(0);
        assert!(n >= 1, "{class} never injected: {injected:?}");
    }
    assert!(total >= 50, "only {total} faults injected");
    for class in ["cut_mid_body", "reset_before_response", "http_500", "stall"] {
        let n = pushed.get(class).copied().unwrap_or(0);
        assert!(
            n >= 2,
            "{class} injected only {n} times in pushes: {pushed:?}"
        );
    }
    assert_eq!(lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_stalls_is_given_up_on_and_asked_again() {
    let env = RegistryEnv::start();
    // The first HEAD says nothing for an hour.
    let mut stalled = false;
    let faults = RegistryFaults::new(
        Box::new(move |req: &RequestInfo| {
            if req.method != "HEAD" || stalled {
                return None;
            }
            stalled = true;
            Some(Fault::Stall(Duration::from_secs(3600)))
        }),
        None,
    );
    let proxy = Proxy::start(&env.registry.endpoint, faults.clone());
    let api = client_through(&env.moto.endpoint, 3, ATTEMPT_TIMEOUT);
    let registry = RegistryClient::for_ecr(&api, None, Some(&proxy.endpoint))
        .await
        .expect("a registry client");
    let digest = format!("sha256:{}", "0".repeat(64));
    // A liveness bound, far above the 1.5 s attempt timeout: without the
    // timeout the client would wait the hour.
    let bound = Duration::from_secs(60);
    let found = tokio::time::timeout(bound, registry.blob_exists("faults/stall", &digest))
        .await
        .expect("the client waited on a stalled registry past its attempt timeout")
        .expect("HEAD blob, asked again");
    assert!(!found);
    assert_eq!(faults.injected().get("stall"), Some(&1));
    assert_eq!(faults.methods().get("HEAD"), Some(&2), "asked again once");

    // Every attempt stalled: a typed timeout, naming the step, worth
    // trying again later.
    faults.set_schedule(Box::new(|req: &RequestInfo| {
        (kind_of(&req.path) == "manifest").then_some(Fault::Stall(Duration::from_secs(3600)))
    }));
    let err = tokio::time::timeout(bound, registry.get_manifest("faults/stall", "latest"))
        .await
        .expect("the client waited on a stalled registry past its attempt timeout")
        .expect_err("no manifest from a registry that says nothing");
    assert!(
        matches!(err, RegistryError::Timeout { stage: "GET manifest", after, .. } if after == ATTEMPT_TIMEOUT),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(
        err.to_string().contains("no answer within 1500 ms"),
        "{err}"
    );
    assert_eq!(faults.injected().get("stall"), Some(&4), "three attempts");
}

/// The proxy itself, in front of the CNCF registry (whose `Location`s are
/// absolute): a chunked `PATCH` body goes through whole, or cut (never
/// reaching the registry), and every `Location` names the proxy's paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_forwards_chunked_bodies_and_keeps_locations_on_itself() {
    let registry = ecr_tests::registry::Registry::start(ecr_tests::registry::MOTO_PASSWORD);
    let mut patches = 0;
    let faults = RegistryFaults::new(
        Box::new(move |req: &RequestInfo| {
            if req.method != "PATCH" {
                return None;
            }
            patches += 1;
            (patches == 1).then_some(Fault::CutAfterBodyBytes(0))
        }),
        None,
    );
    let proxy = Proxy::start(&registry.endpoint, faults.clone());
    let http = reqwest::Client::new();
    let auth =
        |r: reqwest::RequestBuilder| r.basic_auth("AWS", Some(ecr_tests::registry::MOTO_PASSWORD));
    let location_of = |response: &reqwest::Response| {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a Location")
            .to_owned();
        assert!(
            location.starts_with("/v2/"),
            "a path on the proxy: {location}"
        );
        format!("{}{location}", proxy.endpoint)
    };
    let bytes = ecr_tests::random_bytes(3 * MIB + 11, 71);
    let digest = ecr_tests::sha256_digest(&bytes);
    let chunked = |bytes: &[u8]| {
        let parts: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(MIB).map(|c| Ok(c.to_vec())).collect();
        reqwest::Body::wrap_stream(futures_util::stream::iter(parts))
    };

    let started = auth(http.post(format!(
        "{}/v2/faults/chunked/blobs/uploads/",
        proxy.endpoint
    )))
    .send()
    .await
    .expect("POST");
    assert_eq!(started.status(), 202);
    let upload = location_of(&started);
    // Cut after the first MiB: the registry never sees the PATCH.
    let cut = auth(http.patch(&upload).body(chunked(&bytes))).send().await;
    assert!(cut.is_err(), "the connection was cut: {cut:?}");
    let status = auth(http.get(&upload))
        .send()
        .await
        .expect("GET upload status");
    assert_eq!(status.status(), 204);
    assert_eq!(
        status.headers().get("range").and_then(|v| v.to_str().ok()),
        Some("0-0"),
        "nothing committed"
    );
    // Whole: the registry holds the bytes, by their digest.
    let patched = auth(http.patch(&upload).body(chunked(&bytes)))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(patched.status(), 202);
    let upload = location_of(&patched);
    let put = auth(http.put(format!("{upload}&digest={digest}")))
        .send()
        .await
        .expect("PUT");
    assert_eq!(put.status(), 201, "{:?}", put.text().await);
    let held = auth(http.head(format!(
        "{}/v2/faults/chunked/blobs/{digest}",
        registry.endpoint
    )))
    .send()
    .await
    .expect("HEAD, directly");
    assert_eq!(held.status(), 200);
    assert_eq!(
        held.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(bytes.len().to_string().as_str())
    );
    assert_eq!(faults.injected().get("cut_mid_body"), Some(&1));
}
