//! `ecrkit pull` and `ecrkit copy` end to end: moto for the ECR API (with
//! the loopback stand-in answering `GetDownloadUrlForLayer`, which moto
//! lacks, with URLs on a credential-free server of the registry's storage),
//! the CNCF registry (htpasswd, moto's token as the password) for the
//! registry endpoint and for a `docker://`-style registry, and layouts on
//! disk checked blob by blob.

mod common;

use std::path::Path;

use common::run;
use ecr_tests::layouts::{index_layout, single_layout, verify_layout};
use ecr_tests::proxy::Proxy;
use ecr_tests::registry::{MOTO_PASSWORD, Registry, temp_dir};
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::stand_in::DownloadUrlStandIn;

/// moto behind the stand-in, the registry, and the server of its storage
/// the download URLs point at.
struct Servers {
    env: RegistryEnv,
    /// The ECR API endpoint the program is given (the stand-in).
    api: Proxy,
    _downloads: Registry,
}

impl Servers {
    fn start() -> Servers {
        let env = RegistryEnv::start();
        let downloads = Registry::serve_storage_of(&env.registry);
        let stand_in = DownloadUrlStandIn::new(&downloads.endpoint);
        let api = Proxy::start(&env.moto.endpoint, stand_in);
        Servers {
            env,
            api,
            _downloads: downloads,
        }
    }

    /// `http://127.0.0.1:<port>/<repo>` of the registry.
    fn registry_url(&self, repo: &str) -> String {
        format!("{}/{repo}", self.env.registry.endpoint)
    }

    /// Copies a layout's image into the registry and then, from there, into
    /// moto, both under `repo:tag` (the registry holds the blobs the
    /// stand-in's download URLs name).
    async fn seed(&self, dir: &Path, repo: &str, tag: &str) -> String {
        let creds = format!("AWS:{MOTO_PASSWORD}");
        let into_registry = run(
            None,
            &[
                "copy",
                &format!("oci:{}:{tag}", dir.display()),
                &format!("{}:{tag}", self.registry_url(repo)),
                "--dest-creds",
                &creds,
                "-o",
                "json",
            ],
        )
        .await;
        into_registry.expect_status(0);
        let row = into_registry.json();
        assert_eq!(row["transports"][1], "registry");
        assert!(row["blobs_copied"].as_u64().unwrap() >= 2, "{row}");
        let into_ecr = run(
            Some(&self.api.endpoint),
            &[
                "copy",
                &format!("{}:{tag}", self.registry_url(repo)),
                repo,
                "--source-creds",
                &creds,
                "--transport",
                "api",
                "--create-repository",
                "-o",
                "json",
            ],
        )
        .await;
        into_ecr.expect_status(0);
        let copied = into_ecr.json();
        assert_eq!(copied["digest"], row["digest"]);
        assert_eq!(copied["tag"], tag);
        assert_eq!(copied["transports"][1], "api");
        copied["digest"].as_str().unwrap().to_owned()
    }
}

fn arm64_digest(layout: &Path, index_digest: &str) -> String {
    let path = layout
        .join("blobs/sha256")
        .join(index_digest.trim_start_matches("sha256:"));
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "arm64")
        .expect("an arm64 entry");
    entry["digest"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_takes_every_platform_or_one_through_the_api_or_the_registry() {
    let servers = Servers::start();
    let src = temp_dir("cli-pull-src");
    let index = index_layout(&src, "multi", 41);
    assert_eq!(servers.seed(&src, "cli/multi", "multi").await, index);
    let api = Some(servers.api.endpoint.as_str());

    // The whole index through the API.
    let all = temp_dir("cli-pull-all");
    let path = all.to_str().unwrap();
    let out = run(
        api,
        &[
            "pull",
            "cli/multi:multi",
            path,
            "--transport",
            "api",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    let row = out.json();
    assert_eq!(row["digest"], index.as_str());
    assert_eq!(row["transport"], "api");
    assert_eq!(row["platform_manifests"].as_array().unwrap().len(), 2);
    // Two configs, two own layers, one shared base layer.
    assert_eq!(row["blobs_downloaded"], 7, "{row}");
    let (top, reached) = verify_layout(&all, "multi");
    assert_eq!(top, index);
    assert_eq!(
        reached.len(),
        10,
        "index, 2 manifests, 7 blobs: {reached:?}"
    );
    assert!(
        out.stderr.contains("pull cli/multi:multi:") && out.stderr.contains("downloaded "),
        "plain progress lines:\n{}",
        out.stderr
    );

    // Again into the same layout: every blob is there and checked.
    let again = run(
        api,
        &[
            "pull",
            "cli/multi:multi",
            path,
            "--transport",
            "api",
            "-o",
            "json",
        ],
    )
    .await;
    again.expect_status(0);
    assert_eq!(again.json()["blobs_downloaded"], 0);
    assert_eq!(again.json()["blobs_present"], 7);

    // One platform, through the registry endpoint.
    let one = temp_dir("cli-pull-arm64");
    let out = run(
        api,
        &[
            "pull",
            "cli/multi:multi",
            one.to_str().unwrap(),
            "--platform",
            "linux/arm64",
            "--transport",
            "registry",
            "--registry-endpoint",
            &servers.env.ecr_proxy.endpoint,
            "-j",
            "1",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    let row = out.json();
    let arm64 = arm64_digest(&src, &index);
    assert_eq!(row["digest"], arm64.as_str());
    assert_eq!(row["transport"], "registry");
    assert_eq!(row["blobs_downloaded"], 4, "config and three layers: {row}");
    let (top, reached) = verify_layout(&one, "multi");
    assert_eq!(top, arm64);
    assert_eq!(reached.len(), 5);

    // A platform the index lacks: a usage error naming the ones it has.
    let none = run(
        api,
        &[
            "pull",
            "cli/multi:multi",
            path,
            "--platform",
            "linux/s390x",
            "--transport",
            "api",
        ],
    )
    .await;
    none.expect_status(2);
    assert!(
        none.stderr.contains("linux/amd64, linux/arm64"),
        "{}",
        none.stderr
    );
    // An image that is not there: the service's refusal.
    run(api, &["pull", "cli/multi:nope", path, "--transport", "api"])
        .await
        .expect_status(4);
    // A malformed platform never reaches the network.
    run(None, &["pull", "cli/multi", path, "--platform", "linux"])
        .await
        .expect_status(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_joins_registries_ecr_regions_and_layouts() {
    let servers = Servers::start();
    let src = temp_dir("cli-copy-src");
    let digest = single_layout(&src, "v1", &[700_000, 300_000], 43);
    // A layout into the registry, and the registry into ECR (us-east-1).
    assert_eq!(servers.seed(&src, "cli/app", "v1").await, digest);
    let api = Some(servers.api.endpoint.as_str());

    // ECR to ECR across regions, under another tag.
    let out = run(
        api,
        &[
            "copy",
            "cli/app:v1",
            "cli/app:copied",
            "--dest-region",
            "us-west-2",
            "--transport",
            "api",
            "--create-repository",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    let row = out.json();
    assert_eq!(row["digest"], digest.as_str());
    assert_eq!(row["tag"], "copied");
    assert_eq!(row["blobs_copied"], 3, "config and two layers: {row}");
    let listed = run(
        api,
        &["--region", "us-west-2", "ls", "cli/app", "-o", "json"],
    )
    .await;
    listed.expect_status(0);
    let images = listed.json();
    assert_eq!(images[0]["digest"], digest.as_str(), "{images}");
    assert_eq!(images[0]["tags"][0], "copied");
    // The source region has its own image only.
    let east = run(
        api,
        &["--region", "us-east-1", "ls", "cli/app", "-o", "json"],
    )
    .await;
    assert_eq!(east.json()[0]["tags"][0], "v1");

    // ECR (the full registry host) into a layout.
    let back = temp_dir("cli-copy-back");
    let out = run(
        api,
        &[
            "copy",
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/cli/app:copied",
            &format!("oci:{}:restored", back.display()),
            "--transport",
            "api",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    assert_eq!(out.json()["transports"][1], "layout");
    let (top, reached) = verify_layout(&back, "restored");
    assert_eq!(top, digest);
    assert_eq!(reached.len(), 4);

    // Ends the copy cannot join, and references that do not parse: exit 2
    // before any call.
    for args in [
        vec!["copy", "oci:/tmp/a", "oci:/tmp/b"],
        vec!["copy", "cli/app:v1", "docker:///app"],
        vec!["copy", "cli/app:v1", "cli/app@sha256:abc"],
        vec!["copy", "cli/app:v1", "cli/b", "--source-creds", "u:p"],
    ] {
        let out = run(None, &args).await;
        out.expect_status(2);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A registry that refuses the credentials.
    let refused = run(
        None,
        &[
            "copy",
            &format!("{}:v1", servers.registry_url("cli/app")),
            &format!("oci:{}", temp_dir("cli-copy-refused").display()),
            "--source-creds",
            "AWS:wrong",
        ],
    )
    .await;
    // Credentials refused: exit 6, as for ECR's own.
    refused.expect_status(6);
    assert!(
        refused.stderr.contains("refused the credentials"),
        "{}",
        refused.stderr
    );
}
