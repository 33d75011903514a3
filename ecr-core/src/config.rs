//! Client configuration: plain data, a builder, and `from_env`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{Credentials, EnvProvider, SharedCredentialsProvider, StaticProvider};
use crate::endpoint::EndpointVariant;
use crate::retry::RetryConfig;
use crate::validate::ValidationMode;

/// A client that cannot be configured (no region, for one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client configuration: {0}")]
pub struct ConfigError(pub String);

/// Timeouts. The defaults suit 20 MiB request bodies on a slow uplink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutConfig {
    /// Establishing a connection (default 10 s).
    pub connect: Duration,
    /// One attempt, from sending to the last byte of the response (default 5 min).
    pub attempt: Option<Duration>,
    /// The whole operation, retries and backoff included (default none).
    pub operation: Option<Duration>,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            attempt: Some(Duration::from_secs(300)),
            operation: None,
        }
    }
}

/// Everything a [`crate::Client`] is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region, such as `us-east-1`.
    pub region: Option<String>,
    /// A custom endpoint for every service, such as `http://127.0.0.1:5000`.
    pub endpoint_url: Option<String>,
    /// Endpoints from `AWS_ENDPOINT_URL_<SERVICE>`, keyed by `<SERVICE>`
    /// (the empty key holds `AWS_ENDPOINT_URL`).
    pub env_endpoints: HashMap<String, String>,
    /// FIPS and dual-stack endpoint variants.
    pub endpoint_variant: EndpointVariant,
    /// The credentials source.
    pub credentials: SharedCredentialsProvider,
    /// What to do with requests that break the model's constraints.
    pub validation: ValidationMode,
    /// Retry settings.
    pub retry: RetryConfig,
    /// Timeouts.
    pub timeouts: TimeoutConfig,
    /// The largest response body the client reads (default 64 MiB).
    pub max_response_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            env_endpoints: HashMap::new(),
            endpoint_variant: EndpointVariant::default(),
            credentials: Arc::new(EnvProvider),
            validation: ValidationMode::default(),
            retry: RetryConfig::default(),
            timeouts: TimeoutConfig::default(),
            max_response_bytes: 64 << 20,
        }
    }
}

impl Config {
    /// A builder with the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// A builder seeded from the AWS environment variables: `AWS_REGION` /
    /// `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL`,
    /// `AWS_MAX_ATTEMPTS`, `AWS_USE_FIPS_ENDPOINT`,
    /// `AWS_USE_DUALSTACK_ENDPOINT`; credentials from the environment.
    pub fn from_env() -> ConfigBuilder {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut config = Config {
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            ..Config::default()
        };
        for (key, value) in std::env::vars() {
            if value.trim().is_empty() {
                continue;
            }
            if key == "AWS_ENDPOINT_URL" {
                config.env_endpoints.insert(String::new(), value);
            } else if let Some(service) = key.strip_prefix("AWS_ENDPOINT_URL_") {
                config.env_endpoints.insert(service.to_owned(), value);
            }
        }
        if let Some(n) = var("AWS_MAX_ATTEMPTS")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| *n > 0)
        {
            config.retry.max_attempts = n;
        }
        let flag = |name: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        config.endpoint_variant = EndpointVariant {
            fips: flag("AWS_USE_FIPS_ENDPOINT"),
            dual_stack: flag("AWS_USE_DUALSTACK_ENDPOINT"),
        };
        ConfigBuilder { config }
    }
}

/// Builds a [`Config`]; every setter is `with_*`.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    /// Sets the region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.config.region = Some(region.into());
        self
    }

    /// Sends every request to this endpoint (scheme, host, port, optional path).
    pub fn with_endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.config.endpoint_url = Some(url.into());
        self
    }

    /// Uses these fixed credentials.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = Arc::new(StaticProvider(credentials));
        self
    }

    /// Uses this credentials source.
    pub fn with_credentials_provider(mut self, provider: SharedCredentialsProvider) -> Self {
        self.config.credentials = provider;
        self
    }

    /// Sets the validation mode.
    pub fn with_validation(mut self, mode: ValidationMode) -> Self {
        self.config.validation = mode;
        self
    }

    /// Sets the retry settings.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.config.retry = retry;
        self
    }

    /// Sets the total number of attempts.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.config.retry.max_attempts = attempts.max(1);
        self
    }

    /// Sets the timeouts.
    pub fn with_timeouts(mut self, timeouts: TimeoutConfig) -> Self {
        self.config.timeouts = timeouts;
        self
    }

    /// Chooses the FIPS and dual-stack endpoint variants.
    pub fn with_endpoint_variant(mut self, variant: EndpointVariant) -> Self {
        self.config.endpoint_variant = variant;
        self
    }

    /// Sets the largest response body the client reads.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.config.max_response_bytes = limit;
        self
    }

    /// The configuration.
    pub fn build(self) -> Config {
        self.config
    }
}
