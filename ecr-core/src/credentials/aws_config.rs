//! The bridge to aws-config's providers (cargo feature `aws-config`).

use std::error::Error as _;
use std::fmt;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_credential_types::provider::error::CredentialsError as AwsCredentialsError;
use aws_credential_types::provider::{
    ProvideCredentials as AwsProvideCredentials, SharedCredentialsProvider as AwsShared,
};

use super::{CredentialsError, CredentialsFuture, ProvideCredentials};

/// Any aws-config (`aws-credential-types`) credentials provider as one of
/// ours; above all aws-config's `DefaultCredentialsChain`
/// (<https://docs.rs/aws-config/latest/aws_config/default_provider/credentials/struct.DefaultCredentialsChain.html>):
/// environment, profile (with assume role, SSO, `credential_process`), web
/// identity token, ECS container endpoint, EC2 instance metadata.
///
/// aws-config's "credentials not loaded" becomes
/// [`CredentialsError::NotFound`] (a chain goes on), any other failure
/// [`CredentialsError::Provider`].
pub struct AwsConfigProvider {
    source: Source,
}

enum Source {
    Ready(AwsShared),
    /// Built on first use: building reads the region and the profile files.
    DefaultChain {
        profile: Option<String>,
        chain: tokio::sync::OnceCell<AwsShared>,
    },
}

impl fmt::Debug for AwsConfigProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Ready(p) => f.debug_tuple("AwsConfigProvider").field(p).finish(),
            Source::DefaultChain { profile, .. } => f
                .debug_struct("AwsConfigProvider")
                .field("default_chain_profile", profile)
                .finish(),
        }
    }
}

impl AwsConfigProvider {
    /// Wraps an aws-config provider.
    pub fn new(provider: impl AwsProvideCredentials + 'static) -> Self {
        Self {
            source: Source::Ready(AwsShared::new(provider)),
        }
    }

    /// aws-config's `DefaultCredentialsChain` for `profile` (default: what
    /// `AWS_PROFILE` says), built when first asked. It reads the process
    /// environment and the region from aws-config's region chain.
    pub fn default_chain(profile: Option<String>) -> Self {
        Self {
            source: Source::DefaultChain {
                profile,
                chain: tokio::sync::OnceCell::new(),
            },
        }
    }

    async fn provider(&self) -> AwsShared {
        match &self.source {
            Source::Ready(p) => p.clone(),
            Source::DefaultChain { profile, chain } => chain
                .get_or_init(|| async {
                    let mut builder = DefaultCredentialsChain::builder();
                    if let Some(name) = profile {
                        builder = builder.profile_name(name);
                    }
                    AwsShared::new(builder.build().await)
                })
                .await
                .clone(),
        }
    }
}

impl ProvideCredentials for AwsConfigProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let provider = self.provider().await;
            provider.provide_credentials().await.map_err(convert)
        })
    }
}

/// aws-config's error with its causes, one after another.
fn convert(error: AwsCredentialsError) -> CredentialsError {
    let mut message = format!("aws-config: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    match error {
        AwsCredentialsError::CredentialsNotLoaded(_) => CredentialsError::NotFound(message),
        _ => CredentialsError::Provider(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bridges_a_provider() {
        let p = AwsConfigProvider::new(aws_credential_types::Credentials::new(
            "AKIDBRIDGE",
            "bridge/secret",
            Some("bridge-token".into()),
            None,
            "test",
        ));
        let c = p.provide().await.unwrap();
        assert_eq!(c.access_key_id(), "AKIDBRIDGE");
        assert_eq!(c.session_token(), Some("bridge-token"));
        let debug = format!("{p:?} {c:?}");
        assert!(!debug.contains("bridge/secret") && !debug.contains("bridge-token"));
    }

    #[tokio::test]
    async fn not_loaded_lets_a_chain_go_on() {
        #[derive(Debug)]
        struct Nothing;
        impl AwsProvideCredentials for Nothing {
            fn provide_credentials<'a>(
                &'a self,
            ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                    AwsCredentialsError::not_loaded("nothing here"),
                ))
            }
        }
        let e = AwsConfigProvider::new(Nothing).provide().await.unwrap_err();
        assert!(matches!(e, CredentialsError::NotFound(_)), "{e:?}");
    }
}
