//! Waiters: poll an operation until the service reports the state you are
//! waiting for, as botocore's `waiters-2.json` for ECR describes them.
//!
//! | waiter | polls | success | failure | default delay, max wait |
//! | --- | --- | --- | --- | --- |
//! | [`image_scan_complete`] | `DescribeImageScanFindings` | `imageScanStatus.status == COMPLETE` | `FAILED` | 5 s, 300 s (60 attempts) |
//! | [`lifecycle_policy_preview_complete`] | `GetLifecyclePolicyPreview` | `status == COMPLETE` | `FAILED` | 5 s, 100 s (20 attempts) |
//!
//! As in botocore, a fixed delay separates the attempts, and an error from
//! the operation (after the client's own retries) ends the wait: the model
//! lists no error acceptors for these waiters.
//!
//! ```no_run
//! # async fn run(client: ecrkit::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ecrkit::ecr::{DescribeImageScanFindings, ImageIdentifier};
//! use ecrkit::waiters::{image_scan_complete, WaiterConfig};
//!
//! let request = DescribeImageScanFindings {
//!     repository_name: "app".into(),
//!     image_id: ImageIdentifier { image_tag: Some("v1".into()), ..Default::default() },
//!     ..Default::default()
//! };
//! let config = WaiterConfig::IMAGE_SCAN_COMPLETE.with_max_wait(Duration::from_secs(600));
//! let findings = image_scan_complete(&client, &request, config).await?;
//! println!("{:?}", findings.image_scan_findings);
//! # Ok(()) }
//! ```

use std::time::Duration;

use crate::client::Client;
#[cfg(feature = "scanning")]
use crate::ecr::{
    DescribeImageScanFindings, DescribeImageScanFindingsError, DescribeImageScanFindingsResponse,
    ScanStatus,
};
#[cfg(feature = "lifecycle")]
use crate::ecr::{
    GetLifecyclePolicyPreview, GetLifecyclePolicyPreviewError, GetLifecyclePolicyPreviewResponse,
    LifecyclePolicyPreviewStatus,
};
use crate::error::Error;
use crate::operation::Operation;

/// How often to poll and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaiterConfig {
    /// The pause between two attempts.
    pub delay: Duration,
    /// The longest the wait may take; no attempt starts after it.
    pub max_wait: Duration,
}

impl WaiterConfig {
    /// `ImageScanComplete`'s defaults: every 5 s, for 60 attempts (300 s).
    pub const IMAGE_SCAN_COMPLETE: WaiterConfig = WaiterConfig {
        delay: Duration::from_secs(5),
        max_wait: Duration::from_secs(5 * 60),
    };

    /// `LifecyclePolicyPreviewComplete`'s defaults: every 5 s, for 20
    /// attempts (100 s).
    pub const LIFECYCLE_POLICY_PREVIEW_COMPLETE: WaiterConfig = WaiterConfig {
        delay: Duration::from_secs(5),
        max_wait: Duration::from_secs(5 * 20),
    };

    /// With another delay between attempts.
    pub const fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// With another maximum wait.
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

/// Why a wait ended without reaching its success state.
#[derive(Debug, thiserror::Error)]
pub enum WaiterError<E> {
    /// The service reported the waiter's failure state.
    #[error("{waiter}: the service reports {state}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Failed {
        /// The waiter (`ImageScanComplete`).
        waiter: &'static str,
        /// The state reached (`FAILED`).
        state: String,
        /// The service's explanation, where it gives one.
        reason: Option<String>,
    },
    /// The maximum wait passed first.
    #[error("{waiter}: not done after {attempts} attempt(s) in {max_wait:?}; last state {}", last_state.as_deref().unwrap_or("unknown"))]
    Timeout {
        /// The waiter.
        waiter: &'static str,
        /// The configured maximum wait.
        max_wait: Duration,
        /// How many times the operation was called.
        attempts: u32,
        /// The state the last response reported.
        last_state: Option<String>,
    },
    /// The operation failed.
    #[error("{waiter}: {source}")]
    Operation {
        /// The waiter.
        waiter: &'static str,
        /// The operation's error.
        #[source]
        source: Error<E>,
    },
}

/// What one response says.
enum Verdict {
    Success,
    Failure(String, Option<String>),
    Retry(Option<String>),
}

/// Polls `request` until `judge` says success or failure, or time runs out.
async fn wait<O: Operation + 'static>(
    waiter: &'static str,
    client: &Client,
    request: &O,
    config: WaiterConfig,
    judge: impl Fn(&O::Output) -> Verdict,
) -> Result<O::Output, WaiterError<O::Error>> {
    let start = tokio::time::Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let output = client
            .send(request)
            .await
            .map_err(|source| WaiterError::Operation { waiter, source })?;
        let last_state = match judge(&output) {
            Verdict::Success => return Ok(output),
            Verdict::Failure(state, reason) => {
                return Err(WaiterError::Failed {
                    waiter,
                    state,
                    reason,
                });
            }
            Verdict::Retry(state) => state,
        };
        if start.elapsed() + config.delay > config.max_wait {
            return Err(WaiterError::Timeout {
                waiter,
                max_wait: config.max_wait,
                attempts,
                last_state,
            });
        }
        tokio::time::sleep(config.delay).await;
    }
}

/// Waits until the scan of an image is complete (`ImageScanComplete`):
/// polls `DescribeImageScanFindings` until `imageScanStatus.status` is
/// `COMPLETE` and returns that response (its first page of findings). A
/// `FAILED` status is [`WaiterError::Failed`], with the status description.
#[cfg(feature = "scanning")]
pub async fn image_scan_complete(
    client: &Client,
    request: &DescribeImageScanFindings,
    config: WaiterConfig,
) -> Result<DescribeImageScanFindingsResponse, WaiterError<DescribeImageScanFindingsError>> {
    wait("ImageScanComplete", client, request, config, |out| {
        let status = out.image_scan_status.as_ref();
        match status.and_then(|s| s.status.as_ref()) {
            Some(ScanStatus::Complete) => Verdict::Success,
            Some(ScanStatus::Failed) => {
                Verdict::Failure("FAILED".into(), status.and_then(|s| s.description.clone()))
            }
            other => Verdict::Retry(other.map(|s| s.as_str().to_owned())),
        }
    })
    .await
}

/// Waits until a lifecycle policy preview is complete
/// (`LifecyclePolicyPreviewComplete`): polls `GetLifecyclePolicyPreview`
/// until `status` is `COMPLETE` and returns that response (its first page of
/// results). A `FAILED` status is [`WaiterError::Failed`].
#[cfg(feature = "lifecycle")]
pub async fn lifecycle_policy_preview_complete(
    client: &Client,
    request: &GetLifecyclePolicyPreview,
    config: WaiterConfig,
) -> Result<GetLifecyclePolicyPreviewResponse, WaiterError<GetLifecyclePolicyPreviewError>> {
    wait(
        "LifecyclePolicyPreviewComplete",
        client,
        request,
        config,
        |out| match &out.status {
            Some(LifecyclePolicyPreviewStatus::Complete) => Verdict::Success,
            Some(LifecyclePolicyPreviewStatus::Failed) => Verdict::Failure("FAILED".into(), None),
            other => Verdict::Retry(other.as_ref().map(|s| s.as_str().to_owned())),
        },
    )
    .await
}

// The tests use the paginators' scripted server.
