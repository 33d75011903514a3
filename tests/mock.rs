//! `ecrkit::mock` (feature `test-util`): rules chosen by a predicate on the
//! typed request, canned outputs and modeled errors, sequences, the two rule
//! modes, every request recorded, validation before the rules, and nothing
//! on the network (the clients have no endpoint that could answer).

use ecrkit::ecr::{
    CreateRepository, CreateRepositoryError, CreateRepositoryResponse, DescribeImages,
    DescribeRepositories, DescribeRepositoriesError, DescribeRepositoriesResponse,
    LimitExceededException, Repository, RepositoryAlreadyExistsException,
    RepositoryNotFoundException,
};
use ecrkit::mock::{Mocks, RecordedRequest, RuleMode, mock, mock_client};
use ecrkit::{Error, OperationError};

fn repository(name: &str) -> Repository {
    Repository {
        repository_name: Some(name.to_owned()),
        repository_uri: Some(format!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}"
        )),
        ..Default::default()
    }
}

fn named(names: &[&str]) -> DescribeRepositories {
    DescribeRepositories {
        repository_names: Some(names.iter().map(|n| n.to_string()).collect()),
        ..Default::default()
    }
}

fn create(name: &str) -> CreateRepository {
    CreateRepository {
        repository_name: name.to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn predicates_choose_the_rule_and_requests_are_recorded() {
    let app = mock!(DescribeRepositories)
        .match_requests(|r| r.repository_names.as_deref() == Some(&["app".to_owned()][..]))
        .then_output(|| DescribeRepositoriesResponse {
            repositories: Some(vec![repository("app")]),
            ..Default::default()
        });
    let missing = mock!(DescribeRepositories).then_error(|| {
        DescribeRepositoriesError::RepositoryNotFoundException(RepositoryNotFoundException {
            message: Some("The repository with name 'gone' does not exist".into()),
        })
    });
    let mocks = Mocks::new(RuleMode::MatchAny)
        .with_rule(&app)
        .with_rule(&missing);
    let client = mocks.client();

    for _ in 0..3 {
        let out = named(&["app"]).send(&client).await.unwrap();
        assert_eq!(
            out.repositories.unwrap()[0].repository_name.as_deref(),
            Some("app")
        );
    }
    match named(&["gone"]).send(&client).await {
        Err(Error::Service { error, meta }) => {
            assert!(matches!(
                error,
                DescribeRepositoriesError::RepositoryNotFoundException(_)
            ));
            assert_eq!(error.code(), "RepositoryNotFoundException");
            assert_eq!(meta.status, 400);
            assert_eq!(meta.code.as_deref(), Some("RepositoryNotFoundException"));
            assert!(meta.request_id.is_some(), "errors keep a request id");
        }
        other => panic!("expected the modeled error, got {other:?}"),
    }
    assert_eq!((app.num_calls(), missing.num_calls()), (3, 1));
    assert_eq!(app.requests(), vec![named(&["app"]); 3]);
    assert_eq!(missing.requests(), vec![named(&["gone"])]);
    assert!(
        !app.is_exhausted(),
        "then_output answers for ever in MatchAny"
    );
    assert_eq!(mocks.requests().len(), 4);
    assert!(mocks.requests().iter().all(|r| r.answered));
}

#[tokio::test]
async fn sequences_answer_in_order_then_stop() {
    let throttled_then_ok = mock!(CreateRepository)
        .sequence()
        .error(|| {
            CreateRepositoryError::LimitExceededException(LimitExceededException {
                message: Some("slow down".into()),
            })
        })
        .times(2)
        .output(|| CreateRepositoryResponse {
            repository: Some(repository("app")),
        })
        .error(|| {
            CreateRepositoryError::RepositoryAlreadyExistsException(
                RepositoryAlreadyExistsException { message: None },
            )
        })
        .build();
    let client = mock_client!([&throttled_then_ok]);
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(match create("app").send(&client).await {
            Ok(_) => "ok".to_owned(),
            Err(Error::Service { error, .. }) => error.code().to_owned(),
            Err(Error::Config(message)) => {
                assert!(
                    message.contains("no rule answers this CreateRepository request"),
                    "{message}"
                );
                "none".to_owned()
            }
            Err(other) => panic!("{other:?}"),
        });
    }
    assert_eq!(
        codes,
        [
            "LimitExceededException",
            "LimitExceededException",
            "ok",
            "RepositoryAlreadyExistsException",
            "none"
        ]
    );
    assert_eq!(throttled_then_ok.num_calls(), 4);
    assert!(throttled_then_ok.is_exhausted());
}

#[tokio::test]
async fn repeatedly_keeps_the_last_answer() {
    let rule = mock!(CreateRepository)
        .sequence()
        .error(|| {
            CreateRepositoryError::LimitExceededException(LimitExceededException { message: None })
        })
        .output(CreateRepositoryResponse::default)
        .repeatedly();
    let client = mock_client!(RuleMode::MatchAny, [&rule]);
    assert!(create("app").send(&client).await.is_err());
    for _ in 0..10 {
        create("app").send(&client).await.unwrap();
    }
    assert_eq!(rule.num_calls(), 11);
    assert!(!rule.is_exhausted());
}

#[tokio::test]
async fn sequential_mode_checks_the_order() {
    let first = mock!(CreateRepository)
        .match_requests(|r| r.repository_name == "app")
        .then_output(|| CreateRepositoryResponse {
            repository: Some(repository("app")),
        });
    let second = mock!(DescribeRepositories).then_output(|| DescribeRepositoriesResponse {
        repositories: Some(vec![repository("app")]),
        ..Default::default()
    });
    let mocks = Mocks::new(RuleMode::Sequential)
        .with_rule(&first)
        .with_rule(&second);
    let client = mocks.client();
    // Out of order: the next rule is for CreateRepository.
    match named(&["app"]).send(&client).await {
        Err(Error::Config(m)) => {
            assert!(m.contains("the next rule is for CreateRepository"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // The right operation, a request the predicate refuses.
    match create("other").send(&client).await {
        Err(Error::Config(m)) => assert!(m.contains("does not match this request"), "{m}"),
        other => panic!("{other:?}"),
    }
    create("app").send(&client).await.unwrap();
    named(&["app"]).send(&client).await.unwrap();
    // Each simple rule answers once in sequence; then none is left.
    match named(&["app"]).send(&client).await {
        Err(Error::Config(m)) => assert!(m.contains("one too many"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        mocks.requests(),
        [
            ("DescribeRepositories", false),
            ("CreateRepository", false),
            ("CreateRepository", true),
            ("DescribeRepositories", true),
            ("DescribeRepositories", false),
        ]
        .map(|(operation, answered)| RecordedRequest {
            operation,
            answered
        })
    );
}

#[tokio::test]
async fn requests_are_validated_before_any_rule() {
    let rule = mock!(CreateRepository).then_output(CreateRepositoryResponse::default);
    let client = mock_client!([&rule]);
    // Names are 2 to 256 characters of the model's pattern.
    match create("A").send(&client).await {
        Err(Error::Validation(v)) => assert_eq!(v.violations[0].path, "repositoryName"),
        other => panic!("{other:?}"),
    }
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn an_operation_without_a_rule_is_an_error() {
    let client = mock_client!([]);
    let request = DescribeImages {
        repository_name: "app".into(),
        ..Default::default()
    };
    match request.send(&client).await {
        Err(Error::Config(m)) => {
            assert!(
                m.starts_with("mock client: no rule answers this DescribeImages request"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}
