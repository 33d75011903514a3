//! A push whose process is killed (SIGKILL, in the middle of its layers'
//! parts) and run again with the same arguments continues each unfinished
//! layer within its upload from what the journal recorded, re-sending at
//! most one part per layer; a journal that cannot be trusted is ignored
//! with a warning.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{ecrkit, journal_file, run, run_cmd};
use ecr_tests::layout::{image_manifest, temp_layout_dir, write_index};
use ecr_tests::throttle_proxy::ThrottleProxy;
use ecr_tests::{Moto, random_bytes, sha256_digest};

const MIB: u64 = 1 << 20;

/// The journal's uploads: blob digest → (upload id, bytes acknowledged).
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
        .map(|u| {
            (
                u["digest"].as_str().expect("digest").to_owned(),
                (
                    u["upload_id"].as_str().expect("upload id").to_owned(),
                    u["bytes"].as_u64().expect("bytes"),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_push_run_again_continues_its_uploads_from_the_journal() {
    let moto = Moto::start();
    // 3 MB/s for both layers together: a 5 MiB part (7 MB of body) of each
    // takes some five seconds.
    let proxy = ThrottleProxy::start(&moto.endpoint, 3_000_000).await;
    let dir = temp_layout_dir("cli-killed");
    let layers = vec![
        random_bytes(12 * MIB as usize, 71),
        random_bytes(11 * MIB as usize, 72),
    ];
    let top = image_manifest(&dir, "amd64", &layers);
    write_index(&dir, &[(&top, Some("v1"))]);
    let state = std::env::temp_dir().join(format!("ecrkit-killed-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let path = dir.to_str().unwrap();
    let args = [
        "--endpoint-url",
        &proxy.endpoint,
        "push",
        "cli/killed",
        path,
        "--create-repository",
        "--max-part-size",
        "5",
        "-j",
        "2",
    ];

    let mut cmd = ecrkit();
    cmd.env("ECRKIT_STATE_DIR", &state)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn ecrkit");
    // Kill it once the journal records a part of each layer acknowledged.
    let digests: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let journal = loop {
        assert!(
            Instant::now() < deadline,
            "no journal with a part of each layer in 90 s"
        );
        if let Some(file) = journal_file(&state) {
            let uploads = journal_uploads(&file);
            if digests
                .iter()
                .all(|d| uploads.get(d).is_some_and(|(_, bytes)| *bytes >= 5 * MIB))
            {
                break file;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    common::sigkill(&mut child).await;
    let recorded = journal_uploads(&journal);
    // What the killed process had on the wire drains, then the count starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = proxy.uploaded();

    // The same command again: it continues the two uploads.
    let mut cmd = ecrkit();
    cmd.env("ECRKIT_STATE_DIR", &state);
    let again = run_cmd(cmd, None, &args).await;
    again.expect_status(0);
    let sent = proxy.uploaded() - before;
    assert!(
        again.stderr.contains(&format!(
            "continuing 2 upload(s) recorded in {}",
            journal.display()
        )),
        "{}",
        again.stderr
    );
    // What the journal said was left, as part bodies (base64: 4/3), plus at
    // most one re-sent part (5 MiB of body, 7 MB) per layer.
    let left: u64 = layers
        .iter()
        .zip(&digests)
        .map(|(l, d)| (l.len() as u64 - recorded[d].1) * 4 / 3)
        .sum();
    let one_part_each = 2 * (5 * MIB * 4 / 3);
    assert!(
        sent <= left + one_part_each,
        "{sent} bytes sent after the restart; the journal left {left}\n{}",
        again.stderr
    );
    assert!(
        sent + 2 * MIB < layers.iter().map(|l| l.len() as u64 * 4 / 3).sum::<u64>(),
        "the layers were sent again from the start: {sent} bytes\n{}",
        again.stderr
    );
    assert!(
        journal_file(&state).is_none(),
        "a completed push leaves no journal"
    );
    let listed = run(Some(&moto.endpoint), &["ls", "cli/killed", "-o", "json"]).await;
    assert_eq!(listed.json()[0]["digest"], top["digest"]);

    // A journal that describes another push, or is not one, is not trusted:
    // the push runs (here: every blob is there) and says it ignored it.
    let another = serde_json::json!({
        "format": "ecrkit push journal", "version": 1, "push": "another push",
        "uploads": [{"key": digests[0], "digest": digests[0], "upload_id": "u-1", "bytes": 5}],
    });
    for text in [
        another.to_string(),
        r#"{"format": "ecrkit push journal", "version": 99, "push": "x", "uploads": []}"#.into(),
        "{ not json".into(),
    ] {
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(&journal, &text).unwrap();
        let mut cmd = ecrkit();
        cmd.env("ECRKIT_STATE_DIR", &state);
        let out = run_cmd(cmd, None, &args).await;
        out.expect_status(0);
        assert!(
            out.stderr.contains("warning: ignoring the push journal"),
            "{text}\n{}",
            out.stderr
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(state);
}
