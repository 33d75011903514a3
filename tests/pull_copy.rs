//! Pull through the ECR API (moto, with a loopback stand-in answering
//! `GetDownloadUrlForLayer` with the registry's blob URL on a server that
//! takes no credentials, as a pre-signed URL needs none), downloads cut and
//! resumed with `Range`, partial files continued, and copies: registry to
//! the ECR API, ECR to ECR across regions, a layout through ECR's registry
//! rules, and a copy whose source stream is cut mid-blob.

use std::path::Path;

use ecr_tests::layouts::{index_layout, single_layout, verify_layout};
use ecr_tests::proxy::{PassThrough, Proxy};
use ecr_tests::registry::{Registry, temp_dir};
use ecr_tests::registry_env::{RegistryEnv, case_passed};
use ecr_tests::stand_in::DownloadUrlStandIn;
use ecr_tests::{client_for, random_bytes, sha256_digest};
use ecrkit::copy::{CopyDestination, CopySource, ImageCopy};
use ecrkit::ecr::{BatchGetImage, CreateRepository, ImageIdentifier};
use ecrkit::pull::ImagePull;
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::{MIN_CHUNK, RegistryClient, Transport, UploadMode};
use ecrkit::{Client, Config, Credentials};

const MIB: usize = 1 << 20;

/// The API side of a pull: the download server (the registry's storage,
/// no credentials), a recording (and optionally cutting) proxy in front of
/// it, and the stand-in in front of moto.
struct ApiSide {
    client: Client,
    stand_in: std::sync::Arc<DownloadUrlStandIn>,
    downloads: Proxy,
    _stand_in_proxy: Proxy,
    _download_server: Registry,
}

impl ApiSide {
    fn start(env: &RegistryEnv, cut_first_after: Option<u64>) -> ApiSide {
        let server = Registry::serve_storage_of(&env.registry);
        let downloads = Proxy::start(&server.endpoint, PassThrough::new(cut_first_after));
        let stand_in = DownloadUrlStandIn::new(&downloads.endpoint);
        let proxy = Proxy::start(&env.moto.endpoint, stand_in.clone());
        ApiSide {
            client: client_for(&proxy.endpoint),
            stand_in,
            downloads,
            _stand_in_proxy: proxy,
            _download_server: server,
        }
    }
}

async fn create_repo(client: &Client, name: &str) {
    CreateRepository {
        repository_name: name.into(),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("CreateRepository");
}

/// Pushes a layout to moto (the API: the manifests) and to the registry
/// (the blobs the download URLs point at), under the same name.
async fn push_both(env: &RegistryEnv, api: &Client, repo: &str, dir: &Path) -> String {
    create_repo(api, repo).await;
    let mut push = ImagePush::new(repo);
    push.transport = Transport::Api;
    let by_api = push
        .push(api, &ImageSource::OciLayout(dir.to_owned()))
        .await
        .expect("push through the API");
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    let by_registry = push
        .push(api, &ImageSource::OciLayout(dir.to_owned()))
        .await
        .expect("push through the registry");
    assert_eq!(by_api.digest, by_registry.digest);
    by_api.digest
}

async fn manifest_in_moto(client: &Client, repo: &str, tag: &str) -> Vec<u8> {
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
    assert_eq!(images.len(), 1, "{:?}", out.failures);
    images[0]
        .image_manifest
        .clone()
        .unwrap_or_default()
        .into_bytes()
}

/// Bytes of every blob (config and layers) of a single-platform layout.
fn blob_bytes(dir: &Path, tag: &str) -> u64 {
    let (top, reached) = verify_layout(dir, tag);
    reached
        .iter()
        .filter(|d| **d != top)
        .map(|d| {
            std::fs::metadata(
                dir.join("blobs/sha256")
                    .join(d.trim_start_matches("sha256:")),
            )
            .unwrap()
            .len()
        })
        .sum()
}

fn client_in(region: &str, endpoint: &str) -> Client {
    Client::new(
        Config::builder()
            .with_region(region)
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new(
                "AKIDTEST",
                "secret-test-key",
                None,
                None,
                "test",
            ))
            .build(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_through_the_api_with_download_urls() {
    let env = RegistryEnv::start();
    let api = ApiSide::start(&env, None);
    let dir = temp_dir("api-src");
    single_layout(&dir, "1.0", &[MIB, 2 * MIB + 1, 3 * MIB], 11);
    let digest = push_both(&env, &api.client, "pull/api", &dir).await;

    let out = temp_dir("api-pulled");
    let mut pull = ImagePull::new("pull/api", "1.0");
    pull.transport = Transport::Api;
    let progress = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let seen = progress.clone();
    pull.progress = Some(std::sync::Arc::new(move |p| {
        let mut last = seen.lock().unwrap();
        *last = (*last).max(p.bytes_done);
    }));
    let pulled = pull
        .pull(&api.client, &out)
        .await
        .expect("pull through the API");
    assert_eq!(pulled.transport, Transport::Api);
    assert_eq!(pulled.digest, digest);
    assert_eq!((pulled.blobs_fetched, pulled.blobs_present), (4, 0));
    assert_eq!(
        *progress.lock().unwrap(),
        3 * MIB as u64,
        "progress reached the largest layer's size"
    );
    let (got, blobs) = verify_layout(&out, "1.0");
    assert_eq!(got, digest);
    assert_eq!(blobs, verify_layout(&dir, "1.0").1);
    let mut asked = api.stand_in.asked.lock().unwrap().clone();
    asked.sort();
    let mut expected: Vec<String> = blobs.iter().filter(|d| **d != digest).cloned().collect();
    expected.sort();
    assert_eq!(asked, expected, "one GetDownloadUrlForLayer per blob");
    let downloads = api.downloads.requests();
    assert_eq!(downloads.len(), 4);
    assert!(
        downloads
            .iter()
            .all(|r| !r.authorized && r.uri.contains("X-Amz-Signature")),
        "download URLs are fetched as given, without credentials: {downloads:?}"
    );
    case_passed("pull_through_the_api_with_download_urls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_download_resumes_with_range() {
    let env = RegistryEnv::start();
    let cut = MIB as u64 + 5;
    let api = ApiSide::start(&env, Some(cut));
    let dir = temp_dir("cut-src");
    single_layout(&dir, "c", &[3 * MIB, 4 * MIB], 12);
    let digest = push_both(&env, &api.client, "pull/cut", &dir).await;
    let out = temp_dir("cut-pulled");
    let mut pull = ImagePull::new("pull/cut", "c");
    pull.transport = Transport::Api;
    let pulled = pull.pull(&api.client, &out).await.expect("pull");
    assert_eq!(pulled.digest, digest);
    assert_eq!(verify_layout(&out, "c").0, digest);
    let ranged: Vec<_> = api
        .downloads
        .requests()
        .into_iter()
        .filter_map(|r| r.range)
        .collect();
    // Each cut layer continued from the byte it stopped at: at most the
    // bytes the proxy let through (some may not have left its buffers when
    // it cut), and never from 0.
    assert_eq!(ranged.len(), 2, "{ranged:?}");
    for range in &ranged {
        let from: u64 = range
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("not an open range from an offset: {range}"));
        assert!(from > 0 && from <= cut, "{range}");
    }
    assert_eq!(
        pulled.bytes_fetched,
        blob_bytes(&dir, "c"),
        "no byte fetched twice"
    );
    case_passed("an_interrupted_download_resumes_with_range");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_file_is_continued_and_a_corrupt_one_replaced() {
    let env = RegistryEnv::start();
    let dir = temp_dir("partial-src");
    let layer = random_bytes(5 * MIB, 12 * 1000);
    let digest = single_layout(&dir, "p", &[5 * MIB], 12);
    let layer_digest = sha256_digest(&layer);
    let mut push = ImagePush::new("pull/partial");
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    push.push(&env.client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");
    let recorder = Proxy::start(&env.registry.endpoint, PassThrough::new(None));
    let registry = RegistryClient::for_ecr(&env.client, None, Some(&recorder.endpoint))
        .await
        .unwrap();
    let partial_of = |out: &Path| {
        out.join(".ecrkit-partial")
            .join(layer_digest.replace(':', "-"))
    };
    let mut pull = ImagePull::new("pull/partial", "p");
    pull.transport = Transport::Registry;
    pull.registry = Some(registry);

    // The first 2 MiB from an earlier pull that stopped.
    let out = temp_dir("partial-pulled");
    std::fs::create_dir_all(out.join(".ecrkit-partial")).unwrap();
    std::fs::write(partial_of(&out), &layer[..2 * MIB]).unwrap();
    let pulled = pull.pull(&env.client, &out).await.expect("pull");
    assert_eq!(pulled.digest, digest);
    assert_eq!(verify_layout(&out, "p").0, digest);
    assert!(
        recorder
            .requests()
            .iter()
            .any(|r| r.range.as_deref() == Some(&format!("bytes={}-", 2 * MIB))),
        "the layer continued from the partial file's end"
    );
    assert!(
        !out.join(".ecrkit-partial").exists(),
        "nothing left half-done"
    );

    // Wrong bytes in a partial file: the digest catches them once the rest
    // is in, the file goes, and the layer comes again whole, in the same
    // pull.
    let out = temp_dir("corrupt-pulled");
    std::fs::create_dir_all(out.join(".ecrkit-partial")).unwrap();
    std::fs::write(partial_of(&out), vec![0u8; MIB]).unwrap();
    let from = recorder.requests().len();
    let pulled = pull.pull(&env.client, &out).await.expect("pull");
    assert_eq!(pulled.digest, digest);
    assert_eq!(verify_layout(&out, "p").0, digest);
    let layer_gets: Vec<Option<String>> = recorder.requests()[from..]
        .iter()
        .filter(|r| r.method == "GET" && r.uri.contains(&layer_digest))
        .map(|r| r.range.clone())
        .collect();
    assert_eq!(
        layer_gets,
        vec![Some(format!("bytes={MIB}-")), None],
        "the rest after the partial file, then the whole layer"
    );
    assert!(!partial_of(&out).exists());
    case_passed("a_partial_file_is_continued_and_a_corrupt_one_replaced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_platform_index_pulls_through_the_api() {
    let env = RegistryEnv::start();
    let api = ApiSide::start(&env, None);
    let dir = temp_dir("api-index");
    let index = index_layout(&dir, "m", 13);
    assert_eq!(
        push_both(&env, &api.client, "pull/index", &dir).await,
        index
    );
    let out = temp_dir("api-index-pulled");
    let mut pull = ImagePull::new("pull/index", "m");
    pull.transport = Transport::Api;
    let pulled = pull.pull(&api.client, &out).await.expect("pull");
    assert_eq!(pulled.digest, index);
    assert_eq!(pulled.platform_manifests.len(), 2);
    assert_eq!(pulled.blobs_fetched, 7);
    let (got, blobs) = verify_layout(&out, "m");
    assert_eq!(got, index);
    assert_eq!(blobs, verify_layout(&dir, "m").1);
    case_passed("a_multi_platform_index_pulls_through_the_api");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_from_a_registry_into_ecr_and_across_regions() {
    let env = RegistryEnv::start();
    let api = ApiSide::start(&env, None);
    let dir = temp_dir("copy-src");
    let digest = single_layout(&dir, "v1", &[MIB, 2 * MIB], 14);
    let mut push = ImagePush::new("copy/src");
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    let source = push
        .push(&env.client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");

    // Registry to the ECR API (moto, us-east-1).
    create_repo(&api.client, "copy/src").await;
    let to_ecr = ImageCopy::new(
        CopySource::Registry {
            client: env.direct().await,
            repository: "copy/src".into(),
        },
        Some("v1".into()),
        CopyDestination::Ecr {
            client: api.client.clone(),
            registry_id: None,
            repository: "copy/src".into(),
            transport: Transport::Api,
            registry: None,
        },
    );
    let copied = to_ecr.copy().await.expect("copy to ECR");
    assert_eq!(copied.digest, digest);
    assert_eq!(copied.transports, (Transport::Registry, Transport::Api));
    assert_eq!(
        (copied.blobs_copied, copied.bytes_copied),
        (3, blob_bytes(&dir, "v1"))
    );
    assert_eq!(
        manifest_in_moto(&api.client, "copy/src", "v1").await,
        source.manifest.as_ref()
    );
    // Again: everything is there.
    let again = to_ecr.copy().await.expect("copy again");
    assert_eq!((again.blobs_copied, again.blobs_present), (0, 3));

    // ECR us-east-1 (the API, download URLs) to ECR eu-west-1 (the API).
    let west = client_in("eu-west-1", &env.moto.endpoint);
    create_repo(&west, "copy/west").await;
    let across = ImageCopy::new(
        CopySource::Ecr {
            client: api.client.clone(),
            registry_id: None,
            repository: "copy/src".into(),
            transport: Transport::Api,
            registry: None,
        },
        Some("v1".into()),
        CopyDestination::Ecr {
            client: west.clone(),
            registry_id: None,
            repository: "copy/west".into(),
            transport: Transport::Auto,
            registry: None,
        },
    );
    let copied = across.copy().await.expect("copy across regions");
    assert_eq!(copied.digest, digest);
    assert_eq!(
        copied.transports,
        (Transport::Api, Transport::Api),
        "Auto with a custom ECR endpoint and no registry given takes the API"
    );
    assert_eq!(
        manifest_in_moto(&west, "copy/west", "v1").await,
        source.manifest.as_ref()
    );
    case_passed("copies_from_a_registry_into_ecr_and_across_regions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layout_copies_into_ecr_through_its_registry_rules() {
    let env = RegistryEnv::start();
    let dir = temp_dir("copy-layout");
    let digest = single_layout(&dir, "big", &[12 * MIB, MIB], 15);
    let mut copy = ImageCopy::new(
        CopySource::Image(ImageSource::OciLayout(dir.clone())),
        None,
        CopyDestination::Ecr {
            client: env.client.clone(),
            registry_id: None,
            repository: "copy/layout".into(),
            transport: Transport::Registry,
            registry: Some(env.ecr().await),
        },
    );
    copy.upload_mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    let copied = copy.copy().await.expect("copy");
    assert_eq!(copied.digest, digest);
    assert_eq!(copied.tag.as_deref(), Some("big"));
    assert!(env.rules.stats().patches_201 >= 4);
    let mut pull = ImagePull::new("copy/layout", "big");
    pull.transport = Transport::Registry;
    pull.registry = Some(env.direct().await);
    let out = temp_dir("copy-layout-pulled");
    assert_eq!(
        pull.pull(&env.client, &out).await.expect("pull").digest,
        digest
    );
    assert_eq!(verify_layout(&out, "big").1, verify_layout(&dir, "big").1);
    case_passed("a_layout_copies_into_ecr_through_its_registry_rules");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_whose_source_is_cut_resumes_at_both_ends() {
    let env = RegistryEnv::start();
    let dir = temp_dir("copy-cut");
    let digest = single_layout(&dir, "x", &[25 * MIB], 16);
    let mut push = ImagePush::new("copy/cut");
    push.transport = Transport::Registry;
    push.registry = Some(env.direct().await);
    push.push(&env.client, &ImageSource::OciLayout(dir.clone()))
        .await
        .expect("push");
    let cut = 12 * MIB as u64 + 1;

    // To the registry (through ECR's rules: another host, so no mount).
    let source_proxy = Proxy::start(&env.registry.endpoint, PassThrough::new(Some(cut)));
    let source = RegistryClient::for_ecr(&env.client, None, Some(&source_proxy.endpoint))
        .await
        .unwrap();
    let copy = ImageCopy::new(
        CopySource::Registry {
            client: source.clone(),
            repository: "copy/cut".into(),
        },
        Some("x".into()),
        CopyDestination::Registry {
            client: env.ecr().await,
            repository: "copy/cut-registry".into(),
        },
    );
    let copied = copy.copy().await.expect("copy to the registry");
    assert_eq!(copied.digest, digest);
    assert_eq!(copied.blobs_mounted, 0);

    // To the ECR API (moto): the layer upload continues within its upload
    // id, the source opened again where ECR's acknowledged bytes end.
    let source_proxy = Proxy::start(&env.registry.endpoint, PassThrough::new(Some(cut)));
    let source = RegistryClient::for_ecr(&env.client, None, Some(&source_proxy.endpoint))
        .await
        .unwrap();
    create_repo(&env.client, "copy/cut-api").await;
    let copy = ImageCopy::new(
        CopySource::Registry {
            client: source,
            repository: "copy/cut".into(),
        },
        Some("x".into()),
        CopyDestination::Ecr {
            client: env.client.clone(),
            registry_id: None,
            repository: "copy/cut-api".into(),
            transport: Transport::Api,
            registry: None,
        },
    );
    let copied = copy.copy().await.expect("copy to the API");
    assert_eq!(copied.digest, digest);
    let ranges: Vec<String> = source_proxy
        .requests()
        .into_iter()
        .filter_map(|r| r.range)
        .collect();
    assert_eq!(
        ranges,
        [format!("bytes={}-", 10 * MIB)],
        "the source read again from the end of the last acknowledged 10 MiB part"
    );
    let manifest = manifest_in_moto(&env.client, "copy/cut-api", "x").await;
    assert_eq!(sha256_digest(&manifest), digest);
    case_passed("a_copy_whose_source_is_cut_resumes_at_both_ends");
}
