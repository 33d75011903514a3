//! Choosing the wire of an image push, pull or copy: the ECR API or the
//! registry endpoint ([`Transport`]).

use std::time::Duration;

use super::{RegistryClient, RegistryError, Transport};
use crate::client::Client;
use crate::operation::{Ecr, Service};

/// How long `Auto` waits for `GET /v2/` before it takes the API.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A transport once chosen.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// The ECR API.
    Api,
    /// The registry, through this client.
    Registry(RegistryClient),
}

impl Resolved {
    /// The transport this is.
    pub fn transport(&self) -> Transport {
        match self {
            Resolved::Api => Transport::Api,
            Resolved::Registry(_) => Transport::Registry,
        }
    }
}

/// Resolves `transport` for an operation on ECR through `client`:
/// `registry` is the registry client to use (by default one for the ECR
/// registry of `registry_id`, authorized by `GetAuthorizationToken`, at the
/// endpoint the token names). See [`Transport::Auto`] for what `Auto` does.
pub async fn resolve(
    client: &Client,
    transport: Transport,
    registry: Option<&RegistryClient>,
    registry_id: Option<&str>,
) -> Result<Resolved, RegistryError> {
    match transport {
        Transport::Api => Ok(Resolved::Api),
        Transport::Registry => match registry {
            Some(r) => Ok(Resolved::Registry(r.clone())),
            None => Ok(Resolved::Registry(
                RegistryClient::for_ecr(client, registry_id, None).await?,
            )),
        },
        Transport::Auto => {
            let candidate = match registry {
                Some(r) => r.clone(),
                None => {
                    if crate::endpoint::custom_endpoint(client.config(), &Ecr::INFO).is_some() {
                        tracing::debug!(
                            "transport Auto: a custom ECR endpoint and no registry given: the API"
                        );
                        return Ok(Resolved::Api);
                    }
                    match RegistryClient::for_ecr(client, registry_id, None).await {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::info!(error = %e, "transport Auto: no registry endpoint; using the ECR API");
                            return Ok(Resolved::Api);
                        }
                    }
                }
            };
            match candidate.ping(PROBE_TIMEOUT).await {
                Ok(()) => Ok(Resolved::Registry(candidate)),
                Err(e) => {
                    tracing::info!(registry = candidate.host(), error = %e, "transport Auto: the registry does not answer; using the ECR API");
                    Ok(Resolved::Api)
                }
            }
        }
    }
}
