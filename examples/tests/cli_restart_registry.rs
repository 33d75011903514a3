//! A push through the registry endpoint whose process is killed (SIGKILL,
//! in the middle of its layers' chunks) and run again with the same
//! arguments continues each unfinished layer within its upload, from the
//! offset the journal recorded; an upload the registry no longer knows
//! starts that layer over, with a message. Against the CNCF registry
//! behind the proxy that plays ECR's registry endpoint (moto for the API:
//! the repository, the authorization token).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{ecrkit, journal_file, run, run_cmd};
use ecr_tests::layout::{image_manifest, temp_layout_dir, write_index};
use ecr_tests::layouts::verify_layout;
use ecr_tests::proxy::Seen;
use ecr_tests::registry::temp_dir;
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::{random_bytes, sha256_digest};

const MIB: u64 = 1 << 20;
const CHUNK: u64 = 5 * MIB;

/// The journal's registry uploads: blob digest → (upload URL, offset).
fn journal_uploads(path: &Path) -> HashMap<String, (String, u64)> {
    let Ok(text) = std::fs::read(path) else {
        return HashMap::new();
    };
    // Renamed into place whole: any file there parses.
    let journal: serde_json::Value = serde_json::from_slice(&text).expect("a whole journal");
    journal["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .filter_map(|u| {
            Some((
                u["digest"].as_str()?.to_owned(),
                (u["location"].as_str()?.to_owned(), u["bytes"].as_u64()?),
            ))
        })
        .collect()
}

/// `/v2/<name>/blobs/uploads/<id>` of an upload URL or request URI.
fn upload_path(uri: &str) -> String {
    let path = match uri.find("/v2/") {
        Some(at) => &uri[at..],
        None => uri,
    };
    path.split('?').next().unwrap_or(path).to_owned()
}

/// The first byte and the length of a `PATCH`'s `Content-Range` (`a-b`).
fn patch_span(seen: &Seen) -> (u64, u64) {
    let range = seen.range.as_deref().expect("a PATCH with Content-Range");
    let (from, to) = range.split_once('-').expect("a-b");
    let (from, to): (u64, u64) = (from.parse().unwrap(), to.parse().unwrap());
    (from, to + 1 - from)
}

struct Push {
    env: RegistryEnv,
    state: PathBuf,
    dir: PathBuf,
    layers: Vec<Vec<u8>>,
    top: String,
}

impl Push {
    fn new(name: &str) -> Push {
        let env = RegistryEnv::start();
        let dir = temp_layout_dir(name);
        let layers = vec![
            random_bytes(12 * MIB as usize, 81),
            random_bytes(11 * MIB as usize, 82),
        ];
        let top = image_manifest(&dir, "amd64", &layers);
        write_index(&dir, &[(&top, Some("v1"))]);
        let state =
            std::env::temp_dir().join(format!("ecrkit-{name}-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        Push {
            env,
            state,
            dir,
            layers,
            top: top["digest"].as_str().unwrap().to_owned(),
        }
    }

    fn args<'a>(&'a self, repository: &'a str) -> Vec<&'a str> {
        vec![
            "--endpoint-url",
            &self.env.moto.endpoint,
            "push",
            repository,
            self.dir.to_str().unwrap(),
            "--transport",
            "registry",
            "--registry-endpoint",
            &self.env.ecr_proxy.endpoint,
            "--create-repository",
            "--max-part-size",
            "5",
            "-j",
            "2",
            "-o",
            "json",
        ]
    }

    fn digests(&self) -> Vec<String> {
        self.layers.iter().map(|l| sha256_digest(l)).collect()
    }

    /// Starts the push with every layer's second chunk held by the proxy,
    /// waits until the journal records the first chunk of each, and kills
    /// the process: what the journal holds then.
    async fn start_and_kill(&self, repository: &str) -> (PathBuf, HashMap<String, (String, u64)>) {
        self.env.rules.stall_after(1);
        let mut cmd = ecrkit();
        cmd.env("ECRKIT_STATE_DIR", &self.state)
            .args(self.args(repository))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("spawn ecrkit");
        let digests = self.digests();
        let deadline = Instant::now() + Duration::from_secs(90);
        let journal = loop {
            assert!(
                Instant::now() < deadline,
                "no journal with a chunk of each layer in 90 s (proxy: {:?})",
                self.env.rules.stats()
            );
            if let Some(file) = journal_file(&self.state) {
                let uploads = journal_uploads(&file);
                if self.env.rules.stats().stalled >= 2
                    && digests
                        .iter()
                        .all(|d| uploads.get(d).is_some_and(|(_, at)| *at >= CHUNK))
                {
                    break file;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        common::sigkill(&mut child).await;
        let recorded = journal_uploads(&journal);
        assert_eq!(recorded.len(), 2, "{recorded:?}");
        // The held chunks are dropped, never passed on; new ones pass.
        self.env.rules.lift_stall();
        (journal, recorded)
    }

    /// The same command again.
    async fn again(&self, repository: &str) -> common::Run {
        let mut cmd = ecrkit();
        cmd.env("ECRKIT_STATE_DIR", &self.state);
        let again = run_cmd(cmd, None, &self.args(repository)).await;
        again.expect_status(0);
        assert_eq!(
            again.json()[0]["digest"],
            self.top.as_str(),
            "{}",
            again.stdout
        );
        assert!(
            journal_file(&self.state).is_none(),
            "a completed push leaves no journal"
        );
        again
    }

    /// Pulls the image back through the registry and checks every blob's
    /// digest.
    async fn verify(&self, repository: &str) {
        let back = temp_dir("cli-restart-registry-back");
        let out = run(
            Some(&self.env.moto.endpoint),
            &[
                "pull",
                &format!("{repository}:v1"),
                back.to_str().unwrap(),
                "--transport",
                "registry",
                "--registry-endpoint",
                &self.env.ecr_proxy.endpoint,
            ],
        )
        .await;
        out.expect_status(0);
        let (top, reached) = verify_layout(&back, "v1");
        assert_eq!(top, self.top);
        assert_eq!(
            reached.len(),
            4,
            "manifest, config, two layers: {reached:?}"
        );
        let _ = std::fs::remove_dir_all(back);
    }
}

impl Drop for Push {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_registry_push_run_again_continues_each_layer_within_its_upload() {
    let push = Push::new("cli-killed-registry");
    let (journal, recorded) = push.start_and_kill("cli/killed").await;
    let digests = push.digests();
    // The first layer as if the process died after the registry committed
    // its chunk but before the journal said so: recorded at byte 0. The
    // registry's 416 names the committed offset, and the upload goes on
    // from there (one chunk sent twice).
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    for upload in file["uploads"].as_array_mut().unwrap() {
        if upload["digest"] == digests[0].as_str() {
            upload["bytes"] = 0.into();
        }
    }
    std::fs::write(&journal, serde_json::to_vec(&file).unwrap()).unwrap();
    let before = push.env.ecr_proxy.requests().len();

    let again = push.again("cli/killed").await;
    assert!(
        again.stderr.contains(&format!(
            "continuing 2 upload(s) recorded in {}",
            journal.display()
        )),
        "{}",
        again.stderr
    );
    let seen: Vec<Seen> = push.env.ecr_proxy.requests()[before..].to_vec();
    // No new upload: each layer continued in the one the journal named,
    // from its offset, and sent only what was left (the held chunk, which
    // never reached the registry, is the part sent twice), plus the chunk
    // the 416 answered.
    let posts = seen
        .iter()
        .filter(|s| s.method == "POST" && s.uri.contains("/blobs/uploads/"))
        .count();
    assert_eq!(posts, 0, "a new upload was started: {seen:#?}");
    for (i, (digest, layer)) in digests.iter().zip(&push.layers).enumerate() {
        let (location, offset) = &recorded[digest];
        assert!(*offset >= CHUNK);
        let patches: Vec<(u64, u64)> = seen
            .iter()
            .filter(|s| s.method == "PATCH" && upload_path(&s.uri) == upload_path(location))
            .map(patch_span)
            .collect();
        let starts: Vec<u64> = patches.iter().map(|p| p.0).take(2).collect();
        let (expected_starts, resent) = match i {
            0 => (vec![0, *offset], CHUNK),
            _ => (vec![*offset, offset + CHUNK], 0),
        };
        assert_eq!(starts, expected_starts, "{digest}: {patches:?}");
        let sent: u64 = patches.iter().map(|p| p.1).sum();
        assert_eq!(
            sent,
            layer.len() as u64 - offset + resent,
            "{digest}: what was left (and one chunk the registry had): {patches:?}"
        );
    }
    assert_eq!(
        push.env.rules.stats().sent_416,
        vec![recorded[&digests[0]].1]
    );
    push.verify("cli/killed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_registry_forgot_starts_that_layer_over_with_a_message() {
    let push = Push::new("cli-forgot-registry");
    let (_, recorded) = push.start_and_kill("cli/forgot").await;
    push.env.rules.forget_uploads();
    let before = push.env.ecr_proxy.requests().len();

    let again = push.again("cli/forgot").await;
    for (location, _) in recorded.values() {
        assert!(
            again
                .stderr
                .contains(&format!("upload {location} of sha256:"))
                && again.stderr.contains("is no longer known to the registry"),
            "{location}\n{}",
            again.stderr
        );
    }
    let seen: Vec<Seen> = push.env.ecr_proxy.requests()[before..].to_vec();
    let posts = seen
        .iter()
        .filter(|s| s.method == "POST" && s.uri.contains("/blobs/uploads/"))
        .count();
    assert_eq!(posts, 2, "a new upload per layer: {seen:#?}");
    let from_zero = seen
        .iter()
        .filter(|s| s.method == "PATCH")
        .map(patch_span)
        .filter(|p| p.0 == 0)
        .count();
    assert_eq!(from_zero, 2, "each layer sent from byte 0: {seen:#?}");
    push.verify("cli/forgot").await;
}
