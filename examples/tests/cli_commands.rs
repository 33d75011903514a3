//! `ecrkit login`, `ls` (every page) and `rm` end to end against moto.

mod common;

use common::{is_rfc3339, run};
use ecr_tests::Moto;
use ecr_tests::paging_proxy::PagingProxy;
use ecrkit::ecr::{CreateRepository, PutImage};
use std::sync::atomic::Ordering;

async fn put_image(client: &ecrkit::Client, repo: &str, tag: &str, n: u8) -> String {
    // moto takes any JSON manifest; each differs by its config digest.
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":{n},"digest":"sha256:{}"}},"layers":[]}}"#,
        format!("{n:02x}").repeat(32)
    );
    PutImage {
        repository_name: repo.into(),
        image_manifest: manifest,
        image_tag: Some(tag.into()),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("PutImage")
    .image
    .and_then(|i| i.image_id)
    .and_then(|i| i.image_digest)
    .expect("digest")
}

async fn create(client: &ecrkit::Client, repo: &str) {
    CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("CreateRepository");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_prints_the_password_docker_login_takes() {
    let moto = Moto::start();
    let out = run(Some(&moto.endpoint), &["login"]).await;
    out.expect_status(0);
    // moto's token is base64("AWS:<account>-auth-token").
    assert_eq!(out.stdout, "123456789012-auth-token\n");
    assert_eq!(out.stderr, "");
    let out = run(
        Some(&moto.endpoint),
        &["login", "--registry-id", "210987654321", "-o", "json"],
    )
    .await;
    out.expect_status(0);
    let login = out.json();
    assert_eq!(login["username"], "AWS");
    assert_eq!(login["password"], "210987654321-auth-token");
    assert_eq!(
        login["registry"],
        "https://210987654321.dkr.ecr.us-east-1.amazonaws.com"
    );
    assert!(is_rfc3339(login["expires_at"].as_str().unwrap()));
    // A registry id that breaks the model's pattern: refused before any call.
    let out = run(Some(&moto.endpoint), &["login", "--registry-id", "12"]).await;
    out.expect_status(3);
    assert!(out.stderr.contains("registryIds[0]"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ls_reads_every_page() {
    let moto = Moto::start();
    let client = moto.client();
    for i in 0..5 {
        create(&client, &format!("pages/repo-{i}")).await;
    }
    let mut digests = Vec::new();
    for i in 0..5u8 {
        digests.push(put_image(&client, "pages/repo-0", &format!("v{i}"), i).await);
    }
    // moto answers in one page; the proxy cuts pages of --page-size.
    let proxy = PagingProxy::start(&moto.endpoint).await;
    let out = run(
        Some(&proxy.endpoint),
        &["ls", "--page-size", "2", "-o", "json"],
    )
    .await;
    out.expect_status(0);
    let names: Vec<String> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        (0..5)
            .map(|i| format!("pages/repo-{i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(proxy.calls.load(Ordering::SeqCst), 3, "pages of 2, 2 and 1");

    let out = run(
        Some(&proxy.endpoint),
        &["ls", "pages/repo-0", "--page-size", "2"],
    )
    .await;
    out.expect_status(0);
    assert_eq!(proxy.calls.load(Ordering::SeqCst), 6);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "a header and five images:\n{}", out.stdout);
    for digest in &digests {
        assert!(
            lines.iter().any(|l| l.contains(digest.as_str())),
            "{digest}"
        );
    }
    // Newest first.
    let pushed: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    let mut sorted = pushed.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(pushed, sorted);

    // A repository that is not there: the service's error, its request id.
    let out = run(Some(&moto.endpoint), &["ls", "pages/none"]).await;
    out.expect_status(4);
    assert!(
        out.stderr
            .starts_with("error: listing the images of pages/none: RepositoryNotFoundException: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("request id "), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rm_deletes_by_tag_and_digest_and_reports_each_failure() {
    let moto = Moto::start();
    let client = moto.client();
    create(&client, "rm/a").await;
    create(&client, "rm/b").await;
    let a1 = put_image(&client, "rm/a", "one", 1).await;
    put_image(&client, "rm/a", "two", 2).await;
    let b1 = put_image(&client, "rm/b", "one", 3).await;

    let out = run(
        Some(&moto.endpoint),
        &["rm", "rm/a:two", &format!("rm/b@{b1}")],
    )
    .await;
    out.expect_status(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].starts_with("deleted rm/a:two (sha256:"),
        "{}",
        out.stdout
    );
    assert!(lines[1].contains(&b1), "{}", out.stdout);
    let left = run(Some(&moto.endpoint), &["ls", "rm/a", "-o", "json"]).await;
    let left = left.json();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["digest"], a1);
    let left = run(Some(&moto.endpoint), &["ls", "rm/b", "-o", "json"]).await;
    assert_eq!(left.json(), serde_json::json!([]));

    // One deleted, one not there: the failure is named, the status is 4.
    let out = run(
        Some(&moto.endpoint),
        &["rm", "rm/a:one", "rm/a:nope", "-o", "json"],
    )
    .await;
    out.expect_status(4);
    let result = out.json();
    assert_eq!(result["deleted"][0]["tag"], "one");
    assert_eq!(result["deleted"][0]["digest"], a1);
    assert_eq!(result["failed"][0]["image"], "rm/a:nope");
    assert_eq!(result["failed"][0]["code"], "ImageNotFound");
    assert_eq!(
        out.stderr,
        format!(
            "error: 1 image(s) not deleted\n  rm/a:nope: ImageNotFound: {}\n",
            result["failed"][0]["reason"].as_str().unwrap()
        )
    );
}
