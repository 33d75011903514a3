//! Caching credentials, and reloading them before they expire.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{
    Credentials, CredentialsError, CredentialsFuture, ProvideCredentials, ProviderContext,
    SharedCredentialsProvider,
};

/// How long a failed reload is not retried while cached credentials are
/// still valid.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// How long credentials that arrive already inside the refresh margin are
/// used before the next reload (at most half their remaining life).
const MIN_REUSE: Duration = Duration::from_secs(10);

/// Keeps the credentials of another provider and asks it again only when
/// they are about to expire: five minutes before their expiry (the AWS
/// SDKs' margin), or, for credentials without an expiry, fifteen minutes
/// after they were loaded (so edited files are seen). Credentials that come
/// back with less than the margin left are used for ten seconds (at most
/// half their remaining life) before the next reload.
///
/// Safe under concurrent calls: one caller reloads while the others wait for
/// its result, so a burst of requests fetches credentials once.
/// Errors are not cached. If a reload fails while the cached credentials
/// have not expired yet, those are used (and the failure logged) and the
/// reload is tried again ten seconds later.
#[derive(Debug)]
pub struct CachingProvider {
    inner: SharedCredentialsProvider,
    refresh_before: Duration,
    ttl_without_expiry: Duration,
    cached: Mutex<Option<Cached>>,
    reload: tokio::sync::Mutex<()>,
}

#[derive(Debug, Clone)]
struct Cached {
    credentials: Credentials,
    /// When to reload.
    refresh_at: SystemTime,
}

impl CachingProvider {
    /// Caches `inner`.
    pub fn new(inner: impl ProvideCredentials + 'static) -> Self {
        Self::from_shared(std::sync::Arc::new(inner))
    }

    /// Caches a shared provider.
    pub fn from_shared(inner: SharedCredentialsProvider) -> Self {
        Self {
            inner,
            refresh_before: Duration::from_secs(300),
            ttl_without_expiry: Duration::from_secs(900),
            cached: Mutex::new(None),
            reload: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads this long before the expiry (default 5 minutes).
    pub fn with_refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Keeps credentials without an expiry this long (default 15 minutes).
    pub fn with_ttl_without_expiry(mut self, ttl: Duration) -> Self {
        self.ttl_without_expiry = ttl;
        self
    }

    /// Forgets the cached credentials: the next call reloads.
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // The data is a plain value: a panic elsewhere cannot leave it broken.
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self, now: SystemTime) -> Option<Credentials> {
        let cached = self.lock();
        let c = cached.as_ref()?;
        (now < c.refresh_at).then(|| c.credentials.clone())
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        if let Some(c) = self.fresh(SystemTime::now()) {
            return Ok(c);
        }
        let _reloading = self.reload.lock().await;
        // Another caller may have reloaded while this one waited.
        let now = SystemTime::now();
        if let Some(c) = self.fresh(now) {
            return Ok(c);
        }
        match self.inner.provide().await {
            Ok(credentials) => {
                let refresh_at = match credentials.expiry() {
                    Some(expiry) => {
                        let before = expiry
                            .checked_sub(self.refresh_before)
                            .unwrap_or(SystemTime::UNIX_EPOCH);
                        // Credentials that arrive inside the margin are still
                        // used for a little while, not reloaded on every call.
                        if before > now {
                            before
                        } else {
                            let left = expiry.duration_since(now).unwrap_or_default();
                            now + (left / 2).min(MIN_REUSE)
                        }
                    }
                    None => now + self.ttl_without_expiry,
                };
                *self.lock() = Some(Cached {
                    credentials: credentials.clone(),
                    refresh_at,
                });
                Ok(credentials)
            }
            Err(error) => {
                let still_valid = {
                    let mut cached = self.lock();
                    cached.as_mut().and_then(|c| {
                        let expiry = c.credentials.expiry();
                        if expiry.is_some_and(|e| e <= now) {
                            return None;
                        }
                        // Try again in a little while, not on every call.
                        let retry_at = now + RETRY_AFTER_FAILURE;
                        c.refresh_at = expiry.map_or(retry_at, |e| e.min(retry_at));
                        Some(c.credentials.clone())
                    })
                };
                match still_valid {
                    Some(credentials) => {
                        tracing::warn!(%error, "could not refresh AWS credentials; using the cached ones until they expire");
                        Ok(credentials)
                    }
                    None => Err(error),
                }
            }
        }
    }
}

impl ProvideCredentials for CachingProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(self.load())
    }

    fn prepare(&self, context: &ProviderContext) {
        self.inner.prepare(context);
    }
}
