//! Repository and registry policies, lifecycle policies.

use super::*;

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
