//! The Amazon ECR API end to end against a live moto 5.2.5 server on
//! 127.0.0.1: every operation moto implements, with assertions on what it
//! returns, plus the paginators and the `ImageScanComplete` waiter.
//!
//! moto 5.2.5 implements 34 of the 62 operations ([`IMPLEMENTED`]); every
//! one of them runs below. The other 28 all end the same way: moto's Flask app
//! answers **HTTP 500 with an HTML "Internal Server Error" page**, no error
//! code and no request id. Its log says `NotImplementedError: The <action>
//! action has not been implemented` for 27 of them; `GetDownloadUrlForLayer`
//! has a handler, which raises `NotImplementedError("ECR.get_download_url_for_layer
//! is not yet implemented")`. The client maps that answer to the operation's
//! `Unmodeled` error with an empty code and status 500;
//! [`operations_moto_does_not_implement`] calls each one and asserts it.
//!
//! | operation moto 5.2.5 does not implement | what moto answers |
//! | --- | --- |
//! | CreatePullThroughCacheRule | HTTP 500, HTML page, no error code |
//! | CreateRepositoryCreationTemplate | HTTP 500, HTML page, no error code |
//! | DeletePullThroughCacheRule | HTTP 500, HTML page, no error code |
//! | DeleteRepositoryCreationTemplate | HTTP 500, HTML page, no error code |
//! | DeleteSigningConfiguration | HTTP 500, HTML page, no error code |
//! | DeregisterPullTimeUpdateExclusion | HTTP 500, HTML page, no error code |
//! | DescribeImageReplicationStatus | HTTP 500, HTML page, no error code |
//! | DescribeImageSigningStatus | HTTP 500, HTML page, no error code |
//! | DescribePullThroughCacheRules | HTTP 500, HTML page, no error code |
//! | DescribeReplicationBackfillResults | HTTP 500, HTML page, no error code |
//! | DescribeRepositoryCreationTemplates | HTTP 500, HTML page, no error code |
//! | GetAccountSetting | HTTP 500, HTML page, no error code |
//! | GetDownloadUrlForLayer | HTTP 500, HTML page, no error code (handler raises NotImplementedError) |
//! | GetLifecyclePolicyPreview | HTTP 500, HTML page, no error code |
//! | GetSigningConfiguration | HTTP 500, HTML page, no error code |
//! | ListImageReferrers | HTTP 500, HTML page, no error code |
//! | ListPullTimeUpdateExclusions | HTTP 500, HTML page, no error code |
//! | ListReplicationBackfills | HTTP 500, HTML page, no error code |
//! | PutAccountSetting | HTTP 500, HTML page, no error code |
//! | PutSigningConfiguration | HTTP 500, HTML page, no error code |
//! | RegisterPullTimeUpdateExclusion | HTTP 500, HTML page, no error code |
//! | StartLifecyclePolicyPreview | HTTP 500, HTML page, no error code |
//! | StartReplicationBackfill | HTTP 500, HTML page, no error code |
//! | StopReplicationBackfill | HTTP 500, HTML page, no error code |
//! | UpdateImageStorageClass | HTTP 500, HTML page, no error code |
//! | UpdatePullThroughCacheRule | HTTP 500, HTML page, no error code |
//! | UpdateRepositoryCreationTemplate | HTTP 500, HTML page, no error code |
//! | ValidatePullThroughCacheRule | HTTP 500, HTML page, no error code |
//!
//! What moto does differently from ECR, as these tests found it:
//! - it ignores `maxResults` and `nextToken` (one page, never a token), so the
//!   paginators walk real pages through [`PagingProxy`], which slices moto's
//!   full answers into pages of the requested size;
//! - `PutImage` does not check that the manifest's config and layer blobs were
//!   uploaded (ECR answers `LayersNotFoundException`), and without an
//!   `imageDigest` it computes the digest as sha256 of the layer digests
//!   joined, not of the manifest; `imageSizeInBytes` is the config's size;
//! - pushing an existing tag to an `IMMUTABLE` repository is
//!   `ImageAlreadyExistsException` (ECR: `ImageTagAlreadyExistsException`);
//! - a scan completes at once, with one canned HIGH finding, and a second
//!   scan of the same image on the same day is `LimitExceededException`;
//! - the login token's password is `<account>-auth-token` and it expires on
//!   2015-01-01.
//!
//! (`LifecyclePolicyPreviewComplete` cannot run here: moto implements
//! neither `StartLifecyclePolicyPreview` nor `GetLifecyclePolicyPreview`. The
//! waiters' unit tests in `ecr-core/src/waiters.rs` cover both waiters against
//! a scripted server.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use ecr_tests::{Moto, sha256_digest};
use ecrkit::ecr::*;
use ecrkit::waiters::{WaiterConfig, image_scan_complete};
use ecrkit::{Client, Config, Credentials, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The operations moto 5.2.5 implements, each exercised by a test below.
const IMPLEMENTED: [&str; 34] = [
    "BatchCheckLayerAvailability",
    "BatchDeleteImage",
    "BatchGetImage",
    "BatchGetRepositoryScanningConfiguration",
    "CompleteLayerUpload",
    "CreateRepository",
    "DeleteLifecyclePolicy",
    "DeleteRegistryPolicy",
    "DeleteRepository",
    "DeleteRepositoryPolicy",
    "DescribeImageScanFindings",
    "DescribeImages",
    "DescribeRegistry",
    "DescribeRepositories",
    "GetAuthorizationToken",
    "GetLifecyclePolicy",
    "GetRegistryPolicy",
    "GetRegistryScanningConfiguration",
    "GetRepositoryPolicy",
    "InitiateLayerUpload",
    "ListImages",
    "ListTagsForResource",
    "PutImage",
    "PutImageScanningConfiguration",
    "PutImageTagMutability",
    "PutLifecyclePolicy",
    "PutRegistryPolicy",
    "PutRegistryScanningConfiguration",
    "PutReplicationConfiguration",
    "SetRepositoryPolicy",
    "StartImageScan",
    "TagResource",
    "UntagResource",
    "UploadLayerPart",
];

/// moto's default account.
const ACCOUNT: &str = "123456789012";

const MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.container.image.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The modeled error code of a failed call (`None` if it did not fail with a
/// service error).
fn code<T: std::fmt::Debug, E: std::fmt::Debug>(result: &Result<T, Error<E>>) -> Option<&str> {
    match result {
        Err(Error::Service { meta, .. }) => meta.code.as_deref(),
        _ => None,
    }
}

fn repo(name: &str) -> CreateRepository {
    CreateRepository {
        repository_name: name.into(),
        ..Default::default()
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn by_tag(tag: &str) -> ImageIdentifier {
    ImageIdentifier {
        image_tag: Some(tag.into()),
        ..Default::default()
    }
}

fn by_digest(digest: &str) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: Some(digest.into()),
        ..Default::default()
    }
}

/// Uploads `blob` with the layer calls, in one part; returns its digest.
async fn upload_blob(client: &Client, repository: &str, blob: &[u8]) -> String {
    let upload_id = InitiateLayerUpload {
        registry_id: None,
        repository_name: repository.into(),
    }
    .send(client)
    .await
    .expect("InitiateLayerUpload")
    .upload_id
    .expect("uploadId");
    let part = UploadLayerPart {
        registry_id: None,
        repository_name: repository.into(),
        upload_id: upload_id.clone(),
        part_first_byte: 0,
        part_last_byte: blob.len() as i64 - 1,
        layer_part_blob: Bytes::copy_from_slice(blob),
    }
    .send(client)
    .await
    .expect("UploadLayerPart");
    assert_eq!(part.last_byte_received, Some(blob.len() as i64 - 1));
    let digest = sha256_digest(blob);
    let done = CompleteLayerUpload {
        registry_id: None,
        repository_name: repository.into(),
        upload_id,
        layer_digests: vec![digest.clone()],
    }
    .send(client)
    .await
    .expect("CompleteLayerUpload");
    assert_eq!(done.layer_digest.as_deref(), Some(digest.as_str()));
    digest
}

/// A Docker image manifest, schema 2, for a config and layers `(digest, size)`.
fn manifest(config: (&str, usize), layers: &[(&str, usize)]) -> String {
    let layers: Vec<_> = layers
        .iter()
        .map(|(digest, size)| {
            serde_json::json!({ "mediaType": LAYER_MEDIA_TYPE, "size": size, "digest": digest })
        })
        .collect();
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": { "mediaType": CONFIG_MEDIA_TYPE, "size": config.1, "digest": config.0 },
        "layers": layers,
    })
    .to_string()
}

/// A manifest whose blobs were never uploaded: `n` picks distinct digests.
fn fake_manifest(n: u8) -> String {
    let config = sha256_digest(&[n, 0]);
    let layer = sha256_digest(&[n, 1]);
    manifest((&config, 100 + n as usize), &[(&layer, 1000)])
}

async fn put_image(client: &Client, repository: &str, tag: Option<&str>, manifest: &str) -> Image {
    PutImage {
        repository_name: repository.into(),
        image_manifest: manifest.into(),
        image_tag: tag.map(Into::into),
        ..Default::default()
    }
    .send(client)
    .await
    .expect("PutImage")
    .image
    .expect("image")
}

/// Decodes standard base64 (the login token); `None` if it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories_settings_and_tags() {
    let moto = Moto::start();
    let client = moto.client();

    // Create with tags, scan on push, immutable tags and KMS encryption.
    let created = CreateRepository {
        repository_name: "team/app".into(),
        tags: Some(vec![tag("team", "core"), tag("env", "test")]),
        image_tag_mutability: Some(ImageTagMutability::Immutable),
        image_scanning_configuration: Some(ImageScanningConfiguration {
            scan_on_push: Some(true),
        }),
        encryption_configuration: Some(EncryptionConfiguration {
            encryption_type: EncryptionType::Kms,
            kms_key: None,
        }),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("CreateRepository")
    .repository
    .expect("repository");
    let arn = format!("arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app");
    assert_eq!(created.repository_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(created.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        created.repository_uri.as_deref(),
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app")
    );
    assert_eq!(
        created.image_tag_mutability,
        Some(ImageTagMutability::Immutable)
    );
    assert_eq!(
        created.image_scanning_configuration,
        Some(ImageScanningConfiguration {
            scan_on_push: Some(true)
        })
    );
    let encryption = created.encryption_configuration.expect("encryption");
    assert_eq!(encryption.encryption_type, EncryptionType::Kms);
    assert!(
        encryption
            .kms_key
            .as_deref()
            .is_some_and(|k| k.starts_with("arn:aws:kms:us-east-1:123456789012:key/")),
        "{encryption:?}"
    );
    let created_at = created.created_at.expect("createdAt").as_secs_f64();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - created_at).abs() < 600.0, "{created_at} vs {now}");

    // Defaults: mutable tags, AES256, no scan on push.
    let plain = repo("team/lib")
        .send(&client)
        .await
        .unwrap()
        .repository
        .unwrap();
    assert_eq!(
        plain.image_tag_mutability,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(
        plain.encryption_configuration.map(|e| e.encryption_type),
        Some(EncryptionType::Aes256)
    );

    let again = repo("team/app").send(&client).await;
    assert!(
        matches!(
            again,
            Err(Error::Service {
                error: CreateRepositoryError::RepositoryAlreadyExistsException(_),
                ..
            })
        ),
        "{again:?}"
    );

    // Describe by name, and an unknown name.
    let described = DescribeRepositories {
        repository_names: Some(vec!["team/app".into()]),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("DescribeRepositories")
    .repositories
    .unwrap_or_default();
    assert_eq!(described.len(), 1);
    assert_eq!(described[0].repository_arn.as_deref(), Some(arn.as_str()));
    let missing = DescribeRepositories {
        repository_names: Some(vec!["nope".into()]),
        ..Default::default()
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            &missing,
            Err(Error::Service {
                error: DescribeRepositoriesError::RepositoryNotFoundException(e),
                ..
            }) if e.message.as_deref().is_some_and(|m| m.contains("nope"))
        ),
        "{missing:?}"
    );

    // Tag mutability and scanning configuration.
    let mutability = PutImageTagMutability {
        repository_name: "team/app".into(),
        image_tag_mutability: ImageTagMutability::Mutable,
        registry_id: None,
        image_tag_mutability_exclusion_filters: None,
    }
    .send(&client)
    .await
    .expect("PutImageTagMutability");
    assert_eq!(
        mutability.image_tag_mutability,
        Some(ImageTagMutability::Mutable)
    );
    assert_eq!(mutability.repository_name.as_deref(), Some("team/app"));
    assert_eq!(mutability.registry_id.as_deref(), Some(ACCOUNT));
    let scanning = PutImageScanningConfiguration {
        registry_id: None,
        repository_name: "team/app".into(),
        image_scanning_configuration: ImageScanningConfiguration {
            scan_on_push: Some(false),
        },
    }
    .send(&client)
    .await
    .expect("PutImageScanningConfiguration");
    assert_eq!(
        scanning.image_scanning_configuration,
        Some(ImageScanningConfiguration {
            scan_on_push: Some(false)
        })
    );
    let now = DescribeRepositories {
        repository_names: Some(vec!["team/app".into()]),
        ..Default::default()
    }
    .send(&client)
    .await
    .unwrap()
    .repositories
    .unwrap()
    .remove(0);
    assert_eq!(now.image_tag_mutability, Some(ImageTagMutability::Mutable));
    assert_eq!(
        now.image_scanning_configuration
            .and_then(|c| c.scan_on_push),
        Some(false)
    );

    // Tags: the ones given at creation, then added, overwritten and removed.
    let list = |arn: String| async {
        let mut tags = ListTagsForResource { resource_arn: arn }
            .send(&client)
            .await
            .expect("ListTagsForResource")
            .tags
            .unwrap_or_default();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        tags
    };
    assert_eq!(
        list(arn.clone()).await,
        [tag("env", "test"), tag("team", "core")]
    );
    TagResource {
        resource_arn: arn.clone(),
        tags: vec![tag("env", "prod"), tag("owner", "me")],
    }
    .send(&client)
    .await
    .expect("TagResource");
    assert_eq!(
        list(arn.clone()).await,
        [tag("env", "prod"), tag("owner", "me"), tag("team", "core")]
    );
    UntagResource {
        resource_arn: arn.clone(),
        tag_keys: vec!["team".into(), "owner".into()],
    }
    .send(&client)
    .await
    .expect("UntagResource");
    assert_eq!(list(arn.clone()).await, [tag("env", "prod")]);
    let bad_arn = ListTagsForResource {
        resource_arn: "arn:aws:s3:::bucket".into(),
    }
    .send(&client)
    .await;
    assert_eq!(code(&bad_arn), Some("InvalidParameterException"));

    // Delete: an empty repository goes; the response describes it.
    let deleted = DeleteRepository {
        registry_id: None,
        repository_name: "team/lib".into(),
        force: None,
    }
    .send(&client)
    .await
    .expect("DeleteRepository")
    .repository
    .expect("repository");
    assert_eq!(deleted.repository_name.as_deref(), Some("team/lib"));
    let gone = DeleteRepository {
        registry_id: None,
        repository_name: "team/lib".into(),
        force: None,
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            gone,
            Err(Error::Service {
                error: DeleteRepositoryError::RepositoryNotFoundException(_),
                ..
            })
        ),
        "{gone:?}"
    );
    let names: Vec<_> = DescribeRepositories::default()
        .items(&client)
        .try_collect()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.repository_name)
        .collect();
    assert_eq!(names, ["team/app"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_and_images() {
    let moto = Moto::start();
    let client = moto.client();
    let name = "images/app";
    repo(name).send(&client).await.unwrap();

    // Upload a config blob and a layer, then push a manifest naming them.
    let config_blob =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer_blob = ecr_tests::random_bytes(3000, 11);
    let config_digest = upload_blob(&client, name, config_blob).await;
    let layer_digest = upload_blob(&client, name, &layer_blob).await;
    let check = BatchCheckLayerAvailability {
        registry_id: None,
        repository_name: name.into(),
        layer_digests: vec![
            config_digest.clone(),
            layer_digest.clone(),
            sha256_digest(b"never uploaded"),
        ],
    }
    .send(&client)
    .await
    .expect("BatchCheckLayerAvailability");
    let layers = check.layers.unwrap_or_default();
    assert_eq!(layers.len(), 2, "{layers:?}");
    assert_eq!(
        layers[1].layer_digest.as_deref(),
        Some(layer_digest.as_str())
    );
    assert_eq!(layers[1].layer_size, Some(3000));
    assert_eq!(
        layers[1].layer_availability,
        Some(LayerAvailability::Available)
    );
    let failures = check.failures.unwrap_or_default();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].failure_code,
        Some(LayerFailureCode::MissingLayerDigest)
    );

    let v1 = manifest(
        (&config_digest, config_blob.len()),
        &[(&layer_digest, layer_blob.len())],
    );
    let manifest_digest = sha256_digest(v1.as_bytes());
    let image = PutImage {
        repository_name: name.into(),
        image_manifest: v1.clone(),
        image_tag: Some("v1".into()),
        image_digest: Some(manifest_digest.clone()),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("PutImage")
    .image
    .expect("image");
    assert_eq!(image.repository_name.as_deref(), Some(name));
    assert_eq!(image.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(image.image_manifest.as_deref(), Some(v1.as_str()));
    assert_eq!(
        image.image_manifest_media_type.as_deref(),
        Some(MANIFEST_V2)
    );
    assert_eq!(
        image.image_id,
        Some(ImageIdentifier {
            image_digest: Some(manifest_digest.clone()),
            image_tag: Some("v1".into()),
        })
    );

    // The same manifest under a second tag is the same image; the same tag
    // again is ImageAlreadyExistsException.
    let latest = put_image(&client, name, Some("latest"), &v1).await;
    assert_eq!(
        latest.image_id.and_then(|i| i.image_digest),
        Some(manifest_digest.clone())
    );
    let again = PutImage {
        repository_name: name.into(),
        image_manifest: v1.clone(),
        image_tag: Some("v1".into()),
        ..Default::default()
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            &again,
            Err(Error::Service {
                error: PutImageError::ImageAlreadyExistsException(e),
                ..
            }) if e.message.as_deref().is_some_and(|m| m.contains("v1"))
        ),
        "{again:?}"
    );

    // moto does not check that a manifest's blobs exist (ECR would answer
    // LayersNotFoundException), and digests it from the layer digests.
    let unchecked = fake_manifest(1);
    let untagged = put_image(&client, name, None, &unchecked).await;
    let untagged_digest = untagged
        .image_id
        .and_then(|i| i.image_digest)
        .expect("digest");
    assert_eq!(
        untagged_digest,
        sha256_digest(sha256_digest(&[1, 1]).as_bytes()),
        "moto digests the joined layer digests"
    );

    // Describe: one image with two tags, one untagged.
    let mut details = DescribeImages {
        repository_name: name.into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .expect("DescribeImages")
    .image_details
    .unwrap_or_default();
    assert_eq!(details.len(), 2, "{details:?}");
    details.sort_by_key(|d| d.image_tags.is_none());
    let tagged = &details[0];
    assert_eq!(
        tagged.image_digest.as_deref(),
        Some(manifest_digest.as_str())
    );
    assert_eq!(
        tagged.image_tags.as_deref(),
        Some(&["v1".to_owned(), "latest".to_owned()][..])
    );
    assert_eq!(tagged.repository_name.as_deref(), Some(name));
    assert_eq!(
        tagged.image_manifest_media_type.as_deref(),
        Some(MANIFEST_V2)
    );
    // moto reports the config's size as the image size.
    assert_eq!(tagged.image_size_in_bytes, Some(config_blob.len() as i64));
    assert!(tagged.image_pushed_at.is_some());
    assert_eq!(details[1].image_tags, None);
    assert_eq!(
        details[1].image_digest.as_deref(),
        Some(untagged_digest.as_str())
    );
    let by_id = DescribeImages {
        repository_name: name.into(),
        image_ids: Some(vec![by_tag("latest")]),
        ..Default::default()
    }
    .send(&client)
    .await
    .unwrap()
    .image_details
    .unwrap_or_default();
    assert_eq!(by_id.len(), 1);
    assert_eq!(
        by_id[0].image_digest.as_deref(),
        Some(manifest_digest.as_str())
    );
    let no_such = DescribeImages {
        repository_name: name.into(),
        image_ids: Some(vec![by_tag("v9")]),
        ..Default::default()
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            no_such,
            Err(Error::Service {
                error: DescribeImagesError::ImageNotFoundException(_),
                ..
            })
        ),
        "{no_such:?}"
    );

    // List: every (digest, tag) pair; filtered by tag status.
    let list = |status: Option<TagStatus>| {
        ListImages {
            repository_name: name.into(),
            filter: status.map(|s| ListImagesFilter {
                tag_status: Some(s),
                image_status: None,
            }),
            ..Default::default()
        }
        .items(&client)
        .try_collect()
    };
    let all = list(None).await.expect("ListImages");
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.contains(&ImageIdentifier {
        image_digest: Some(manifest_digest.clone()),
        image_tag: Some("latest".into()),
    }));
    assert!(all.contains(&by_digest(&untagged_digest)));
    let untagged_only = list(Some(TagStatus::Untagged)).await.unwrap();
    assert_eq!(untagged_only, [by_digest(&untagged_digest)]);
    assert_eq!(list(Some(TagStatus::Tagged)).await.unwrap().len(), 2);

    // BatchGetImage: found by tag and by digest; a failure for the unknown.
    let got = BatchGetImage {
        registry_id: None,
        repository_name: name.into(),
        image_ids: vec![by_tag("v1"), by_digest(&untagged_digest), by_tag("v9")],
        accepted_media_types: Some(vec![MANIFEST_V2.into()]),
    }
    .send(&client)
    .await
    .expect("BatchGetImage");
    let images = got.images.unwrap_or_default();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].image_manifest.as_deref(), Some(v1.as_str()));
    assert_eq!(
        images[1].image_manifest.as_deref(),
        Some(unchecked.as_str())
    );
    let failures = got.failures.unwrap_or_default();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].failure_code,
        Some(ImageFailureCode::ImageNotFound)
    );
    assert_eq!(failures[0].image_id, Some(by_tag("v9")));

    // A repository with images is not deleted without force.
    let busy = DeleteRepository {
        registry_id: None,
        repository_name: name.into(),
        force: None,
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            busy,
            Err(Error::Service {
                error: DeleteRepositoryError::RepositoryNotEmptyException(_),
                ..
            })
        ),
        "{busy:?}"
    );

    // BatchDeleteImage: one tag of two leaves the image; a bad digest and an
    // unknown tag are failures.
    let deleted = BatchDeleteImage {
        registry_id: None,
        repository_name: name.into(),
        image_ids: vec![by_tag("latest"), by_digest("sha256:nothex"), by_tag("v9")],
    }
    .send(&client)
    .await
    .expect("BatchDeleteImage");
    assert_eq!(
        deleted.image_ids.unwrap_or_default(),
        [ImageIdentifier {
            image_digest: Some(manifest_digest.clone()),
            image_tag: Some("latest".into()),
        }]
    );
    let mut codes: Vec<_> = deleted
        .failures
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.failure_code)
        .collect();
    codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(
        codes,
        [
            ImageFailureCode::ImageNotFound,
            ImageFailureCode::InvalidImageDigest
        ]
    );
    BatchDeleteImage {
        registry_id: None,
        repository_name: name.into(),
        image_ids: vec![by_digest(&manifest_digest), by_digest(&untagged_digest)],
    }
    .send(&client)
    .await
    .expect("BatchDeleteImage by digest");
    assert!(list(None).await.unwrap().is_empty());

    // With force, a repository holding images goes.
    put_image(&client, name, Some("v2"), &fake_manifest(2)).await;
    let forced = DeleteRepository {
        registry_id: None,
        repository_name: name.into(),
        force: Some(true),
    }
    .send(&client)
    .await
    .expect("DeleteRepository force");
    assert_eq!(
        forced.repository.and_then(|r| r.repository_name).as_deref(),
        Some(name)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immutable_tags() {
    let moto = Moto::start();
    let client = moto.client();
    CreateRepository {
        image_tag_mutability: Some(ImageTagMutability::Immutable),
        ..repo("locked")
    }
    .send(&client)
    .await
    .unwrap();
    put_image(&client, "locked", Some("v1"), &fake_manifest(1)).await;
    let overwrite = PutImage {
        repository_name: "locked".into(),
        image_manifest: fake_manifest(2),
        image_tag: Some("v1".into()),
        ..Default::default()
    }
    .send(&client)
    .await;
    // ECR answers ImageTagAlreadyExistsException; moto the older code.
    assert!(
        matches!(
            overwrite,
            Err(Error::Service {
                error: PutImageError::ImageAlreadyExistsException(_),
                ..
            })
        ),
        "{overwrite:?}"
    );
    // Mutable again: the tag moves to the new image.
    PutImageTagMutability {
        registry_id: None,
        repository_name: "locked".into(),
        image_tag_mutability: ImageTagMutability::Mutable,
        image_tag_mutability_exclusion_filters: None,
    }
    .send(&client)
    .await
    .unwrap();
    let moved = put_image(&client, "locked", Some("v1"), &fake_manifest(2)).await;
    let images = DescribeImages {
        repository_name: "locked".into(),
        ..Default::default()
    }
    .items(&client)
    .try_collect()
    .await
    .unwrap();
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(
        images[0].image_digest,
        moved.image_id.and_then(|i| i.image_digest)
    );
}

/// A proxy in front of moto that answers `ListImages`, `DescribeImages` and
/// `DescribeRepositories` in pages of `maxResults`, with `nextToken`s, by
/// slicing moto's complete answer: moto 5.2.5 ignores both parameters. Every
/// other call passes through unchanged.
struct PagingProxy {
    endpoint: String,
    /// Requests served.
    calls: Arc<AtomicUsize>,
}

impl PagingProxy {
    async fn start(upstream: &str) -> PagingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(Self::serve(socket, upstream.clone()));
            }
        });
        PagingProxy { endpoint, calls }
    }

    /// Reads one HTTP/1.1 message: its head lines and body.
    async fn read_message(socket: &mut TcpStream) -> Option<(Vec<String>, Vec<u8>)> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head: Vec<String> = String::from_utf8_lossy(&buf[..end])
            .split("\r\n")
            .map(str::to_owned)
            .collect();
        let len = head
            .iter()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            let n = socket.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some((head, buf[end + 4..end + 4 + len].to_vec()))
    }

    fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
        head.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Head lines without the framing headers, which are rewritten.
    fn without_framing(head: &[String]) -> impl Iterator<Item = &String> {
        head.iter().skip(1).filter(|l| {
            let k = l.split(':').next().unwrap_or("").to_ascii_lowercase();
            !matches!(
                k.as_str(),
                "content-length" | "connection" | "transfer-encoding" | "keep-alive"
            )
        })
    }

    async fn serve(mut socket: TcpStream, upstream: String) {
        let Some((head, body)) = Self::read_message(&mut socket).await else {
            return;
        };
        let target = Self::header(&head, "x-amz-target").unwrap_or("").to_owned();
        let key = match target.rsplit('.').next() {
            Some("ListImages") => Some("imageIds"),
            Some("DescribeImages") => Some("imageDetails"),
            Some("DescribeRepositories") => Some("repositories"),
            _ => None,
        };
        let mut request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (mut offset, mut size) = (0usize, usize::MAX);
        let body = match (key, request.as_object_mut()) {
            (Some(_), Some(fields)) => {
                if let Some(token) = fields.remove("nextToken") {
                    offset = token
                        .as_str()
                        .and_then(|t| t.strip_prefix("offset-"))
                        .unwrap()
                        .parse()
                        .unwrap();
                }
                if let Some(max) = fields.remove("maxResults") {
                    size = max.as_u64().unwrap() as usize;
                }
                request.to_string().into_bytes()
            }
            _ => body,
        };
        // Forward, with the client's headers (moto reads the region from the
        // signature's scope), on a connection of its own.
        let Ok(mut up) = TcpStream::connect(&upstream).await else {
            return;
        };
        let mut out = format!("{}\r\n", head[0]);
        for line in Self::without_framing(&head) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&body);
        if up.write_all(&bytes).await.is_err() {
            return;
        }
        let Some((reply_head, reply)) = Self::read_message(&mut up).await else {
            return;
        };
        let ok = reply_head[0].split(' ').nth(1) == Some("200");
        let reply = match key {
            Some(key) if ok => {
                let mut page: serde_json::Value = serde_json::from_slice(&reply).unwrap();
                let all = page[key].as_array().cloned().unwrap_or_default();
                let end = offset.saturating_add(size).min(all.len());
                page[key] = all[offset.min(end)..end].to_vec().into();
                if end < all.len() {
                    page["nextToken"] = format!("offset-{end}").into();
                }
                page.to_string().into_bytes()
            }
            _ => reply,
        };
        let mut out = format!("{}\r\n", reply_head[0]);
        for line in Self::without_framing(&reply_head) {
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            reply.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&reply);
        let _ = socket.write_all(&bytes).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginators_walk_pages() {
    let moto = Moto::start();
    let client = moto.client();
    for i in 0..5 {
        repo(&format!("pages/repo-{i}"))
            .send(&client)
            .await
            .unwrap();
    }
    for i in 0..5u8 {
        let tag = format!("v{i}");
        put_image(&client, "pages/repo-0", Some(&tag), &fake_manifest(i)).await;
    }

    // moto itself answers in one page whatever maxResults says.
    let direct = DescribeRepositories {
        max_results: Some(2),
        ..Default::default()
    }
    .pages(&client)
    .try_collect()
    .await
    .unwrap();
    assert_eq!(direct.len(), 1);
    assert_eq!(direct[0].repositories.as_ref().map(Vec::len), Some(5));
    assert_eq!(direct[0].next_token, None);

    // Through the paging proxy: pages of 2, 2 and 1, tokens followed.
    let proxy = PagingProxy::start(&moto.endpoint).await;
    let paged = ecr_tests::client_for(&proxy.endpoint);
    let pages = DescribeRepositories {
        max_results: Some(2),
        ..Default::default()
    }
    .pages(&paged)
    .try_collect()
    .await
    .expect("DescribeRepositories pages");
    let sizes: Vec<_> = pages
        .iter()
        .map(|p| p.repositories.as_ref().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(pages[0].next_token.as_deref(), Some("offset-2"));
    assert_eq!(proxy.calls.load(Ordering::SeqCst), 3);
    let mut names: Vec<_> = paged
        .paginate(DescribeRepositories {
            max_results: Some(2),
            ..Default::default()
        })
        .items()
        .try_collect()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.repository_name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        (0..5)
            .map(|i| format!("pages/repo-{i}"))
            .collect::<Vec<_>>()
    );

    // ListImages: five image ids in three pages.
    let mut ids = ListImages {
        repository_name: "pages/repo-0".into(),
        max_results: Some(2),
        ..Default::default()
    }
    .items(&paged);
    let mut tags = Vec::new();
    while let Some(id) = ids.next().await {
        tags.extend(id.expect("ListImages item").image_tag);
    }
    tags.sort();
    assert_eq!(tags, ["v0", "v1", "v2", "v3", "v4"]);
    assert_eq!(proxy.calls.load(Ordering::SeqCst), 9);

    // DescribeImages: pages of 2 through the page stream, as the same details
    // moto gives in one call.
    let mut pages = DescribeImages {
        repository_name: "pages/repo-0".into(),
        max_results: Some(2),
        ..Default::default()
    }
    .pages(&paged);
    let mut details = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        details.extend(page.expect("DescribeImages page").image_details.unwrap());
        count += 1;
    }
    assert_eq!(count, 3);
    let whole = DescribeImages {
        repository_name: "pages/repo-0".into(),
        ..Default::default()
    }
    .send(&client)
    .await
    .unwrap()
    .image_details
    .unwrap();
    let digests = |d: &[ImageDetail]| d.iter().map(|d| d.image_digest.clone()).collect::<Vec<_>>();
    assert_eq!(digests(&details), digests(&whole));

    // An error on the first page is the stream's only item.
    let mut missing = ListImages {
        repository_name: "pages/none".into(),
        max_results: Some(2),
        ..Default::default()
    }
    .items(&paged);
    let first = missing.next().await.expect("one item");
    assert!(
        matches!(
            first,
            Err(Error::Service {
                error: ListImagesError::RepositoryNotFoundException(_),
                ..
            })
        ),
        "{first:?}"
    );
    assert!(missing.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_registry_and_lifecycle_policies() {
    let moto = Moto::start();
    let client = moto.client();
    repo("policies/app").send(&client).await.unwrap();

    // Repository policy.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
    let none = GetRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            none,
            Err(Error::Service {
                error: GetRepositoryPolicyError::RepositoryPolicyNotFoundException(_),
                ..
            })
        ),
        "{none:?}"
    );
    let set = SetRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
        policy_text: policy.into(),
        force: Some(false),
    }
    .send(&client)
    .await
    .expect("SetRepositoryPolicy");
    assert_eq!(set.policy_text.as_deref(), Some(policy));
    assert_eq!(set.registry_id.as_deref(), Some(ACCOUNT));
    let got = GetRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await
    .expect("GetRepositoryPolicy");
    assert_eq!(got.policy_text.as_deref(), Some(policy));
    assert_eq!(got.repository_name.as_deref(), Some("policies/app"));
    let malformed = SetRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
        policy_text: r#"{"Statement": "nope"}"#.into(),
        force: None,
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            malformed,
            Err(Error::Service {
                error: SetRepositoryPolicyError::InvalidParameterException(_),
                ..
            })
        ),
        "{malformed:?}"
    );
    let deleted = DeleteRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await
    .expect("DeleteRepositoryPolicy");
    assert_eq!(deleted.policy_text.as_deref(), Some(policy));
    let again = DeleteRepositoryPolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await;
    assert_eq!(code(&again), Some("RepositoryPolicyNotFoundException"));

    // Registry policy (only CreateRepository and ReplicateImage are allowed).
    let registry_policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"replication","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["ecr:CreateRepository","ecr:ReplicateImage"],"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/*"}]}"#;
    let none = GetRegistryPolicy.send(&client).await;
    assert!(
        matches!(
            none,
            Err(Error::Service {
                error: GetRegistryPolicyError::RegistryPolicyNotFoundException(_),
                ..
            })
        ),
        "{none:?}"
    );
    let put = PutRegistryPolicy {
        policy_text: registry_policy.into(),
    }
    .send(&client)
    .await
    .expect("PutRegistryPolicy");
    assert_eq!(put.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(put.policy_text.as_deref(), Some(registry_policy));
    let got = GetRegistryPolicy
        .send(&client)
        .await
        .expect("GetRegistryPolicy");
    assert_eq!(got.policy_text.as_deref(), Some(registry_policy));
    let wrong_action = PutRegistryPolicy {
        policy_text: registry_policy.replace("ecr:ReplicateImage", "ecr:PutImage"),
    }
    .send(&client)
    .await;
    assert_eq!(code(&wrong_action), Some("InvalidParameterException"));
    let deleted = DeleteRegistryPolicy
        .send(&client)
        .await
        .expect("DeleteRegistryPolicy");
    assert_eq!(deleted.policy_text.as_deref(), Some(registry_policy));
    assert_eq!(
        code(&DeleteRegistryPolicy.send(&client).await),
        Some("RegistryPolicyNotFoundException")
    );

    // Lifecycle policy.
    let lifecycle = r#"{"rules":[{"rulePriority":1,"description":"expire untagged after 14 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
    let none = GetLifecyclePolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            none,
            Err(Error::Service {
                error: GetLifecyclePolicyError::LifecyclePolicyNotFoundException(_),
                ..
            })
        ),
        "{none:?}"
    );
    let put = PutLifecyclePolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
        lifecycle_policy_text: lifecycle.into(),
    }
    .send(&client)
    .await
    .expect("PutLifecyclePolicy");
    assert_eq!(put.lifecycle_policy_text.as_deref(), Some(lifecycle));
    assert_eq!(put.repository_name.as_deref(), Some("policies/app"));
    let got = GetLifecyclePolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await
    .expect("GetLifecyclePolicy");
    assert_eq!(got.lifecycle_policy_text.as_deref(), Some(lifecycle));
    assert!(got.last_evaluated_at.is_some());
    let invalid = PutLifecyclePolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
        lifecycle_policy_text: lifecycle.replace("\"expire\"", "\"explode\""),
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            invalid,
            Err(Error::Service {
                error: PutLifecyclePolicyError::InvalidParameterException(_),
                ..
            })
        ),
        "{invalid:?}"
    );
    let deleted = DeleteLifecyclePolicy {
        registry_id: None,
        repository_name: "policies/app".into(),
    }
    .send(&client)
    .await
    .expect("DeleteLifecyclePolicy");
    assert_eq!(deleted.lifecycle_policy_text.as_deref(), Some(lifecycle));
    assert_eq!(
        code(
            &DeleteLifecyclePolicy {
                registry_id: None,
                repository_name: "policies/app".into(),
            }
            .send(&client)
            .await
        ),
        Some("LifecyclePolicyNotFoundException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_and_the_scan_waiter() {
    let moto = Moto::start();
    let client = moto.client();

    // Registry scanning: enhanced, continuous for `prod*` repositories.
    let before = GetRegistryScanningConfiguration
        .send(&client)
        .await
        .expect("GetRegistryScanningConfiguration");
    assert_eq!(before.registry_id.as_deref(), Some(ACCOUNT));
    let before = before.scanning_configuration.expect("configuration");
    assert_eq!(before.scan_type, Some(ScanType::Basic));
    assert_eq!(before.rules.as_deref(), Some(&[][..]));
    let rule = RegistryScanningRule {
        scan_frequency: ScanFrequency::ContinuousScan,
        repository_filters: vec![ScanningRepositoryFilter {
            filter: "prod*".into(),
            filter_type: ScanningRepositoryFilterType::Wildcard,
        }],
    };
    let put = PutRegistryScanningConfiguration {
        scan_type: Some(ScanType::Enhanced),
        rules: Some(vec![rule.clone()]),
    }
    .send(&client)
    .await
    .expect("PutRegistryScanningConfiguration")
    .registry_scanning_configuration
    .expect("configuration");
    assert_eq!(put.scan_type, Some(ScanType::Enhanced));
    assert_eq!(put.rules, Some(vec![rule.clone()]));
    let after = GetRegistryScanningConfiguration
        .send(&client)
        .await
        .unwrap()
        .scanning_configuration
        .unwrap();
    assert_eq!(after.scan_type, Some(ScanType::Enhanced));
    assert_eq!(after.rules, Some(vec![rule.clone()]));

    repo("prod-app").send(&client).await.unwrap();
    repo("dev-app").send(&client).await.unwrap();
    let configs = BatchGetRepositoryScanningConfiguration {
        repository_names: vec!["prod-app".into(), "dev-app".into(), "missing".into()],
    }
    .send(&client)
    .await
    .expect("BatchGetRepositoryScanningConfiguration");
    let scanning = configs.scanning_configurations.unwrap_or_default();
    assert_eq!(scanning.len(), 2);
    assert_eq!(scanning[0].repository_name.as_deref(), Some("prod-app"));
    assert_eq!(
        scanning[0].scan_frequency,
        Some(ScanFrequency::ContinuousScan)
    );
    assert_eq!(
        scanning[0].applied_scan_filters,
        Some(rule.repository_filters.clone())
    );
    assert_eq!(scanning[1].scan_frequency, Some(ScanFrequency::Manual));
    assert_eq!(scanning[1].scan_on_push, Some(false));
    let failures = configs.failures.unwrap_or_default();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].repository_name.as_deref(), Some("missing"));
    assert_eq!(
        failures[0].failure_code,
        Some(ScanningConfigurationFailureCode::RepositoryNotFound)
    );

    // Image scan: no findings before a scan, then one scan a day.
    let image = put_image(&client, "prod-app", Some("v1"), &fake_manifest(7)).await;
    let digest = image.image_id.and_then(|i| i.image_digest).unwrap();
    let findings = DescribeImageScanFindings {
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
        ..Default::default()
    };
    let early = findings.clone().send(&client).await;
    assert!(
        matches!(
            early,
            Err(Error::Service {
                error: DescribeImageScanFindingsError::ScanNotFoundException(_),
                ..
            })
        ),
        "{early:?}"
    );
    let started = StartImageScan {
        registry_id: None,
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
    }
    .send(&client)
    .await
    .expect("StartImageScan");
    assert_eq!(
        started.image_scan_status.and_then(|s| s.status),
        Some(ScanStatus::InProgress)
    );
    assert_eq!(
        started.image_id.and_then(|i| i.image_digest).as_deref(),
        Some(digest.as_str())
    );
    let twice = StartImageScan {
        registry_id: None,
        repository_name: "prod-app".into(),
        image_id: by_tag("v1"),
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            twice,
            Err(Error::Service {
                error: StartImageScanError::LimitExceededException(_),
                ..
            })
        ),
        "{twice:?}"
    );

    // The waiter: moto completes scans at once.
    let config = WaiterConfig::IMAGE_SCAN_COMPLETE
        .with_delay(std::time::Duration::from_millis(100))
        .with_max_wait(std::time::Duration::from_secs(10));
    let done = image_scan_complete(&client, &findings, config)
        .await
        .expect("ImageScanComplete");
    let status = done.image_scan_status.expect("status");
    assert_eq!(status.status, Some(ScanStatus::Complete));
    assert!(status.description.is_some());
    let summary = done.image_scan_findings.expect("findings");
    assert!(summary.image_scan_completed_at.is_some());
    assert_eq!(
        summary
            .finding_severity_counts
            .as_ref()
            .and_then(|c| c.get("HIGH")),
        Some(&1)
    );

    // The findings paginator: moto's one canned finding.
    let items = findings
        .clone()
        .items(&client)
        .try_collect()
        .await
        .expect("findings");
    assert_eq!(items.len(), 1, "{items:?}");
    match &items[0] {
        DescribeImageScanFindingsItem::Finding(f) => {
            assert_eq!(f.name.as_deref(), Some("CVE-9999-9999"));
            assert_eq!(f.severity, Some(FindingSeverity::High));
            let attributes = f.attributes.as_deref().unwrap_or_default();
            assert!(
                attributes
                    .iter()
                    .any(|a| a.key == "package_name" && a.value.as_deref() == Some("moto_fake")),
                "{attributes:?}"
            );
        }
        other => panic!("expected a basic finding, got {other:?}"),
    }

    // Unknown image: a typed error from the waiter's operation.
    let missing = DescribeImageScanFindings {
        image_id: by_tag("v9"),
        ..findings
    };
    let err = image_scan_complete(&client, &missing, config)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ecrkit::waiters::WaiterError::Operation {
                source: Error::Service {
                    error: DescribeImageScanFindingsError::ImageNotFoundException(_),
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_replication_and_login() {
    let moto = Moto::start();
    let client = moto.client();

    let registry = DescribeRegistry
        .send(&client)
        .await
        .expect("DescribeRegistry");
    assert_eq!(registry.registry_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        registry.replication_configuration,
        Some(ReplicationConfiguration { rules: vec![] })
    );

    let replication = ReplicationConfiguration {
        rules: vec![ReplicationRule {
            destinations: vec![ReplicationDestination {
                region: "eu-west-1".into(),
                registry_id: ACCOUNT.into(),
            }],
            repository_filters: Some(vec![RepositoryFilter {
                filter: "prod".into(),
                filter_type: RepositoryFilterType::PrefixMatch,
            }]),
            delete_replication: None,
        }],
    };
    let put = PutReplicationConfiguration {
        replication_configuration: replication.clone(),
    }
    .send(&client)
    .await
    .expect("PutReplicationConfiguration");
    assert_eq!(put.replication_configuration, Some(replication.clone()));
    let registry = DescribeRegistry.send(&client).await.unwrap();
    assert_eq!(registry.replication_configuration, Some(replication));
    let to_self = PutReplicationConfiguration {
        replication_configuration: ReplicationConfiguration {
            rules: vec![ReplicationRule {
                destinations: vec![ReplicationDestination {
                    region: "us-east-1".into(),
                    registry_id: ACCOUNT.into(),
                }],
                repository_filters: None,
                delete_replication: None,
            }],
        },
    }
    .send(&client)
    .await;
    assert!(
        matches!(
            &to_self,
            Err(Error::Service {
                error: PutReplicationConfigurationError::InvalidParameterException(e),
                ..
            }) if e.message.as_deref().is_some_and(|m| m.contains("same as the source"))
        ),
        "{to_self:?}"
    );

    // Login: base64 of `AWS:<password>`, per registry.
    let auth = GetAuthorizationToken::default()
        .send(&client)
        .await
        .expect("GetAuthorizationToken")
        .authorization_data
        .unwrap_or_default();
    assert_eq!(auth.len(), 1);
    let token = auth[0].authorization_token.as_deref().expect("token");
    let decoded = String::from_utf8(base64_decode(token).expect("base64")).unwrap();
    let (user, password) = decoded.split_once(':').expect("user:password");
    assert_eq!(user, "AWS");
    assert_eq!(password, "123456789012-auth-token");
    assert_eq!(
        auth[0].proxy_endpoint.as_deref(),
        Some("https://123456789012.dkr.ecr.us-east-1.amazonaws.com")
    );
    assert_eq!(
        auth[0].expires_at.map(|t| t.as_secs_f64()),
        Some(1_420_070_400.0),
        "moto's fixed expiry, 2015-01-01"
    );
    let two = GetAuthorizationToken {
        registry_ids: Some(vec![ACCOUNT.into(), "210987654321".into()]),
    }
    .send(&client)
    .await
    .unwrap()
    .authorization_data
    .unwrap_or_default();
    let passwords: Vec<_> = two
        .iter()
        .map(|a| {
            let raw = base64_decode(a.authorization_token.as_deref().unwrap()).unwrap();
            String::from_utf8(raw).unwrap()
        })
        .collect();
    assert_eq!(
        passwords,
        ["AWS:123456789012-auth-token", "AWS:210987654321-auth-token"]
    );
}

/// Sends the request read from `$json` as operation `$op` and asserts moto's
/// answer to an operation it does not implement.
macro_rules! not_implemented {
    ($client:expr, $op:ident, $json:expr) => {{
        let request: $op = ecrkit::protocol::from_json($json.as_bytes())
            .unwrap_or_else(|e| panic!("{}: bad request JSON: {e}", stringify!($op)));
        match request.send($client).await {
            Err(Error::Service { error, meta }) => {
                assert_eq!(meta.status, 500, "{}: {meta:?}", stringify!($op));
                assert_eq!(meta.code, None, "{}: {meta:?}", stringify!($op));
                assert_eq!(ecrkit::OperationError::code(&error), "");
                assert!(
                    format!("{error:?}").starts_with("Unmodeled("),
                    "{}: {error:?}",
                    stringify!($op)
                );
            }
            other => panic!("{}: expected HTTP 500, got {other:?}", stringify!($op)),
        }
        stringify!($op)
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_moto_does_not_implement() {
    let moto = Moto::start();
    // One attempt: moto's 500 is retryable, and retrying it only costs time.
    let client = Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(&moto.endpoint)
            .with_credentials(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .with_max_attempts(1)
            .build(),
    );
    let c = &client;
    repo("app").send(c).await.unwrap();
    let digest = sha256_digest(b"layer");
    let image = format!(r#"{{"imageDigest": "{digest}"}}"#);
    let arn = "arn:aws:iam::123456789012:role/ecr";
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub";
    let done = [
        not_implemented!(
            c,
            CreatePullThroughCacheRule,
            &format!(
                r#"{{"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io", "upstreamRegistry": "docker-hub", "credentialArn": "{secret}"}}"#
            )
        ),
        not_implemented!(
            c,
            CreateRepositoryCreationTemplate,
            r#"{"prefix": "team", "appliedFor": ["REPLICATION"]}"#
        ),
        not_implemented!(
            c,
            DeletePullThroughCacheRule,
            r#"{"ecrRepositoryPrefix": "hub"}"#
        ),
        not_implemented!(c, DeleteRepositoryCreationTemplate, r#"{"prefix": "team"}"#),
        not_implemented!(c, DeleteSigningConfiguration, "{}"),
        not_implemented!(
            c,
            DeregisterPullTimeUpdateExclusion,
            &format!(r#"{{"principalArn": "{arn}"}}"#)
        ),
        not_implemented!(
            c,
            DescribeImageReplicationStatus,
            &format!(r#"{{"repositoryName": "app", "imageId": {image}}}"#)
        ),
        not_implemented!(
            c,
            DescribeImageSigningStatus,
            &format!(r#"{{"repositoryName": "app", "imageId": {image}}}"#)
        ),
        not_implemented!(c, DescribePullThroughCacheRules, "{}"),
        not_implemented!(
            c,
            DescribeReplicationBackfillResults,
            r#"{"replicationBackfillId": "01234567-89ab-cdef-0123-456789abcdef"}"#
        ),
        not_implemented!(c, DescribeRepositoryCreationTemplates, "{}"),
        not_implemented!(
            c,
            GetAccountSetting,
            r#"{"name": "BASIC_SCAN_TYPE_VERSION"}"#
        ),
        not_implemented!(
            c,
            GetDownloadUrlForLayer,
            &format!(r#"{{"repositoryName": "app", "layerDigest": "{digest}"}}"#)
        ),
        not_implemented!(c, GetLifecyclePolicyPreview, r#"{"repositoryName": "app"}"#),
        not_implemented!(c, GetSigningConfiguration, "{}"),
        not_implemented!(
            c,
            ListImageReferrers,
            &format!(r#"{{"repositoryName": "app", "subjectId": {image}}}"#)
        ),
        not_implemented!(c, ListPullTimeUpdateExclusions, "{}"),
        not_implemented!(c, ListReplicationBackfills, "{}"),
        not_implemented!(
            c,
            PutAccountSetting,
            r#"{"name": "BASIC_SCAN_TYPE_VERSION", "value": "AWS_NATIVE"}"#
        ),
        not_implemented!(
            c,
            PutSigningConfiguration,
            r#"{"signingConfiguration": {"rules": [{"signingProfileArn": "arn:aws:signer:us-east-1:123456789012:/signing-profiles/ecr"}]}}"#
        ),
        not_implemented!(
            c,
            RegisterPullTimeUpdateExclusion,
            &format!(r#"{{"principalArn": "{arn}"}}"#)
        ),
        not_implemented!(
            c,
            StartLifecyclePolicyPreview,
            r#"{"repositoryName": "app"}"#
        ),
        not_implemented!(
            c,
            StartReplicationBackfill,
            &format!(r#"{{"destination": {{"region": "eu-west-1", "registryId": "{ACCOUNT}"}}}}"#)
        ),
        not_implemented!(
            c,
            StopReplicationBackfill,
            r#"{"replicationBackfillId": "01234567-89ab-cdef-0123-456789abcdef"}"#
        ),
        not_implemented!(
            c,
            UpdateImageStorageClass,
            &format!(
                r#"{{"repositoryName": "app", "imageId": {image}, "targetStorageClass": "ARCHIVE"}}"#
            )
        ),
        not_implemented!(
            c,
            UpdatePullThroughCacheRule,
            &format!(r#"{{"ecrRepositoryPrefix": "hub", "credentialArn": "{secret}"}}"#)
        ),
        not_implemented!(
            c,
            UpdateRepositoryCreationTemplate,
            r#"{"prefix": "team", "description": "team repositories"}"#
        ),
        not_implemented!(
            c,
            ValidatePullThroughCacheRule,
            r#"{"ecrRepositoryPrefix": "hub"}"#
        ),
    ];
    // The two lists cover the model's operations exactly.
    let mut listed: Vec<&str> = done.iter().chain(&IMPLEMENTED).copied().collect();
    listed.sort_unstable();
    let all: Vec<&str> = OPERATIONS.iter().map(|s| s.name).collect();
    assert_eq!(listed, all);
    assert_eq!((done.len(), IMPLEMENTED.len(), all.len()), (28, 34, 62));
}
