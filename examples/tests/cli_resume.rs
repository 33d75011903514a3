//! A push that stops (Ctrl-C, or a layer part that keeps failing) says how
//! to continue, and the command it prints continues the same uploads where
//! the service stands.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ecrkit, run, run_cmd};
use ecr_tests::fault_proxy::{Fault, FaultProxy};
use ecr_tests::layout::{image_manifest, temp_layout_dir, write_index};
use ecr_tests::throttle_proxy::ThrottleProxy;
use ecr_tests::{Moto, random_bytes, sha256_digest};
use tokio::io::{AsyncBufReadExt, BufReader};

const MIB: usize = 1 << 20;

/// The command a stopped push printed after "run:", split into words (the
/// test's arguments need no quoting).
fn printed_command(stderr: &str) -> Vec<String> {
    let mut lines = stderr.lines();
    lines
        .find(|l| *l == "to continue where the service stands, run:")
        .unwrap_or_else(|| panic!("no resume command in\n{stderr}"));
    let command = lines.next().expect("the command line");
    assert!(command.starts_with("  "), "{command}");
    command.split_whitespace().map(str::to_owned).collect()
}

/// The value of the one `--resume` in `words`.
fn resume_value(words: &[String]) -> &str {
    let at = words
        .iter()
        .position(|w| w == "--resume")
        .expect("--resume");
    assert_eq!(
        words.iter().filter(|w| *w == "--resume").count(),
        1,
        "{words:?}"
    );
    &words[at + 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_prints_the_command_that_continues_the_same_upload() {
    let moto = Moto::start();
    // 3 MB/s: a 5 MiB part (7 MB of body) takes over two seconds.
    let proxy = ThrottleProxy::start(&moto.endpoint, 3_000_000).await;
    let dir = temp_layout_dir("cli-interrupt");
    let layer = random_bytes(12 * MIB, 51);
    let top = image_manifest(&dir, "amd64", std::slice::from_ref(&layer));
    write_index(&dir, &[(&top, Some("v1"))]);
    let path = dir.to_str().unwrap();

    let mut cmd = ecrkit();
    cmd.args(["--endpoint-url", &proxy.endpoint])
        .args(["push", "cli/interrupt", path, "--create-repository"])
        .args(["--max-part-size", "5", "--progress-interval", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn ecrkit");
    let pid = child.id().expect("pid");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    // Wait until the first 5 MiB part of the layer is acknowledged.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = tokio::time::timeout_at(deadline.into(), stderr.next_line())
            .await
            .unwrap_or_else(|_| panic!("no acknowledged part within 60 s:\n{seen}"))
            .expect("read stderr")
            .unwrap_or_else(|| panic!("stderr ended:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        let acked: f64 = line
            .strip_prefix("progress: ")
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0);
        if acked >= 5.0 {
            break;
        }
    }
    let kill = tokio::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {pid}")])
        .status()
        .await
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().await.expect("wait");
    while let Ok(Some(line)) = stderr.next_line().await {
        seen.push_str(&line);
        seen.push('\n');
    }
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("error: interrupted\n"), "{seen}");
    let words = printed_command(&seen);
    assert_eq!(words[0], env!("CARGO_BIN_EXE_ecrkit"));
    let spec = resume_value(&words);
    let (digest, rest) = spec.split_once('=').expect("DIGEST=UPLOAD:BYTES");
    assert_eq!(digest, sha256_digest(&layer));
    let (upload_id, bytes) = rest.rsplit_once(':').unwrap();
    assert_eq!(upload_id.len(), 36, "an upload id: {upload_id}");
    let bytes: u64 = bytes.parse().unwrap();
    assert!(
        bytes == 5 * MIB as u64 || bytes == 10 * MIB as u64,
        "{bytes}"
    );

    // The printed command continues: only what the service lacked is sent.
    // It runs through a proxy of its own, which counts its bytes alone (the
    // first proxy may still be forwarding what the stopped push had sent).
    let counting = ThrottleProxy::start(&moto.endpoint, 1 << 30).await;
    let mut words = words;
    let at = words.iter().position(|w| w == "--endpoint-url").unwrap();
    assert_eq!(words[at + 1], proxy.endpoint);
    words[at + 1].clone_from(&counting.endpoint);
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let resumed = run(None, &args).await;
    resumed.expect_status(0);
    let sent = counting.uploaded();
    let rest_body = (12 * MIB as u64 - bytes) * 4 / 3;
    assert!(
        sent < rest_body + MIB as u64,
        "{sent} bytes sent to resume at {bytes}: more than the {rest_body} bytes of body left\n{}",
        resumed.stderr
    );
    assert!(
        resumed.stdout.starts_with("pushed cli/interrupt:v1 "),
        "{}",
        resumed.stdout
    );
    let listed = run(Some(&moto.endpoint), &["ls", "cli/interrupt", "-o", "json"]).await;
    assert_eq!(listed.json()[0]["digest"], top["digest"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_keeps_failing_exits_7_with_the_command_that_resumes_it() {
    let moto = Moto::start();
    // The first layer part passes; every later one gets HTTP 500 until the
    // schedule is replaced. (The proxy names operations in lower case.)
    let parts = Arc::new(AtomicUsize::new(0));
    let counter = parts.clone();
    let proxy = FaultProxy::start(
        moto.endpoint.trim_start_matches("http://").to_owned(),
        Box::new(move |info| {
            (info.operation == "uploadlayerpart" && counter.fetch_add(1, Ordering::SeqCst) > 0)
                .then_some(Fault::Status500)
        }),
    )
    .await;
    let dir = temp_layout_dir("cli-stopped");
    let file = dir.join("layer.bin");
    let layer = random_bytes(12 * MIB, 61);
    std::fs::write(&file, &layer).unwrap();
    let path = file.to_str().unwrap();
    let mut cmd = ecrkit();
    // No client retries: the push's own resends (3) are what is left.
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    let out = run_cmd(
        cmd,
        Some(&proxy.endpoint),
        &[
            "push",
            "cli/stopped",
            "--layer",
            path,
            "--create-repository",
            "--max-part-size",
            "5",
        ],
    )
    .await;
    out.expect_status(7);
    let first = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap();
    assert!(
        first.contains("layer push failed during UploadLayerPart (upload ")
            && first.contains(", 5242880 bytes acknowledged): ServerException: injected (HTTP 500, request id proxy)"),
        "{}",
        out.stderr
    );
    let words = printed_command(&out.stderr);
    let spec = resume_value(&words).to_owned();
    assert!(spec.ends_with(":5242880") && !spec.contains('='), "{spec}");

    // The service is well again: the printed command hashes the file and
    // sends the two parts the service lacks, in the same upload.
    let operations = Arc::new(Mutex::new(Vec::new()));
    let log = operations.clone();
    proxy.set_schedule(Box::new(move |info| {
        log.lock().unwrap().push(info.operation.clone());
        None
    }));
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let resumed = run_cmd(ecrkit(), None, &args).await;
    resumed.expect_status(0);
    assert!(resumed.stderr.contains("hashing "), "{}", resumed.stderr);
    assert_eq!(
        *operations.lock().unwrap(),
        [
            "createrepository",
            "uploadlayerpart",
            "uploadlayerpart",
            "completelayerupload"
        ]
    );
    assert_eq!(
        resumed.stdout,
        format!(
            "pushed layer {} to cli/stopped (12.0 MiB, 2 part(s))\n",
            sha256_digest(&layer)
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}
