//! A registry that reads an upload's body and never answers: the `PATCH`
//! and the `PUT` are given up on the attempt timeout after the body's last
//! byte (a large body takes as long as it takes), and the push goes on, or
//! stops with a typed timeout that names the step and what it waited for,
//! and resumes from it.

use std::time::Duration;

use ecr_tests::fault_proxy::{Fault, RequestInfo, client_through};
use ecr_tests::proxy::Proxy;
use ecr_tests::registry::temp_dir;
use ecr_tests::registry_env::RegistryEnv;
use ecr_tests::registry_faults::RegistryFaults;
use ecrkit::registry::{
    FileBlob, PushBlob, RegistryClient, RegistryError, SINCE_BODY_SENT, UploadError, UploadMode,
};

use crate::harness::{ATTEMPT_TIMEOUT, MIB, bytes_lost, part_line};

/// Longer than any test: without the bound the client would wait for it.
const FOR_AN_HOUR: Duration = Duration::from_secs(3600);

/// A liveness bound far above the 1.5 s attempt timeout.
const BOUND: Duration = Duration::from_secs(120);

/// The first `times` requests with `method` get `fault`.
fn first(method: &'static str, times: usize, fault: Fault) -> ecr_tests::fault_proxy::Schedule {
    let mut seen = 0;
    Box::new(move |req: &RequestInfo| {
        if req.method != method {
            return None;
        }
        seen += 1;
        (seen <= times).then_some(fault)
    })
}

/// A streaming push of `blob` to `repository`, `attempts` failures allowed.
async fn push(
    registry: &RegistryClient,
    repository: &str,
    blob: &FileBlob,
    digest: &str,
    attempts: u32,
    resume: Option<ecrkit::registry::UploadState>,
) -> Result<ecrkit::registry::UploadedBlob, UploadError> {
    let mut push = PushBlob::new(repository, Some(digest.to_owned()), blob.len);
    push.mode = UploadMode::Streaming;
    push.attempts = attempts;
    push.resume = resume;
    tokio::time::timeout(BOUND, push.push(registry, blob))
        .await
        .expect("the push waited on a swallowed answer past its attempt timeout")
}

/// The push stopped on a timeout of `stage` counted from the body's end.
fn assert_timed_out_after_body(err: &UploadError, stage: &str) {
    assert!(
        matches!(
            err.source,
            RegistryError::Timeout { stage: s, after, since, .. }
                if s == stage && after == ATTEMPT_TIMEOUT && since == SINCE_BODY_SENT
        ),
        "{err}"
    );
    assert!(err.source.is_retryable());
    let text = err.source.to_string();
    assert!(
        text.starts_with(&format!(
            "{stage}: no answer within 1500 ms after the body's last byte was sent"
        )),
        "{text}"
    );
    assert!(err.state.is_some(), "the upload's state, to resume from");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_is_swallowed_is_given_up_on_and_resumed() {
    let env = RegistryEnv::start();
    let faults = RegistryFaults::new(Box::new(|_: &RequestInfo| None), None);
    let proxy = Proxy::start(&env.ecr_proxy.endpoint, faults.clone());
    let api = client_through(&env.moto.endpoint, 3, ATTEMPT_TIMEOUT);
    let registry = RegistryClient::for_ecr(&api, None, Some(&proxy.endpoint))
        .await
        .expect("a registry client");
    let dir = temp_dir("faults-swallowed");
    let path = dir.join("blob");
    let bytes = ecr_tests::random_bytes(12 * MIB + 5, 81);
    std::fs::write(&path, &bytes).expect("the blob file");
    let digest = ecr_tests::sha256_digest(&bytes);
    let blob = FileBlob {
        path: path.clone(),
        start: 0,
        len: bytes.len() as u64,
    };
    let counted = |class: &str| faults.injected().get(class).copied().unwrap_or(0);
    let mut lost = 0;

    // The first PATCH and the first PUT reach the registry and their
    // answers never come back: each is given up on and the push goes on
    // (the registry says what it holds), within its own attempts.
    let mut schedule = [
        first("PATCH", 1, Fault::SwallowAnswer(FOR_AN_HOUR)),
        first("PUT", 1, Fault::SwallowAnswer(FOR_AN_HOUR)),
    ];
    faults.set_schedule(Box::new(move |req: &RequestInfo| {
        schedule.iter_mut().find_map(|s| s(req))
    }));
    let done = push(&registry, "faults/swallowed-once", &blob, &digest, 5, None)
        .await
        .expect("the push, past two swallowed answers");
    assert_eq!(done.digest, digest);
    assert_eq!(counted("swallowed_answer"), 2);
    let missing = bytes_lost(
        &env.registry.endpoint,
        "faults/swallowed-once",
        &digest,
        blob.len,
    )
    .await;
    assert_eq!(missing, 0, "faults/swallowed-once");
    lost += missing;

    // Every PATCH's answer swallowed: the push stops with a typed timeout
    // naming the PATCH and the wait after its body, and resumes from the
    // state it carries once the registry answers.
    faults.set_schedule(first(
        "PATCH",
        usize::MAX,
        Fault::SwallowAnswer(FOR_AN_HOUR),
    ));
    let err = push(&registry, "faults/swallowed-patch", &blob, &digest, 2, None)
        .await
        .expect_err("no answer to any PATCH");
    assert_timed_out_after_body(&err, "PATCH blob");
    assert_eq!(counted("swallowed_answer"), 4, "two attempts");
    faults.set_schedule(Box::new(|_: &RequestInfo| None));
    let done = push(
        &registry,
        "faults/swallowed-patch",
        &blob,
        &digest,
        5,
        err.state,
    )
    .await
    .expect("the resumed push");
    assert_eq!(done.digest, digest);
    let missing = bytes_lost(
        &env.registry.endpoint,
        "faults/swallowed-patch",
        &digest,
        blob.len,
    )
    .await;
    assert_eq!(missing, 0, "faults/swallowed-patch");
    lost += missing;

    // Every PUT read and never answered (the registry never sees it): a
    // typed timeout naming the PUT, then resumed.
    faults.set_schedule(first("PUT", usize::MAX, Fault::Stall(FOR_AN_HOUR)));
    let err = push(&registry, "faults/stalled-put", &blob, &digest, 2, None)
        .await
        .expect_err("no answer to any PUT");
    assert_timed_out_after_body(&err, "PUT blob");
    assert_eq!(counted("stall"), 2, "two attempts");
    faults.set_schedule(Box::new(|_: &RequestInfo| None));
    let done = push(
        &registry,
        "faults/stalled-put",
        &blob,
        &digest,
        5,
        err.state,
    )
    .await
    .expect("the resumed push");
    assert_eq!(done.digest, digest);
    let missing = bytes_lost(
        &env.registry.endpoint,
        "faults/stalled-put",
        &digest,
        blob.len,
    )
    .await;
    assert_eq!(missing, 0, "faults/stalled-put");
    lost += missing;
    println!(
        "swallowed upload answers: {:?}; requests by method {:?}",
        faults.injected(),
        faults.methods()
    );
    part_line("registry", faults.injected().values().sum(), 3, 0, lost);
    let _ = std::fs::remove_dir_all(&dir);
}
