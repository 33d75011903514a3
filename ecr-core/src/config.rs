//! Client configuration: plain data, a builder, and `from_env`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{Credentials, SharedCredentialsProvider, StaticProvider};
use crate::retry::RetryConfig;
use crate::validate::ValidationMode;

// Read below the configuration (credentials read them too); named here,
// where users meet them.
pub use crate::env::Env;
use crate::profile as files;
pub use crate::profile::ProfileEndpoints;

/// A client that cannot be configured (no region, an HTTP client that
/// cannot be built, a CA bundle that cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client configuration: {0}")]
pub struct ConfigError(pub String);

/// Endpoint variants a caller can ask for (FIPS, dual-stack): settings
/// that [`endpoint`](crate::endpoint) applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointVariant {
    /// Use the FIPS endpoint.
    pub fips: bool,
    /// Use the dual-stack (IPv4 and IPv6) endpoint.
    pub dual_stack: bool,
}

/// What to do about a missing region.
pub const NO_REGION: &str = "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), \
add `region = <region>` to the profile in the AWS config file, \
or call with_region on the config builder";

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
    /// Endpoints from the environment, keyed by `<SERVICE>` (`ECR`) for
    /// `AWS_ENDPOINT_URL_<SERVICE>`, the empty key for `AWS_ENDPOINT_URL`.
    pub env_endpoints: HashMap<String, String>,
    /// Endpoints from the profile (its `services` section and its
    /// `endpoint_url`); the environment's win (see [`Config::from_env`]).
    pub profile_endpoints: ProfileEndpoints,
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
    /// The HTTP client to send with; `None`: the client builds one (see
    /// [`ConfigBuilder::with_http_client`]).
    pub http_client: Option<reqwest::Client>,
    /// A PEM file of certificates to trust besides the roots, for a client
    /// this crate builds (`AWS_CA_BUNDLE`, the profile's `ca_bundle`).
    pub ca_bundle: Option<PathBuf>,
    /// Leave out the host prefixes of Smithy's endpoint trait (as the SDKs'
    /// `disableHostPrefixInjection`): requests go to the endpoint's host as
    /// it is.
    pub disable_host_prefix: bool,
    /// The compression of request bodies for operations that declare it.
    pub request_compression: RequestCompressionConfig,
}

/// Request compression (Smithy's `@requestCompression`, gzip), as the AWS
/// SDKs configure it
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-compression.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestCompressionConfig {
    /// Never compress (`AWS_DISABLE_REQUEST_COMPRESSION`,
    /// `disable_request_compression`).
    pub disabled: bool,
    /// Compress bodies of at least this many bytes (default 10240, at most
    /// 10485760; `AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES`,
    /// `request_min_compression_size_bytes`).
    pub min_size_bytes: u32,
}

impl Default for RequestCompressionConfig {
    fn default() -> Self {
        Self {
            disabled: false,
            min_size_bytes: 10_240,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            env_endpoints: HashMap::new(),
            profile_endpoints: ProfileEndpoints::default(),
            endpoint_variant: EndpointVariant::default(),
            credentials: crate::credentials::environment_provider(),
            validation: ValidationMode::default(),
            retry: RetryConfig::default(),
            timeouts: TimeoutConfig::default(),
            max_response_bytes: 64 << 20,
            http_client: None,
            ca_bundle: None,
            disable_host_prefix: false,
            request_compression: RequestCompressionConfig::default(),
        }
    }
}

impl Config {
    /// A builder with the defaults: no region, and credentials from the
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
    /// variables only (use [`Config::from_env`] for the whole chain).
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
            profile: None,
        }
    }

    /// A builder seeded from the AWS environment of this process, as the AWS
    /// SDKs read it (<https://docs.aws.amazon.com/sdkref/latest/guide/settings-reference.html>):
    ///
    /// | setting | environment | profile key |
    /// | --- | --- | --- |
    /// | profile | `AWS_PROFILE` (default `default`) | |
    /// | files | `AWS_CONFIG_FILE` (`~/.aws/config`), `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials`) | |
    /// | region | `AWS_REGION`, then `AWS_DEFAULT_REGION` | `region` |
    /// | endpoint | `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL` | `services` → `[services x]` `<service> = endpoint_url = ...`, then `endpoint_url` |
    /// | ignore configured endpoints | `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` | `ignore_configured_endpoint_urls` |
    /// | FIPS, dual-stack | `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT` | `use_fips_endpoint`, `use_dualstack_endpoint` |
    /// | attempts | `AWS_MAX_ATTEMPTS` | `max_attempts` |
    /// | CA bundle | `AWS_CA_BUNDLE` | `ca_bundle` |
    /// | proxies | `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (either case; read by reqwest when the client is built) | |
    /// | request compression | `AWS_DISABLE_REQUEST_COMPRESSION`, `AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES` | `disable_request_compression`, `request_min_compression_size_bytes` |
    ///
    /// An environment variable wins over the profile. The files are parsed
    /// by aws-config, as its credentials chain parses them. Credentials come
    /// from [`crate::credentials::default_provider`]: the AWS SDKs' default
    /// chain, cached and refreshed before the credentials expire. A file
    /// that does not parse is reported with `tracing::warn!` here (naming
    /// the file and the line), and as an error by the credentials chain.
    pub fn from_env() -> ConfigBuilder {
        Self::from_env_with(&Env::process())
    }

    /// [`Config::from_env`] over the given variables instead of the
    /// process's (for tests, or to pick a profile: `Env::process().with_var("AWS_PROFILE", "dev")`).
    ///
    /// The settings come from `env` and the files it names. The
    /// credentials chain is aws-config's, which reads the process
    /// environment: of `env` it takes the profile (`AWS_PROFILE`) and the
    /// region.
    pub fn from_env_with(env: &Env) -> ConfigBuilder {
        let profile_name = env
            .var("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned());
        let sections = files::load(env, &profile_name).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "AWS shared config ignored");
            Default::default()
        });
        let sections = Arc::new(sections);
        let profile = sections.get_profile(&profile_name);
        let setting = |var: &str, key: &str| env.var(var).or_else(|| files::setting(profile, key));
        let flag = |var: &str, key: &str| {
            let value = setting(var, key)?;
            match value.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => {
                    tracing::warn!(setting = var, %value, "expected true or false; ignored");
                    None
                }
            }
        };

        let mut config = Config {
            region: env
                .var("AWS_REGION")
                .or_else(|| env.var("AWS_DEFAULT_REGION"))
                .or_else(|| files::setting(profile, "region")),
            credentials: crate::credentials::default_provider(env),
            ca_bundle: setting("AWS_CA_BUNDLE", "ca_bundle").map(PathBuf::from),
            ..Config::default()
        };

        if !flag(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "ignore_configured_endpoint_urls",
        )
        .unwrap_or(false)
        {
            config.env_endpoints = env_endpoints(env);
            config.profile_endpoints = ProfileEndpoints::new(sections.clone());
        }
        if let Some(value) = setting("AWS_MAX_ATTEMPTS", "max_attempts") {
            match value.parse::<u32>() {
                Ok(n) if n > 0 => config.retry.max_attempts = n,
                _ => tracing::warn!(%value, "max attempts: expected a positive integer; ignored"),
            }
        }
        if let Some(off) = flag(
            "AWS_DISABLE_REQUEST_COMPRESSION",
            "disable_request_compression",
        ) {
            config.request_compression.disabled = off;
        }
        if let Some(value) = setting(
            "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES",
            "request_min_compression_size_bytes",
        ) {
            match value.parse::<u32>() {
                Ok(n) if n <= 10_485_760 => config.request_compression.min_size_bytes = n,
                _ => tracing::warn!(
                    %value,
                    "request_min_compression_size_bytes: expected 0 to 10485760; ignored"
                ),
            }
        }
        config.endpoint_variant = EndpointVariant {
            fips: flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint").unwrap_or(false),
            dual_stack: flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")
                .unwrap_or(false),
        };
        ConfigBuilder {
            config,
            profile: Some(format!(
                "profile `{profile_name}` in {}",
                files::config_file_text(env)
            )),
        }
    }
}

/// `AWS_ENDPOINT_URL_<SERVICE>` keyed by `<SERVICE>`, and `AWS_ENDPOINT_URL`
/// under the empty key
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html>).
fn env_endpoints(env: &Env) -> HashMap<String, String> {
    let mut endpoints = HashMap::new();
    for (key, value) in env.vars() {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if key == "AWS_ENDPOINT_URL" {
            endpoints.insert(String::new(), value.to_owned());
        } else if let Some(service) = key.strip_prefix("AWS_ENDPOINT_URL_") {
            endpoints.insert(service.to_owned(), value.to_owned());
        }
    }
    endpoints
}

/// Builds a [`Config`]; every setter is `with_*`.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
    /// Where a region could have come from, for the error without one.
    profile: Option<String>,
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

    /// Sends with this HTTP client, built by you: your roots, proxies,
    /// timeouts, connection pool, TLS settings. The credentials chain of
    /// [`Config::from_env`] sends its requests (STS, SSO, the container
    /// endpoint, instance metadata) with it too. The connect timeout and the
    /// CA bundle of this config then do not apply (they are settings of a
    /// client this crate builds); the attempt and operation timeouts do.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: AWS JSON
    /// services never redirect, and following one would send the signed
    /// headers, session token included, to another host.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.config.http_client = Some(client);
        self
    }

    /// Trusts the certificates of this PEM file besides the root
    /// certificates, as `AWS_CA_BUNDLE` does (for a TLS-intercepting proxy,
    /// or a private endpoint with a certificate from your own CA).
    pub fn with_ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.ca_bundle = Some(path.into());
        self
    }

    /// Leaves out the host prefixes of operations that declare one (Smithy's
    /// endpoint trait): requests go to the endpoint's host unchanged.
    pub fn with_host_prefix_disabled(mut self, disabled: bool) -> Self {
        self.config.disable_host_prefix = disabled;
        self
    }

    /// Sets request compression (for operations that declare it).
    pub fn with_request_compression(mut self, compression: RequestCompressionConfig) -> Self {
        self.config.request_compression = compression;
        self
    }

    /// The configuration.
    pub fn build(self) -> Config {
        self.config
    }

    /// The configuration, or an error saying how to set the region if none
    /// is set (every request is signed for a region, custom endpoints too).
    pub fn try_build(self) -> Result<Config, ConfigError> {
        if self.config.region.is_none() {
            let from = self
                .profile
                .map(|p| format!(" (looked in AWS_REGION, AWS_DEFAULT_REGION and {p})"))
                .unwrap_or_default();
            return Err(ConfigError(format!("{NO_REGION}{from}")));
        }
        Ok(self.config)
    }
}
