//! The AWS standard retry mode.
//!
//! Exponential backoff with full jitter, capped; throttling and transient
//! errors retried; a client-wide retry quota so a failing service is not
//! hammered. Reference: the AWS SDKs and Tools reference guide, "Retry
//! behavior" (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).

use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::Duration;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (default 3; `AWS_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// The base of the exponential backoff (default 1 s).
    pub initial_backoff: Duration,
    /// The cap on one backoff (default 20 s).
    pub max_backoff: Duration,
    /// Size of the retry quota bucket (default 500 tokens).
    pub quota: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            quota: 500,
        }
    }
}

impl RetryConfig {
    /// No retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }
}

/// Why an attempt failed, for the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// The service asked the client to slow down.
    Throttling,
    /// A 5xx or a known transient code.
    Transient,
    /// The connection failed or timed out.
    Timeout,
    /// Not retryable.
    Permanent,
}

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException", "InternalError"];

/// Classifies a service error by its code and HTTP status.
pub fn classify(status: u16, code: Option<&str>) -> RetryKind {
    match code {
        Some(c) if THROTTLING_CODES.contains(&c) => RetryKind::Throttling,
        Some(c) if TRANSIENT_CODES.contains(&c) => RetryKind::Transient,
        _ if matches!(status, 500 | 502 | 503 | 504) => RetryKind::Transient,
        _ if status == 429 => RetryKind::Throttling,
        _ => RetryKind::Permanent,
    }
}

/// The retry quota: each retry takes tokens, each success gives one back.
#[derive(Debug)]
pub struct RetryQuota {
    tokens: Mutex<u32>,
    capacity: u32,
}

const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryQuota {
    /// A full bucket.
    pub fn new(capacity: u32) -> Self {
        Self {
            tokens: Mutex::new(capacity),
            capacity,
        }
    }

    /// Takes the tokens for a retry of this kind; `None` when the quota is spent.
    pub fn acquire(&self, kind: RetryKind) -> Option<u32> {
        let cost = if kind == RetryKind::Timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if *tokens < cost {
            return None;
        }
        *tokens -= cost;
        Some(cost)
    }

    /// Gives back what a retry took once it succeeded, or one token for a
    /// first-attempt success.
    pub fn release(&self, amount: u32) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        *tokens = (*tokens + amount).min(self.capacity);
    }

    /// Tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The delay before retry number `retry` (1 for the first retry):
/// `min(initial × 2^(retry−1), max) × random[0,1)`.
pub fn backoff(config: &RetryConfig, retry: u32) -> Duration {
    let exp = config
        .initial_backoff
        .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
    exp.min(config.max_backoff).mul_f64(jitter())
}

/// A uniform number in [0, 1); the std hasher's random keys are enough for
/// jitter and spare a dependency.
fn jitter() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .elapsed()
            .map_or(0, |d| d.as_nanos() as u64),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(
            classify(400, Some("ThrottlingException")),
            RetryKind::Throttling
        );
        assert_eq!(classify(503, None), RetryKind::Transient);
        assert_eq!(
            classify(400, Some("InvalidParameterException")),
            RetryKind::Permanent
        );
        assert_eq!(classify(500, Some("ServerException")), RetryKind::Transient);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let c = RetryConfig::default();
        for retry in 1..30 {
            let d = backoff(&c, retry);
            assert!(d < c.max_backoff, "{d:?}");
        }
        assert!(backoff(&c, 1) < Duration::from_secs(1));
    }

    #[test]
    fn quota_runs_out_and_refills() {
        let q = RetryQuota::new(12);
        assert_eq!(q.acquire(RetryKind::Transient), Some(5));
        assert_eq!(q.acquire(RetryKind::Transient), Some(5));
        assert_eq!(q.acquire(RetryKind::Transient), None);
        q.release(5);
        assert_eq!(q.available(), 7);
    }
}
