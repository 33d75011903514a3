//! Where the signing keys come from.
//!
//! [`default_provider`] is what [`crate::Config::from_env`] uses: the AWS
//! SDKs' default chain
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html>)
//! from aws-config ([`DefaultChainProvider`]: the environment, the shared
//! config and credentials files with assume-role chains, `credential_process`
//! and SSO, web identity tokens, the ECS/EKS container endpoint, EC2
//! instance metadata), cached by a [`CachingProvider`] that refreshes
//! credentials before they expire. Its requests go through the client's own
//! HTTP client (`credentials/http.rs`).
//!
//! Your own source implements [`ProvideCredentials`]; any aws-config
//! provider becomes one with [`AwsConfigProvider`].
//!
//! Secrets stay out of `Debug` output, error messages and logs:
//! [`Credentials`] is `aws-credential-types`' type, whose `Debug` redacts the
//! secret key and the session token, and aws-config's providers and errors
//! print no secret and no `credential_process` command line
//! (tests/secrets.rs checks both).

mod aws_chain;
mod cache;
mod http;
mod trace_filter;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use aws_credential_types::Credentials;

pub use aws_chain::{AwsConfigProvider, DefaultChainProvider};
pub use cache::CachingProvider;

use crate::env::Env;

/// Errors from a credentials source. The messages never hold a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No source had credentials; a chain goes on to its next source.
    #[error("no AWS credentials found: {0}")]
    NotFound(String),
    /// A source was configured but failed; a chain stops there.
    #[error("could not load AWS credentials: {0}")]
    Provider(String),
}

impl CredentialsError {
    /// The message without the prefix that `Display` adds.
    pub fn message(&self) -> &str {
        match self {
            CredentialsError::NotFound(m) | CredentialsError::Provider(m) => m,
        }
    }
}

/// A boxed future returned by [`ProvideCredentials::provide`].
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials, asked before each request is signed.
pub trait ProvideCredentials: Send + Sync + std::fmt::Debug {
    /// Returns current credentials.
    fn provide(&self) -> CredentialsFuture<'_>;

    /// Takes what the [`crate::Client`] it serves was built with (its HTTP
    /// client and region), before the first [`ProvideCredentials::provide`];
    /// a source that fetches credentials over HTTP uses them, so that the
    /// client's roots, CA bundle and proxies apply. The client calls it once
    /// when it is built; a provider shared by several clients keeps what the
    /// first one gave. The default does nothing.
    fn prepare(&self, _context: &ProviderContext) {}
}

/// What a [`crate::Client`] hands its credentials provider when it is built
/// (see [`ProvideCredentials::prepare`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderContext {
    /// The client's HTTP client.
    pub http: reqwest::Client,
    /// The client's region.
    pub region: Option<String>,
}

impl ProviderContext {
    /// A context with this HTTP client and region.
    pub fn new(http: reqwest::Client, region: Option<String>) -> Self {
        Self { http, region }
    }
}

/// A shared credentials source.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

/// The chain of [`crate::Config::from_env`]: the AWS SDKs' default chain
/// ([`DefaultChainProvider`]) for the profile `env`'s `AWS_PROFILE` names,
/// cached by a [`CachingProvider`] (refreshed five minutes before the
/// credentials expire, one refresh for any number of concurrent requests).
///
/// The chain reads the process environment and the shared files it names,
/// as aws-config does; of `env` it takes the profile and the region.
pub fn default_provider(env: &Env) -> SharedCredentialsProvider {
    let region = env
        .var("AWS_REGION")
        .or_else(|| env.var("AWS_DEFAULT_REGION"));
    Arc::new(CachingProvider::new(DefaultChainProvider::new(
        env.var("AWS_PROFILE"),
        region,
    )))
}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` of the process environment, read each time they are
/// asked for (aws-config's `EnvironmentVariableCredentialsProvider`): the
/// source of [`crate::Config::builder`] when no other is given.
pub fn environment_provider() -> SharedCredentialsProvider {
    Arc::new(AwsConfigProvider::new(
        aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
    ))
}

/// Fixed credentials, given by the caller.
#[derive(Debug, Clone)]
pub struct StaticProvider(pub Credentials);

impl ProvideCredentials for StaticProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        let creds = self.0.clone();
        Box::pin(async move { Ok(creds) })
    }
}
