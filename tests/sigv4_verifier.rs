//! Real requests from [`ecrkit::Client`], checked by an independent
//! verifier: `tests/verifier/sigv4_verifier.py`, a small HTTP server on
//! 127.0.0.1 that recomputes every request's SigV4 signature with botocore's
//! own signer (`SigV4Auth` over an `AWSRequest` with the signed headers and
//! the body bytes it received, at the request's `X-Amz-Date`) and answers
//! `InvalidSignatureException` when botocore disagrees.
//!
//! Covered: a plain CreateRepository, one signed with a session token, an
//! UploadLayerPart carrying a 20 MiB blob (a ~28 MiB body), non-ASCII strings
//! in a tag value and a lifecycle policy, and two negative controls (a wrong
//! secret, a wrong session token) that must be rejected.
//!
//! Needs the venv that `scripts/setup.sh` creates (`.venv`, with botocore
//! 1.44.5).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use ecrkit::ecr::{CreateRepository, PutLifecyclePolicy, Tag, UploadLayerPart};
use ecrkit::{Client, Config, Credentials, Error};
use serde_json::Value;
use sha2::{Digest, Sha256};

const REGION: &str = "eu-west-1";
const ACCESS_KEY: &str = "AKIDVERIFIERPLAIN";
const SECRET_KEY: &str = "pl41n/Secret+Key/For+The/Verifier0000000";
const TEMP_ACCESS_KEY: &str = "ASIAVERIFIERTEMP";
const TEMP_SECRET_KEY: &str = "t3mp/Secret+Key/For+The/Verifier1111111";
const SESSION_TOKEN: &str =
    "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token==";
const SIGNED: &str = "content-type;host;x-amz-date;x-amz-target";
const SIGNED_WITH_TOKEN: &str = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target";

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The verifier process, killed when dropped (also when a test panics).
struct Verifier {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Verifier {
    /// Starts the verifier on a free port, accepting the plain and the
    /// temporary (session token) identities.
    fn start() -> Verifier {
        let python = workspace_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} not found: run scripts/setup.sh (it creates .venv with botocore 1.44.5 and moto)",
            python.display()
        );
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/sigv4_verifier.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", "0", "--region", REGION, "--service", "ecr"])
            .arg("--credential")
            .arg(format!("{ACCESS_KEY}:{SECRET_KEY}"))
            .arg("--credential")
            .arg(format!(
                "{TEMP_ACCESS_KEY}:{TEMP_SECRET_KEY}:{SESSION_TOKEN}"
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {}: {e}; run scripts/setup.sh",
                    python.display()
                )
            });
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let read = stdout.read_line(&mut line);
        let port = match (read, line.trim().parse::<u16>()) {
            (Ok(n), Ok(port)) if n > 0 => port,
            _ => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "the SigV4 verifier did not start (first line {line:?}, exit {status:?}); \
                     is botocore installed in .venv? run scripts/setup.sh"
                );
            }
        };
        Verifier {
            child,
            _stdout: stdout,
            port,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn client(&self, access_key: &str, secret: &str, token: Option<&str>) -> Client {
        let config = Config::builder()
            .with_region(REGION)
            .with_endpoint_url(self.endpoint())
            .with_credentials(Credentials::new(
                access_key,
                secret,
                token.map(str::to_owned),
                None,
                "sigv4-verifier-test",
            ))
            .build();
        Client::new(config)
    }

    /// What the verifier saw: one JSON object per POST.
    fn requests(&self) -> Vec<Value> {
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the verifier");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        write!(
            stream,
            "GET /__verifier/requests HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("send the log request");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read the log");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP response");
        serde_json::from_slice(&response[split + 4..]).expect("the log is JSON")
    }

    /// The log entries for `operation`.
    fn requests_for(&self, operation: &str) -> Vec<Value> {
        let target = format!("AmazonEC2ContainerRegistry_V20150921.{operation}");
        self.requests()
            .into_iter()
            .filter(|r| r["target"] == target.as_str())
            .collect()
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_accepted(entry: &Value, signed_headers: &str) {
    assert_eq!(
        entry["verdict"], "accepted",
        "verifier log entry: {entry:#}"
    );
    assert_eq!(
        entry["signed_headers"], signed_headers,
        "verifier log entry: {entry:#}"
    );
}

fn create_repository(name: &str) -> CreateRepository {
    CreateRepository {
        repository_name: name.to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn plain_request_is_accepted() {
    let verifier = Verifier::start();
    let client = verifier.client(ACCESS_KEY, SECRET_KEY, None);
    let out = create_repository("sigv4/plain")
        .send(&client)
        .await
        .unwrap_or_else(|e| panic!("CreateRepository was rejected: {e}"));
    let repo = out.repository.expect("a repository in the response");
    assert_eq!(repo.repository_name.as_deref(), Some("sigv4/plain"));

    let seen = verifier.requests_for("CreateRepository");
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_accepted(&seen[0], SIGNED);
    assert_eq!(seen[0]["access_key"], ACCESS_KEY);
}

#[tokio::test]
async fn session_token_is_signed_and_accepted() {
    let verifier = Verifier::start();
    let client = verifier.client(TEMP_ACCESS_KEY, TEMP_SECRET_KEY, Some(SESSION_TOKEN));
    create_repository("sigv4/with-token")
        .send(&client)
        .await
        .unwrap_or_else(|e| panic!("CreateRepository with a session token was rejected: {e}"));

    let seen = verifier.requests_for("CreateRepository");
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_accepted(&seen[0], SIGNED_WITH_TOKEN);
    assert_eq!(seen[0]["access_key"], TEMP_ACCESS_KEY);
}

#[tokio::test]
async fn upload_layer_part_of_20_mib_is_accepted() {
    const PART: usize = 20 * 1024 * 1024;
    // Not all zeros, so that base64 and hashing see varied bytes.
    let mut blob = Vec::with_capacity(PART);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while blob.len() < PART {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        blob.extend_from_slice(&x.to_le_bytes());
    }
    blob.truncate(PART);
    let blob_sha256 = hex::encode(Sha256::digest(&blob));

    let verifier = Verifier::start();
    let client = verifier.client(ACCESS_KEY, SECRET_KEY, None);
    let upload_id = "0b6ad3b4-1c5e-4f6e-9b1a-2f8c7d3e4a5b";
    let op = UploadLayerPart {
        repository_name: "sigv4/layers".to_owned(),
        upload_id: upload_id.to_owned(),
        part_first_byte: 0,
        part_last_byte: PART as i64 - 1,
        layer_part_blob: Bytes::from(blob),
        ..Default::default()
    };
    let out = op
        .send(&client)
        .await
        .unwrap_or_else(|e| panic!("UploadLayerPart (20 MiB) was rejected: {e}"));
    assert_eq!(out.last_byte_received, Some(PART as i64 - 1));
    assert_eq!(out.upload_id.as_deref(), Some(upload_id));

    let seen = verifier.requests_for("UploadLayerPart");
    assert_eq!(seen.len(), 1, "one attempt expected");
    let entry = &seen[0];
    assert_accepted(entry, SIGNED);
    let sent_blob = &entry["request"]["layerPartBlob"];
    assert_eq!(sent_blob["bytes"], PART, "decoded blob size");
    assert_eq!(
        sent_blob["sha256"],
        blob_sha256.as_str(),
        "decoded blob digest"
    );
    assert!(
        entry["body_bytes"].as_u64().unwrap() > (PART as u64) * 4 / 3,
        "the body carries the base64 blob: {}",
        entry["body_bytes"]
    );
}

#[tokio::test]
async fn non_ascii_strings_are_accepted() {
    const VALUE: &str = "naïve ☃";
    let verifier = Verifier::start();
    let client = verifier.client(ACCESS_KEY, SECRET_KEY, None);

    let op = CreateRepository {
        repository_name: "sigv4/unicode".to_owned(),
        tags: Some(vec![Tag {
            key: "note".to_owned(),
            value: VALUE.to_owned(),
        }]),
        ..Default::default()
    };
    op.send(&client)
        .await
        .unwrap_or_else(|e| panic!("CreateRepository with a non-ASCII tag was rejected: {e}"));

    let policy = format!(
        r#"{{"rules":[{{"rulePriority":1,"description":"{VALUE}: expire untagged images after 14 days — ünïcödé","selection":{{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}},"action":{{"type":"expire"}}}}]}}"#
    );
    let out = PutLifecyclePolicy {
        repository_name: "sigv4/unicode".to_owned(),
        lifecycle_policy_text: policy.clone(),
        ..Default::default()
    }
    .send(&client)
    .await
    .unwrap_or_else(|e| panic!("PutLifecyclePolicy with non-ASCII text was rejected: {e}"));
    assert_eq!(out.lifecycle_policy_text.as_deref(), Some(policy.as_str()));

    let create = verifier.requests_for("CreateRepository");
    assert_eq!(create.len(), 1, "{create:#?}");
    assert_accepted(&create[0], SIGNED);
    assert_eq!(create[0]["request"]["tags"][0]["Value"], VALUE);
    assert_eq!(
        create[0]["body_non_ascii"], true,
        "the body should carry raw UTF-8 (not only \\u escapes) to exercise hashing of non-ASCII bytes"
    );
    let put = verifier.requests_for("PutLifecyclePolicy");
    assert_eq!(put.len(), 1, "{put:#?}");
    assert_accepted(&put[0], SIGNED);
    assert_eq!(put[0]["request"]["lifecyclePolicyText"], policy.as_str());
}

#[tokio::test]
async fn wrong_secret_is_rejected() {
    let verifier = Verifier::start();
    let client = verifier.client(ACCESS_KEY, "not/the+secret/0000000000000000000000000", None);
    let err = create_repository("sigv4/wrong-secret")
        .send(&client)
        .await
        .expect_err("a request signed with the wrong secret must be rejected");
    match &err {
        Error::Service { meta, .. } => {
            assert_eq!(meta.status, 400, "{err}");
            assert_eq!(
                meta.code.as_deref(),
                Some("InvalidSignatureException"),
                "{err}"
            );
        }
        other => panic!("expected InvalidSignatureException from the verifier, got {other}"),
    }
    let seen = verifier.requests_for("CreateRepository");
    assert!(!seen.is_empty());
    for entry in &seen {
        assert_eq!(entry["verdict"], "rejected", "{entry:#}");
        assert_eq!(entry["code"], "InvalidSignatureException", "{entry:#}");
    }
    eprintln!(
        "wrong secret: {} attempt(s) seen by the verifier",
        seen.len()
    );
}

#[tokio::test]
async fn wrong_session_token_is_rejected() {
    let verifier = Verifier::start();
    let client = verifier.client(
        TEMP_ACCESS_KEY,
        TEMP_SECRET_KEY,
        Some("not-the-session-token"),
    );
    let err = create_repository("sigv4/wrong-token")
        .send(&client)
        .await
        .expect_err("a request with the wrong session token must be rejected");
    match &err {
        Error::Service { meta, .. } => {
            assert_eq!(meta.status, 400, "{err}");
            assert_eq!(
                meta.code.as_deref(),
                Some("UnrecognizedClientException"),
                "{err}"
            );
        }
        other => panic!("expected UnrecognizedClientException from the verifier, got {other}"),
    }
}
