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
//!   paginators walk real pages through `PagingProxy` (in `support/`), which slices moto's
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
//! waiters' tests in `tests/waiters.rs` cover both waiters against
//! a scripted server.)

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ecr_tests::paging_proxy::PagingProxy;
use ecr_tests::{Moto, sha256_digest};
use ecrkit::ecr::*;
use ecrkit::waiters::{WaiterConfig, image_scan_complete};
use ecrkit::{Client, Config, Credentials, Error};

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

mod images;
mod not_implemented;
mod pagination;
mod policies;
mod registry;
mod repositories;
mod scanning;
