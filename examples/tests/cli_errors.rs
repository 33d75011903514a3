//! Help, usage errors and the exit status of each class of failure: one
//! line on stderr, in plain words.

mod common;

use common::{ecrkit, run, run_cmd};
use ecr_tests::layout::temp_layout_dir;
use ecr_tests::{Moto, free_port};

#[tokio::test]
async fn help_documents_every_subcommand_and_the_exit_statuses() {
    let out = run(None, &["--help"]).await;
    out.expect_status(0);
    for word in [
        "push",
        "login",
        "ls",
        "rm",
        "--region",
        "--profile",
        "--endpoint-url",
        "--verbose",
        "--quiet",
        "--output",
    ] {
        assert!(out.stdout.contains(word), "{word} in\n{}", out.stdout);
    }
    for status in [
        "  2    usage",
        "  3    invalid input",
        "  4    the service refused",
        "  5    network",
        "  6    credentials or configuration",
        "  7    a push, pull or copy stopped partway",
        "  130  interrupted",
    ] {
        assert!(out.stdout.contains(status), "{status} in\n{}", out.stdout);
    }
    for sub in ["push", "pull", "copy", "login", "ls", "rm"] {
        let help = run(None, &[sub, "--help"]).await;
        help.expect_status(0);
        assert!(
            help.stdout.contains("Examples:\n  "),
            "{sub}:\n{}",
            help.stdout
        );
        assert!(
            help.stdout.contains("Global options:"),
            "{sub}:\n{}",
            help.stdout
        );
    }
    let version = run(None, &["--version"]).await;
    assert_eq!(
        version.stdout,
        format!("ecrkit {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn usage_errors_exit_2_before_any_call() {
    // What the command line alone shows wrong comes before any setup.
    let mut cmd = ecrkit();
    cmd.env_remove("AWS_REGION");
    let out = run_cmd(cmd, None, &["push", "repo", "dir", "--resume", "u-1:5"]).await;
    out.expect_status(2);
    assert!(
        out.stderr.contains("an image push needs the blob's digest"),
        "{}",
        out.stderr
    );
    // No subcommand: the usage, on stderr.
    let out = run(None, &[]).await;
    out.expect_status(2);
    assert!(
        out.stderr.contains("Usage: ecrkit [OPTIONS] <COMMAND>"),
        "{}",
        out.stderr
    );
    for args in [
        &["push"][..],
        &["push", "repo"],
        &["push", "repo", "dir", "--layer", "file"],
        &["push", "repo", "dir", "--concurrency", "0"],
        &["push", "repo", "dir", "--max-part-size", "4"],
        &["push", "repo", "dir", "--resume", "nonsense"],
        &["push", "repo", "dir", "--resume", "u-1:5"],
        &["rm", "repo-without-a-tag"],
        &["rm"],
        &["ls", "--output", "yaml"],
        &["ls", "-q", "-v"],
        &["frobnicate"],
    ] {
        let out = run(None, args).await;
        assert_eq!(out.status, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{args:?}");
    }
}

#[tokio::test]
async fn input_that_breaks_the_model_exits_3_naming_the_field() {
    // No server: validation stops the call before the network.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    // (The model's patterns are not anchored, as in Smithy: a name breaks
    // the model by its length.)
    let out = run(Some(&endpoint), &["rm", "a:v1"]).await;
    out.expect_status(3);
    assert!(out.stderr.contains("repositoryName"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("repositoryName: length must be at least 2 characters, got 1"),
        "the bound: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("pass --validation warn (or off) to send anyway"),
        "{}",
        out.stderr
    );
    // Stepping back from the model: the request is sent (and then finds no server).
    let mut cmd = ecrkit();
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    let sent = run_cmd(cmd, Some(&endpoint), &["rm", "a:v1", "--validation", "off"]).await;
    sent.expect_status(5);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    // An image source that is not there, and one that is not an image.
    let missing = run(Some(&endpoint), &["push", "repo", "/nonexistent/layout"]).await;
    missing.expect_status(3);
    assert!(
        missing.stderr.starts_with("error: /nonexistent/layout: "),
        "{}",
        missing.stderr
    );
    let dir = temp_layout_dir("cli-not-a-layout");
    let not_layout = run(Some(&endpoint), &["push", "repo", dir.to_str().unwrap()]).await;
    not_layout.expect_status(3);
    assert!(
        not_layout.stderr.contains("invalid image source"),
        "{}",
        not_layout.stderr
    );
    assert!(
        not_layout.stderr.contains("index.json"),
        "{}",
        not_layout.stderr
    );
    let missing = run(
        Some(&endpoint),
        &["push", "repo", "--layer", "/nonexistent/layer"],
    )
    .await;
    missing.expect_status(3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn no_answer_exits_5() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = ecrkit();
    cmd.env("AWS_MAX_ATTEMPTS", "1");
    let out = run_cmd(cmd, Some(&endpoint), &["ls"]).await;
    out.expect_status(5);
    assert!(
        out.stderr
            .starts_with("error: DescribeRepositories: HTTP transport error"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[tokio::test]
async fn no_region_or_no_credentials_exits_6() {
    let mut cmd = ecrkit();
    cmd.env_remove("AWS_REGION");
    let out = run_cmd(cmd, None, &["ls"]).await;
    out.expect_status(6);
    assert!(
        out.stderr
            .starts_with("error: no AWS region configured: pass --region"),
        "{}",
        out.stderr
    );
    // --region stands in; then the credentials are missing.
    let mut cmd = ecrkit();
    cmd.env_remove("AWS_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let out = run_cmd(cmd, Some(&endpoint), &["ls", "--region", "eu-west-1"]).await;
    out.expect_status(6);
    assert!(
        out.stderr.contains("no AWS credentials found"),
        "{}",
        out.stderr
    );
    // A profile that does not exist has no credentials either.
    let mut cmd = ecrkit();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let out = run_cmd(cmd, Some(&endpoint), &["ls", "--profile", "nobody"]).await;
    out.expect_status(6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_refusing_exits_4_with_the_request_id() {
    let moto = Moto::start();
    let dir = temp_layout_dir("cli-no-repo");
    let layer = ecr_tests::random_bytes(100, 1);
    let top = ecr_tests::layout::image_manifest(&dir, "amd64", &[layer]);
    ecr_tests::layout::write_index(&dir, &[(&top, Some("v1"))]);
    let out = run(
        Some(&moto.endpoint),
        &["push", "cli/none", dir.to_str().unwrap()],
    )
    .await;
    out.expect_status(4);
    let first = out.stderr.lines().next().unwrap();
    assert!(
        first.starts_with("error: BatchCheckLayerAvailability: RepositoryNotFoundException: "),
        "{}",
        out.stderr
    );
    assert!(first.contains(", request id "), "{first}");
    assert!(
        first.ends_with("; add --create-repository to create it"),
        "{first}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let _ = std::fs::remove_dir_all(dir);
}
