//! ECR's departures from the distribution spec, reproduced by a proxy in
//! front of the CNCF registry (`tests/support/ecr_registry.rs`), and how the
//! registry transport handles each: 201 for a chunk, 5 MiB chunks, the 416
//! naming the committed offset after a lost answer or a cut `PATCH`, the
//! `Range` header that stops advancing, tag pages of at most 1000; and the
//! authorization from GetAuthorizationToken (moto), cached and refreshed.

use std::sync::Arc;

use ecr_tests::ecr_registry::PatchFault;
use ecr_tests::layouts::single_layout;
use ecr_tests::proxy::{PassThrough, Proxy};
use ecr_tests::registry::{Registry, temp_dir};
use ecr_tests::registry_env::{RegistryEnv, case_passed};
use ecr_tests::{random_bytes, sha256_digest};
use ecrkit::oci::RawManifest;
use ecrkit::pull::ImagePull;
use ecrkit::push::{ImagePush, ImageSource};
use ecrkit::registry::{
    BlobOutcome, FileBlob, MIN_CHUNK, PushBlob, RegistryClient, RegistryError, Transport,
    UploadMode, UploadState,
};

const MIB: u64 = 1 << 20;

/// A blob of `len` random bytes in a file, and its digest.
fn blob_file(name: &str, len: u64, seed: u64) -> (FileBlob, String, Vec<u8>) {
    let dir = temp_dir(name);
    let bytes = random_bytes(len as usize, seed);
    let path = dir.join("blob");
    std::fs::write(&path, &bytes).unwrap();
    let digest = sha256_digest(&bytes);
    (
        FileBlob {
            path,
            start: 0,
            len,
        },
        digest,
        bytes,
    )
}

/// Reads a blob back through the registry itself and compares it.
async fn assert_blob(env: &RegistryEnv, repo: &str, digest: &str, expected: &[u8]) {
    let mut blob = env
        .direct()
        .await
        .get_blob(repo, digest, 0)
        .await
        .expect("GET blob");
    let mut got = Vec::new();
    while let Some(chunk) = blob.chunk().await.expect("chunk") {
        got.extend_from_slice(&chunk);
    }
    assert!(
        got == expected,
        "the registry holds other bytes for {digest}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_answered_201_with_a_stale_range_complete_the_upload() {
    let env = RegistryEnv::start();
    let (source, digest, bytes) = blob_file("chunks", 17 * MIB + 5, 1);
    let mut push = PushBlob::new("ecr/chunks", Some(digest.clone()), source.len);
    push.mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    let states = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
    let seen = states.clone();
    push.on_state = Some(Arc::new(move |s: &UploadState| {
        seen.lock().unwrap().push(s.offset)
    }));
    let uploaded = push
        .push(&env.ecr().await, &source)
        .await
        .expect("chunked upload");
    assert_eq!(uploaded.outcome, BlobOutcome::Uploaded);
    assert_eq!(uploaded.recoveries, 0);
    let stats = env.rules.stats();
    assert_eq!(
        stats.patches_201, 4,
        "four chunks, each answered 201: {stats:?}"
    );
    assert_eq!(
        stats.stale_ranges, 2,
        "the third and fourth answers' Range did not advance"
    );
    assert_eq!(
        *states.lock().unwrap(),
        [0, 5 * MIB, 10 * MIB, 15 * MIB, 17 * MIB + 5],
        "the offsets acknowledged, as a journal sees them"
    );
    assert_blob(&env, "ecr/chunks", &digest, &bytes).await;

    // A whole image in chunks through the proxy, pulled back and verified.
    let dir = temp_dir("chunked-image");
    let image = single_layout(&dir, "c", &[12 << 20, 1 << 20], 9);
    let mut image_push = ImagePush::new("ecr/chunked-image");
    image_push.transport = Transport::Registry;
    image_push.registry = Some(env.ecr().await);
    image_push.upload_mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    let pushed = image_push
        .push(&env.client, &ImageSource::OciLayout(dir))
        .await
        .expect("image push in chunks");
    assert_eq!(pushed.digest, image);
    let mut pull = ImagePull::new("ecr/chunked-image", "c");
    pull.transport = Transport::Registry;
    pull.registry = Some(env.ecr().await);
    let pulled = pull
        .pull(&env.client, &temp_dir("chunked-pull"))
        .await
        .expect("pull");
    assert_eq!(pulled.digest, image);
    case_passed("chunks_answered_201_with_a_stale_range_complete_the_upload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_under_5_mib_are_refused_and_never_sent() {
    let env = RegistryEnv::start();
    let (source, digest, _) = blob_file("small", 3 * MIB, 2);
    let mut push = PushBlob::new("ecr/small", Some(digest.clone()), source.len);
    push.mode = UploadMode::Chunked { chunk_size: MIB };
    let before = env.ecr_proxy.requests().len();
    let err = push.push(&env.ecr().await, &source).await.unwrap_err();
    assert!(
        matches!(
            &err.source,
            RegistryError::Invalid {
                field: "mode.chunk_size",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("5242880"), "{err}");
    assert_eq!(env.ecr_proxy.requests().len(), before, "nothing was sent");

    // The proxy refuses them as ECR does: a 1 MiB chunk followed by another.
    let http = reqwest::Client::new();
    let auth = format!(
        "Basic {}",
        "QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu" // AWS:123456789012-auth-token
    );
    let start = http
        .post(format!(
            "{}/v2/ecr/raw/blobs/uploads/",
            env.ecr_proxy.endpoint
        ))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 202);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let url = format!("{}{location}", env.ecr_proxy.endpoint);
    let first = http
        .patch(&url)
        .header("authorization", &auth)
        .header("content-range", format!("0-{}", MIB - 1))
        .body(vec![1u8; MIB as usize])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201, "ECR answers a chunk with 201");
    let second = http
        .patch(&url)
        .header("authorization", &auth)
        .header("content-range", format!("{MIB}-{}", 2 * MIB - 1))
        .body(vec![2u8; MIB as usize])
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 400);
    assert!(
        second
            .text()
            .await
            .unwrap()
            .contains("LayerPartTooSmallException")
    );
    assert_eq!(env.rules.stats().too_small, 1);
    case_passed("chunks_under_5_mib_are_refused_and_never_sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_chunk_answer_continues_from_the_offset_the_416_names() {
    let env = RegistryEnv::start();
    let (source, digest, bytes) = blob_file("lost", 17 * MIB, 3);
    // The second chunk (5..10 MiB) is committed but its answer is lost: the
    // resend starts at 5 MiB and gets 416 naming 10 MiB.
    env.rules.fault_on_patch(2, PatchFault::LoseResponse);
    let mut push = PushBlob::new("ecr/lost", Some(digest.clone()), source.len);
    push.mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    let uploaded = push.push(&env.ecr().await, &source).await.expect("upload");
    // One failure (the lost answer); a resend on a fresh connection can
    // fail once more on a loaded machine.
    assert!((1..=2).contains(&uploaded.recoveries), "{uploaded:?}");
    let stats = env.rules.stats();
    assert_eq!(stats.faults, 1);
    assert!(
        !stats.sent_416.is_empty() && stats.sent_416.iter().all(|&o| o == 10 * MIB),
        "{stats:?}"
    );
    let mut patches: Vec<String> = env
        .ecr_proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .filter_map(|r| r.range)
        .collect();
    patches.dedup();
    assert_eq!(
        patches,
        [
            format!("0-{}", 5 * MIB - 1),
            format!("{}-{}", 5 * MIB, 10 * MIB - 1),
            format!("{}-{}", 10 * MIB, 15 * MIB - 1),
            format!("{}-{}", 15 * MIB, 17 * MIB - 1),
        ],
        "the lost chunk resent, then forward from the committed offset, never back"
    );
    assert_blob(&env, "ecr/lost", &digest, &bytes).await;
    case_passed("a_lost_chunk_answer_continues_from_the_offset_the_416_names");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_patch_cut_midway_resumes_from_the_committed_offset() {
    let env = RegistryEnv::start();
    let (source, digest, bytes) = blob_file("cut", 9 * MIB, 4);
    let cut = 3 * MIB + 123;
    env.rules.fault_on_patch(1, PatchFault::CutAfter(cut));
    // The one streaming PATCH is cut after `cut` bytes reached the
    // registry; nothing was acknowledged, so the resend starts at 0 and the
    // 416 says where to go on from.
    let push = PushBlob::new("ecr/cut", Some(digest.clone()), source.len);
    let uploaded = push.push(&env.ecr().await, &source).await.expect("upload");
    assert_eq!(uploaded.recoveries, 1);
    assert_eq!(env.rules.stats().sent_416, [cut]);
    let ranges: Vec<String> = env
        .ecr_proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .filter_map(|r| r.range)
        .collect();
    assert_eq!(
        ranges,
        [
            format!("0-{}", 9 * MIB - 1),
            format!("0-{}", 9 * MIB - 1),
            format!("{cut}-{}", 9 * MIB - 1)
        ]
    );
    assert_blob(&env, "ecr/cut", &digest, &bytes).await;

    // Without the digest up front the bytes are hashed on the way, and
    // hashed again from the source up to where the upload resumes.
    let (source, digest, bytes) = blob_file("cut-unknown", 6 * MIB + 7, 5);
    env.rules.fault_on_patch(1, PatchFault::CutAfter(MIB + 1));
    let push = PushBlob::new("ecr/cut", None, source.len);
    let uploaded = push.push(&env.ecr().await, &source).await.expect("upload");
    assert_eq!(uploaded.digest, digest);
    assert_blob(&env, "ecr/cut", &digest, &bytes).await;
    case_passed("a_streaming_patch_cut_midway_resumes_from_the_committed_offset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_upload_resumes_from_its_recorded_state() {
    let env = RegistryEnv::start();
    let (source, digest, bytes) = blob_file("resume", 11 * MIB, 6);
    env.rules.fault_on_patch(2, PatchFault::LoseResponse);
    let mut push = PushBlob::new("ecr/resume", Some(digest.clone()), source.len);
    push.mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    push.attempts = 1;
    let err = push.push(&env.ecr().await, &source).await.unwrap_err();
    let state = err.state.clone().expect("the state to resume from");
    assert_eq!(
        state.offset,
        5 * MIB,
        "acknowledged: the first chunk only ({err})"
    );
    assert!(
        err.to_string()
            .contains("acknowledged 5242880 of 11534336 bytes"),
        "{err}"
    );
    // Another run (a new client, as after a restart) continues it.
    let mut resume = PushBlob::new("ecr/resume", Some(digest.clone()), source.len);
    resume.mode = UploadMode::Chunked {
        chunk_size: MIN_CHUNK,
    };
    resume.resume = Some(state);
    let uploaded = resume
        .push(&env.ecr().await, &source)
        .await
        .expect("resumed");
    assert_eq!(uploaded.outcome, BlobOutcome::Uploaded);
    assert_eq!(env.rules.stats().sent_416, [10 * MIB]);
    assert_blob(&env, "ecr/resume", &digest, &bytes).await;
    case_passed("a_stopped_upload_resumes_from_its_recorded_state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_listed_in_pages_of_at_most_1000() {
    let env = RegistryEnv::start();
    let dir = temp_dir("tags");
    single_layout(&dir, "t0", &[1000], 7);
    let mut push = ImagePush::new("ecr/tags");
    push.transport = Transport::Registry;
    push.registry = Some(env.ecr().await);
    let pushed = push
        .push(&env.client, &ImageSource::OciLayout(dir))
        .await
        .expect("push");
    let registry = env.ecr().await;
    let manifest = RawManifest::new(pushed.manifest.clone(), Some(&pushed.media_type));
    for i in 1..7 {
        registry
            .put_manifest("ecr/tags", &format!("t{i}"), &manifest)
            .await
            .expect("tag");
    }
    let before = env.ecr_proxy.requests().len();
    let mut tags = registry.list_tags("ecr/tags", Some(3)).await.expect("tags");
    tags.sort();
    assert_eq!(tags, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    let pages = env.ecr_proxy.requests()[before..]
        .iter()
        .filter(|r| r.uri.contains("/tags/list"))
        .count();
    assert_eq!(pages, 3, "7 tags, 3 a page, following Link");
    // A page size over ECR's limit is asked for as 1000.
    let all = registry
        .list_tags("ecr/tags", Some(5000))
        .await
        .expect("tags");
    assert_eq!(all.len(), 7);
    let stats = env.rules.stats();
    assert_eq!(stats.tag_pages_refused, 0);
    assert_eq!(stats.largest_tag_page, 1000);
    // The proxy refuses more, as ECR does.
    let raw = reqwest::Client::new()
        .get(format!(
            "{}/v2/ecr/tags/tags/list?n=1001",
            env.ecr_proxy.endpoint
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    case_passed("tags_are_listed_in_pages_of_at_most_1000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_token_is_fetched_once_and_refused_tokens_fail_clearly() {
    let env = RegistryEnv::start();
    // The ECR API through a recording proxy, to count GetAuthorizationToken.
    let api = Proxy::start(&env.moto.endpoint, PassThrough::new(None));
    let client = ecr_tests::client_for(&api.endpoint);
    let registry = RegistryClient::for_ecr(&client, None, Some(&env.ecr_proxy.endpoint))
        .await
        .expect("client");
    assert!(registry.is_ecr());
    let digest = sha256_digest(b"");
    for _ in 0..3 {
        assert!(
            !registry
                .blob_exists("ecr/auth", &digest)
                .await
                .expect("HEAD")
        );
    }
    let tokens = |proxy: &Proxy| {
        proxy
            .requests()
            .iter()
            .filter(|r| {
                r.target
                    .as_deref()
                    .is_some_and(|t| t.ends_with("GetAuthorizationToken"))
            })
            .count()
    };
    assert_eq!(tokens(&api), 1, "one token for every request");
    assert!(env.ecr_proxy.requests().iter().all(|r| r.authorized));

    // A registry that does not take moto's password: the client fetches a
    // new token once, then says the registry refused it.
    let other = Registry::start("another-password");
    let registry = RegistryClient::for_ecr(&client, None, Some(&other.endpoint))
        .await
        .expect("client");
    let err = registry.blob_exists("ecr/auth", &digest).await.unwrap_err();
    assert!(matches!(err, RegistryError::Auth { .. }), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(
        tokens(&api),
        3,
        "one more token for the client, one after the refusal"
    );
    case_passed("the_authorization_token_is_fetched_once_and_refused_tokens_fail_clearly");
}
