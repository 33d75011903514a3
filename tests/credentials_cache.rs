//! The credentials cache: refreshed before expiry, one refresh for any
//! number of concurrent callers (and of concurrent sends through a client),
//! failures not cached, stale-but-valid credentials kept through a failed
//! refresh.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ecr_tests::http_stub::{HttpStub, StubResponse};
use ecrkit::credentials::{
    CachingProvider, CredentialsError, CredentialsFuture, ProvideCredentials,
};
use ecrkit::ecr::DescribeRepositories;
use ecrkit::{Client, Config, Credentials};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE//session+token/value==";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Returns credentials expiring after the given delays, in turn, counting
/// its calls; each call takes 20 ms.
#[derive(Debug)]
struct Counting {
    calls: AtomicUsize,
    lifetimes: Mutex<VecDeque<Result<Option<Duration>, ()>>>,
}

impl Counting {
    fn new(lifetimes: impl IntoIterator<Item = Result<Option<Duration>, ()>>) -> Arc<Counting> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetimes: Mutex::new(lifetimes.into_iter().collect()),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl ProvideCredentials for Counting {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            let next = self
                .lifetimes
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Ok(None));
            match next {
                Ok(lifetime) => Ok(Credentials::new(
                    format!("AKID{n}"),
                    SECRET,
                    Some(TOKEN.to_owned()),
                    lifetime.map(|d| SystemTime::now() + d),
                    "counting",
                )),
                Err(()) => Err(CredentialsError::Provider(format!("refresh {n} failed"))),
            }
        })
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

async fn burst(cache: &Arc<CachingProvider>) -> Vec<String> {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.provide().await.unwrap().access_key_id().to_owned() })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids
}

#[test]
fn refreshes_before_expiry_and_once_under_concurrency() {
    let lifetime = |ms: u64| Ok(Some(Duration::from_millis(ms)));
    // AKID1 lives 5 minutes and 300 ms: fresh for 300 ms.
    let inner = Counting::new([lifetime(300_300), lifetime(3_600_000), lifetime(3_600_000)]);
    let cache = Arc::new(CachingProvider::from_shared(inner.clone()));
    multi_thread().block_on(async {
        // 16 callers at once, nothing cached: one load.
        assert_eq!(burst(&cache).await, vec!["AKID1"; 16]);
        assert_eq!(inner.calls(), 1);
        // Past the five-minute margin: the next burst reloads, once.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(burst(&cache).await, vec!["AKID2"; 16]);
        assert_eq!(inner.calls(), 2);
        // AKID2 lasts an hour: cached.
        for _ in 0..10 {
            assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
        }
        assert_eq!(inner.calls(), 2);
        cache.invalidate();
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID3");
    });
}

#[test]
fn credentials_inside_the_margin_are_shared_briefly() {
    // Four minutes left on arrival: inside the margin, used for 10 s by
    // every caller rather than reloaded per call.
    let inner = Counting::new([Ok(Some(Duration::from_secs(240)))]);
    let cache = Arc::new(CachingProvider::from_shared(inner.clone()));
    multi_thread().block_on(async {
        assert_eq!(burst(&cache).await, vec!["AKID1"; 16]);
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
    });
    assert_eq!(inner.calls(), 1);
    // With one second left, half of it.
    let inner = Counting::new([Ok(Some(Duration::from_millis(1000))), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

#[test]
fn a_failed_refresh_keeps_credentials_that_are_still_valid() {
    // AKID1 is fresh for 100 ms, then valid for five more minutes.
    let inner = Counting::new([Ok(Some(Duration::from_millis(300_100))), Err(()), Err(())]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The refresh fails; AKID1 has five minutes left.
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        // Not retried on every call.
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(inner.calls(), 2);
    });
    // Errors are not cached, and without credentials they are returned.
    let inner = Counting::new([Err(()), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone());
    block_on(async {
        assert_eq!(
            cache.provide().await.unwrap_err().to_string(),
            "could not load AWS credentials: refresh 1 failed"
        );
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

#[test]
fn credentials_without_expiry_are_reloaded_after_the_ttl() {
    let inner = Counting::new([Ok(None), Ok(None)]);
    let cache = CachingProvider::from_shared(inner.clone())
        .with_ttl_without_expiry(Duration::from_millis(50));
    block_on(async {
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID1");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.provide().await.unwrap().access_key_id(), "AKID2");
    });
}

#[test]
fn concurrent_sends_share_one_refresh() {
    // A service on loopback that answers every DescribeRepositories and
    // keeps the key id each request was signed with.
    let service = HttpStub::start(|_| {
        StubResponse::ok(r#"{"repositories": []}"#).with_header("x-amzn-requestid", "cache-test")
    });
    // The first credentials are fresh for 300 ms (they expire in five
    // minutes and 300 ms); the next last an hour.
    let inner = Counting::new([
        Ok(Some(Duration::from_millis(300_300))),
        Ok(Some(Duration::from_secs(3600))),
    ]);
    let cache = Arc::new(CachingProvider::from_shared(inner.clone()));
    let client = Client::try_new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(service.url())
            .with_credentials_provider(cache)
            .build(),
    )
    .unwrap();
    let sends = |client: Client| async move {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { DescribeRepositories::default().send(&client).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    };
    let key_ids = || -> Vec<String> {
        service
            .requests()
            .iter()
            .map(|r| {
                let auth = r.header("authorization").unwrap_or_default();
                auth.split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split('/').next())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    multi_thread().block_on(async {
        sends(client.clone()).await;
        assert_eq!(inner.calls(), 1, "32 concurrent sends, one load");
        assert_eq!(key_ids(), vec!["AKID1"; 32]);
        tokio::time::sleep(Duration::from_millis(400)).await;
        sends(client.clone()).await;
        assert_eq!(
            inner.calls(),
            2,
            "past the margin, one refresh for 32 sends"
        );
        let ids = key_ids();
        assert_eq!(ids.len(), 64);
        assert!(ids[32..].iter().all(|id| id == "AKID2"), "{ids:?}");
    });
}
