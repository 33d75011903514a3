//! Layers and images: uploads, put, batch get and delete, describe, list; immutable tags.

use super::*;

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
