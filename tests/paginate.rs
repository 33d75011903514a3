//! Paginators walked against a scripted server (moto answers the ECR list
//! calls in one page whatever `maxResults` says): multi-page walks, the
//! request tokens, and the repeated-token guard.

use futures_util::StreamExt;

use ecr_tests::scripted_server::{client, scripted_server};
use ecrkit::Error;
use ecrkit::ecr::{DescribeRepositories, ListImages};
use ecrkit::paginate::*;

/// Five repositories in pages of `maxResults`, tokens `t<offset>`.
fn five_repositories(body: &serde_json::Value) -> String {
    let size = body["maxResults"].as_u64().unwrap_or(1000) as usize;
    let start: usize = body["nextToken"]
        .as_str()
        .map_or(0, |t| t[1..].parse().unwrap());
    let end = (start + size).min(5);
    let repos: Vec<_> = (start..end)
        .map(|i| serde_json::json!({ "repositoryName": format!("repo-{i}") }))
        .collect();
    let mut out = serde_json::json!({ "repositories": repos });
    if end < 5 {
        out["nextToken"] = format!("t{end}").into();
    }
    out.to_string()
}

#[tokio::test]
async fn walks_every_page_following_the_token() {
    let (endpoint, seen) = scripted_server(five_repositories).await;
    let client = client(&endpoint);
    let request = DescribeRepositories {
        max_results: Some(2),
        ..Default::default()
    };
    let pages = request.clone().pages(&client).try_collect().await.unwrap();
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p.repositories.as_ref().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    let tokens: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["nextToken"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(tokens, [None, Some("t2".into()), Some("t4".into())]);

    let names: Vec<String> = client
        .paginate(request)
        .items()
        .try_collect()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.repository_name)
        .collect();
    assert_eq!(
        names,
        ["repo-0", "repo-1", "repo-2", "repo-3", "repo-4"].map(String::from)
    );
}

#[tokio::test]
async fn page_size_and_start_token_come_from_the_request() {
    let (endpoint, seen) = scripted_server(five_repositories).await;
    let mut request = DescribeRepositories::default();
    request.set_page_size(3);
    request.set_input_token(Some("t1".into()));
    let mut items = request.items(&client(&endpoint));
    let mut names = Vec::new();
    while let Some(item) = items.next().await {
        names.extend(item.unwrap().repository_name);
    }
    assert_eq!(
        names,
        ["repo-1", "repo-2", "repo-3", "repo-4"].map(String::from)
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(seen.lock().unwrap()[0]["maxResults"], 3);
}

#[tokio::test]
async fn a_repeated_token_ends_the_walk_with_an_error() {
    // Always the same token: a broken service that would loop forever.
    let (endpoint, seen) =
        scripted_server(|_| r#"{"imageIds": [{"imageTag": "a"}], "nextToken": "same"}"#.to_owned())
            .await;
    let request = ListImages {
        repository_name: "repo".into(),
        ..Default::default()
    };
    let mut pages = request.clone().pages(&client(&endpoint));
    assert!(pages.next().await.unwrap().is_ok());
    assert!(pages.next().await.unwrap().is_ok());
    let err = pages.next().await.unwrap().unwrap_err();
    assert!(
        err.to_string().contains(
            "ListImages pagination stopped: the service returned nextToken \"same\" a second time"
        ),
        "{err}"
    );
    assert!(pages.next().await.is_none());
    assert_eq!(seen.lock().unwrap().len(), 2);

    // The item stream yields the items it has, then the same error.
    let items: Vec<_> = request.items(&client(&endpoint)).collect().await;
    assert_eq!(items.len(), 3);
    assert!(items[..2].iter().all(Result::is_ok));
    assert!(matches!(items[2], Err(Error::Pagination { .. })));
}

#[tokio::test]
async fn an_error_ends_the_walk_and_an_empty_token_is_the_last_page() {
    let (endpoint, _) =
        scripted_server(|_| r#"{"imageIds": [], "nextToken": ""}"#.to_owned()).await;
    let pages = ListImages {
        repository_name: "repo".into(),
        ..Default::default()
    }
    .pages(&client(&endpoint))
    .try_collect()
    .await
    .unwrap();
    assert_eq!(pages.len(), 1);

    // Invalid request: the validation error is the only item, nothing is sent.
    let mut pages = ListImages {
        repository_name: "x".into(),
        ..Default::default()
    }
    .pages(&client("http://127.0.0.1:9"));
    assert!(matches!(
        pages.next().await,
        Some(Err(Error::Validation(_)))
    ));
    assert!(pages.next().await.is_none());
}
