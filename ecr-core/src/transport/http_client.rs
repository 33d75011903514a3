//! The reqwest client this crate builds when the config brings none:
//! timeouts, no redirects, the root certificates, a CA bundle, proxies.
//!
//! - Roots: Mozilla's (`webpki-roots` feature) and the operating system's
//!   (`native-roots`), both on by default; with neither, only a CA bundle is
//!   trusted, and without one a request to an `https://` endpoint fails
//!   before it is sent, with an error that says so ([`NO_ROOTS`]).
//! - A CA bundle (`AWS_CA_BUNDLE`, the profile's `ca_bundle`,
//!   [`crate::ConfigBuilder::with_ca_bundle`]): every certificate of the PEM
//!   file is trusted besides the roots.
//! - Proxies: reqwest's, from the environment when the client is built
//!   (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, in upper or
//!   lower case; `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set, as
//!   in a CGI script).

use std::time::Duration;

use crate::config::{Config, ConfigError};

/// A reqwest builder with this crate's settings for `config`: its connect
/// timeout and CA bundle, idle connections kept for a minute, `TCP_NODELAY`,
/// no redirects (AWS JSON services never redirect; following one would send
/// the signed headers, session token included, to another host), proxies
/// from the environment. Add your own settings and hand the client to
/// [`crate::ConfigBuilder::with_http_client`].
pub fn http_client_builder(config: &Config) -> Result<reqwest::ClientBuilder, ConfigError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = &config.ca_bundle {
        for certificate in read_ca_bundle(path)? {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder)
}

/// Why a client this crate built cannot reach an `https://` endpoint when
/// no root certificate is trusted.
pub const NO_ROOTS: &str = "no root certificates to check the endpoint's TLS certificate with: \
ecrkit was built without its `webpki-roots` and `native-roots` features; enable one, or give \
a CA bundle (AWS_CA_BUNDLE, the profile's ca_bundle, ConfigBuilder::with_ca_bundle)";

/// Whether a client this crate builds for `config` trusts no certificate
/// at all (no root feature, no CA bundle).
pub(crate) fn trusts_nothing(config: &Config) -> bool {
    config.http_client.is_none()
        && config.ca_bundle.is_none()
        && !cfg!(any(feature = "webpki-roots", feature = "native-roots"))
}

/// The client [`http_client_builder`] makes.
pub fn build_http_client(config: &Config) -> Result<reqwest::Client, ConfigError> {
    http_client_builder(config)?.build().map_err(|e| {
        let with = match &config.ca_bundle {
            Some(path) => format!(" with the CA bundle {}", path.display()),
            None => String::new(),
        };
        ConfigError(format!(
            "the HTTP client could not be built{with}: {}",
            with_causes(&e)
        ))
    })
}

/// An error and its causes (reqwest's own text is only "builder error").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The client of the default config (for a credentials provider used
/// without a client).
pub(crate) fn default_http_client() -> Result<reqwest::Client, ConfigError> {
    build_http_client(&Config::default())
}

/// Every certificate of a PEM file; an error names the file.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, ConfigError> {
    let fail = |what: String| ConfigError(format!("CA bundle {}: {what}", path.display()));
    let pem = std::fs::read(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| fail(format!("not a PEM certificate bundle: {}", with_causes(&e))))?;
    if certificates.is_empty() {
        return Err(fail("holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}
