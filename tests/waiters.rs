//! The waiters against a scripted server: states, timeouts, failures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Duration;

use ecr_tests::scripted_server::{client, scripted_server};
use ecrkit::ecr::{
    DescribeImageScanFindings, GetLifecyclePolicyPreview, ImageIdentifier,
    LifecyclePolicyPreviewStatus, ScanStatus,
};
use ecrkit::waiters::*;
use ecrkit::{Client, Error};

fn scan_request() -> DescribeImageScanFindings {
    DescribeImageScanFindings {
        repository_name: "repo".into(),
        image_id: ImageIdentifier {
            image_tag: Some("v1".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

const FAST: WaiterConfig = WaiterConfig {
    delay: Duration::from_millis(10),
    max_wait: Duration::from_secs(5),
};

/// Answers `states[i]` on the i-th call (the last one after that).
async fn scan_states(states: &'static [&'static str]) -> (Client, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let (endpoint, _) = scripted_server(move |_| {
        let i = counter.fetch_add(1, Ordering::SeqCst).min(states.len() - 1);
        format!(
            r#"{{"imageScanStatus": {{"status": "{}", "description": "why {i}"}}}}"#,
            states[i]
        )
    })
    .await;
    (client(&endpoint), calls)
}

#[test]
fn defaults_are_the_models() {
    let scan = WaiterConfig::IMAGE_SCAN_COMPLETE;
    assert_eq!((scan.delay.as_secs(), scan.max_wait.as_secs()), (5, 300));
    let preview = WaiterConfig::LIFECYCLE_POLICY_PREVIEW_COMPLETE;
    assert_eq!(
        (preview.delay.as_secs(), preview.max_wait.as_secs()),
        (5, 100)
    );
    let custom = scan
        .with_delay(Duration::from_secs(1))
        .with_max_wait(Duration::from_secs(2));
    assert_eq!(custom.delay, Duration::from_secs(1));
    assert_eq!(custom.max_wait, Duration::from_secs(2));
}

#[tokio::test]
async fn polls_until_complete() {
    let (client, calls) = scan_states(&["IN_PROGRESS", "PENDING", "COMPLETE"]).await;
    let out = image_scan_complete(&client, &scan_request(), FAST)
        .await
        .unwrap();
    assert_eq!(
        out.image_scan_status.and_then(|s| s.status),
        Some(ScanStatus::Complete)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn failed_is_the_failure_state() {
    let (client, calls) = scan_states(&["IN_PROGRESS", "FAILED"]).await;
    let err = image_scan_complete(&client, &scan_request(), FAST)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WaiterError::Failed { state, reason, .. }
            if state == "FAILED" && reason.as_deref() == Some("why 1")),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "ImageScanComplete: the service reports FAILED: why 1"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gives_up_after_max_wait() {
    let (client, calls) = scan_states(&["IN_PROGRESS"]).await;
    let config = FAST.with_max_wait(Duration::from_millis(55));
    let err = image_scan_complete(&client, &scan_request(), config)
        .await
        .unwrap_err();
    match err {
        WaiterError::Timeout {
            attempts,
            last_state,
            ..
        } => {
            assert!((2..=6).contains(&attempts), "{attempts}");
            assert_eq!(attempts as usize, calls.load(Ordering::SeqCst));
            assert_eq!(last_state.as_deref(), Some("IN_PROGRESS"));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn preview_waiter_and_operation_errors() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let (endpoint, _) = scripted_server(move |_| {
        let status = match counter.fetch_add(1, Ordering::SeqCst) {
            0 => "IN_PROGRESS",
            _ => "COMPLETE",
        };
        format!(r#"{{"status": "{status}", "previewResults": []}}"#)
    })
    .await;
    let request = GetLifecyclePolicyPreview {
        repository_name: "repo".into(),
        ..Default::default()
    };
    let out = lifecycle_policy_preview_complete(&client(&endpoint), &request, FAST)
        .await
        .unwrap();
    assert_eq!(out.status, Some(LifecyclePolicyPreviewStatus::Complete));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // An invalid request fails at once, with the validation error inside.
    let bad = GetLifecyclePolicyPreview {
        repository_name: "x".into(),
        ..Default::default()
    };
    let err = lifecycle_policy_preview_complete(&client(&endpoint), &bad, FAST)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        WaiterError::Operation {
            source: Error::Validation(_),
            ..
        }
    ));
}
