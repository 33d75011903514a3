//! Validation at the edges of UploadLayerPart's constraints (mode `Enforce`,
//! the default), and the `Warn` and `Off` modes. The client points at a port
//! where nothing listens: a request that passes validation fails with a
//! transport error, one that does not never reaches the network.

use bytes::Bytes;
use ecrkit::ecr::{UploadLayerPart, UploadLayerPartError};
use ecrkit::{Client, Config, Credentials, Error, ValidationMode};

const UPLOAD_ID: &str = "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f";
const MAX_POSITION: i64 = 1_152_921_504_606_846_976;

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn dead_endpoint() -> String {
    format!("http://127.0.0.1:{}", ecr_tests::free_port())
}

fn client(mode: ValidationMode) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(dead_endpoint())
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_max_attempts(1)
            .with_validation(mode)
            .build(),
    )
}

fn part() -> UploadLayerPart {
    UploadLayerPart {
        registry_id: None,
        repository_name: "my-repo".into(),
        upload_id: UPLOAD_ID.into(),
        part_first_byte: 0,
        part_last_byte: 9,
        layer_part_blob: Bytes::from_static(b"0123456789"),
    }
}

/// Sends `req` and returns the paths of the violations, or `None` when the
/// request passed validation (and so failed on the dead port).
async fn violations(req: &UploadLayerPart) -> Option<Vec<(String, String)>> {
    match req.send(&client(ValidationMode::Enforce)).await {
        Err(Error::Validation(v)) => Some(
            v.violations
                .into_iter()
                .map(|v| (v.path, v.message))
                .collect(),
        ),
        Err(Error::Transport { .. }) => None,
        other => panic!("expected a validation or transport error, got {other:?}"),
    }
}

async fn assert_rejected(req: UploadLayerPart, path: &str, words: &str) {
    let found = violations(&req)
        .await
        .unwrap_or_else(|| panic!("{path} should be rejected: {req:?}"));
    assert!(
        found.iter().any(|(p, m)| p == path && m.contains(words)),
        "expected a violation at {path} containing {words:?}, got {found:?}"
    );
}

async fn assert_accepted(req: UploadLayerPart) {
    if let Some(found) = violations(&req).await {
        panic!("should pass validation, got {found:?}");
    }
}

#[tokio::test]
async fn byte_positions_at_the_edges() {
    assert_rejected(
        UploadLayerPart {
            part_first_byte: -1,
            ..part()
        },
        "partFirstByte",
        "at least 0, got -1",
    )
    .await;
    assert_rejected(
        UploadLayerPart {
            part_last_byte: MAX_POSITION + 1,
            ..part()
        },
        "partLastByte",
        "at most 1152921504606846976, got 1152921504606846977",
    )
    .await;
    assert_accepted(UploadLayerPart {
        part_first_byte: 0,
        part_last_byte: MAX_POSITION,
        ..part()
    })
    .await;
}

#[tokio::test]
async fn blob_length_at_the_edges() {
    let max = Bytes::from(vec![0u8; 20_971_520]);
    assert_accepted(UploadLayerPart {
        layer_part_blob: max,
        ..part()
    })
    .await;
    let over = Bytes::from(vec![0u8; 20_971_521]);
    assert_rejected(
        UploadLayerPart {
            layer_part_blob: over,
            ..part()
        },
        "layerPartBlob",
        "at most 20971520 bytes, got 20971521",
    )
    .await;
}

#[tokio::test]
async fn repository_name_length_and_pattern() {
    assert_rejected(
        UploadLayerPart {
            repository_name: "a".into(),
            ..part()
        },
        "repositoryName",
        "at least 2",
    )
    .await;
    assert_rejected(
        UploadLayerPart {
            repository_name: "a".repeat(257),
            ..part()
        },
        "repositoryName",
        "at most 256",
    )
    .await;
    assert_accepted(UploadLayerPart {
        repository_name: "ab".into(),
        ..part()
    })
    .await;
    assert_accepted(UploadLayerPart {
        repository_name: "a".repeat(256),
        ..part()
    })
    .await;
    // Lengths count Unicode scalar values, not bytes.
    assert_rejected(
        UploadLayerPart {
            repository_name: "é".repeat(257),
            ..part()
        },
        "repositoryName",
        "got 257",
    )
    .await;
    // An uppercase name has no substring matching the (unanchored) pattern.
    assert_rejected(
        UploadLayerPart {
            repository_name: "MYREPO".into(),
            ..part()
        },
        "repositoryName",
        "pattern",
    )
    .await;
    assert_rejected(
        UploadLayerPart {
            upload_id: "not-a-uuid".into(),
            ..part()
        },
        "uploadId",
        "pattern",
    )
    .await;
    assert_rejected(
        UploadLayerPart {
            registry_id: Some("12".into()),
            ..part()
        },
        "registryId",
        "pattern",
    )
    .await;
}

#[tokio::test]
async fn every_violation_is_reported_at_once() {
    let req = UploadLayerPart {
        registry_id: Some("x".into()),
        repository_name: "A".into(),
        upload_id: "nope".into(),
        part_first_byte: -5,
        part_last_byte: -1,
        layer_part_blob: Bytes::new(),
    };
    let found = violations(&req).await.expect("rejected");
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "registryId",
            "repositoryName",
            "repositoryName",
            "uploadId",
            "partFirstByte",
            "partLastByte"
        ],
        "{found:?}"
    );
    let err = req
        .send(&client(ValidationMode::Enforce))
        .await
        .expect_err("invalid");
    let text = err.to_string();
    assert!(text.contains("invalid UploadLayerPart request"), "{text}");
    assert!(
        text.contains("ValidationMode::Warn"),
        "the message says how to step back: {text}"
    );
}

#[tokio::test]
async fn warn_and_off_send_anyway() {
    let bad = UploadLayerPart {
        part_first_byte: -1,
        ..part()
    };
    for mode in [ValidationMode::Warn, ValidationMode::Off] {
        match bad.send(&client(mode)).await {
            Err(Error::Transport { .. }) => {}
            other => {
                panic!("{mode:?}: expected the request to be sent (transport error), got {other:?}")
            }
        }
    }
    let _: Option<UploadLayerPartError> = None;
}

#[test]
fn nested_paths_name_list_items() {
    use ecrkit::ecr::{BatchGetImage, ImageIdentifier};
    let req = BatchGetImage {
        repository_name: "repo".into(),
        image_ids: vec![
            ImageIdentifier {
                image_tag: Some("ok".into()),
                ..Default::default()
            },
            ImageIdentifier {
                image_tag: Some(String::new()),
                ..Default::default()
            },
            ImageIdentifier {
                image_digest: Some("sha256:abc".into()),
                ..Default::default()
            },
            ImageIdentifier {
                image_tag: Some("t".repeat(400)),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let err = ecrkit::validate::Validator::check("BatchGetImage", &req).expect_err("invalid");
    let paths: Vec<&str> = err.violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        ["imageIds[1].imageTag", "imageIds[3].imageTag"],
        "{err}"
    );
}
