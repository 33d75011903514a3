//! What the fault matrix's tests share: the schedules of each transport,
//! the loops that resume a push or a pull from its typed error, the
//! checks of what the registry holds, and the summary line.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ecr_tests::fault_proxy::{Fault, RequestInfo, Schedule, seeded_schedule};
use ecr_tests::registry::MOTO_PASSWORD;
use ecr_tests::registry_faults::kind_of;
use ecrkit::Client;
use ecrkit::pull::{ImagePull, PulledImage};
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::{FileBlob, PushBlob, RegistryClient, UploadMode};

pub const MIB: usize = 1 << 20;
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);

/// A stall past the attempt timeout.
pub fn stall() -> Fault {
    Fault::Stall(ATTEMPT_TIMEOUT + Duration::from_millis(300))
}

/// The API's classes (awsJson shapes), each request in turn.
pub fn api_classes(req: &RequestInfo) -> Vec<Fault> {
    vec![
        Fault::CutAfterBodyBytes(req.body_len / 2),
        Fault::ResetBeforeResponse,
        Fault::Status500,
        Fault::Status503,
        Fault::Throttle,
        stall(),
        Fault::TruncateResponse,
        Fault::Garbage,
        Fault::WrongContentType,
        Fault::WrongShape,
    ]
}

/// The registry's classes for a request: the body classes for GETs only,
/// a flipped byte for blob GETs only (first, so that even a few downloads
/// get one).
pub fn registry_classes(req: &RequestInfo) -> Vec<Fault> {
    let mut classes = Vec::new();
    if req.method == "GET" && kind_of(&req.path) == "blob" {
        classes.push(Fault::CorruptBody);
    }
    if req.method == "GET" {
        classes.extend([
            Fault::TruncateResponse,
            Fault::Garbage,
            Fault::WrongContentType,
            Fault::WrongShape,
        ]);
    }
    classes.extend([
        Fault::CutAfterBodyBytes(req.body_len / 2),
        Fault::ResetBeforeResponse,
        Fault::Status500,
        Fault::Status503,
        Fault::Throttle,
        stall(),
    ]);
    classes
}

/// `percent` of the requests get one of the API's classes.
pub fn api_schedule(seed: u64, percent: u64) -> Schedule {
    seeded_schedule(seed, percent, api_classes)
}

/// `percent` of the requests get one of the registry's classes, in turn
/// per method (so that the GET-only classes come as often as the others
/// among GETs, however few GETs there are next to the rest).
pub fn registry_schedule(seed: u64, percent: u64) -> Schedule {
    let mut pick = seeded_schedule(seed, percent, |_| vec![Fault::Status500]);
    let mut turns: BTreeMap<String, usize> = BTreeMap::new();
    Box::new(move |req: &RequestInfo| {
        pick(req)?;
        let classes = registry_classes(req);
        let turn = turns.entry(req.method.clone()).or_default();
        *turn += 1;
        classes.get((*turn - 1) % classes.len()).copied()
    })
}

/// Prints the line `scripts/test.sh` adds up.
pub fn part_line(transport: &str, faults: usize, pushes: usize, pulls: usize, lost: u64) {
    println!(
        "fault matrix part: transport={transport} faults={faults} pushes={pushes} pulls={pulls} lost={lost}"
    );
}

/// Adds `more` to `total`, class by class.
pub fn add_counts(total: &mut BTreeMap<&'static str, usize>, more: BTreeMap<&'static str, usize>) {
    for (class, n) in more {
        *total.entry(class).or_default() += n;
    }
}

/// Pushes the blob at `path` (its digest known) through the registry with
/// one streaming `PATCH`; when the upload stops with a typed error, resumes
/// it from the state the error carries, until it completes. Returns the
/// calls it took.
pub async fn push_blob_until_done(
    registry: &RegistryClient,
    repository: &str,
    path: &Path,
    digest: &str,
) -> u32 {
    let size = std::fs::metadata(path).expect("the blob file").len();
    let blob = FileBlob {
        path: path.to_owned(),
        start: 0,
        len: size,
    };
    let mut resume = None;
    for call in 1..=50 {
        let mut push = PushBlob::new(repository, Some(digest.to_owned()), size);
        push.mode = UploadMode::Streaming;
        push.resume = resume.take();
        match push.push(registry, &blob).await {
            Ok(done) => {
                assert_eq!(done.digest, digest);
                return call;
            }
            Err(e) => {
                eprintln!("blob push call {call} stopped: {e}");
                resume = e.state;
            }
        }
    }
    panic!("the blob push did not finish in 50 calls");
}

/// Runs `push` until it completes (blobs already there are skipped);
/// returns the runs it took.
pub async fn push_image_until_done(push: &ImagePush, client: &Client, layout: &Path) -> u32 {
    for run in 1..=50 {
        match push
            .push(client, &ImageSource::OciLayout(layout.to_owned()))
            .await
        {
            Ok(_) => return run,
            Err(e) => eprintln!("image push run {run} stopped: {e}"),
        }
    }
    panic!("the image push did not finish in 50 runs");
}

/// Runs `pull` into `out` until it completes (each run continues from the
/// blobs and partial files the last left); returns the image and the runs.
pub async fn pull_until_done(pull: &ImagePull, client: &Client, out: &Path) -> (PulledImage, u32) {
    for run in 1..=50 {
        match pull.pull(client, out).await {
            Ok(pulled) => return (pulled, run),
            Err(e) => eprintln!("pull run {run} stopped: {e}"),
        }
    }
    panic!("the pull did not finish in 50 runs");
}

/// Bytes of the blob `digest` (`size` bytes) the registry at `endpoint`
/// does not hold, asked directly (not through a proxy) with its own
/// password: 0 when its `HEAD` names the digest with the whole size. (The
/// registry checked the bytes against the digest when the upload was
/// committed; the pulls read them back.)
pub async fn bytes_lost(endpoint: &str, repository: &str, digest: &str, size: u64) -> u64 {
    let head = reqwest::Client::new()
        .head(format!("{endpoint}/v2/{repository}/blobs/{digest}"))
        .basic_auth("AWS", Some(MOTO_PASSWORD))
        .send()
        .await;
    let Ok(head) = head else {
        return size;
    };
    let header = |name: &str| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let held = header("content-length")
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(0);
    if head.status() == 200 && header("docker-content-digest").as_deref() == Some(digest) {
        size.saturating_sub(held)
    } else {
        size
    }
}

/// The `(digest, size)` of every blob (config and layers) of the layout's
/// manifest `manifest_digest`.
pub fn blobs_of(layout: &Path, manifest_digest: &str) -> Vec<(String, u64)> {
    let path = layout
        .join("blobs/sha256")
        .join(manifest_digest.trim_start_matches("sha256:"));
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("the manifest")).expect("JSON");
    std::iter::once(&doc["config"])
        .chain(doc["layers"].as_array().into_iter().flatten())
        .map(|d| {
            (
                d["digest"].as_str().expect("digest").to_owned(),
                d["size"].as_u64().expect("size"),
            )
        })
        .collect()
}
