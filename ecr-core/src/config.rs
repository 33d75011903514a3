//! Client configuration: plain data, a builder, and `from_env`.

pub mod profile;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{Credentials, EnvProvider, SharedCredentialsProvider, StaticProvider};
use crate::endpoint::EndpointVariant;
use crate::retry::RetryConfig;
use crate::validate::ValidationMode;
use profile::{FileKind, Profile, ProfileSet};

/// A client that cannot be configured (no region, for one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client configuration: {0}")]
pub struct ConfigError(pub String);

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
    /// Configured endpoints keyed by `<SERVICE>` (`ECR`), the empty key for
    /// every service: from `AWS_ENDPOINT_URL_<SERVICE>` and `AWS_ENDPOINT_URL`,
    /// and from the profile where no variable overrides it (see
    /// [`Config::from_env`]).
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
            endpoint_variant: EndpointVariant::default(),
            credentials: Arc::new(EnvProvider::default()),
            validation: ValidationMode::default(),
            retry: RetryConfig::default(),
            timeouts: TimeoutConfig::default(),
            max_response_bytes: 64 << 20,
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
    /// | request compression | `AWS_DISABLE_REQUEST_COMPRESSION`, `AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES` | `disable_request_compression`, `request_min_compression_size_bytes` |
    ///
    /// An environment variable wins over the profile. Credentials come from
    /// [`crate::credentials::default_provider`]: the environment, then the
    /// profile (static keys or `credential_process`), cached and refreshed
    /// before they expire. The files are read now for the settings, and again
    /// by the credentials provider when it loads credentials; a file that
    /// does not parse is reported (with `tracing::warn!` here, as an error by
    /// the credentials provider).
    pub fn from_env() -> ConfigBuilder {
        Self::from_env_with(&Env::process())
    }

    /// [`Config::from_env`] over the given variables instead of the
    /// process's (for tests, or to pick a profile: `Env::process().with_var("AWS_PROFILE", "dev")`).
    pub fn from_env_with(env: &Env) -> ConfigBuilder {
        let profile_name = env
            .var("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned());
        let files = ProfileSet::load(env).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "AWS shared config ignored");
            ProfileSet::default()
        });
        let empty = Profile::default();
        let profile = files.profile(&profile_name).unwrap_or(&empty);
        let setting = |var: &str, key: &str| env.var(var).or_else(|| nonempty(profile.get(key)));
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
                .or_else(|| nonempty(profile.get("region"))),
            credentials: crate::credentials::default_provider(env),
            ..Config::default()
        };

        if !flag(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "ignore_configured_endpoint_urls",
        )
        .unwrap_or(false)
        {
            config.env_endpoints = configured_endpoints(env, &files, profile);
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
        let config_file = profile::file_path(env, FileKind::Config)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.aws/config".to_owned());
        ConfigBuilder {
            config,
            profile: Some(format!("profile `{profile_name}` in {config_file}")),
        }
    }
}

fn nonempty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The endpoints set in the environment and the profile, keyed by service
/// (`ECR`; the empty key for all services), with the precedence of
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html>:
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile's
/// `services` section, the profile's `endpoint_url`. The client looks up the
/// service's key, then the empty key; so a profile entry is kept only where
/// no variable overrides it.
fn configured_endpoints(
    env: &Env,
    files: &ProfileSet,
    profile: &Profile,
) -> HashMap<String, String> {
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
    if endpoints.contains_key("") {
        // AWS_ENDPOINT_URL beats everything in the profile.
        return endpoints;
    }
    if let Some(section) = profile
        .get("services")
        .and_then(|name| files.section("services", name.trim()))
    {
        for service in section.keys() {
            if let Some(url) = nonempty(
                section
                    .sub_properties(service)
                    .get("endpoint_url")
                    .map(String::as_str),
            ) {
                let key = service.to_ascii_uppercase().replace(['-', ' '], "_");
                endpoints.entry(key).or_insert(url);
            }
        }
    }
    if let Some(url) = nonempty(profile.get("endpoint_url")) {
        endpoints.insert(String::new(), url);
    }
    endpoints
}

/// The environment variables the configuration is read from: the process's
/// (read when asked, so later changes are seen), or a fixed set (for tests,
/// which then need not touch the process environment).
///
/// `Debug` prints the variable names only.
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<BTreeMap<String, String>>>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env { fixed: None }
    }

    /// Exactly these variables.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            fixed: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// These variables with one more set (a fixed copy of the process
    /// environment if this is the process environment).
    pub fn with_var(self, name: impl Into<String>, value: impl Into<String>) -> Env {
        let mut vars: BTreeMap<String, String> = self.vars().into_iter().collect();
        vars.insert(name.into(), value.into());
        Env {
            fixed: Some(Arc::new(vars)),
        }
    }

    /// A variable as set (possibly empty).
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.fixed {
            Some(vars) => vars.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// A variable, trimmed; `None` if unset or blank (the AWS SDKs treat an
    /// empty variable as unset).
    pub fn var(&self, name: &str) -> Option<String> {
        nonempty(self.get(name).as_deref())
    }

    /// Every variable (those with names and values in UTF-8).
    pub fn vars(&self) -> Vec<(String, String)> {
        match &self.fixed {
            Some(vars) => vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// The home directory: `HOME`, else `USERPROFILE`, else
    /// `HOMEDRIVE` + `HOMEPATH` (as the AWS SDKs look for it).
    pub fn home_dir(&self) -> Option<String> {
        self.var("HOME")
            .or_else(|| self.var("USERPROFILE"))
            .or_else(|| {
                Some(format!(
                    "{}{}",
                    self.var("HOMEDRIVE")?,
                    self.var("HOMEPATH")?
                ))
            })
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env(process)"),
            Some(vars) => f
                .debug_struct("Env")
                .field("names", &vars.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
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
