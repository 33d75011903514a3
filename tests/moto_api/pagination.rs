//! The paginators over moto's answers sliced into pages by PagingProxy.

use super::*;

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
