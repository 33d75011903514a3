//! Manifests and indexes: pulled and pushed as their exact bytes, with
//! their media types; the digest is the SHA-256 of those bytes, checked
//! against the reference (a digest) and the registry's
//! `Docker-Content-Digest`.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};

use super::error::{RegistryError, status_error};
use super::{RegistryClient, check_repository, pull_scope, push_scope};
use crate::oci::{
    MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, ManifestDoc, RawManifest, Reference, sha256_digest,
};

/// What a manifest push gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedManifest {
    /// `sha256:<hex>` of the bytes sent.
    pub digest: String,
}

fn check_reference(reference: &str) -> Result<Reference, RegistryError> {
    Reference::parse(reference).ok_or_else(|| {
        RegistryError::invalid(
            "reference",
            format!("{reference:?} is neither a tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}) nor a sha256 digest"),
        )
    })
}

fn header_digest(headers: &HeaderMap) -> Option<String> {
    headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
}

impl RegistryClient {
    /// Pulls a manifest or index by tag or digest, byte for byte.
    pub async fn get_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<RawManifest, RegistryError> {
        check_repository("repository", repository)?;
        let reference = check_reference(reference)?;
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let mut response = self
            .send("GET manifest", &[pull_scope(repository)], |http| {
                http.get(url.clone()).header(ACCEPT, accept.clone())
            })
            .await?;
        if response.status() != StatusCode::OK {
            return Err(status_error("GET manifest", response).await);
        }
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| RegistryError::transport("GET manifest", &url, e))?
        {
            if bytes.len() + chunk.len() > MAX_MANIFEST_BYTES {
                return Err(RegistryError::protocol(
                    "GET manifest",
                    format!("the manifest is larger than {MAX_MANIFEST_BYTES} bytes"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let digest = sha256_digest(&bytes);
        let expected = match &reference {
            Reference::Digest(d) => Some(d.clone()),
            Reference::Tag(_) => header_digest(&headers),
        };
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(RegistryError::Digest {
                what: "manifest",
                expected,
                actual: digest,
            });
        }
        let doc_type = ManifestDoc::parse(&bytes).ok().and_then(|d| d.media_type);
        let media_type = match content_type(&headers) {
            Some(t) if MANIFEST_MEDIA_TYPES.contains(&t.as_str()) => t,
            other => doc_type.or(other).unwrap_or_default(),
        };
        Ok(RawManifest {
            bytes: Bytes::from(bytes),
            media_type,
            digest,
        })
    }

    /// Whether the repository has a manifest of this tag or digest (`HEAD`).
    pub async fn manifest_exists(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<bool, RegistryError> {
        check_repository("repository", repository)?;
        let reference = check_reference(reference)?;
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let response = self
            .send("HEAD manifest", &[pull_scope(repository)], |http| {
                http.head(url.clone()).header(ACCEPT, accept.clone())
            })
            .await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(status_error("HEAD manifest", response).await),
        }
    }

    /// Pushes a manifest or index under a tag or its digest, with its media
    /// type, byte for byte.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        manifest: &RawManifest,
    ) -> Result<PushedManifest, RegistryError> {
        check_repository("repository", repository)?;
        let reference = check_reference(reference)?;
        let digest = sha256_digest(&manifest.bytes);
        if let Reference::Digest(d) = &reference
            && *d != digest
        {
            return Err(RegistryError::Digest {
                what: "manifest",
                expected: d.clone(),
                actual: digest,
            });
        }
        if manifest.media_type.is_empty() {
            return Err(RegistryError::invalid(
                "manifest.media_type",
                "a manifest needs a media type to be pushed",
            ));
        }
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let response = self
            .send("PUT manifest", &[push_scope(repository)], |http| {
                http.put(url.clone())
                    .header(CONTENT_TYPE, manifest.media_type.clone())
                    .body(manifest.bytes.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(status_error("PUT manifest", response).await);
        }
        if let Some(said) = header_digest(response.headers())
            && said != digest
        {
            return Err(RegistryError::Digest {
                what: "pushed manifest (the registry's Docker-Content-Digest)",
                expected: digest,
                actual: said,
            });
        }
        Ok(PushedManifest { digest })
    }
}
