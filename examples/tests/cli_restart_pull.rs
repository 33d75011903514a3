//! A pull whose process is killed (SIGKILL, in the middle of a large blob)
//! and run again continues the blob from its partial file with a `Range`
//! request, through the ECR API (moto behind the `GetDownloadUrlForLayer`
//! stand-in, download URLs on a server of the registry's storage) and
//! through the registry endpoint (the CNCF registry behind the ECR proxy);
//! a partial file whose bytes were changed is not trusted: the blob comes
//! again whole. A proxy in front of the blob downloads stalls them partway
//! (so the kill lands mid-blob) and counts the bytes served.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ecrkit, run};
use ecr_tests::layouts::{single_layout, verify_layout};
use ecr_tests::proxy::{Proxy, Seen};
use ecr_tests::registry::{MOTO_PASSWORD, Registry, temp_dir};
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::stall_proxy::{StallProxyHandler, StallingDownloads};
use ecr_tests::stand_in::DownloadUrlStandIn;

const MIB: u64 = 1 << 20;
/// The large layer.
const BLOB: u64 = 24 * MIB;
/// Where a stalled download stops.
const STALL_AT: u64 = 9 * MIB;

struct Servers {
    env: RegistryEnv,
    /// The ECR API endpoint the program is given (the stand-in).
    api: Proxy,
    /// The stalling proxies: in front of the download URLs' server, and
    /// in front of the ECR registry proxy.
    downloads: Proxy,
    registry: Proxy,
    stall: Arc<StallingDownloads>,
    _storage: Registry,
}

impl Servers {
    fn start() -> Servers {
        let env = RegistryEnv::start();
        let storage = Registry::serve_storage_of(&env.registry);
        let stall = StallingDownloads::new(STALL_AT);
        let downloads = Proxy::start(
            &storage.endpoint,
            Arc::new(StallProxyHandler(stall.clone())),
        );
        let api = Proxy::start(
            &env.moto.endpoint,
            DownloadUrlStandIn::new(&downloads.endpoint),
        );
        let registry = Proxy::start(
            &env.ecr_proxy.endpoint,
            Arc::new(StallProxyHandler(stall.clone())),
        );
        Servers {
            env,
            api,
            downloads,
            registry,
            stall,
            _storage: storage,
        }
    }

    /// A layout's image into the registry, then from there into moto.
    async fn seed(&self, dir: &Path, repo: &str, tag: &str) {
        let creds = format!("AWS:{MOTO_PASSWORD}");
        let registry = format!("{}/{repo}:{tag}", self.env.registry.endpoint);
        run(
            None,
            &[
                "copy",
                &format!("oci:{}:{tag}", dir.display()),
                &registry,
                "--dest-creds",
                &creds,
            ],
        )
        .await
        .expect_status(0);
        run(
            Some(&self.api.endpoint),
            &[
                "copy",
                &registry,
                &format!("{repo}:{tag}"),
                "--source-creds",
                &creds,
                "--transport",
                "api",
                "--create-repository",
            ],
        )
        .await
        .expect_status(0);
    }

    /// The proxy a transport's blob downloads go through.
    fn blob_proxy(&self, transport: &str) -> &Proxy {
        match transport {
            "api" => &self.downloads,
            _ => &self.registry,
        }
    }
}

/// The largest blob of a layout (its one big layer).
fn largest_blob(dir: &Path) -> String {
    let blobs = dir.join("blobs/sha256");
    let largest = std::fs::read_dir(&blobs)
        .unwrap()
        .filter_map(|e| e.ok())
        .max_by_key(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .unwrap();
    assert_eq!(largest.metadata().unwrap().len(), BLOB);
    format!("sha256:{}", largest.file_name().to_str().unwrap())
}

fn partial_file(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join(".ecrkit-partial")
        .join(digest.replace(':', "-"))
}

/// Starts the pull, kills it once its partial file of `digest` holds most
/// of what the stalled download sent, and returns the file's length then.
async fn kill_mid_blob(args: &[String], layout: &Path, digest: &str) -> u64 {
    let mut child = ecrkit()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ecrkit");
    let partial = partial_file(layout, digest);
    let deadline = Instant::now() + Duration::from_secs(90);
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < STALL_AT - 2 * MIB {
        assert!(
            Instant::now() < deadline,
            "no partial file of {STALL_AT} bytes in 90 s at {}",
            partial.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    common::sigkill(&mut child).await;
    let len = std::fs::metadata(&partial).expect("the partial file").len();
    assert!(len > 0 && len <= STALL_AT, "{len}");
    len
}

/// The `GET`s of `digest` the proxy saw from `from` on, with their `Range`.
fn blob_gets(proxy: &Proxy, from: usize, digest: &str) -> Vec<Option<String>> {
    let seen: Vec<Seen> = proxy.requests()[from..].to_vec();
    seen.into_iter()
        .filter(|s| s.method == "GET" && s.uri.contains(digest))
        .map(|s| s.range)
        .collect()
}

async fn a_killed_pull_resumes_and_a_changed_partial_is_fetched_again(transport: &str) {
    let servers = Servers::start();
    let src = temp_dir(&format!("cli-pull-killed-src-{transport}"));
    let top = single_layout(&src, "v1", &[BLOB as usize, 300_000], 61);
    let layer = largest_blob(&src);
    servers.seed(&src, "cli/big", "v1").await;
    let layout = temp_dir(&format!("cli-pull-killed-{transport}"));
    let mut args: Vec<String> = vec![
        "--endpoint-url".into(),
        servers.api.endpoint.clone(),
        "pull".into(),
        "cli/big:v1".into(),
        layout.to_str().unwrap().into(),
        "--transport".into(),
        transport.into(),
    ];
    if transport == "registry" {
        args.extend([
            "--registry-endpoint".into(),
            servers.registry.endpoint.clone(),
        ]);
    }
    let proxy = servers.blob_proxy(transport);
    let again = || async {
        let mut cmd = ecrkit();
        cmd.args(&args);
        let out = cmd.output().await.expect("run ecrkit");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stderr
    };

    // Killed mid-blob, then run again: only the rest of the blob comes,
    // with a Range from the partial file's length.
    servers.stall.stall();
    let had = kill_mid_blob(&args, &layout, &layer).await;
    servers.stall.lift();
    let (from, served) = (proxy.requests().len(), servers.stall.served(&layer));
    again().await;
    assert_eq!(
        blob_gets(proxy, from, &layer),
        vec![Some(format!("bytes={had}-"))],
        "one ranged GET of the blob"
    );
    assert_eq!(
        servers.stall.served(&layer) - served,
        BLOB - had,
        "only the rest"
    );
    let (pulled, reached) = verify_layout(&layout, "v1");
    assert_eq!(pulled, top);
    assert_eq!(
        reached.len(),
        4,
        "manifest, config, two layers: {reached:?}"
    );
    assert!(!partial_file(&layout, &layer).exists());

    // Killed again in a fresh layout, and a byte of the partial file
    // changed: the resumed blob does not hash right, so it comes again
    // from byte 0, and the layout verifies.
    std::fs::remove_dir_all(&layout).unwrap();
    servers.stall.stall();
    let had = kill_mid_blob(&args, &layout, &layer).await;
    let partial = partial_file(&layout, &layer);
    let mut bytes = std::fs::read(&partial).unwrap();
    bytes[(had / 2) as usize] ^= 0xff;
    std::fs::write(&partial, &bytes).unwrap();
    servers.stall.lift();
    let (from, served) = (proxy.requests().len(), servers.stall.served(&layer));
    let stderr = again().await;
    assert!(
        stderr.contains("did not hash to the digest once complete"),
        "{stderr}"
    );
    assert_eq!(
        blob_gets(proxy, from, &layer),
        vec![Some(format!("bytes={had}-")), None],
        "the rest, then the whole blob"
    );
    assert_eq!(servers.stall.served(&layer) - served, BLOB - had + BLOB);
    let (pulled, _) = verify_layout(&layout, "v1");
    assert_eq!(pulled, top);
    let _ = std::fs::remove_dir_all(&layout);
    let _ = std::fs::remove_dir_all(&src);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_pull_through_the_api_resumes_from_its_partial_file() {
    a_killed_pull_resumes_and_a_changed_partial_is_fetched_again("api").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_pull_through_the_registry_resumes_from_its_partial_file() {
    a_killed_pull_resumes_and_a_changed_partial_is_fetched_again("registry").await;
}
