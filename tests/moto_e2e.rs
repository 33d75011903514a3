//! The layer-upload slice end to end against a live moto server on 127.0.0.1.

use bytes::Bytes;
use ecr_tests::{Moto, random_bytes, sha256_digest};
use ecrkit::Error;
use ecrkit::ecr::{
    BatchCheckLayerAvailability, CompleteLayerUpload, CompleteLayerUploadError, CreateRepository,
    CreateRepositoryError, InitiateLayerUpload, LayerAvailability, UploadLayerPart,
    UploadLayerPartError,
};

const MIB: usize = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layer_upload_flow() {
    let moto = Moto::start();
    let client = moto.client();
    let repo = "e2e/layers";

    let created = CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("CreateRepository");
    let repository = created.repository.expect("repository in response");
    assert_eq!(repository.repository_name.as_deref(), Some(repo));
    assert!(repository.repository_uri.is_some_and(|u| u.ends_with(repo)));

    // A second create is the modeled RepositoryAlreadyExistsException, with its request id kept.
    let again = CreateRepository {
        repository_name: repo.into(),
        ..Default::default()
    };
    match again.send(&client).await {
        Err(Error::Service {
            error: CreateRepositoryError::RepositoryAlreadyExistsException(e),
            meta,
        }) => {
            assert_eq!(meta.status, 400);
            assert!(e.message.is_some());
        }
        other => panic!("expected RepositoryAlreadyExistsException, got {other:?}"),
    }

    let initiated = InitiateLayerUpload {
        registry_id: None,
        repository_name: repo.into(),
    }
    .send(&client)
    .await
    .expect("InitiateLayerUpload");
    let upload_id = initiated.upload_id.expect("uploadId");
    assert!(initiated.part_size.is_some_and(|s| s > 0));

    let layer = Bytes::from(random_bytes(25 * MIB, 7));
    let parts = [(0, 10 * MIB), (10 * MIB, 20 * MIB), (20 * MIB, 25 * MIB)];
    for (first, end) in parts {
        let out = UploadLayerPart {
            registry_id: None,
            repository_name: repo.into(),
            upload_id: upload_id.clone(),
            part_first_byte: first as i64,
            part_last_byte: end as i64 - 1,
            layer_part_blob: layer.slice(first..end),
        }
        .send(&client)
        .await
        .expect("UploadLayerPart");
        assert_eq!(out.last_byte_received, Some(end as i64 - 1));
        assert_eq!(out.upload_id.as_deref(), Some(upload_id.as_str()));
    }

    // A part that leaves a gap is rejected with the last byte the service holds.
    let gap = UploadLayerPart {
        registry_id: None,
        repository_name: repo.into(),
        upload_id: upload_id.clone(),
        part_first_byte: (25 * MIB + 100) as i64,
        part_last_byte: (25 * MIB + 199) as i64,
        layer_part_blob: Bytes::from(vec![1u8; 100]),
    };
    match gap.send(&client).await {
        Err(Error::Service {
            error: UploadLayerPartError::InvalidLayerPartException(e),
            meta,
        }) => {
            assert_eq!(
                e.last_valid_byte_received,
                Some(25 * MIB as i64 - 1),
                "{e:?}"
            );
            assert_eq!(e.upload_id.as_deref(), Some(upload_id.as_str()));
            assert_eq!(meta.code.as_deref(), Some("InvalidLayerPartException"));
        }
        other => panic!("expected InvalidLayerPartException, got {other:?}"),
    }

    let digest = sha256_digest(&layer);
    let completed = CompleteLayerUpload {
        registry_id: None,
        repository_name: repo.into(),
        upload_id: upload_id.clone(),
        layer_digests: vec![digest.clone()],
    }
    .send(&client)
    .await
    .expect("CompleteLayerUpload");
    assert_eq!(completed.layer_digest.as_deref(), Some(digest.as_str()));

    let check = BatchCheckLayerAvailability {
        registry_id: None,
        repository_name: repo.into(),
        layer_digests: vec![digest.clone()],
    }
    .send(&client)
    .await
    .expect("BatchCheckLayerAvailability");
    let layers = check.layers.unwrap_or_default();
    assert_eq!(layers.len(), 1, "{layers:?}");
    assert_eq!(layers[0].layer_digest.as_deref(), Some(digest.as_str()));
    assert_eq!(
        layers[0].layer_availability,
        Some(LayerAvailability::Available)
    );
    assert_eq!(layers[0].layer_size, Some(25 * MIB as i64));
    assert!(check.failures.unwrap_or_default().is_empty());

    // Completing the same upload again is a typed error, not a panic or a parse failure.
    let again = CompleteLayerUpload {
        registry_id: None,
        repository_name: repo.into(),
        upload_id,
        layer_digests: vec![digest],
    }
    .send(&client)
    .await;
    match again {
        Err(Error::Service { error, meta }) => {
            assert!(meta.status >= 400);
            assert!(
                !matches!(error, CompleteLayerUploadError::Unmodeled(ref u) if u.code.is_empty()),
                "{error:?}"
            );
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_repository_is_a_typed_error_with_request_id() {
    let moto = Moto::start();
    let client = moto.client();
    let err = InitiateLayerUpload {
        registry_id: None,
        repository_name: "does-not-exist".into(),
    }
    .send(&client)
    .await
    .expect_err("no such repository");
    match &err {
        Error::Service {
            error: ecrkit::ecr::InitiateLayerUploadError::RepositoryNotFoundException(_),
            meta,
        } => {
            assert_eq!(meta.code.as_deref(), Some("RepositoryNotFoundException"));
            assert!(
                meta.request_id.is_some(),
                "moto sends x-amzn-RequestId: {meta:?}"
            );
        }
        other => panic!("expected RepositoryNotFoundException, got {other:?}"),
    }
    assert!(
        err.to_string().contains("RepositoryNotFoundException"),
        "{err}"
    );
}
