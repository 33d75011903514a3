//! Repositories: create, describe, settings and tags.

use super::*;

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
