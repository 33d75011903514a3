//! Where the signing keys come from.
//!
//! [`default_provider`] is what [`crate::Config::from_env`] uses: the
//! environment, then the shared config and credentials files, in the order of
//! the AWS SDKs' default chain
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html>),
//! cached by a [`CachingProvider`] that reloads credentials before they
//! expire. With the `aws-config` cargo feature the chain ends with
//! aws-config's `DefaultCredentialsChain` (`AwsConfigProvider`), which adds
//! assume role, SSO, web identity, the ECS container endpoint and EC2
//! instance metadata.
//!
//! Secrets stay out of `Debug` output, error messages and logs:
//! [`Credentials`] is `aws-credential-types`' type, whose `Debug` redacts the
//! secret key and the session token; the providers here print no secret and
//! no `credential_process` command line, and their errors name files, lines,
//! profiles and fields, never values.

mod cache;
mod process;

#[cfg(feature = "aws-config")]
mod aws_config;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use aws_credential_types::Credentials;

#[cfg(feature = "aws-config")]
pub use self::aws_config::AwsConfigProvider;
pub use cache::CachingProvider;
pub use process::ProcessProvider;

use crate::config::Env;
use crate::config::profile::{self, FileKind, ProfileSet};

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
}

/// A shared credentials source.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

/// The chain of [`crate::Config::from_env`], cached: [`EnvProvider`], then
/// [`ProfileProvider`] (the profile `AWS_PROFILE` names, default `default`),
/// then, with the `aws-config` feature, `AwsConfigProvider::default_chain`
/// (for profiles that assume a role or use SSO, web identity tokens, the ECS
/// container endpoint and EC2 instance metadata; it reads the process
/// environment, not `env`).
pub fn default_provider(env: &Env) -> SharedCredentialsProvider {
    let chain = ChainProvider::new()
        .with_link(EnvProvider::new(env.clone()))
        .with_link(ProfileProvider::new(env.clone()));
    #[cfg(feature = "aws-config")]
    let chain = chain.with_link(AwsConfigProvider::default_chain(env.var("AWS_PROFILE")));
    Arc::new(CachingProvider::new(chain))
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

/// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
/// (the process environment by default) each time it is asked.
#[derive(Debug, Clone, Default)]
pub struct EnvProvider {
    env: Env,
}

impl EnvProvider {
    /// Reads these variables.
    pub fn new(env: Env) -> Self {
        Self { env }
    }

    /// The credentials in the process environment now, if any.
    pub fn load() -> Result<Credentials, CredentialsError> {
        Self::default().load_now()
    }

    /// The credentials in the variables now, if any.
    pub fn load_now(&self) -> Result<Credentials, CredentialsError> {
        let env = &self.env;
        match (
            env.var("AWS_ACCESS_KEY_ID"),
            env.var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Ok(Credentials::new(
                id,
                secret,
                env.var("AWS_SESSION_TOKEN"),
                None,
                "env",
            )),
            (Some(_), None) => Err(CredentialsError::Provider(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into(),
            )),
            (None, Some(_)) => Err(CredentialsError::Provider(
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".into(),
            )),
            (None, None) => Err(CredentialsError::NotFound(
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into(),
            )),
        }
    }
}

impl ProvideCredentials for EnvProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async { self.load_now() })
    }
}

/// Profile settings this crate leaves to aws-config, and what they are.
const DELEGATED_KEYS: &[(&str, &str)] = &[
    ("role_arn", "assume role"),
    ("credential_source", "assume role"),
    ("web_identity_token_file", "web identity"),
    ("sso_session", "IAM Identity Center (SSO)"),
    ("sso_start_url", "IAM Identity Center (SSO)"),
    ("login_session", "console login"),
];

/// Credentials from a profile of the shared config and credentials files
/// (see [`crate::config::profile`] for the format): `credential_process`,
/// else `aws_access_key_id` / `aws_secret_access_key` / `aws_session_token`,
/// as the AWS SDKs resolve a profile. The files are read each time it is
/// asked (wrap it in a [`CachingProvider`]).
///
/// A profile that assumes a role, or uses SSO or a web identity token, is
/// left to the next provider of the chain with the `aws-config` feature, and
/// is an error saying so without it.
#[derive(Debug, Clone, Default)]
pub struct ProfileProvider {
    env: Env,
    profile: Option<String>,
}

impl ProfileProvider {
    /// The profile `AWS_PROFILE` names (default `default`), in the files
    /// that `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name
    /// (default `~/.aws/config` and `~/.aws/credentials`) in `env`.
    pub fn new(env: Env) -> Self {
        Self { env, profile: None }
    }

    /// Uses this profile, whatever `AWS_PROFILE` says.
    pub fn with_profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The profile name, and whether it was chosen (a chosen profile that
    /// does not exist is an error; a missing `default` is not).
    fn profile_name(&self) -> (String, bool) {
        match self.profile.clone().or_else(|| self.env.var("AWS_PROFILE")) {
            Some(name) => (name, true),
            None => ("default".to_owned(), false),
        }
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let (name, chosen) = self.profile_name();
        let files = ProfileSet::load(&self.env)
            .map_err(|e| CredentialsError::Provider(format!("the AWS shared config: {e}")))?;
        let Some(profile) = files.profile(&name) else {
            let where_ = format!(
                "{} or {}",
                path_text(&self.env, FileKind::Config),
                path_text(&self.env, FileKind::Credentials)
            );
            return Err(if chosen {
                CredentialsError::Provider(format!("profile `{name}` is not defined in {where_}"))
            } else {
                CredentialsError::NotFound(format!("no profile `{name}` in {where_}"))
            });
        };
        if let Some((key, what)) = DELEGATED_KEYS
            .iter()
            .find(|(key, _)| profile.get(key).is_some())
        {
            return Err(if cfg!(feature = "aws-config") {
                CredentialsError::NotFound(format!(
                    "profile `{name}` uses {what} (`{key}`): left to the aws-config chain"
                ))
            } else {
                CredentialsError::Provider(format!(
                    "profile `{name}` uses {what} (`{key}`), which needs ecrkit's \
                     `aws-config` cargo feature"
                ))
            });
        }
        if let Some(command) = profile.get("credential_process") {
            return ProcessProvider::new(command)
                .with_profile(name.clone())
                .load()
                .await;
        }
        let get = |key: &str| {
            profile
                .get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(id), Some(secret)) => {
                let token = get("aws_session_token").or_else(|| get("aws_security_token"));
                Ok(Credentials::new(id, secret, token, None, "profile"))
            }
            (Some(_), None) => Err(CredentialsError::Provider(format!(
                "profile `{name}` has aws_access_key_id but no aws_secret_access_key"
            ))),
            (None, Some(_)) => Err(CredentialsError::Provider(format!(
                "profile `{name}` has aws_secret_access_key but no aws_access_key_id"
            ))),
            (None, None) => Err(CredentialsError::NotFound(format!(
                "profile `{name}` has no credentials (aws_access_key_id, credential_process)"
            ))),
        }
    }
}

fn path_text(env: &Env, kind: FileKind) -> String {
    profile::file_path(env, kind)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no home directory)".to_owned())
}

impl ProvideCredentials for ProfileProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(self.load())
    }
}

/// Providers tried in turn: the first credentials win; a source without
/// credentials ([`CredentialsError::NotFound`]) passes to the next; a source
/// that fails ([`CredentialsError::Provider`]) stops the chain, as in the AWS
/// SDKs, so a broken profile is reported instead of silently skipped.
#[derive(Debug, Clone, Default)]
pub struct ChainProvider {
    links: Vec<SharedCredentialsProvider>,
}

impl ChainProvider {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a provider at the end.
    pub fn with_link(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.links.push(Arc::new(provider));
        self
    }

    /// Adds a shared provider at the end.
    pub fn with_shared_link(mut self, provider: SharedCredentialsProvider) -> Self {
        self.links.push(provider);
        self
    }
}

impl ProvideCredentials for ChainProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let mut tried = Vec::new();
            for link in &self.links {
                match link.provide().await {
                    Ok(credentials) => {
                        tracing::debug!(provider = ?link, "credentials loaded");
                        return Ok(credentials);
                    }
                    Err(CredentialsError::NotFound(message)) => tried.push(message),
                    Err(e) => return Err(e),
                }
            }
            if tried.is_empty() {
                tried.push("the credentials chain is empty".to_owned());
            }
            Err(CredentialsError::NotFound(tried.join("; ")))
        })
    }
}
