//! aws-config's providers as ours: the bridge ([`AwsConfigProvider`]), and
//! the AWS SDKs' default chain ([`DefaultChainProvider`]).

use std::error::Error as _;
use std::fmt;
use std::sync::OnceLock;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::error::CredentialsError as AwsCredentialsError;
use aws_credential_types::provider::{
    ProvideCredentials as AwsProvideCredentials, SharedCredentialsProvider as AwsShared,
};
use aws_types::region::Region;

use super::http::ReqwestHttpClient;
use super::{CredentialsError, CredentialsFuture, ProvideCredentials, ProviderContext};

/// Any aws-config (`aws-credential-types`) credentials provider as one of
/// ours: aws-config's `AssumeRoleProvider` with settings of your own, its
/// `CredentialsProviderChain`, a provider of another crate.
///
/// aws-config's "credentials not loaded" becomes
/// [`CredentialsError::NotFound`], any other failure
/// [`CredentialsError::Provider`], with the causes in the message.
#[derive(Debug, Clone)]
pub struct AwsConfigProvider(AwsShared);

impl AwsConfigProvider {
    /// Wraps an aws-config provider.
    pub fn new(provider: impl AwsProvideCredentials + 'static) -> Self {
        Self(AwsShared::new(provider))
    }
}

impl ProvideCredentials for AwsConfigProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            super::trace_filter::quiet(self.0.provide_credentials())
                .await
                .map_err(convert)
        })
    }
}

/// The default credentials chain of the AWS SDKs
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html>),
/// aws-config's `DefaultCredentialsChain`, in this order:
///
/// 1. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
///    `AWS_SESSION_TOKEN`;
/// 2. the profile of the shared config and credentials files: static keys,
///    `role_arn` with `source_profile` or `credential_source` (assume-role
///    chains through STS), `web_identity_token_file`, `credential_process`,
///    SSO (`sso_session` or the legacy `sso_start_url`, with the token cache
///    in `~/.aws/sso/cache`);
/// 3. a web identity token: `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`,
///    `AWS_ROLE_SESSION_NAME` (EKS IRSA, GitHub Actions OIDC);
/// 4. the ECS and EKS Pod Identity container endpoint:
///    `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`, with
///    `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `_TOKEN_FILE`;
/// 5. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED` is
///    `true`; `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it.
///
/// It reads the process environment (aws-config has no other), and the
/// profile given here or named by `AWS_PROFILE`. Its requests (STS, SSO,
/// the container endpoint, instance metadata) go through the HTTP client of
/// the [`crate::Client`] it serves, handed over by
/// [`ProvideCredentials::prepare`], so the client's roots, CA bundle and
/// proxies apply to them; used on its own it builds a client with the
/// defaults. STS and SSO follow the configured endpoints
/// (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL`).
///
/// It does not cache: [`super::default_provider`] wraps it in a
/// [`super::CachingProvider`].
pub struct DefaultChainProvider {
    profile: Option<String>,
    region: Option<String>,
    context: OnceLock<ProviderContext>,
    chain: tokio::sync::OnceCell<DefaultCredentialsChain>,
}

impl fmt::Debug for DefaultChainProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChainProvider")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .field("built", &self.chain.initialized())
            .finish()
    }
}

impl DefaultChainProvider {
    /// The chain for `profile` (`None`: what `AWS_PROFILE` names, else
    /// `default`), with `region` for STS (`None`: the region chain of
    /// aws-config, or the client's region when a client prepares it).
    pub fn new(profile: Option<String>, region: Option<String>) -> Self {
        Self {
            profile,
            region,
            context: OnceLock::new(),
            chain: tokio::sync::OnceCell::new(),
        }
    }

    async fn build(&self) -> Result<DefaultCredentialsChain, CredentialsError> {
        let (http, region) = match self.context.get() {
            Some(context) => (
                context.http.clone(),
                context.region.clone().or_else(|| self.region.clone()),
            ),
            None => {
                let http = crate::transport::default_http_client().map_err(|e| {
                    CredentialsError::Provider(format!(
                        "no HTTP client for the credentials chain: {e}"
                    ))
                })?;
                (http, self.region.clone())
            }
        };
        let conf = ProviderConfig::default().with_http_client(ReqwestHttpClient::shared(http));
        let mut builder = DefaultCredentialsChain::builder().configure(conf);
        if let Some(name) = &self.profile {
            builder = builder.profile_name(name);
        }
        if let Some(region) = region {
            builder = builder.region(Region::new(region));
        }
        Ok(builder.build().await)
    }
}

impl ProvideCredentials for DefaultChainProvider {
    fn provide(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let chain = self.chain.get_or_try_init(|| self.build()).await?;
            super::trace_filter::quiet(chain.provide_credentials())
                .await
                .map_err(convert)
        })
    }

    fn prepare(&self, context: &ProviderContext) {
        // The first client wins; a chain already built keeps its client.
        let _ = self.context.set(context.clone());
    }
}

/// aws-config's error with its causes, one after another. aws-config keeps
/// secrets out of them (its `credential_process` errors do not quote the
/// command or its output; tests/secrets.rs checks).
fn convert(error: AwsCredentialsError) -> CredentialsError {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // aws-config repeats a cause in the message of its wrapper.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
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
    async fn not_loaded_lets_a_chain_go_on_and_other_errors_stop_it() {
        #[derive(Debug)]
        struct Failing(fn() -> AwsCredentialsError);
        impl AwsProvideCredentials for Failing {
            fn provide_credentials<'a>(
                &'a self,
            ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                aws_credential_types::provider::future::ProvideCredentials::ready(Err((self.0)()))
            }
        }
        let e = AwsConfigProvider::new(Failing(|| AwsCredentialsError::not_loaded("nothing")))
            .provide()
            .await
            .unwrap_err();
        assert!(matches!(e, CredentialsError::NotFound(_)), "{e:?}");
        let e = AwsConfigProvider::new(Failing(|| {
            AwsCredentialsError::invalid_configuration("role_arn without source_profile")
        }))
        .provide()
        .await
        .unwrap_err();
        assert!(matches!(e, CredentialsError::Provider(_)), "{e:?}");
        assert!(
            e.message().contains("role_arn without source_profile"),
            "{e}"
        );
    }
}
