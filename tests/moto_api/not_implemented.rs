//! The operations moto does not implement: each answers HTTP 500 with an HTML page.

use super::*;

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
