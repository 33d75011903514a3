//! Where the signing keys come from.
//!
//! [`Credentials`] is `aws-credential-types`' type: its `Debug` output
//! redacts the secret key and the session token.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use aws_credential_types::Credentials;

/// Errors from a credentials source.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No source had credentials.
    #[error("no AWS credentials found: {0}")]
    NotFound(String),
    /// A source was configured but failed.
    #[error("could not load AWS credentials: {0}")]
    Provider(String),
}

/// A boxed future returned by [`ProvideCredentials::provide`].
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials, asked before each request is signed.
pub trait ProvideCredentials: Send + Sync + std::fmt::Debug {
    /// Returns current credentials.
    fn provide(&self) -> CredentialsFuture<'_>;
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

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
#[derive(Debug, Clone, Default)]
pub struct EnvProvider;

impl EnvProvider {
    /// The credentials in the environment now, if any.
    pub fn load() -> Result<Credentials, CredentialsError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => {
                Ok(Credentials::new(id, secret, var("AWS_SESSION_TOKEN"), None, "env"))
            }
            (Some(_), None) => Err(CredentialsError::Provider(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into(),
            )),
            _ => Err(CredentialsError::NotFound(
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give credentials to the client builder".into(),
            )),
        }
    }
}

impl ProvideCredentials for EnvProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async { Self::load() })
    }
}

/// A shared credentials source.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;
