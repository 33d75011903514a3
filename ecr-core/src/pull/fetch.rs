//! Where a pull (or a copy) reads an image: ECR through its API
//! (`BatchGetImage` with the accepted media types; `GetDownloadUrlForLayer`
//! and the pre-signed URL it returns), or a registry through the
//! distribution protocol.

use std::sync::Arc;

use bytes::Bytes;

use super::PullError;
use crate::client::Client;
use crate::ecr::{BatchGetImage, GetDownloadUrlForLayer, ImageIdentifier};
use crate::oci::{MANIFEST_MEDIA_TYPES, RawManifest, Reference, sha256_digest};
use crate::registry::{BlobSource, RegistryBlob, RegistryClient, RegistryError, UrlBlob};

/// A repository an image is read from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// ECR through its API.
    Api {
        /// The ECR client.
        client: Client,
        /// The registry, if not the caller's.
        registry_id: Option<String>,
        /// The repository.
        repository: String,
        /// The client for download URLs (no credentials go with them).
        http: reqwest::Client,
    },
    /// A registry through the distribution protocol.
    Registry {
        /// The registry.
        client: RegistryClient,
        /// The repository.
        repository: String,
    },
}

/// A plain HTTP client for pre-signed URLs: redirects are followed by
/// hand, without credentials.
pub(crate) fn download_client(client: &Client) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(client.config().timeouts.connect)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Calls of `BatchGetImage` for one manifest when the answers do not parse.
const MANIFEST_ATTEMPTS: u32 = 3;

fn api_err<E: std::fmt::Display>(stage: &'static str, e: &crate::Error<E>) -> PullError {
    PullError::Api {
        stage,
        message: e.to_string(),
        request_id: e.request_id().map(str::to_owned),
        kind: e.kind(),
        code: e.service_code().map(str::to_owned),
    }
}

impl Origin {
    /// The repository.
    pub fn repository(&self) -> &str {
        match self {
            Origin::Api { repository, .. } | Origin::Registry { repository, .. } => repository,
        }
    }

    /// A manifest or index by tag or digest, byte for byte, its digest
    /// checked (against the reference when it is a digest, and the
    /// service's own statement of it).
    pub async fn manifest(&self, reference: &str) -> Result<RawManifest, PullError> {
        match self {
            Origin::Registry { client, repository } => client
                .get_manifest(repository, reference)
                .await
                .map_err(|e| PullError::registry("GET manifest", e)),
            Origin::Api {
                client,
                registry_id,
                repository,
                ..
            } => {
                let parsed = Reference::parse(reference).ok_or_else(|| PullError::NotFound {
                    reference: reference.to_owned(),
                    reason: "neither a tag nor a sha256 digest".into(),
                })?;
                let id = match &parsed {
                    Reference::Tag(t) => ImageIdentifier {
                        image_tag: Some(t.clone()),
                        ..Default::default()
                    },
                    Reference::Digest(d) => ImageIdentifier {
                        image_digest: Some(d.clone()),
                        ..Default::default()
                    },
                };
                let request = BatchGetImage {
                    registry_id: registry_id.clone(),
                    repository_name: repository.clone(),
                    image_ids: vec![id],
                    accepted_media_types: Some(
                        MANIFEST_MEDIA_TYPES
                            .iter()
                            .map(|m| (*m).to_owned())
                            .collect(),
                    ),
                };
                let mut attempt = 0;
                let out = loop {
                    attempt += 1;
                    match request.send(client).await {
                        Ok(out) => break out,
                        // The API client does not retry a 200 that does
                        // not parse (a gateway's page, a garbled answer);
                        // a read changes nothing, so it is asked again.
                        Err(e)
                            if e.kind() == crate::ErrorKind::Response
                                && attempt < MANIFEST_ATTEMPTS =>
                        {
                            tracing::debug!(attempt, error = %e, "BatchGetImage answer unreadable; asking again");
                            tokio::time::sleep(crate::registry::backoff(attempt)).await;
                        }
                        Err(e) => return Err(api_err("BatchGetImage", &e)),
                    }
                };
                let image = out.images.unwrap_or_default().into_iter().next();
                let Some(image) = image else {
                    let reason = out
                        .failures
                        .unwrap_or_default()
                        .into_iter()
                        .next()
                        .map(|f| {
                            format!(
                                "{}: {}",
                                f.failure_code
                                    .map(|c| c.as_str().to_owned())
                                    .unwrap_or_default(),
                                f.failure_reason.unwrap_or_default()
                            )
                        })
                        .unwrap_or_else(|| "BatchGetImage returned no image".into());
                    return Err(PullError::NotFound {
                        reference: reference.to_owned(),
                        reason,
                    });
                };
                let text = image.image_manifest.unwrap_or_default();
                let bytes = Bytes::from(text.into_bytes());
                let digest = sha256_digest(&bytes);
                let stated = match &parsed {
                    Reference::Digest(d) => Some(d.clone()),
                    Reference::Tag(_) => image.image_id.and_then(|i| i.image_digest),
                };
                if let Some(expected) = stated
                    && expected != digest
                {
                    return Err(PullError::registry(
                        "BatchGetImage",
                        RegistryError::Digest {
                            what: "manifest",
                            expected,
                            actual: digest,
                        },
                    ));
                }
                Ok(RawManifest::new(
                    bytes,
                    image.image_manifest_media_type.as_deref(),
                ))
            }
        }
    }

    /// Where blob `digest` is read from.
    pub fn blob(&self, digest: &str) -> Arc<dyn BlobSource> {
        match self {
            Origin::Registry { client, repository } => Arc::new(RegistryBlob {
                client: client.clone(),
                repository: repository.clone(),
                digest: digest.to_owned(),
            }),
            Origin::Api {
                client,
                registry_id,
                repository,
                http,
            } => Arc::new(ApiBlob {
                client: client.clone(),
                registry_id: registry_id.clone(),
                repository: repository.clone(),
                digest: digest.to_owned(),
                http: http.clone(),
                url: tokio::sync::Mutex::new(None),
            }),
        }
    }
}

/// A layer read through `GetDownloadUrlForLayer`: the URL is asked for on
/// first use and again when it stops working (pre-signed URLs expire).
struct ApiBlob {
    client: Client,
    registry_id: Option<String>,
    repository: String,
    digest: String,
    http: reqwest::Client,
    url: tokio::sync::Mutex<Option<reqwest::Url>>,
}

impl ApiBlob {
    async fn download_url(&self) -> Result<reqwest::Url, RegistryError> {
        let out = GetDownloadUrlForLayer {
            registry_id: self.registry_id.clone(),
            repository_name: self.repository.clone(),
            layer_digest: self.digest.clone(),
        }
        .send(&self.client)
        .await
        .map_err(|e| RegistryError::api("GetDownloadUrlForLayer", &e))?;
        let url = out.download_url.unwrap_or_default();
        // A 200 without a usable URL is a garbled answer, like one that
        // does not parse: worth asking again.
        reqwest::Url::parse(&url).map_err(|e| RegistryError::Api {
            stage: "GetDownloadUrlForLayer",
            kind: crate::ErrorKind::Response,
            status: Some(200),
            code: None,
            message: format!("the download URL does not parse: {e}"),
            request_id: None,
            retryable: true,
        })
    }
}

impl BlobSource for ApiBlob {
    fn open(&self, offset: u64) -> crate::registry::OpenFuture<'_> {
        Box::pin(async move {
            let mut cached = self.url.lock().await;
            let mut fresh = false;
            let url = match cached.as_ref() {
                Some(url) => url.clone(),
                None => {
                    fresh = true;
                    let url = self.download_url().await?;
                    *cached = Some(url.clone());
                    url
                }
            };
            let blob = UrlBlob {
                http: self.http.clone(),
                url,
            };
            match blob.open(offset).await {
                Ok(stream) => Ok(stream),
                // An expired URL answers 403 (S3) or 400; a new one is asked for once.
                Err(e) if !fresh && matches!(e.status(), Some(400 | 403 | 404)) => {
                    let url = self.download_url().await?;
                    *cached = Some(url.clone());
                    UrlBlob {
                        http: self.http.clone(),
                        url,
                    }
                    .open(offset)
                    .await
                }
                Err(e) => Err(e),
            }
        })
    }
}
