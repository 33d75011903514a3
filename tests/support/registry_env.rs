//! The servers a registry test runs against, started together: moto (the
//! ECR API), the CNCF registry with htpasswd auth whose password is the
//! one moto's GetAuthorizationToken returns, and the proxy that plays ECR's
//! registry endpoint in front of it.

use std::sync::Arc;

use ecrkit::Client;
use ecrkit::registry::RegistryClient;

use crate::Moto;
use crate::ecr_registry::EcrRules;
use crate::proxy::Proxy;
use crate::registry::{MOTO_PASSWORD, Registry};

/// moto, the registry, and the ECR-rules proxy in front of the registry.
pub struct RegistryEnv {
    /// The ECR proxy (dropped first).
    pub ecr_proxy: Proxy,
    /// Its rules and what it did.
    pub rules: Arc<EcrRules>,
    /// The registry.
    pub registry: Registry,
    /// moto.
    pub moto: Moto,
    /// An ECR API client for moto.
    pub client: Client,
}

impl RegistryEnv {
    /// Starts moto, the registry and the proxy.
    pub fn start() -> RegistryEnv {
        let moto = Moto::start();
        let registry = Registry::start(MOTO_PASSWORD);
        let rules = EcrRules::new();
        let ecr_proxy = Proxy::start(&registry.endpoint, rules.clone());
        let client = moto.client();
        RegistryEnv {
            ecr_proxy,
            rules,
            registry,
            moto,
            client,
        }
    }

    /// A registry client for the registry itself, authorized by
    /// GetAuthorizationToken through moto.
    pub async fn direct(&self) -> RegistryClient {
        RegistryClient::for_ecr(&self.client, None, Some(&self.registry.endpoint))
            .await
            .expect("a registry client with moto's token")
    }

    /// A registry client for the ECR-rules proxy.
    pub async fn ecr(&self) -> RegistryClient {
        RegistryClient::for_ecr(&self.client, None, Some(&self.ecr_proxy.endpoint))
            .await
            .expect("a registry client with moto's token")
    }
}

/// Prints the line `scripts/test.sh` counts for its summary.
pub fn case_passed(name: &str) {
    println!("registry case passed: {name}");
}
