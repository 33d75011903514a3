//! `ecrkit push` end to end against moto: layouts, archives, one layer,
//! several images, tags, and the plain progress lines of a non-terminal.

mod common;

use common::{Run, is_rfc3339, run};
use ecr_tests::layout::{docker_archive, image_manifest, temp_layout_dir, write_index};
use ecr_tests::throttle_proxy::ThrottleProxy;
use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::ecr::{BatchCheckLayerAvailability, LayerAvailability};

const MIB: usize = 1 << 20;

/// The tags and digests `ecrkit ls REPO -o json` reports.
async fn listed(endpoint: &str, repo: &str) -> Vec<(Vec<String>, String)> {
    let out = run(Some(endpoint), &["ls", repo, "-o", "json"]).await;
    out.expect_status(0);
    let mut rows: Vec<(Vec<String>, String)> = out
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            let mut tags: Vec<String> = r["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            tags.sort();
            (tags, r["digest"].as_str().unwrap().to_owned())
        })
        .collect();
    rows.sort();
    rows
}

fn assert_no_escape_codes(run: &Run) {
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escape codes on a non-terminal:\n{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layout_is_pushed_listed_and_pushed_again() {
    let moto = Moto::start();
    let dir = temp_layout_dir("cli-push");
    let layers = [random_bytes(MIB, 1), random_bytes(3 * MIB, 2)];
    let top = image_manifest(&dir, "amd64", &layers);
    write_index(&dir, &[(&top, Some("v1"))]);
    let path = dir.to_str().unwrap();

    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/app", path, "--create-repository", "-o", "json"],
    )
    .await;
    out.expect_status(0);
    let pushed = out.json();
    let row = &pushed.as_array().expect("a list of images")[0];
    assert_eq!(row["repository"], "cli/app");
    assert_eq!(row["digest"], top["digest"]);
    assert_eq!(row["tags"], serde_json::json!(["v1"]));
    assert_eq!(row["blobs_uploaded"], 3, "config and two layers");
    assert_eq!(row["blobs_present"], 0);
    assert_eq!(
        row["media_type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    // stderr is not a terminal: plain lines, the plan first, one per blob.
    assert_no_escape_codes(&out);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("push cli/app:v1: 3 blob(s) to upload (4.0 MiB), 0 already"),
        "{}",
        out.stderr
    );
    for layer in &layers {
        let short = &sha256_digest(layer)[..19];
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("uploaded {short}"))),
            "{short} in\n{}",
            out.stderr
        );
    }

    // The image, as `ls` shows it: a table, and JSON.
    let table = run(Some(&moto.endpoint), &["ls", "cli/app"]).await;
    table.expect_status(0);
    let mut rows = table.stdout.lines();
    let header = rows.next().unwrap();
    assert!(
        header.starts_with("TAGS")
            && header.contains("DIGEST")
            && header.contains("SIZE (MiB)")
            && header.ends_with("PUSHED AT"),
        "{header}"
    );
    let image = rows.next().unwrap();
    let cells: Vec<&str> = image.split_whitespace().collect();
    assert_eq!(cells[0], "v1");
    assert_eq!(cells[1], top["digest"]);
    assert!(cells[2].parse::<f64>().is_ok(), "{image}");
    assert!(is_rfc3339(cells[3]), "{image}");
    let json = run(Some(&moto.endpoint), &["ls", "cli/app", "-o", "json"]).await;
    let images = json.json();
    assert_eq!(images[0]["digest"], top["digest"]);
    assert!(images[0]["size_bytes"].as_i64().unwrap() > 0);
    assert!(is_rfc3339(images[0]["pushed_at"].as_str().unwrap()));

    // The repositories.
    let repos = run(Some(&moto.endpoint), &["ls", "-o", "json"]).await;
    let repos = repos.json();
    assert_eq!(repos[0]["name"], "cli/app");
    assert!(repos[0]["uri"].as_str().unwrap().ends_with("/cli/app"));
    assert!(is_rfc3339(repos[0]["created_at"].as_str().unwrap()));
    let table = run(Some(&moto.endpoint), &["ls"]).await;
    assert!(table.stdout.starts_with("NAME"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("cli/app  ")
    );

    // Again: every blob is there, the table form says so.
    let again = run(Some(&moto.endpoint), &["push", "cli/app", path]).await;
    again.expect_status(0);
    assert_eq!(
        again.stdout,
        format!(
            "pushed cli/app:v1 {} (0 blob(s) uploaded, 3 already in the repository)\n",
            top["digest"].as_str().unwrap()
        )
    );
    let lines: Vec<&str> = again.stderr.lines().collect();
    assert_eq!(
        lines[0], "push cli/app:v1: 0 blob(s) to upload (0.0 MiB), 3 already in the repository",
        "{}",
        again.stderr
    );
    assert_eq!(lines.len(), 4, "{}", again.stderr);
    assert!(
        lines[1..].iter().all(|l| l.starts_with("present  sha256:")),
        "{}",
        again.stderr
    );
    // --quiet: the result only.
    let quiet = run(Some(&moto.endpoint), &["push", "cli/app", path, "-q"]).await;
    quiet.expect_status(0);
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, again.stdout);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_images_are_pushed_each_or_chosen_never_picked() {
    let moto = Moto::start();
    let dir = temp_layout_dir("cli-several");
    let v1 = image_manifest(&dir, "amd64", &[random_bytes(1000, 11)]);
    let v2 = image_manifest(&dir, "amd64", &[random_bytes(1000, 12)]);
    let anon = image_manifest(&dir, "arm64", &[random_bytes(1000, 13)]);
    write_index(&dir, &[(&v1, Some("v1")), (&v2, Some("v2")), (&anon, None)]);
    let path = dir.to_str().unwrap();

    // One image has no name: the push asks which, listing all three.
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", path, "--create-repository"],
    )
    .await;
    out.expect_status(2);
    assert!(
        out.stderr.contains("holds 3 images; choose with --image"),
        "{}",
        out.stderr
    );
    for d in [&v1, &v2, &anon] {
        assert!(
            out.stderr.contains(d["digest"].as_str().unwrap()),
            "{}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("  v1 (sha256:"), "{}", out.stderr);
    assert_eq!(listed(&moto.endpoint, "cli/several").await, []);

    // Chosen by name, and by id (untagged: pushed by digest).
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", path, "--image", "v2"],
    )
    .await;
    out.expect_status(0);
    let anon_id = anon["digest"].as_str().unwrap();
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", path, "--image", anon_id],
    )
    .await;
    out.expect_status(0);
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        format!("pushed cli/several@{anon_id} (2 blob(s) uploaded, 0 already in the repository)")
    );
    let mut want = vec![
        (
            vec!["v2".to_owned()],
            v2["digest"].as_str().unwrap().to_owned(),
        ),
        (vec![], anon_id.to_owned()),
    ];
    want.sort();
    assert_eq!(listed(&moto.endpoint, "cli/several").await, want);
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", path, "--image", "v9"],
    )
    .await;
    out.expect_status(2);
    assert!(out.stderr.contains("has no image \"v9\""), "{}", out.stderr);

    // Every image named: each is pushed under its name; --tag is then ambiguous.
    let named = temp_layout_dir("cli-named");
    let a = image_manifest(&named, "amd64", &[random_bytes(1000, 14)]);
    let b = image_manifest(&named, "amd64", &[random_bytes(1000, 15)]);
    write_index(&named, &[(&a, Some("example/app:1.0")), (&b, Some("2.0"))]);
    let named_path = named.to_str().unwrap();
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", named_path, "--tag", "x"],
    )
    .await;
    out.expect_status(2);
    assert!(
        out.stderr.contains("--tag names the tags of one image"),
        "{}",
        out.stderr
    );
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/several", named_path, "-o", "json"],
    )
    .await;
    out.expect_status(0);
    let tags: Vec<serde_json::Value> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tags"].clone())
        .collect();
    assert_eq!(
        tags,
        [serde_json::json!(["1.0"]), serde_json::json!(["2.0"])]
    );
    let all = listed(&moto.endpoint, "cli/several").await;
    assert!(
        all.contains(&(
            vec!["1.0".to_owned()],
            a["digest"].as_str().unwrap().to_owned()
        )),
        "{all:?}"
    );
    assert!(
        all.contains(&(
            vec!["2.0".to_owned()],
            b["digest"].as_str().unwrap().to_owned()
        )),
        "{all:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(named);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docker_archive_is_pushed_under_each_of_its_tags() {
    let moto = Moto::start();
    let dir = temp_layout_dir("cli-docker");
    let archive = dir.join("app.tar");
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}"#;
    docker_archive(
        &archive,
        config,
        &[random_bytes(MIB + 7, 21)],
        &["example/app:1.0", "example/app:latest"],
    );
    let path = archive.to_str().unwrap();
    let out = run(
        Some(&moto.endpoint),
        &[
            "push",
            "cli/docker",
            path,
            "--create-repository",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    let row = &out.json()[0];
    assert_eq!(
        row["media_type"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(row["tags"], serde_json::json!(["1.0", "latest"]));
    let digest = row["digest"].as_str().unwrap().to_owned();
    assert_eq!(
        listed(&moto.endpoint, "cli/docker").await,
        [(vec!["1.0".to_owned(), "latest".to_owned()], digest.clone())]
    );
    // Tags given on the command line replace the archive's.
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/docker", path, "-t", "a", "-t", "b"],
    )
    .await;
    out.expect_status(0);
    assert_eq!(
        out.stdout,
        format!(
            "pushed cli/docker:a,b {digest} (0 blob(s) uploaded, 2 already in the repository)\n"
        )
    );
    assert_eq!(
        listed(&moto.endpoint, "cli/docker").await,
        [(
            vec!["1.0".into(), "a".into(), "b".into(), "latest".into()],
            digest
        )]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_layer_file_is_pushed_and_its_digest_printed() {
    let moto = Moto::start();
    let dir = temp_layout_dir("cli-layer");
    let file = dir.join("layer.bin");
    let bytes = random_bytes(2 * MIB + 3, 31);
    std::fs::write(&file, &bytes).unwrap();
    let path = file.to_str().unwrap();
    let out = run(
        Some(&moto.endpoint),
        &[
            "push",
            "cli/layer",
            "--layer",
            path,
            "--create-repository",
            "-o",
            "json",
        ],
    )
    .await;
    out.expect_status(0);
    let row = out.json();
    assert_eq!(row["digest"], sha256_digest(&bytes));
    assert_eq!(row["size_bytes"], bytes.len());
    assert_eq!(row["parts_sent"], 1);
    assert_eq!(row["already_present"], false);
    assert!(
        out.stderr.contains("uploaded layer.bin  2.0 MiB"),
        "{}",
        out.stderr
    );
    let client = ecr_tests::client_for(&moto.endpoint);
    let layers = BatchCheckLayerAvailability {
        repository_name: "cli/layer".into(),
        layer_digests: vec![sha256_digest(&bytes)],
        registry_id: None,
    }
    .send(&client)
    .await
    .expect("BatchCheckLayerAvailability")
    .layers
    .unwrap_or_default();
    assert_eq!(
        layers[0].layer_availability,
        Some(LayerAvailability::Available)
    );
    let table = run(
        Some(&moto.endpoint),
        &["push", "cli/layer", "--layer", path, "-q"],
    )
    .await;
    table.expect_status(0);
    assert_eq!(
        table.stdout,
        format!(
            "pushed layer {} to cli/layer (2.0 MiB, 1 part(s))\n",
            sha256_digest(&bytes)
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_terminal_gets_a_plain_line_every_interval_and_at_each_layers_end() {
    let moto = Moto::start();
    // 4 MB/s towards moto: two layers of 6 MiB (16 MB of request bodies)
    // take about four seconds, so one-second progress lines show.
    let proxy = ThrottleProxy::start(&moto.endpoint, 4_000_000).await;
    let dir = temp_layout_dir("cli-lines");
    let layers = [random_bytes(6 * MIB, 41), random_bytes(6 * MIB, 42)];
    let top = image_manifest(&dir, "amd64", &layers);
    write_index(&dir, &[(&top, Some("v1"))]);
    let out = run(
        Some(&proxy.endpoint),
        &[
            "push",
            "cli/lines",
            dir.to_str().unwrap(),
            "--create-repository",
            "--progress-interval",
            "1",
            "--max-part-size",
            "5",
        ],
    )
    .await;
    out.expect_status(0);
    assert_no_escape_codes(&out);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let progress: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(progress.len() >= 3, "periodic lines:\n{}", out.stderr);
    for line in &progress {
        assert!(line.contains(" of 12.0 MiB ("), "{line}");
        assert!(line.contains("blob(s) uploaded"), "{line}");
        assert!(line.contains(" MiB/s"), "{line}");
    }
    assert!(
        progress
            .last()
            .unwrap()
            .starts_with("progress: 12.0 of 12.0 MiB (100%), 3 of 3"),
        "{}",
        out.stderr
    );
    // A line at each layer's end, between the periodic ones.
    for layer in &layers {
        let line = format!("uploaded {}  6.0 MiB", &sha256_digest(layer)[..19]);
        let at = lines
            .iter()
            .position(|l| *l == line)
            .unwrap_or_else(|| panic!("{line} in\n{}", out.stderr));
        assert!(at > 0 && at < lines.len() - 1, "{}", out.stderr);
    }
    assert!(proxy.uploaded() > 16_000_000);
    let _ = std::fs::remove_dir_all(dir);
}
