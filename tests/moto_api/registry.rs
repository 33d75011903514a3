//! Registry settings, replication and the login token.

use super::*;

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
